"""Write tests/vectors/pseudonym-copy-v1.json. Run once; the file is committed.

    python -m tests.vectors.generate_pseudonym_copy

Keys come from fixed seeds and the copy key and nonce are fixed, so the header and the ciphertext
are known answers. The sealed box uses a fresh ephemeral key each time, and the signature covers
it: the file records the bytes one run produced, and the tests open exactly those bytes.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

from exchange.crypto.envelope import Recipient
from exchange.crypto.pseudonym import PseudonymKey
from exchange.crypto.pseudonym_copy import encode_copy, seal_copy_with
from tests.vectors.generate_crypto import flip, party

HERE = Path(__file__).parent


def vectors() -> dict[str, object]:
    custodian, recipient, outsider = party(0x50), party(0x60), party(0x70)
    key = PseudonymKey("pit", 2, bytes.fromhex("a5" * 32))
    to = Recipient("senzer", recipient.box_kid, recipient.box_public)
    copy = seal_copy_with(
        key, to, "helmond", custodian, "2026-01-05T09:30:00Z", bytes(range(32)), bytes(range(100, 124))
    )
    data = encode_copy(copy)
    h = len(copy.header_bytes)
    ct, wrap, sig = 3 + h, 3 + h + 48, 3 + h + 48 + 80
    forged = seal_copy_with(
        key, to, "helmond", outsider, "2026-01-05T09:30:00Z", bytes(range(32)), bytes(range(100, 124))
    )
    spoof = bytearray(data)
    spoof[sig:] = forged.signature  # the custodian's header and ciphertext, another party's signature
    return {
        "description": "Sealed pseudonym key copy v1 (docs/specs/pseudonym-keys.md)",
        "custodian": {"party": "helmond", "x25519_seed": "50" * 32, "ed25519_seed": "51" * 32},
        "recipient": {"party": "senzer", "x25519_seed": "60" * 32, "ed25519_seed": "61" * 32},
        "outsider": {"party": "enexis", "x25519_seed": "70" * 32, "ed25519_seed": "71" * 32},
        "covenant": "pit",
        "key_version": 2,
        "pseudonym_key": key.key.hex(),
        "copy_key": bytes(range(32)).hex(),
        "nonce": bytes(range(100, 124)).hex(),
        "header": copy.header_bytes.decode("utf-8"),
        "ciphertext": copy.ciphertext.hex(),
        "copy": data.hex(),
        "tampered": [
            {"name": "version byte", "copy": flip(data, 0), "want_err": True},
            {"name": "header length", "copy": flip(data, 2), "want_err": True},
            {"name": "header byte", "copy": flip(data, 3 + h // 2), "want_err": True},
            {"name": "ciphertext byte", "copy": flip(data, ct + 5), "want_err": True},
            {"name": "wrap byte", "copy": flip(data, wrap + 40), "want_err": True},
            {"name": "signature byte", "copy": flip(data, sig + 10), "want_err": True},
            {"name": "truncated", "copy": data[:-1].hex(), "want_err": True},
            {"name": "trailing byte", "copy": (data + b"\x00").hex(), "want_err": True},
            {"name": "signed by another party", "copy": bytes(spoof).hex(), "want_err": True},
            {
                "name": "length prefix of header",
                "copy": (data[:1] + struct.pack(">H", h + 1) + data[3:]).hex(),
                "want_err": True,
            },
        ],
    }


def main() -> None:
    path = HERE / "pseudonym-copy-v1.json"
    path.write_text(json.dumps(vectors(), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
