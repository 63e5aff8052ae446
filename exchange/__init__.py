"""exchange: lawful, provable information exchange for Dutch intervention teams."""

__version__ = "0.1.0"
