"""Envelopes open for exactly their recipients; any change to any byte is refused opaquely."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exchange.crypto import sodium
from exchange.crypto.envelope import (
    InvalidEnvelope,
    ItemMetadata,
    Recipient,
    decode,
    encode,
    format_created,
    open_item,
    seal,
    verify,
)
from exchange.crypto.keys import KeyStatus, KeyVersion, PartyKeys
from exchange.errors import InvalidInputError

VECTORS = json.loads((Path(__file__).parents[2] / "vectors" / "envelope-v1.json").read_text())
NOW = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def keys_from_vector(spec: dict[str, Any]) -> PartyKeys:
    box_pub, box_sec = sodium.box_keypair_from_seed(bytes.fromhex(spec["x25519_seed"]))
    sign_pub, sign_sec = sodium.sign_keypair_from_seed(bytes.fromhex(spec["ed25519_seed"]))
    return PartyKeys(
        spec["party"], (KeyVersion(1, NOW, KeyStatus.CURRENT, box_pub, sign_pub, box_sec, sign_sec),)
    )


VKEYS = {name: keys_from_vector(spec) for name, spec in VECTORS["keys"].items()}
PROVIDER_KEYS = {VKEYS["provider"].current.sign_kid: VKEYS["provider"].current.sign_public}


def meta(**kw: str) -> ItemMetadata:
    base = {
        "case": "c1",
        "item": "i1",
        "provider": "senzer",
        "category": "bijstand-status",
        "purpose": "uitkeringsfraude",
        "created": format_created(NOW),
    }
    base.update(kw)
    return ItemMetadata(**base)


def recipient(keys: PartyKeys) -> Recipient:
    return Recipient(keys.party, keys.current.box_kid, keys.current.box_public)


def test_vector_key_ids_match() -> None:
    """Key ids in the vector file are derived from the public keys as specified."""
    for name, spec in VECTORS["keys"].items():
        assert VKEYS[name].current.box_kid == spec["x25519_kid"]
        assert VKEYS[name].current.sign_kid == spec["ed25519_kid"]


def test_known_answer_vector_opens_for_listed_recipients() -> None:
    """The committed envelope opens for A and B with the known plaintext, header, ciphertext and signature."""
    item = decode(bytes.fromhex(VECTORS["valid"]["envelope"]))
    assert item.header_bytes.decode() == VECTORS["header"]
    assert item.ciphertext.hex() == VECTORS["ciphertext"]
    assert item.signature.hex() == VECTORS["signature"]
    for name in VECTORS["valid"]["opens_for"]:
        assert open_item(item, VKEYS[name], PROVIDER_KEYS).hex() == VECTORS["plaintext"]
    for name in VECTORS["valid"]["refuses"]:
        with pytest.raises(InvalidEnvelope, match="could not be verified or opened"):
            open_item(item, VKEYS[name], PROVIDER_KEYS)


def test_known_answer_ciphertext_is_reproducible() -> None:
    """Sealing the vector's inputs with its item key and nonce gives exactly its header, ciphertext and signature."""
    from exchange.crypto.envelope import seal_with

    item = decode(bytes.fromhex(VECTORS["valid"]["envelope"]))
    again = seal_with(
        bytes.fromhex(VECTORS["plaintext"]),
        item.header.metadata,
        [recipient(VKEYS["a"]), recipient(VKEYS["b"])],
        VKEYS["provider"].current,
        bytes.fromhex(VECTORS["item_key"]),
        bytes.fromhex(VECTORS["nonce"]),
    )
    assert again.header_bytes == item.header_bytes
    assert again.ciphertext == item.ciphertext
    assert again.signature == item.signature


@pytest.mark.parametrize("case", VECTORS["tampered"], ids=lambda c: c["name"])
def test_tampered_vectors_are_refused(case: dict[str, Any]) -> None:
    """Every tampered vector fails, for every recipient, with the one opaque error."""
    data = bytes.fromhex(case["envelope"])
    for name in case.get("fails_for", ["a", "b"]):
        with pytest.raises(InvalidEnvelope) as info:
            open_item(decode(data), VKEYS[name], PROVIDER_KEYS)
        assert type(info.value).__name__ == case["want_err"]
        assert str(info.value) == "the dossier item could not be verified or opened"
    for name in case.get("opens_for", []):
        assert open_item(decode(data), VKEYS[name], PROVIDER_KEYS).hex() == VECTORS["plaintext"]


def test_every_single_byte_flip_is_refused() -> None:
    """Flipping any one bit of the signed part (header, ciphertext, signature) is detected by verify()."""
    env = bytes.fromhex(VECTORS["valid"]["envelope"])
    item = decode(env)
    signed_end = 13 + len(item.header_bytes) + len(item.ciphertext) + 64
    for i in range(signed_end):
        b = bytearray(env)
        b[i] ^= 0x80
        with pytest.raises(InvalidEnvelope):
            verify(decode(bytes(b)), PROVIDER_KEYS)


def test_wrong_provider_key_refused() -> None:
    """An item verified against another party's signing key is refused."""
    item = decode(bytes.fromhex(VECTORS["valid"]["envelope"]))
    other = {item.header.provider_kid: VKEYS["a"].current.sign_public}
    with pytest.raises(InvalidEnvelope):
        verify(item, other)
    with pytest.raises(InvalidEnvelope):
        open_item(item, VKEYS["a"], {})


def test_round_trip_for_exact_recipients() -> None:
    """An item sealed for A and B opens for A and B and for nobody else, including the provider."""
    provider, a, b, c = (PartyKeys.create(p, NOW) for p in ("senzer", "helmond", "politie", "vrbzo"))
    item = decode(encode(seal(b"dossier", meta(), [recipient(a), recipient(b)], provider.current)))
    pk = {provider.current.sign_kid: provider.current.sign_public}
    assert open_item(item, a, pk) == b"dossier"
    assert open_item(item, b, pk) == b"dossier"
    for outsider in (c, provider):
        with pytest.raises(InvalidEnvelope):
            open_item(item, outsider, pk)
    assert verify(item, pk).recipient_parties == ("helmond", "politie")


def test_recipient_impersonating_another_party_is_refused() -> None:
    """A party holding a listed key under another party's name cannot open it: wraps follow the header's party."""
    provider, a = PartyKeys.create("senzer", NOW), PartyKeys.create("helmond", NOW)
    item = seal(b"x", meta(), [recipient(a)], provider.current)
    pk = {provider.current.sign_kid: provider.current.sign_public}
    impostor = PartyKeys("vrbzo", a.versions)
    with pytest.raises(InvalidEnvelope):
        open_item(item, impostor, pk)


def test_shredding() -> None:
    """Deleting one recipient's sealed key locks out that recipient only; deleting all locks out everyone,
    and the metadata and signature stay verifiable."""
    provider, a, b = (PartyKeys.create(p, NOW) for p in ("senzer", "helmond", "politie"))
    pk = {provider.current.sign_kid: provider.current.sign_public}
    item = seal(b"dossier", meta(), [recipient(a), recipient(b)], provider.current)
    without_a = decode(encode(item.without_wrap(a.current.box_kid)))
    with pytest.raises(InvalidEnvelope):
        open_item(without_a, a, pk)
    assert open_item(without_a, b, pk) == b"dossier"
    gone = without_a.without_wrap(b.current.box_kid)
    for k in (a, b):
        with pytest.raises(InvalidEnvelope):
            open_item(gone, k, pk)
    # What remains after shredding: the signed metadata, still verifiable, and undecryptable ciphertext.
    header = verify(gone, pk)
    assert header.metadata == item.header.metadata
    assert gone.wraps == ()


def test_extra_wrap_for_unlisted_key_is_refused() -> None:
    """The hub cannot add a recipient: a wrap for a key not in the signed header invalidates the item."""
    provider, a, c = (PartyKeys.create(p, NOW) for p in ("senzer", "helmond", "vrbzo"))
    pk = {provider.current.sign_kid: provider.current.sign_public}
    item = seal(b"dossier", meta(), [recipient(a)], provider.current)
    forged = replace(
        item, wraps=(*item.wraps, (c.current.box_kid, sodium.box_seal(b"k" * 32, c.current.box_public)))
    )
    with pytest.raises(InvalidEnvelope):
        verify(forged, pk)


def test_rotated_keys_open_old_items_until_destroyed() -> None:
    """After rotation old items still open with the retired key; after destroying it they do not."""
    provider, a = PartyKeys.create("senzer", NOW), PartyKeys.create("helmond", NOW)
    pk = {provider.current.sign_kid: provider.current.sign_public}
    old = seal(b"old", meta(), [recipient(a)], provider.current)
    a2 = a.rotate(NOW)
    assert a2.current.version == 2
    assert open_item(old, a2, pk) == b"old"
    new = seal(b"new", meta(), [recipient(a2)], provider.current)
    a3 = a2.destroy(1)
    with pytest.raises(InvalidEnvelope):
        open_item(old, a3, pk)
    assert open_item(new, a3, pk) == b"new"


def test_seal_input_errors() -> None:
    """Sealing refuses no recipients, duplicate keys, too many recipients and a destroyed signing key."""
    provider, a = PartyKeys.create("senzer", NOW), PartyKeys.create("helmond", NOW)
    with pytest.raises(InvalidInputError, match="at least one recipient"):
        seal(b"x", meta(), [], provider.current)
    with pytest.raises(InvalidInputError, match="listed twice"):
        seal(b"x", meta(), [recipient(a), recipient(a)], provider.current)
    with pytest.raises(InvalidInputError, match="at most 64 recipients"):
        seal(b"x", meta(), [recipient(a)] * 65, provider.current)
    destroyed = replace(provider.current, sign_secret=None)
    with pytest.raises(InvalidInputError, match="signing key has been destroyed"):
        seal(b"x", meta(), [recipient(a)], destroyed)
    with pytest.raises(InvalidInputError, match="not a valid X25519 public key"):
        seal(b"x", meta(), [Recipient("a", "k", b"short")], provider.current)
    with pytest.raises(InvalidInputError, match="needs a time zone"):
        format_created(datetime(2026, 1, 1))


def test_header_must_be_canonical_and_complete() -> None:
    """A header that is not RFC 8785 canonical, has other fields or another algorithm is refused."""
    provider, a = PartyKeys.create("senzer", NOW), PartyKeys.create("helmond", NOW)
    item = seal(b"x", meta(), [recipient(a)], provider.current)
    env = encode(item)
    h = len(item.header_bytes)

    def with_header(new: bytes) -> bytes:
        import struct

        return env[:1] + struct.pack(">I", len(new)) + new + env[5 + h :]

    data = json.loads(item.header_bytes)
    for bad in (
        json.dumps(data, indent=1).encode(),  # not canonical
        json.dumps({**data, "extra": 1}, sort_keys=True, separators=(",", ":")).encode(),
        json.dumps({**data, "alg": "none"}, sort_keys=True, separators=(",", ":")).encode(),
        json.dumps({**data, "recipients": []}, sort_keys=True, separators=(",", ":")).encode(),
        json.dumps({**data, "nonce": "AAAA"}, sort_keys=True, separators=(",", ":")).encode(),
        json.dumps({**data, "nonce": "!!"}, sort_keys=True, separators=(",", ":")).encode(),
        json.dumps({**data, "recipients": [{"kid": "x"}]}, sort_keys=True, separators=(",", ":")).encode(),
        b"[1]",
        b"\xff\xfe",
    ):
        with pytest.raises(InvalidEnvelope):
            decode(with_header(bad))


def test_too_many_wraps_and_bad_kid_encoding() -> None:
    """Wrap counts beyond the limit and non-ASCII key ids are refused."""
    provider, a = PartyKeys.create("senzer", NOW), PartyKeys.create("helmond", NOW)
    env = encode(seal(b"x", meta(), [recipient(a)], provider.current))
    item = decode(env)
    count_at = 13 + len(item.header_bytes) + len(item.ciphertext) + 64
    with pytest.raises(InvalidEnvelope):
        decode(env[:count_at] + (65).to_bytes(2, "big") + env[count_at + 2 :])
    kid_at = count_at + 3
    with pytest.raises(InvalidEnvelope):
        decode(env[:kid_at] + b"\xff" + env[kid_at + 1 :])


@settings(max_examples=60, deadline=None)
@given(
    payload=st.binary(max_size=4096),
    n=st.integers(min_value=1, max_value=5),
    case=st.text(min_size=1, max_size=40),
)
def test_round_trip_property(payload: bytes, n: int, case: str) -> None:
    """Any payload, any number of recipients, any case id: every recipient gets the payload back."""
    provider = PartyKeys.create("provider", NOW)
    parties = [PartyKeys.create(f"p{i}", NOW) for i in range(n)]
    pk = {provider.current.sign_kid: provider.current.sign_public}
    item = decode(encode(seal(payload, meta(case=case), [recipient(p) for p in parties], provider.current)))
    assert item.header.metadata.case == case
    for p in parties:
        assert open_item(item, p, pk) == payload


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.text(), min_size=6, max_size=6),
    st.lists(st.tuples(st.text(), st.text()), min_size=1, max_size=3),
)
def test_fast_header_encoding_is_rfc8785(values: list[str], recipients: list[tuple[str, str]]) -> None:
    """For any header values, the fast header encoder produces exactly the RFC 8785 bytes."""
    import rfc8785

    from exchange.crypto.envelope import _header_data, canonical_header

    try:
        for v in [*values, *(x for r in recipients for x in r)]:
            v.encode("utf-8")
    except UnicodeEncodeError:
        return  # lone surrogates cannot be UTF-8 encoded by either encoder
    m = ItemMetadata(*values)
    data = _header_data(m, "ed25519_x", b"\x00" * 24, [Recipient(p, k, b"") for p, k in recipients])
    assert canonical_header(data) == rfc8785.dumps(data)
