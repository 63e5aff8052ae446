"""Which pseudonym key versions the hub accepts for a covenant (docs/specs/pseudonym-keys.md).

Once the custodian has distributed a version through the hub, a pseudonym for that covenant must be
of a version on record that is still accepted: the newest, or a superseded one until the overlap the
custodian set when it distributed its successor. A covenant with no version on record keeps the
behaviour from before keys went through the hub: any well-formed pseudonym is taken, whatever its
version, because the hub cannot tell which versions the parties made by hand.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from exchange.crypto.pseudonym import parse_pseudonym
from exchange.errors import ConflictError
from exchange.storage.pseudonym_keys import KeyVersionInfo, PseudonymKeyRepository

__all__ = ["describe", "refusal", "require_accepted", "unaccepted"]


def unaccepted(versions: list[KeyVersionInfo], subjects: Iterable[str], now: datetime) -> set[int]:
    """The key versions of ``subjects`` that ``versions`` (on record) do not accept at ``now``; empty
    when nothing is on record."""
    if not versions:
        return set()
    accepted = {v.version for v in versions if v.accepted_at(now)}
    return {parse_pseudonym(s).key_version for s in subjects} - accepted


def describe(versions: list[KeyVersionInfo], now: datetime) -> str:
    """The versions accepted at ``now``: 'v2, and v1 until 2026-12-30T00:00:00Z'."""
    parts = [
        f"v{v.version}"
        + (
            f" until {v.accepted_until.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}"
            if v.accepted_until
            else ""
        )
        for v in sorted(versions, key=lambda v: -v.version)
        if v.accepted_at(now)
    ]
    return ", ".join(parts) or "none"


def refusal(covenant: str, bad: set[int], versions: list[KeyVersionInfo], now: datetime) -> ConflictError:
    listed = ", ".join(f"v{v}" for v in sorted(bad))
    return ConflictError(
        f"pseudonyms of key version {listed} are not accepted for '{covenant}'; accepted now: "
        f"{describe(versions, now)}. Fetch the current key (exchange client pseudonym-key fetch) and "
        "make the pseudonyms again",
        code="pseudonym-key-version",
    )


def require_accepted(session: Session, covenant: str, subjects: Iterable[str], now: datetime) -> None:
    """Refuse pseudonyms of a key version the covenant ``covenant`` (an id, or id/version) does not
    accept at ``now``."""
    cid = covenant.split("/")[0]
    versions = PseudonymKeyRepository(session).versions(cid)
    bad = unaccepted(versions, subjects, now)
    if bad:
        raise refusal(cid, bad, versions, now)
