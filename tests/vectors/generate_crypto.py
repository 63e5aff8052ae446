"""Write tests/vectors/envelope-v1.json and pseudonym-v1.json. Run once; the files are committed.

    python -m tests.vectors.generate_crypto

Keys come from fixed seeds, the item key and nonce are fixed, so header, ciphertext and signature
are known answers. Sealed boxes use a fresh ephemeral key each time; the file records the bytes one
run produced, and the tests open exactly those bytes.
"""

from __future__ import annotations

import json
import struct
from datetime import UTC, datetime
from pathlib import Path

from exchange.crypto import sodium
from exchange.crypto.envelope import ItemMetadata, Recipient, encode, seal_with
from exchange.crypto.keys import KeyStatus, KeyVersion
from exchange.crypto.pseudonym import PseudonymKey, pseudonymise
from exchange.crypto.subjects import normalise

HERE = Path(__file__).parent
CREATED = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def party(seed_byte: int) -> KeyVersion:
    box_pub, box_sec = sodium.box_keypair_from_seed(bytes([seed_byte]) * 32)
    sign_pub, sign_sec = sodium.sign_keypair_from_seed(bytes([seed_byte + 1]) * 32)
    return KeyVersion(1, CREATED, KeyStatus.CURRENT, box_pub, sign_pub, box_sec, sign_sec)


def flip(data: bytes, index: int) -> str:
    b = bytearray(data)
    b[index] ^= 0x01
    return b.hex()


def envelope_vectors() -> dict[str, object]:
    provider, a, b, outsider = party(0x10), party(0x20), party(0x30), party(0x40)
    meta = ItemMetadata(
        "case-2026-0001", "item-0001", "senzer", "bijstand-status", "uitkeringsfraude", "2026-01-05T09:30:00Z"
    )
    recipients = [
        Recipient("helmond", a.box_kid, a.box_public),
        Recipient("politie-oost-brabant", b.box_kid, b.box_public),
    ]
    item = seal_with(
        b"Bijstand sinds 2024-03-01; 2 bewoners.",
        meta,
        recipients,
        provider,
        bytes(range(32)),
        bytes(range(100, 124)),
    )
    env = encode(item)
    h = len(item.header_bytes)
    ct_start = 13 + h
    sig_start = ct_start + len(item.ciphertext)
    wraps_start = sig_start + 64 + 2
    # The envelope with the two wraps' key ids swapped: each wrap now claims the other's key.
    (kid_a, wrap_a), (kid_b, wrap_b) = item.wraps
    swapped = env[:wraps_start] + b"".join(
        bytes([len(k)]) + k.encode() + w for k, w in ((kid_a, wrap_b), (kid_b, wrap_a))
    )
    wrong_version = bytes([0x02]) + env[1:]
    keys = {
        name: {
            "party": p,
            "x25519_seed": bytes([s]).hex() * 32,
            "ed25519_seed": bytes([s + 1]).hex() * 32,
            "x25519_kid": k.box_kid,
            "ed25519_kid": k.sign_kid,
        }
        for name, p, s, k in (
            ("provider", "senzer", 0x10, provider),
            ("a", "helmond", 0x20, a),
            ("b", "politie-oost-brabant", 0x30, b),
            ("outsider", "vrbzo", 0x40, outsider),
        )
    }
    return {
        "description": "Dossier envelope v1 (docs/specs/dossier-envelope.md). Keys from seeds. A tampered case "
        "fails for the keys in 'fails_for' (default: a and b) with the opaque error and still "
        "opens for those in 'opens_for' (default: none).",
        "keys": keys,
        "item_key": bytes(range(32)).hex(),
        "nonce": bytes(range(100, 124)).hex(),
        "plaintext": b"Bijstand sinds 2024-03-01; 2 bewoners.".hex(),
        "header": item.header_bytes.decode(),
        "ciphertext": item.ciphertext.hex(),
        "signature": item.signature.hex(),
        "valid": {"envelope": env.hex(), "opens_for": ["a", "b"], "refuses": ["outsider", "provider"]},
        "tampered": [
            {"name": "flipped bit in header", "envelope": flip(env, 5 + 10), "want_err": "InvalidEnvelope"},
            {
                "name": "flipped bit in ciphertext",
                "envelope": flip(env, ct_start + 3),
                "want_err": "InvalidEnvelope",
            },
            {
                "name": "flipped bit in tag",
                "envelope": flip(env, sig_start - 1),
                "want_err": "InvalidEnvelope",
            },
            {
                "name": "flipped bit in signature",
                "envelope": flip(env, sig_start + 5),
                "want_err": "InvalidEnvelope",
            },
            {
                "name": "flipped bit in B's wrap",
                "envelope": flip(env, len(env) - 3),
                "want_err": "InvalidEnvelope",
                "fails_for": ["b"],
                "opens_for": ["a"],
            },
            {"name": "truncated by one byte", "envelope": env[:-1].hex(), "want_err": "InvalidEnvelope"},
            {
                "name": "truncated inside the header",
                "envelope": env[: 5 + h // 2].hex(),
                "want_err": "InvalidEnvelope",
            },
            {"name": "trailing byte", "envelope": (env + b"\x00").hex(), "want_err": "InvalidEnvelope"},
            {"name": "wrong version byte", "envelope": wrong_version.hex(), "want_err": "InvalidEnvelope"},
            {"name": "swapped recipient wraps", "envelope": swapped.hex(), "want_err": "InvalidEnvelope"},
            {
                "name": "huge header length",
                "envelope": (env[:1] + struct.pack(">I", 2**31) + env[5:]).hex(),
                "want_err": "InvalidEnvelope",
            },
            {"name": "empty", "envelope": "", "want_err": "InvalidEnvelope"},
        ],
    }


def pseudonym_vectors() -> dict[str, object]:
    key = PseudonymKey("pit", 1, bytes.fromhex("0f" * 32))
    cases = [
        ("address", "1234AB 5a"),
        ("address", "1234 ab 5-A"),
        ("address", "1234AB, 5 bis"),
        ("address", "5701 AB 12 1"),
        ("person", "123456782"),
        ("person", "12345672"),
        ("company", "12345678"),
    ]
    return {
        "description": "HMAC-SHA256 subject pseudonyms (docs/specs/pseudonyms.md), key version 1.",
        "key": key.key.hex(),
        "cases": [
            {
                "kind": k,
                "input": t,
                "canonical": normalise(k, t).canonical,
                "pseudonym": str(pseudonymise(normalise(k, t), key)),
            }
            for k, t in cases
        ],
        "invalid": [
            {"kind": "address", "input": "1234АB 5", "want_err": "contains 'А' (U+0410)"},
            {"kind": "address", "input": "0123AB 5", "want_err": "must start with a postcode"},
            {"kind": "address", "input": "1234SS 5", "want_err": "letters SS do not exist"},
            {"kind": "address", "input": "1234AB", "want_err": "comes a house number"},
            {"kind": "address", "input": "1234AB 0", "want_err": "house number 0 does not exist"},
            {"kind": "address", "input": "1234AB 5 abcdef", "want_err": "longer than 4 characters"},
            {"kind": "person", "input": "123456789", "want_err": "fails the 11-proof"},
            {"kind": "person", "input": "12345", "want_err": "a BSN has 9 digits"},
            {"kind": "person", "input": "000000000", "want_err": "fails the 11-proof"},
            {"kind": "company", "input": "1234567", "want_err": "exactly 8 digits"},
        ],
    }


def main() -> None:
    for name, data in (("envelope-v1.json", envelope_vectors()), ("pseudonym-v1.json", pseudonym_vectors())):
        (HERE / name).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {HERE / name}")


if __name__ == "__main__":
    main()
