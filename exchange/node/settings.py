"""The node's settings, from ``EXCHANGE_NODE_*`` environment variables (docs/node.md lists them)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from exchange.crypto.subjects import SubjectKind
from exchange.errors import ConfigurationError


class PasswordProfile(StrEnum):
    #: argon2-cffi's recommended profile (RFC 9106, low memory: t=3, m=64 MiB, p=4).
    RECOMMENDED = "recommended"
    #: The library's profile for tests only: hashes in microseconds and protect nothing.
    TESTS_ONLY = "tests-only"


class SyncFolder(BaseModel):
    """Where the party's register drops its export for one category, and what its lines hold."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    folder: Path = Field(description="The drop folder", examples=["/srv/export/incidenten"])
    kind: SubjectKind = Field(
        default=SubjectKind.ADDRESS, description="What each line holds", examples=["address"]
    )


class NodeSettings(BaseSettings):
    """How a party's node runs. Every field has an ``EXCHANGE_NODE_`` variable of its own name."""

    model_config = SettingsConfigDict(env_prefix="EXCHANGE_NODE_", extra="ignore")

    #: The hub's address, e.g. https://exchange.example.
    hub_url: str = "http://127.0.0.1:8000"
    #: This party's id in the covenant files, e.g. helmond.
    party: str = ""
    #: The party's keystore (``exchange keys init``) and a file holding its passphrase.
    keystore: Path = Path("keystore.json")
    passphrase_file: Path | None = None
    #: Passphrase given directly (only where a file is not possible; the file is preferred).
    passphrase: SecretStr | None = None
    #: Where the node keeps its SQLite store; ``store_url`` (e.g. postgresql+psycopg://...) overrides.
    data_dir: Path = Path("var/node")
    store_url: SecretStr | None = None
    #: The covenant tree whose files name the party, its roles and the categories.
    convenant_dir: Path = Path("convenant")
    #: Send cookies only over HTTPS. Switch off only for a node on localhost without TLS.
    cookie_secure: bool = True
    idle_timeout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    max_failed_sign_ins: int = Field(default=5, ge=1, le=100)
    lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    password_profile: PasswordProfile = PasswordProfile.RECOMMENDED
    host: str = "127.0.0.1"
    port: int = Field(default=8700, ge=0, le=65535)
    #: How long the start page waits for the hub before it says the hub cannot be reached.
    hub_timeout_seconds: float = Field(default=5.0, gt=0, le=120)
    #: Per category (``covenant:category``, e.g. ``pit:politie-incidenten``) its drop folder, as JSON:
    #: ``{"pit:politie-incidenten": {"folder": "/srv/export/incidenten", "kind": "address"}}``.
    sync_folders: dict[str, SyncFolder] = Field(default_factory=dict)
    #: ``exchange node serve`` syncs the index every this many minutes; 0 (the default) never.
    sync_interval_minutes: int = Field(default=0, ge=0, le=7 * 24 * 60)
    #: The user id the node asserts to the hub for a sync (the hub's log shows it).
    sync_user: str = Field(default="index-sync", min_length=1, max_length=64)

    def database_url(self) -> str:
        if self.store_url is not None:
            return self.store_url.get_secret_value()
        return f"sqlite:///{self.data_dir / 'node.db'}"

    def read_passphrase(self) -> str:
        """The keystore's passphrase, from the file or the variable; refuses to guess."""
        if self.passphrase_file is not None:
            try:
                text = self.passphrase_file.read_text(encoding="utf-8")
            except OSError as exc:
                raise ConfigurationError(
                    f"cannot read the passphrase file {self.passphrase_file} ({exc.strerror}); "
                    "set EXCHANGE_NODE_PASSPHRASE_FILE to a readable file"
                ) from None
            value = text.rstrip("\r\n")
        elif self.passphrase is not None:
            value = self.passphrase.get_secret_value()
        else:
            value = ""
        if not value:
            raise ConfigurationError(
                "no keystore passphrase: set EXCHANGE_NODE_PASSPHRASE_FILE to a file holding it"
            )
        return value

    def require_party(self) -> str:
        if not self.party:
            raise ConfigurationError("no party: set EXCHANGE_NODE_PARTY to this party's id, e.g. helmond")
        return self.party
