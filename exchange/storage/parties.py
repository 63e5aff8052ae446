"""The operator's party registry: party ids and their public keys, nothing secret."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, select
from sqlalchemy.orm import Session

from exchange.clock import as_utc
from exchange.crypto.keys import key_id
from exchange.errors import ConflictError, InvalidInputError
from exchange.storage.models import ConsoleSession, ConsoleTicket, PartyKeyRow, PartyRow

MAX_KEYS = 64


@dataclass(frozen=True, slots=True)
class SigningKey:
    party: str
    kid: str
    public: bytes
    status: str
    #: When the hub retired it (its own clock); None while current.
    retired_at: datetime | None = None

    def signed_before_retirement(self, stored: datetime) -> bool:
        """Whether something the hub stored at ``stored`` was signed while this key was current."""
        return self.retired_at is None or stored < self.retired_at


def _decode(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise InvalidInputError(f"{what} must be base64url text")
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise InvalidInputError(f"{what} is not valid base64url") from None
    if len(raw) != 32:
        raise InvalidInputError(f"{what} must be 32 bytes")
    return raw


def parse_public_keys(party: str, data: Any) -> list[tuple[str, str, int, str, bytes]]:
    """Validate ``exchange keys export-public`` output: (kid, algorithm, version, status, public)."""
    if not isinstance(data, list) or not data or len(data) > MAX_KEYS:
        raise InvalidInputError(f"expected a list of 1 to {MAX_KEYS} key versions")
    out = []
    for entry in data:
        if not isinstance(entry, dict) or entry.get("party") != party:
            raise InvalidInputError(f"every key version must belong to party '{party}'")
        version, status = entry.get("version"), entry.get("status")
        if not isinstance(version, int) or status not in ("current", "retired", "destroyed"):
            raise InvalidInputError("a key version needs an integer version and a status")
        for alg in ("x25519", "ed25519"):
            block = entry.get(alg)
            if not isinstance(block, dict):
                raise InvalidInputError(f"key version {version} lacks its {alg} key")
            public = _decode(block.get("public"), f"{alg} public key of version {version}")
            kid = key_id(alg, public)
            if block.get("kid") != kid:
                raise InvalidInputError(
                    f"the {alg} key id of version {version} does not match its public key"
                )
            out.append((kid, alg, version, str(status), public))
    if sum(1 for k in out if k[3] == "current") != 2:
        raise InvalidInputError("exactly one key version must be current")
    return out


def register_party(session: Session, party: str, name: str, keys_data: Any, now: datetime) -> list[str]:
    """Register or update a party's public keys. A key id already registered for another party, or
    with another public key, is a conflict. Returns the key ids newly registered."""
    keys = parse_public_keys(party, keys_data)
    if session.get(PartyRow, party) is None:
        session.add(PartyRow(id=party, name=name, registered=now))
    added = []
    signing_retired = False
    for kid, alg, version, status, public in keys:
        row = session.get(PartyKeyRow, kid)
        retired_at = None if status == "current" else now
        if row is None:
            session.add(
                PartyKeyRow(
                    kid=kid,
                    party=party,
                    algorithm=alg,
                    version=version,
                    status=status,
                    public=public,
                    registered=now,
                    retired_at=retired_at,
                )
            )
            added.append(kid)
        elif row.party != party or row.public != public:
            raise ConflictError(f"key {kid} is registered already for another party")
        elif row.status != status:
            if row.status != "current" and status == "current":
                raise ConflictError(f"key {kid} was retired; a retired key does not become current again")
            signing_retired |= alg == "ed25519" and row.status == "current"
            row.status = status
            row.retired_at = row.retired_at or retired_at
    if signing_retired:
        # Console sign-ins rest on a signed request; once the key that made it is retired or
        # destroyed, the party's users sign in again with its current key.
        session.execute(delete(ConsoleSession).where(ConsoleSession.party == party))
        session.execute(delete(ConsoleTicket).where(ConsoleTicket.party == party))
    session.flush()
    return added


_KEYS = cast(Table, PartyKeyRow.__table__)
_SIGNING_KEY = select(_KEYS.c.party, _KEYS.c.kid, _KEYS.c.public, _KEYS.c.status, _KEYS.c.retired_at).where(
    _KEYS.c.kid == bindparam("kid"), _KEYS.c.algorithm == "ed25519"
)


def signing_key(session: Session, kid: str) -> SigningKey | None:
    """A registered Ed25519 key by id; destroyed keys are returned with their status."""
    # A Core statement on the session's connection: this runs for every signed request.
    row = session.connection().execute(_SIGNING_KEY, {"kid": kid}).first()
    if row is None:
        return None
    retired = as_utc(row.retired_at) if row.retired_at is not None else None
    return SigningKey(row.party, row.kid, row.public, row.status, retired)


def encryption_keys(session: Session, party: str) -> list[PartyKeyRow]:
    return list(
        session.execute(
            select(PartyKeyRow)
            .where(PartyKeyRow.party == party, PartyKeyRow.algorithm == "x25519")
            .order_by(PartyKeyRow.version)
        ).scalars()
    )
