"""The node's settings, from ``EXCHANGE_NODE_*`` environment variables (docs/node.md lists them)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from exchange.crypto.subjects import SubjectKind
from exchange.errors import ConfigurationError


class PasswordProfile(StrEnum):
    #: argon2-cffi's recommended profile (RFC 9106, low memory: t=3, m=64 MiB, p=4).
    RECOMMENDED = "recommended"
    #: The library's profile for tests only: hashes in microseconds and protect nothing.
    TESTS_ONLY = "tests-only"


class LocalSignIn(StrEnum):
    #: Every local account may sign in with its password.
    EVERYONE = "everyone"
    #: Only the node administrators named in ``admins`` (when the organisation's OpenID provider is
    #: configured, staff sign in there).
    ADMINS = "admins"


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
    #: The hub's oversight console as staff's browsers reach it (the node may reach the hub by an
    #: address browsers cannot, e.g. inside the network); empty means the hub's address.
    console_url: str = ""
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
    #: Who may sign in with a local account and password; the ``admins`` may always.
    local_sign_in: LocalSignIn = LocalSignIn.EVERYONE
    #: Local accounts of the node's administrators, comma-separated: they sign in locally even when
    #: ``local_sign_in`` is ``admins``.
    admins: str = ""
    #: Sign-in through the organisation's OpenID provider (docs/node.md, "Sign-in with your
    #: organisation's account"): its issuer URL; empty leaves OpenID Connect off.
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    #: A file holding the client secret the provider gave the node (preferred), or the secret itself.
    oidc_client_secret_file: Path | None = None
    oidc_client_secret: SecretStr | None = None
    #: The node's callback address as registered at the provider, e.g.
    #: https://node.helmond.example/aanmelden/oidc/terug.
    oidc_redirect_uri: str = ""
    #: Where the provider sends the browser after signing out there; registered at the provider too.
    #: Empty: the redirect URI's origin with ``/aanmelden?afgemeld=1``.
    oidc_post_logout_redirect_uri: str = ""
    #: The name on the sign-in button: "Aanmelden met <name>", e.g. "Helmond-account".
    oidc_display_name: str = ""
    oidc_scopes: str = "openid profile"
    #: The ID token claim that lists the user's groups.
    oidc_groups_claim: str = "groups"
    #: A YAML file mapping each group to the node roles its members get (docs/node.md).
    oidc_roles_file: Path | None = None
    #: Clock difference tolerated between the node and the provider when checking the ID token's times.
    oidc_clock_skew_seconds: int = Field(default=60, ge=0, le=600)

    @field_validator("passphrase_file", mode="before")
    @classmethod
    def _unset_when_empty(cls, value: object) -> object:
        # An empty EXCHANGE_NODE_PASSPHRASE_FILE is no file (Path("") would be the working directory).
        return None if isinstance(value, str) and not value.strip() else value

    def console_base(self) -> str:
        """Where the browser is sent for the console: ``console_url``, else ``hub_url``."""
        return self.console_url or self.hub_url

    def console_origin(self) -> str | None:
        """``scheme://host[:port]`` of :meth:`console_base`, None when it is no http(s) address. The
        workspace's Content-Security-Policy lets forms go there: the oversight button's POST is
        answered with a redirect to the console, and browsers check a form's redirects too."""
        parts = urlsplit(self.console_base())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return None
        return f"{parts.scheme}://{parts.netloc}"

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

    def check_console_url(self) -> None:
        if self.console_url and self.console_origin() is None:
            raise ConfigurationError(
                f"EXCHANGE_NODE_CONSOLE_URL '{self.console_url}' is not an http(s) address; set it to "
                "the console's address as browsers reach it, e.g. https://exchange.example"
            )

    def admin_names(self) -> frozenset[str]:
        return frozenset(n.strip() for n in self.admins.split(",") if n.strip())

    def read_oidc_client_secret(self) -> str | None:
        """The OpenID client secret, from the file or the variable; None for a public client."""
        if self.oidc_client_secret_file is not None:
            try:
                text = self.oidc_client_secret_file.read_text(encoding="utf-8")
            except OSError as exc:
                raise ConfigurationError(
                    f"cannot read the OpenID client secret file {self.oidc_client_secret_file} "
                    f"({exc.strerror}); set EXCHANGE_NODE_OIDC_CLIENT_SECRET_FILE to a readable file"
                ) from None
            return text.strip() or None
        if self.oidc_client_secret is not None:
            return self.oidc_client_secret.get_secret_value() or None
        return None

    def require_party(self) -> str:
        if not self.party:
            raise ConfigurationError("no party: set EXCHANGE_NODE_PARTY to this party's id, e.g. helmond")
        return self.party
