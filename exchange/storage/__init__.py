"""Persistence adapters (SQLAlchemy) for the log, keys, cases and policies."""
