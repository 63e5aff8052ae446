"""Local accounts of the node: the party's staff, added and managed by its node administrator.

Passwords are hashed with Argon2id (argon2-cffi, RFC 9106 low-memory profile by default); roles are
checked against the roles the covenant files let this party hold (:class:`PartyProfile`). Every change
is in the node's audit trail, by user id only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import argon2
from argon2 import profiles
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from exchange.errors import ConflictError, InvalidInputError, NotFoundError
from exchange.node.party import PartyProfile
from exchange.node.settings import PasswordProfile
from exchange.node.store import AuditKind, AuditRow, SessionRow, UserRow

NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MIN_PASSWORD = 12
MAX_PASSWORD = 1024


def hasher(profile: PasswordProfile) -> argon2.PasswordHasher:
    """argon2-cffi's recommended Argon2id parameters, or its cheapest ones for tests only."""
    params = profiles.CHEAPEST if profile is PasswordProfile.TESTS_ONLY else profiles.RFC_9106_LOW_MEMORY
    return argon2.PasswordHasher.from_parameters(params)


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    name: str
    display_name: str
    roles: tuple[str, ...]
    disabled: bool
    locked_until: datetime | None
    #: Signs in through the organisation's OpenID provider, not with a password.
    external: bool = False


def _account(row: UserRow) -> Account:
    roles = tuple(row.roles.split())
    external = row.oidc_issuer is not None
    return Account(row.id, row.name, row.display_name, roles, row.disabled, row.locked_until, external)


def audit(session: Session, kind: AuditKind, user_id: int | None, now: datetime) -> None:
    session.add(AuditRow(at=now, kind=str(kind), user_id=user_id))


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise InvalidInputError(
            f"'{name}' is not a valid user name: use 1 to 64 lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    if name.startswith("oidc-"):
        raise InvalidInputError(
            f"'{name}' is not a valid user name: names starting with 'oidc-' are kept for accounts that "
            "sign in through the organisation's OpenID provider"
        )
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidInputError(f"the password must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise InvalidInputError(f"the password may have at most {MAX_PASSWORD} characters")
    return password


def _row(session: Session, name: str) -> UserRow:
    row = session.scalars(select(UserRow).where(UserRow.name == name)).one_or_none()
    if row is None:
        raise NotFoundError(f"no user '{name}' on this node; 'exchange node user list' shows who there is")
    return row


def add_user(
    session: Session,
    party: PartyProfile,
    name: str,
    roles: list[str],
    password: str,
    now: datetime,
    profile: PasswordProfile = PasswordProfile.RECOMMENDED,
    display_name: str | None = None,
) -> Account:
    checked = party.check_roles(roles)
    check_name(name)
    check_password(password)
    if session.scalars(select(UserRow.id).where(UserRow.name == name)).first() is not None:
        raise ConflictError(f"a user '{name}' exists already; change roles with 'exchange node user roles'")
    row = UserRow(
        name=name,
        display_name=(display_name or name).strip()[:200] or name,
        roles=" ".join(checked),
        disabled=False,
        password_hash=hasher(profile).hash(password),
        failed_attempts=0,
        locked_until=None,
        created=now,
    )
    session.add(row)
    session.flush()
    audit(session, AuditKind.USER_ADDED, row.id, now)
    return _account(row)


def disable_user(session: Session, name: str, now: datetime) -> Account:
    """Disable an account and end its sessions at once."""
    row = _row(session, name)
    row.disabled = True
    session.execute(delete(SessionRow).where(SessionRow.user_id == row.id))
    audit(session, AuditKind.USER_DISABLED, row.id, now)
    return _account(row)


def set_roles(session: Session, party: PartyProfile, name: str, roles: list[str], now: datetime) -> Account:
    row = _row(session, name)
    row.roles = " ".join(party.check_roles(roles))
    audit(session, AuditKind.ROLES_CHANGED, row.id, now)
    return _account(row)


def list_users(session: Session) -> list[Account]:
    return [_account(r) for r in session.scalars(select(UserRow).order_by(UserRow.name))]
