"""The pseudonym key versions the node fetches from the hub, kept sealed in its own store.

A sync pass fetches this party's copies of a covenant's pseudonym keys from the hub, checked against
the covenant's custodian (:class:`~exchange.node.sync_hub.LiveIndexHub`). The keystore file stays
read-only to the node (it may be a read-only secret file in a container), so a version the keystore
lacks is kept in ``node_pseudonym_keys``, sealed under the node's data key like every other secret
the store holds, and added to the keystore in memory at every start: after a restart casework and
uploads use the newest version at once, not only after the next sync.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange.crypto.keystore import Keystore
from exchange.crypto.pseudonym import PseudonymKey
from exchange.node.records import PseudonymKeyRow
from exchange.node.sealing import DataKey, open_sealed, seal


def _held(store: Keystore, key: PseudonymKey) -> bool:
    return any(k.covenant == key.covenant and k.version == key.version for k in store.pseudonym_keys)


def with_keys(store: Keystore, keys: Iterable[PseudonymKey]) -> Keystore:
    """``store`` with every one of ``keys`` it lacks (in memory only)."""
    for key in keys:
        if not _held(store, key):
            store = store.with_pseudonym_key(key)
    return store


def remember(session: Session, data_key: DataKey, keys: Iterable[PseudonymKey], now: datetime) -> None:
    """Store, sealed, each of ``keys`` the store does not hold yet."""
    for key in keys:
        if session.get(PseudonymKeyRow, (key.covenant, key.version)) is None:
            session.add(
                PseudonymKeyRow(
                    covenant=key.covenant, version=key.version, sealed=seal(data_key, key.key), fetched=now
                )
            )


def stored(session: Session, data_key: DataKey) -> list[PseudonymKey]:
    """Every fetched key the store holds, opened (a row that does not open stops the start)."""
    rows = session.scalars(
        select(PseudonymKeyRow).order_by(PseudonymKeyRow.covenant, PseudonymKeyRow.version)
    )
    return [PseudonymKey(r.covenant, r.version, open_sealed(data_key, r.sealed)) for r in rows]
