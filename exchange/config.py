"""Configuration from environment variables (prefix ``EXCHANGE_``), read at the edges only.

``EXCHANGE_MODE`` is ``production`` unless set to ``dev``. In production the service and the
checkpoint signer refuse to start while a secret is missing or still a placeholder, and say which
(:func:`refuse_weak_secrets`).
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from exchange.audit.anomalies import Thresholds
from exchange.errors import ConfigurationError

#: Words that mark a value as copied from an example rather than generated.
PLACEHOLDER_WORDS = (
    "changeme",
    "change-me",
    "change_me",
    "placeholder",
    "example",
    "secret",
    "password",
    "passwd",
    "default",
    "dummy",
    "todo",
    "fixme",
    "test",
    "demo",
    "postgres",
    "exchange",
    "admin",
)
MIN_TOKEN_LENGTH = 32
MIN_DB_PASSWORD_LENGTH = 16


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EXCHANGE_", extra="ignore")

    #: ``production`` (the default) refuses placeholder secrets; ``dev`` is for a laptop and the demo.
    mode: Literal["dev", "production"] = "production"
    #: SQLite (WAL) by default; ``postgresql+psycopg://...`` in production.
    database_url: str = "sqlite:///var/exchange.db"
    #: The covenant tree the service decides with.
    convenant_dir: Path = Path("convenant")
    #: The log's checkpoint origin line, and the name of its signing key.
    log_origin: str = "exchange.local/log"
    #: File with the 32-byte seed of the log's Ed25519 checkpoint key (hex, mode 0600).
    log_key_file: Path = Path("var/log-key")
    #: The log's checkpoint public key, published on ``GET /v1/log/keys``: base64, or the
    #: ``verifier: <origin> <key>`` line ``exchange log init-key`` prints. The API never reads the
    #: checkpoint signing key itself.
    log_public_key: str | None = None
    #: File with the 32-byte seed of the service's Ed25519 receipt key (hex, mode 0600); created by
    #: ``exchange log init-receipt-key``. Required in production.
    receipt_key_file: Path = Path("var/receipt-key")
    #: Bearer token Prometheus sends to ``/metrics``; required in production.
    metrics_token: SecretStr | None = None
    #: Requests handled at once per process; beyond it the service answers 503 with Retry-After
    #: instead of queueing without bound (health, readiness and metrics are never shed).
    max_in_flight: int = Field(default=64, ge=1, le=10_000)
    #: Refused requests one user can put in the log per minute and process; the rest of the minute
    #: is counted in one event.
    refusals_per_minute: int = Field(default=30, ge=1, le=10_000)
    #: Requests to join a covenant (``POST /v1/joins``, signed with a key the hub does not know yet):
    #: at most ``join_pending_per_covenant`` pending at once per covenant, ``joins_per_hour`` new
    #: ones an hour in all, and ``joins_per_source_per_hour`` attempts an hour from one network
    #: address per process. Beyond a limit the hub answers 429 with Retry-After.
    join_pending_per_covenant: int = Field(default=3, ge=1, le=1000)
    joins_per_hour: int = Field(default=10, ge=1, le=10_000)
    joins_per_source_per_hour: int = Field(default=5, ge=1, le=10_000)
    #: How often (seconds) each worker looks for covenant versions the signatories approved; the
    #: worker that records the last approval installs it at once.
    policy_refresh_seconds: float = Field(default=1.0, ge=0.05, le=3600)
    #: The database password, if not in the URL (e.g. from the file ``exchange_database_password`` in
    #: ``EXCHANGE_SECRETS_DIR``, where a container's secrets are mounted).
    database_password: SecretStr | None = None
    #: Anomaly flags (``exchange.audit.anomalies``) count requests, not log events. A burst is more
    #: than ``anomaly_burst_requests`` disclosing requests by one user, or requests about more than
    #: ``anomaly_burst_subjects`` distinct subjects, within ``anomaly_burst_window_seconds``.
    anomaly_burst_requests: int = Field(default=50, ge=1, le=1_000_000)
    anomaly_burst_subjects: int = Field(default=200, ge=1, le=10_000_000)
    anomaly_burst_window_seconds: int = Field(default=600, ge=1, le=7 * 86_400)
    #: Repeated denials: at least ``anomaly_denials`` requests with a denial by one user within
    #: ``anomaly_denial_window_seconds``.
    anomaly_denials: int = Field(default=5, ge=1, le=1_000_000)
    anomaly_denial_window_seconds: int = Field(default=3600, ge=1, le=30 * 86_400)

    #: How long a console sign-in link works (once): two minutes by default; the demo, whose links a
    #: newcomer opens after reading its output, gives them half an hour.
    console_link_seconds: int = Field(default=120, ge=10, le=86_400)

    def anomaly_thresholds(self) -> Thresholds:
        """The anomaly rules' thresholds from these settings."""
        return Thresholds(
            burst_requests=self.anomaly_burst_requests,
            burst_subjects=self.anomaly_burst_subjects,
            burst_window=timedelta(seconds=self.anomaly_burst_window_seconds),
            denials=self.anomaly_denials,
            denial_window=timedelta(seconds=self.anomaly_denial_window_seconds),
        )

    def engine_url(self) -> str:
        """The URL to connect with: ``database_url`` with ``database_password`` filled in."""
        if self.database_password is None:
            return self.database_url
        try:
            url = make_url(self.database_url)
        except ArgumentError:
            raise ConfigurationError("EXCHANGE_DATABASE_URL is not a valid database URL") from None
        password = self.database_password.get_secret_value()
        return url.set(password=password).render_as_string(hide_password=False)


def load_settings() -> Settings:
    """Settings from the environment, and from one file per secret in ``EXCHANGE_SECRETS_DIR`` (named
    like the variable, lower case: ``exchange_metrics_token``, ``exchange_database_password``)."""
    secrets_dir = os.environ.get("EXCHANGE_SECRETS_DIR")
    if secrets_dir and not Path(secrets_dir).is_dir():
        raise ConfigurationError(f"EXCHANGE_SECRETS_DIR {secrets_dir} is not a directory")
    return Settings(_secrets_dir=secrets_dir)


def looks_like_placeholder(value: str, min_distinct: int = 16) -> bool:
    """A heuristic for values copied from an example: a quarter or more of it is a placeholder word
    ('changeme', 'secret', ...), it is a template ('<...>', '${...}'), or it repeats too few characters.
    A generated token (``secrets.token_urlsafe(32)``) passes even when a word occurs in it by chance."""
    if value.startswith(("<", "${", "{{")):
        return True
    stripped = re.sub("|".join(map(re.escape, PLACEHOLDER_WORDS)), "", value, flags=re.IGNORECASE)
    if len(stripped) < 0.75 * len(value):
        return True
    return len(set(value)) < min_distinct  # 'aaaa...', '0123456789' * 4, 'xxxxxxxx...'


def secret_problems(settings: Settings, *, log_key: bool = False) -> list[str]:
    """What keeps ``settings`` from running in production, one sentence each (empty in dev mode)."""
    if settings.mode == "dev":
        return []
    problems: list[str] = []
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else ""
    if not token:
        problems.append("EXCHANGE_METRICS_TOKEN is not set (the bearer token for /metrics)")
    elif len(token) < MIN_TOKEN_LENGTH or looks_like_placeholder(token):
        problems.append(
            f"EXCHANGE_METRICS_TOKEN looks like a placeholder; use at least {MIN_TOKEN_LENGTH} random "
            "characters, e.g. from: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    try:
        problems.extend(_database_problems(settings.engine_url()))
    except ConfigurationError as exc:
        problems.append(exc.diagnostics())
    if log_key:
        problems.extend(_log_key_problems(settings.log_key_file))
    return problems


def refuse_weak_secrets(settings: Settings, *, log_key: bool = False) -> None:
    problems = secret_problems(settings, log_key=log_key)
    if problems:
        raise ConfigurationError(
            "refusing to start in production mode (set EXCHANGE_MODE=dev on a laptop): " + "; ".join(problems)
        )


def _database_problems(url: str) -> list[str]:
    try:
        parsed = make_url(url)
    except ArgumentError:
        return ["EXCHANGE_DATABASE_URL is not a valid database URL"]
    password = parsed.password
    if password is None:
        return []  # SQLite, or PostgreSQL with peer or certificate authentication
    if len(str(password)) < MIN_DB_PASSWORD_LENGTH or looks_like_placeholder(str(password), 8):
        return [
            "the database password (EXCHANGE_DATABASE_URL or EXCHANGE_DATABASE_PASSWORD) looks like a "
            "placeholder; use at least "
            f"{MIN_DB_PASSWORD_LENGTH} random characters"
        ]
    return []


def _log_key_problems(path: Path) -> list[str]:
    try:
        mode = os.stat(path).st_mode
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return [f"EXCHANGE_LOG_KEY_FILE {path} does not exist; create it with: exchange log init-key"]
    except (OSError, UnicodeDecodeError):
        return [f"EXCHANGE_LOG_KEY_FILE {path} cannot be read"]
    if mode & 0o077:
        return [f"EXCHANGE_LOG_KEY_FILE {path} is readable by others; run: chmod 600 {path}"]
    try:
        seed = bytes.fromhex(text)
    except ValueError:
        return [f"EXCHANGE_LOG_KEY_FILE {path} does not hold a hex key"]
    if len(seed) != 32:
        return [f"EXCHANGE_LOG_KEY_FILE {path} does not hold a 32-byte key"]
    if len(set(seed)) < 8:
        return [
            f"EXCHANGE_LOG_KEY_FILE {path} holds a placeholder key; create a new one: exchange log init-key"
        ]
    return []
