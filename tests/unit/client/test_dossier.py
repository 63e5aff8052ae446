"""Dossier items opened on the party's side: text or an attachment, and a failure kept per item
instead of raised, so one bad item does not hide the others."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from exchange.client.dossier import DossierEntry, open_entry, printable, require_opened
from exchange.crypto.envelope import InvalidEnvelope, ItemMetadata, Recipient, encode, format_created, seal
from exchange.crypto.keys import PartyKeys

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def sealed(provider: PartyKeys, reader: PartyKeys, content: bytes) -> str:
    meta = ItemMetadata(
        "case-1", "item-1", provider.party, "bijstand-status", "uitkeringsfraude", format_created(NOW)
    )
    envelope = encode(
        seal(
            content,
            meta,
            [Recipient(reader.party, reader.current.box_kid, reader.current.box_public)],
            provider.current,
        )
    )
    return base64.b64encode(envelope).decode()


def test_an_item_opens_and_a_tampered_one_keeps_its_failure() -> None:
    senzer, helmond = PartyKeys.create("senzer", NOW), PartyKeys.create("helmond", NOW)
    raw = sealed(senzer, helmond, b"Bijstand sinds 2025")
    signers = {senzer.current.sign_kid: senzer.current.sign_public}
    opened = open_entry(raw, helmond, signers)
    assert opened.text == "Bijstand sinds 2025" and opened.failure is None
    data = bytearray(base64.b64decode(raw))
    data[-1] ^= 1
    tampered = open_entry(base64.b64encode(bytes(data)).decode(), helmond, signers)
    assert tampered.content is None and isinstance(tampered.failure, InvalidEnvelope)
    assert tampered.item == "item-1" and tampered.provider == "senzer"
    assert open_entry("not base64!", helmond, signers).failure is not None
    with pytest.raises(InvalidEnvelope):
        require_opened([opened, tampered])
    assert [i.text for i in printable([opened, tampered])] == ["Bijstand sinds 2025"]


def test_bytes_that_are_not_text_are_an_attachment_named_by_their_type() -> None:
    pdf = DossierEntry("item-2", "senzer", "c", "t", b"%PDF-1.4\n\x00\xff")
    assert pdf.text is None and pdf.attachment() == ("application/pdf", "item-2.pdf")
    other = DossierEntry("item-3", "senzer", "c", "t", b"\xff\xfe\x00")
    assert other.attachment() == ("application/octet-stream", "item-3.bin")
    (item,) = printable([pdf], {"senzer": "Senzer"}, {"c": "Categorie"})
    assert item.provider == "Senzer" and item.category == "Categorie" and "item-2.pdf" in item.text
