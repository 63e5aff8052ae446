"""Shared CLI plumbing: settings, the database session, the log and its signing key."""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from exchange.audit.checkpoint import NoteSigner, NoteVerifier
from exchange.config import Settings, load_settings
from exchange.crypto import sodium
from exchange.errors import ConfigurationError, InvalidInputError, StorageError
from exchange.storage.audit_store import AuditLog
from exchange.storage.db import make_engine, session_factory
from exchange.storage.schema import require_current


@contextmanager
def database(settings: Settings | None = None, check_schema: bool = True) -> Iterator[Session]:
    """One unit of work: committed when the block ends without an error, rolled back otherwise."""
    s = settings or load_settings()
    engine = make_engine(s.engine_url())
    try:
        if check_schema:
            require_current(engine)
        with session_factory(engine).begin() as session:
            yield session
    except SQLAlchemyError as exc:
        raise StorageError(
            f"the database could not complete the command ({type(exc).__name__}); nothing was changed"
        ) from None
    finally:
        engine.dispose()


def audit_log(settings: Settings | None = None) -> AuditLog:
    return AuditLog((settings or load_settings()).log_origin)


def create_log_key(path: Path) -> bytes:
    """Write a new 32-byte seed (hex) with mode 0600; refuse to overwrite an existing key."""
    if path.exists():
        raise ConfigurationError(f"{path} exists already; a log key is never replaced silently")
    path.parent.mkdir(parents=True, exist_ok=True)
    seed = sodium.random_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(seed.hex() + "\n")
    return seed


def log_signer(settings: Settings | None = None) -> NoteSigner:
    s = settings or load_settings()
    path = s.log_key_file
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        raise ConfigurationError(
            f"no log signing key at {path}; create one with: exchange log init-key"
        ) from None
    if path.stat().st_mode & 0o077:
        raise ConfigurationError(f"{path} is readable by others; run: chmod 600 {path}")
    try:
        seed = bytes.fromhex(text)
    except ValueError:
        raise ConfigurationError(f"{path} does not hold a hex key") from None
    if len(seed) != 32:
        raise ConfigurationError(f"{path} does not hold a 32-byte key")
    if s.mode != "dev" and len(set(seed)) < 8:
        raise ConfigurationError(f"{path} holds a placeholder key; create a new one: exchange log init-key")
    return NoteSigner.from_seed(s.log_origin, seed)


def log_verifier(settings: Settings, public: str | None) -> NoteVerifier:
    """The log's checkpoint verifier from its published public key, or else from its signing key.

    ``public`` is the base64 key as ``exchange log init-key`` prints it, or a file holding it (also
    the whole ``verifier: <name> <key>`` line). An auditor needs nothing else; only without it is
    the signing key (EXCHANGE_LOG_KEY_FILE) read.
    """
    if public is None:
        if not settings.log_key_file.exists():
            raise ConfigurationError(
                f"no log signing key at {settings.log_key_file}; to verify without it, give the log's "
                "public key: --log-public <base64 key or file>"
            )
        return log_signer(settings).verifier
    text = public
    path = Path(public)
    try:
        if path.is_file():
            text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeError):
        raise InvalidInputError(f"cannot read the log's public key from {path}") from None
    words = text.split()
    try:
        key = base64.b64decode(words[-1] if words else "", validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != sodium.PUBLIC_KEY_BYTES:
        raise InvalidInputError(
            "--log-public is not the log's public key: give the 32-byte Ed25519 key in base64, "
            "as 'exchange log init-key' prints it, or a file holding it"
        )
    return NoteVerifier(settings.log_origin, key)
