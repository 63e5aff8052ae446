"""A party's dossier items in a case, fetched, verified and opened here.

    entries = open_dossier(client, keys, case_id, fetch_directory(client))
    for e in entries:
        e.content            # the plaintext bytes, or None when the item did not verify or open
        e.failure            # why not (the one opaque envelope error, or the directory's refusal)

Every item is verified against the provider's signing key before it is opened (spec:
docs/specs/dossier-envelope.md): with the hub's key directory, the key must be the item's own
provider's and not retired before the item was created (:mod:`exchange.client.directory`). An item
that fails is kept as an entry without content, so a page can warn about it and still show the rest;
:func:`require_opened` turns the first failure into the error a command reports.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from exchange.client.directory import Signers, keys_for
from exchange.client.dossier_html import OpenedItem
from exchange.client.http import ExchangeClient
from exchange.client.texts import hub_answer
from exchange.crypto.envelope import InvalidEnvelope, decode, open_item
from exchange.crypto.keys import PartyKeys
from exchange.errors import VerificationError

#: Magic numbers of the attachments a provider typically sends, for the downloaded file's name.
ATTACHMENT_TYPES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"PK\x03\x04", "application/zip", "zip"),
)


@dataclass(frozen=True, slots=True)
class DossierEntry:
    """One item sealed for this party: its signed metadata and, when it verified and opened, its
    content. ``failure`` is set (and ``content`` None) otherwise."""

    item: str
    provider: str
    category: str
    created: str
    content: bytes | None
    failure: VerificationError | None = None

    @property
    def text(self) -> str | None:
        """The content as text, None for an attachment (bytes that are not UTF-8 text) or a failure."""
        if self.content is None or b"\x00" in self.content:
            return None
        try:
            return self.content.decode("utf-8")
        except UnicodeDecodeError:
            return None

    def attachment(self) -> tuple[str, str]:
        """(media type, file name) to download the content as."""
        head = self.content or b""
        for magic, media, ext in ATTACHMENT_TYPES:
            if head.startswith(magic):
                return media, f"{self.item}.{ext}"
        return "application/octet-stream", f"{self.item}.bin"


def sealed_items(client: ExchangeClient, case_id: str) -> list[str]:
    """The base64 envelopes the hub holds for this party in the case (each read logged there)."""
    got: Any = hub_answer(client.get(f"/v1/cases/{case_id}/items"))
    items = got.get("items") if isinstance(got, dict) else None
    return [str(i) for i in items] if isinstance(items, list) else []


def open_entry(raw: str, keys: PartyKeys, signers: Signers) -> DossierEntry:
    """Decode, verify and open one envelope; any failure is kept in the entry, not raised."""
    try:
        item = decode(base64.b64decode(raw, validate=True))
    except (InvalidEnvelope, binascii.Error, ValueError):
        return DossierEntry("", "", "", "", None, InvalidEnvelope())
    m = item.header.metadata
    try:
        content = open_item(item, keys, keys_for(signers, item))
    except VerificationError as exc:  # InvalidEnvelope, or the key directory's DirectoryRefused
        return DossierEntry(m.item, m.provider, m.category, m.created, None, exc)
    return DossierEntry(m.item, m.provider, m.category, m.created, content)


def open_dossier(
    client: ExchangeClient, keys: PartyKeys, case_id: str, signers: Signers
) -> list[DossierEntry]:
    """Every item sealed for this party in the case, each verified with ``signers`` and opened."""
    return [open_entry(raw, keys, signers) for raw in sealed_items(client, case_id)]


def require_opened(entries: list[DossierEntry]) -> list[DossierEntry]:
    """The entries, or the first failure raised: a command prints nothing it could not verify."""
    for e in entries:
        if e.failure is not None:
            raise e.failure
    return entries


def printable(
    entries: list[DossierEntry],
    parties: dict[str, str] | None = None,
    categories: dict[str, str] | None = None,
) -> list[OpenedItem]:
    """The opened entries as the printable views take them (:mod:`.dossier_html`, :mod:`.dossier_pdf`);
    an attachment is named, not printed. ``parties`` and ``categories`` map ids to names to print."""
    parties, categories = parties or {}, categories or {}
    out = []
    for e in entries:
        if e.content is None:
            continue
        text = e.text
        if text is None:
            text = f"[bijlage {e.attachment()[1]}, {len(e.content):,} bytes]".replace(",", ".")
        out.append(
            OpenedItem(
                e.item,
                parties.get(e.provider, e.provider),
                categories.get(e.category, e.category),
                e.created,
                text,
            )
        )
    return out
