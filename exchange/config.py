"""Configuration from environment variables (prefix ``EXCHANGE_``), read at the edges only."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EXCHANGE_", extra="ignore")

    #: SQLite (WAL) by default; ``postgresql+psycopg://...`` in production.
    database_url: str = "sqlite:///var/exchange.db"
    #: The covenant tree the service decides with.
    convenant_dir: Path = Path("convenant")
    #: The log's checkpoint origin line, and the name of its signing key.
    log_origin: str = "exchange.local/log"
    #: File with the 32-byte seed of the log's Ed25519 checkpoint key (hex, mode 0600).
    log_key_file: Path = Path("var/log-key")


def load_settings() -> Settings:
    return Settings()
