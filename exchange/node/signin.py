"""Signing in to the node's workspace: passwords, lockout after repeated failures, sessions.

A session is an opaque random token in the browser's cookie; the store keeps only its SHA-256, so a
copy of the store holds no usable session. Each session has its own CSRF token (a synchroniser token)
and ends after ``idle`` without a request. After ``max_failures`` wrong passwords in a row an account
is locked for ``lockout``; the answer to every failure is the same (:class:`SignInFailed`), whether
the name is unknown, the password wrong, the account disabled or locked. Every sign-in, failure,
lockout, expiry and sign-out is in the node's audit trail, by user id only.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import argon2
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from exchange.errors import VerificationError
from exchange.node.accounts import Account, _account, audit, hasher
from exchange.node.settings import PasswordProfile
from exchange.node.store import AuditKind, SessionRow, UserRow


class SignInFailed(VerificationError):
    """One answer for every failed sign-in, so it reveals nothing about which accounts exist."""

    def __init__(self) -> None:
        super().__init__("sign-in failed")


@dataclass(frozen=True, slots=True)
class Policy:
    max_failures: int = 5
    lockout: timedelta = timedelta(minutes=15)
    idle: timedelta = timedelta(minutes=15)
    profile: PasswordProfile = PasswordProfile.RECOMMENDED
    #: The local accounts that may sign in with a password; None lets every local account.
    local_only: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class SignedIn:
    account: Account
    csrf: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


_DUMMY: dict[PasswordProfile, str] = {}


def _dummy_hash(profile: PasswordProfile) -> str:
    """A hash to verify against for an unknown name, so that answer takes as long as a wrong password."""
    if profile not in _DUMMY:
        _DUMMY[profile] = hasher(profile).hash(secrets.token_urlsafe(16))
    return _DUMMY[profile]


def sign_in(
    session: Session, name: str, password: str, now: datetime, policy: Policy
) -> tuple[str, SignedIn]:
    """(cookie token, who signed in); :class:`SignInFailed` otherwise. The caller commits either way:
    a failure changes the account's counter and the audit trail."""
    ph = hasher(policy.profile)
    row = session.scalars(select(UserRow).where(UserRow.name == name)).one_or_none()
    if row is None:
        with contextlib.suppress(argon2.exceptions.VerificationError):
            ph.verify(_dummy_hash(policy.profile), password)
        audit(session, AuditKind.SIGN_IN_FAILED, None, now)
        raise SignInFailed()
    if row.locked_until is not None and now < row.locked_until:
        audit(session, AuditKind.SIGN_IN_FAILED, row.id, now)
        raise SignInFailed()
    try:
        ph.verify(row.password_hash, password)
        ok = True
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        ok = False
    if not ok or row.disabled:
        audit(session, AuditKind.SIGN_IN_FAILED, row.id, now)
        if not ok:
            row.failed_attempts += 1
            if row.failed_attempts >= policy.max_failures:
                row.locked_until = now + policy.lockout
                row.failed_attempts = 0
                audit(session, AuditKind.LOCKED, row.id, now)
        raise SignInFailed()
    if policy.local_only is not None and row.name not in policy.local_only:
        # Staff sign in through the organisation's provider; the answer is the same as for a wrong
        # password, the audit trail says why.
        audit(session, AuditKind.OIDC_LOCAL_REFUSED, row.id, now)
        raise SignInFailed()
    row.failed_attempts = 0
    row.locked_until = None
    if ph.check_needs_rehash(row.password_hash):  # parameters raised since the hash was made
        row.password_hash = ph.hash(password)
    audit(session, AuditKind.SIGN_IN, row.id, now)
    return open_session(session, row, now)


def open_session(session: Session, row: UserRow, now: datetime) -> tuple[str, SignedIn]:
    """A new session for ``row``: (cookie token, who signed in). The caller audits the sign-in."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    session.add(
        SessionRow(token_hash=token_hash(token), user_id=row.id, csrf=csrf, created=now, last_seen=now)
    )
    return token, SignedIn(_account(row), csrf)


def current(session: Session, token: str | None, now: datetime, policy: Policy) -> SignedIn | None:
    """Who holds ``token``, refreshing its idle timer; None for no, an unknown, an idle-expired or a
    disabled user's session (an expired one is deleted and its expiry audited)."""
    if not token:
        return None
    row = session.get(SessionRow, token_hash(token))
    if row is None:
        return None
    user = session.get(UserRow, row.user_id)
    if user is None or user.disabled:
        session.delete(row)
        return None
    if now - row.last_seen > policy.idle:
        session.delete(row)
        audit(session, AuditKind.SESSION_EXPIRED, user.id, now)
        return None
    row.last_seen = now
    return SignedIn(_account(user), row.csrf)


def sign_out(session: Session, token: str | None, now: datetime) -> None:
    if not token:
        return
    row = session.get(SessionRow, token_hash(token))
    if row is not None:
        audit(session, AuditKind.SIGN_OUT, row.user_id, now)
        session.delete(row)


def drop_session(session: Session, token: str | None) -> None:
    """Delete the session ``token`` names, if any, without an audit entry (it is being replaced)."""
    if token:
        session.execute(delete(SessionRow).where(SessionRow.token_hash == token_hash(token)))


def csrf_matches(expected: str, given: str | None) -> bool:
    return bool(given) and secrets.compare_digest(expected.encode(), (given or "").encode())
