"""Sealed pseudonym key copies open for exactly their party, bound to their covenant and version,
and only when the covenant's custodian signed them; any change to any byte is refused opaquely."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from exchange.crypto import sodium
from exchange.crypto.envelope import Recipient
from exchange.crypto.keys import KeyStatus, KeyVersion, PartyKeys
from exchange.crypto.pseudonym import PseudonymKey
from exchange.crypto.pseudonym_copy import (
    InvalidCopy,
    decode_copy,
    encode_copy,
    open_copy,
    seal_copy,
    seal_copy_with,
    verify_copy,
)
from exchange.errors import InvalidInputError

V = json.loads((Path(__file__).parents[2] / "vectors" / "pseudonym-copy-v1.json").read_text())
NOW = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def keys_of(spec: dict[str, Any]) -> PartyKeys:
    box_pub, box_sec = sodium.box_keypair_from_seed(bytes.fromhex(spec["x25519_seed"]))
    sign_pub, sign_sec = sodium.sign_keypair_from_seed(bytes.fromhex(spec["ed25519_seed"]))
    return PartyKeys(
        spec["party"], (KeyVersion(1, NOW, KeyStatus.CURRENT, box_pub, sign_pub, box_sec, sign_sec),)
    )


CUSTODIAN, RECIPIENT, OUTSIDER = keys_of(V["custodian"]), keys_of(V["recipient"]), keys_of(V["outsider"])
SIGNERS = {CUSTODIAN.current.sign_kid: CUSTODIAN.current.sign_public}


def open_vector(
    data: bytes, keys: PartyKeys = RECIPIENT, covenant: str = "pit", version: int = 2
) -> PseudonymKey:
    return open_copy(decode_copy(data), keys, covenant, version, "helmond", SIGNERS)


def test_known_answer_header_and_ciphertext() -> None:
    """With the vector's copy key and nonce, sealing gives the recorded header and ciphertext."""
    key = PseudonymKey("pit", 2, bytes.fromhex(V["pseudonym_key"]))
    to = Recipient("senzer", RECIPIENT.current.box_kid, RECIPIENT.current.box_public)
    copy = seal_copy_with(
        key,
        to,
        "helmond",
        CUSTODIAN.current,
        "2026-01-05T09:30:00Z",
        bytes.fromhex(V["copy_key"]),
        bytes.fromhex(V["nonce"]),
    )
    assert copy.header_bytes.decode() == V["header"]
    assert copy.ciphertext.hex() == V["ciphertext"]


def test_the_recorded_copy_opens_for_its_party() -> None:
    """The recipient opens the recorded copy and gets the custodian's key, version and covenant."""
    key = open_vector(bytes.fromhex(V["copy"]))
    assert (key.covenant, key.version, key.key.hex()) == ("pit", 2, V["pseudonym_key"])


@pytest.mark.parametrize("case", V["tampered"], ids=lambda c: c["name"])
def test_tampered_copies_are_refused(case: dict[str, Any]) -> None:
    """Every changed, cut or lengthened copy, and one signed by another party, is the one opaque error."""
    assert case["want_err"]
    with pytest.raises(InvalidCopy, match="could not be verified or opened"):
        open_vector(bytes.fromhex(case["copy"]))


@pytest.mark.parametrize(
    ("covenant", "version", "party"), [("kit", 2, "senzer"), ("pit", 1, "senzer"), ("pit", 3, "senzer")]
)
def test_a_copy_bound_to_another_covenant_or_version_is_refused(
    covenant: str, version: int, party: str
) -> None:
    """A copy presented as another covenant's or another version's does not open."""
    with pytest.raises(InvalidCopy):
        open_vector(bytes.fromhex(V["copy"]), covenant=covenant, version=version)


def test_a_copy_for_another_party_is_refused() -> None:
    """Another party, even one holding the recipient's secret under its own name, cannot open it."""
    with pytest.raises(InvalidCopy):
        open_vector(bytes.fromhex(V["copy"]), keys=OUTSIDER)
    impostor = PartyKeys("enexis", RECIPIENT.versions)
    with pytest.raises(InvalidCopy):
        open_vector(bytes.fromhex(V["copy"]), keys=impostor)


def test_a_copy_signed_by_a_non_custodian_is_refused() -> None:
    """A party that is not the custodian can seal a key to anyone, but its copy is refused: by the
    custodian named in it, and by the key that signed it."""
    key = PseudonymKey.generate("pit", 2)
    to = Recipient("senzer", RECIPIENT.current.box_kid, RECIPIENT.current.box_public)
    own_name = decode_copy(
        encode_copy(seal_copy(key, to, "enexis", OUTSIDER.current, "2026-01-05T09:30:00Z"))
    )
    with pytest.raises(InvalidCopy):
        open_copy(own_name, RECIPIENT, "pit", 2, "helmond", SIGNERS)
    posing = decode_copy(encode_copy(seal_copy(key, to, "helmond", OUTSIDER.current, "2026-01-05T09:30:00Z")))
    with pytest.raises(InvalidCopy):
        verify_copy(posing, "helmond", SIGNERS)
    # It verifies only against a key list that wrongly names the outsider's key as the custodian's.
    outsider_keys = {OUTSIDER.current.sign_kid: OUTSIDER.current.sign_public}
    assert verify_copy(posing, "helmond", outsider_keys).custodian == "helmond"


def test_a_round_trip_with_fresh_randomness() -> None:
    """seal_copy, encode, decode and open give back the key, and the header says what it is for."""
    key = PseudonymKey.generate("lsi-woensel", 7)
    to = Recipient("senzer", RECIPIENT.current.box_kid, RECIPIENT.current.box_public)
    copy = decode_copy(encode_copy(seal_copy(key, to, "helmond", CUSTODIAN.current, "2026-01-05T09:30:00Z")))
    h = verify_copy(copy, "helmond", SIGNERS)
    assert (h.covenant, h.key_version, h.party, h.kid) == (
        "lsi-woensel",
        7,
        "senzer",
        RECIPIENT.current.box_kid,
    )
    assert open_copy(copy, RECIPIENT, "lsi-woensel", 7, "helmond", SIGNERS) == key


def test_a_destroyed_signing_key_cannot_seal() -> None:
    """A custodian key version whose secret was destroyed signs nothing."""
    destroyed = KeyVersion(1, NOW, KeyStatus.DESTROYED, b"\x00" * 32, b"\x00" * 32)
    to = Recipient("senzer", RECIPIENT.current.box_kid, RECIPIENT.current.box_public)
    with pytest.raises(InvalidInputError, match="destroyed"):
        seal_copy(PseudonymKey.generate("pit"), to, "helmond", destroyed, "2026-01-05T09:30:00Z")


@pytest.mark.parametrize(
    "header",
    [
        b"not json",
        b"[]",
        b'{"v":1}',
        V["header"].replace('"v":1', '"v":2').encode(),
        V["header"].replace('"key_version":2', '"key_version":0').encode(),
        V["header"].replace('"key_version":2', '"key_version":true').encode(),
        V["header"].replace('"party":"senzer"', '"party":5').encode(),
        V["header"].replace('"nonce":"ZGVm', '"nonce":"!!!!').encode(),
        V["header"].replace('"nonce":"ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7"', '"nonce":"AAAA"').encode(),
        V["header"].replace(",", ", ", 1).encode(),  # not canonical
    ],
)
def test_malformed_headers_are_refused(header: bytes) -> None:
    """A header that is not the canonical v1 header with valid values is refused before any crypto."""
    data = bytes.fromhex(V["copy"])
    h = int.from_bytes(data[1:3], "big")
    rebuilt = data[:1] + len(header).to_bytes(2, "big") + header + data[3 + h :]
    with pytest.raises(InvalidCopy):
        decode_copy(rebuilt)


def test_a_copy_the_custodian_signed_over_garbage_does_not_open() -> None:
    """A (faulty or malicious) custodian's valid signature over a ciphertext that does not decrypt
    still gives the one opaque error."""
    from exchange.crypto.pseudonym_copy import SealedCopy, _signed_message

    good = decode_copy(bytes.fromhex(V["copy"]))
    bad_ct = bytes(48)
    secret = CUSTODIAN.current.sign_secret or b""
    signature = sodium.sign_detached(_signed_message(good.header_bytes, bad_ct, good.wrap), secret)
    forged = SealedCopy(good.header_bytes, bad_ct, good.wrap, signature, good.header)
    with pytest.raises(InvalidCopy):
        open_copy(decode_copy(encode_copy(forged)), RECIPIENT, "pit", 2, "helmond", SIGNERS)


def test_a_copy_sealed_to_a_destroyed_key_does_not_open() -> None:
    """Once the party destroyed the key a copy was sealed to, that copy opens no more."""
    rotated = RECIPIENT.rotate(NOW).destroy(1)
    with pytest.raises(InvalidCopy):
        open_vector(bytes.fromhex(V["copy"]), keys=rotated)
