"""Command-line edges of exchange."""
