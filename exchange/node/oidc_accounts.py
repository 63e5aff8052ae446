"""Accounts of staff who sign in through the organisation's OpenID provider, the party's mapping of
the provider's groups to node roles, and the sign-ins under way.

An account is named by a stable id derived from the provider's issuer and subject id
(:func:`account_name`), never by a name or e-mail address: that id is what drafts, the audit trail and
the user the node asserts to the hub carry. Its roles are set again at every sign-in from the groups
in the ID token, through the party's mapping, and only roles the covenants let the party hold count
(as for local accounts). A sign-in under way keeps its ``state`` and, sealed under the node's data
key, its ``nonce`` and PKCE verifier, under the SHA-256 of a random token in the browser's cookie, so
the callback is accepted only in the browser that started it, once, within :data:`FLOW_LIFETIME`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy import LargeBinary, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from exchange.errors import ConfigurationError, InvalidInputError, VerificationError
from exchange.node.accounts import audit
from exchange.node.oidc import Begun, Identity
from exchange.node.party import PartyProfile
from exchange.node.sealing import DataKey, SealedDataError, open_sealed, seal
from exchange.node.signin import SignedIn, open_session, token_hash
from exchange.node.store import AuditKind, NodeBase, SessionRow, UserRow, UtcDateTime

#: How long the provider may take to send the browser back.
FLOW_LIFETIME = timedelta(minutes=10)
PREFIX = "oidc-"
#: The password hash of an account that signs in through the provider: no password verifies it.
NO_PASSWORD = "!oidc"  # noqa: S105  # a marker that is no Argon2 hash, not a password


class NoAccess(VerificationError):
    """The provider vouched for the user, but the node gives them no session: ``reason`` is
    ``no-role`` (no group the party maps to a role it may hold) or ``disabled``."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"no access to this node ({reason})")
        self.reason = reason


class OidcFlowRow(NodeBase):
    """A sign-in under way at the provider."""

    __tablename__ = "node_oidc_flows"

    #: SHA-256 of the random token in the browser's flow cookie.
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(128))
    #: The nonce and the PKCE code verifier, as JSON sealed under the data key.
    sealed: Mapped[bytes] = mapped_column(LargeBinary())
    created: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


def account_name(issuer: str, subject: str) -> str:
    """The node's user id for (issuer, subject): ``oidc-`` and 26 base32 characters of their SHA-256
    (OpenID Connect Core 1.0, section 5.7: only issuer and sub together identify a user stably)."""
    digest = hashlib.sha256(f"{issuer}\x00{subject}".encode()).digest()
    return PREFIX + base64.b32encode(digest).decode("ascii").lower()[:26]


def load_role_map(path: Path | None, party: PartyProfile) -> dict[str, tuple[str, ...]]:
    """The party's mapping of provider groups to node roles, from a YAML file of ``group: [roles]``;
    every role must be one the covenants let the party hold."""
    if path is None:
        raise ConfigurationError(
            "OpenID Connect is configured but no group mapping: set EXCHANGE_NODE_OIDC_ROLES_FILE to a "
            "YAML file mapping each group to node roles"
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"cannot read the group mapping {path}: {exc}") from None
    if not isinstance(data, dict) or not data:
        raise ConfigurationError(f"the group mapping {path} must map each group to a list of roles")
    mapping: dict[str, tuple[str, ...]] = {}
    for group, roles in data.items():
        listed = [roles] if isinstance(roles, str) else roles
        if not isinstance(group, str) or not isinstance(listed, list) or not listed:
            raise ConfigurationError(f"in {path}: group {group!r} must map to a list of roles")
        try:
            mapping[group] = party.check_roles(str(r) for r in listed)
        except InvalidInputError as exc:
            raise ConfigurationError(f"in {path}, group {group!r}: {exc}") from None
    return mapping


def roles_for(
    groups: Iterable[str], mapping: Mapping[str, tuple[str, ...]], allowed: Iterable[str]
) -> tuple[str, ...]:
    """The roles the user's groups give, in the mapping's order, limited to what the party may hold."""
    mine = set(groups)
    permitted = set(allowed)
    roles = [r for group, rs in mapping.items() if group in mine for r in rs if r in permitted]
    return tuple(dict.fromkeys(roles))


def start_flow(session: Session, begun: Begun, key: DataKey, now: datetime) -> str:
    """Keep ``begun`` for the callback; the token for the browser's flow cookie."""
    session.execute(delete(OidcFlowRow).where(OidcFlowRow.created < now - FLOW_LIFETIME))
    token = secrets.token_urlsafe(32)
    secret = json.dumps({"nonce": begun.nonce, "code_verifier": begun.code_verifier}).encode()
    sealed = seal(key, secret)
    session.add(OidcFlowRow(key_hash=token_hash(token), state=begun.state, sealed=sealed, created=now))
    return token


def take_flow(
    session: Session, token: str | None, state: str, key: DataKey, now: datetime
) -> tuple[str, str] | None:
    """(nonce, code verifier) of the flow this browser started, if ``state`` is its state and it is
    recent; the flow is used up either way."""
    if not token:
        return None
    row = session.get(OidcFlowRow, token_hash(token))
    if row is None:
        return None
    session.delete(row)
    if now - row.created > FLOW_LIFETIME or not secrets.compare_digest(row.state.encode(), state.encode()):
        return None
    try:
        data = json.loads(open_sealed(key, row.sealed))
    except (SealedDataError, ValueError):
        return None
    return str(data["nonce"]), str(data["code_verifier"])


def sign_in_oidc(
    session: Session,
    identity: Identity,
    mapping: Mapping[str, tuple[str, ...]],
    party: PartyProfile,
    now: datetime,
) -> tuple[str, SignedIn]:
    """A session for the user the provider vouched for, their account made or its roles set again
    from their groups; :class:`NoAccess` (audited) if they get no role or the account is disabled."""
    name = account_name(identity.issuer, identity.subject)
    roles = roles_for(identity.groups, mapping, party.roles)
    row = session.scalars(select(UserRow).where(UserRow.name == name)).one_or_none()
    if row is not None and row.disabled:
        audit(session, AuditKind.OIDC_DISABLED, row.id, now)
        raise NoAccess("disabled")
    if not roles:
        if row is not None:
            # Out of every mapped group: the account keeps no role and no session.
            row.roles = ""
            session.execute(delete(SessionRow).where(SessionRow.user_id == row.id))
        audit(session, AuditKind.OIDC_NO_ROLE, row.id if row is not None else None, now)
        raise NoAccess("no-role")
    display = identity.name.strip()[:200] or name
    if row is None:
        row = UserRow(
            name=name,
            display_name=display,
            roles=" ".join(roles),
            disabled=False,
            password_hash=NO_PASSWORD,
            failed_attempts=0,
            locked_until=None,
            created=now,
            oidc_issuer=identity.issuer,
        )
        session.add(row)
        session.flush()
        audit(session, AuditKind.USER_ADDED, row.id, now)
    else:
        if row.roles != " ".join(roles):
            row.roles = " ".join(roles)
            audit(session, AuditKind.ROLES_CHANGED, row.id, now)
        row.display_name = display
    audit(session, AuditKind.OIDC_SIGN_IN, row.id, now)
    return open_session(session, row, now)
