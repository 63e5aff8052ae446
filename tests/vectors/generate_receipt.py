"""Write tests/vectors/receipt-v1.json: known-answer receipts and tampered ones with ``want_err``.
Run once; the file is committed. Ed25519 is deterministic, so a rerun writes the same bytes.

    python -m tests.vectors.generate_receipt
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

from exchange.audit.receipt import ReceiptSigner, key_id, receipt_for

HERE = Path(__file__).parent
SEED = bytes(range(32))
OTHER_SEED = bytes(range(1, 33))
ORIGIN = "exchange.example/log"
TIME = datetime(2026, 11, 30, 18, 0, 0, 123456, tzinfo=UTC)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _parts(header: str) -> tuple[str, bytes, bytes]:
    v, m, s = header.split(".")
    return (
        v,
        base64.urlsafe_b64decode(m + "=" * (-len(m) % 4)),
        base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)),
    )


def vectors() -> dict[str, object]:
    signer = ReceiptSigner.from_seed(SEED)
    leaves = [hashlib.sha256(b"\x00" + bytes([i])).digest() for i in range(3)]
    valid = []
    for first, count in ((0, 1), (1042, 3)):
        r = receipt_for(ORIGIN, [(first + i, leaves[i]) for i in range(count)], TIME)
        valid.append(
            {
                "origin": ORIGIN,
                "first": first,
                "count": count,
                "leaf_hashes": [h.hex() for h in leaves[:count]],
                "digest": r.digest.hex(),
                "time": "2026-11-30T18:00:00.123456Z",
                "message": r.message().decode(),
                "header": signer.sign(r.message()),
            }
        )
    good = str(valid[1]["header"])
    v, message, sig = _parts(good)
    flipped = bytearray(sig)
    flipped[-1] ^= 1
    other = ReceiptSigner.from_seed(OTHER_SEED)
    more = message.replace(b"\n3\n", b"\n4\n")
    tampered = [
        {
            "name": "signature byte flipped",
            "header": f"{v}.{_b64url(message)}.{_b64url(bytes(flipped))}",
            "want_err": "does not verify",
        },
        {
            "name": "count changed",
            "header": f"{v}.{_b64url(more)}.{_b64url(sig)}",
            "want_err": "does not verify",
        },
        {"name": "signed by another key", "header": other.sign(message), "want_err": "another key"},
        {"name": "unknown version", "header": "v2" + good[2:], "want_err": "is not 'v1."},
        {
            "name": "padded base64",
            "header": good.split(".")[0] + "." + good.split(".")[1] + "==." + good.split(".")[2],
            "want_err": "base64url",
        },
        {
            "name": "zero events",
            "header": signer.sign(message.replace(b"\n3\n", b"\n0\n")),
            "want_err": "count of at least 1",
        },
        {
            "name": "time without microseconds",
            "header": signer.sign(message.replace(b"00:00.123456Z", b"00:00Z")),
            "want_err": "microseconds",
        },
    ]
    body_checks = [
        {"name": "every index in range", "header": good, "body": [{"log_index": 1042}, {"log_index": 1044}]},
        {
            "name": "an index outside the range",
            "header": good,
            "body": [{"log_index": 1045}],
            "want_err": "outside its receipt's range",
        },
    ]
    return {
        "description": "Exchange-Receipt v1 (docs/specs/disclosure-log.md, Receipts). Seeds are hex Ed25519 seeds.",
        "seed": SEED.hex(),
        "public": base64.b64encode(signer.public).decode(),
        "key_id": key_id(signer.public).hex(),
        "valid": valid,
        "tampered": tampered,
        "bodies": body_checks,
    }


def main() -> None:
    (HERE / "receipt-v1.json").write_text(json.dumps(vectors(), indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
