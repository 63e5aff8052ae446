"""Write tests/vectors/merkle-v1.json, checkpoint-v1.json and events-v2.json. Run once; the files are
committed (regenerating leaves the v1 files byte for byte as they are).

    python -m tests.vectors.generate_audit

The leaves are the Certificate Transparency reference test leaves; the roots for sizes 1-8 equal
the values published with the RFC 6962 reference implementation, and the tests also compare them
with the independent ``pymerkle`` package.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

from exchange.audit.checkpoint import Checkpoint, NoteSigner, cosign, sign_checkpoint
from exchange.audit.events import Action, Actor, Event, Outcome, TextRef
from exchange.audit.merkle import (
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    memory_subtree,
    root_from_leaf_hashes,
)
from exchange.crypto import sodium

HERE = Path(__file__).parent
LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]


def flip(h: str) -> str:
    b = bytearray(bytes.fromhex(h))
    b[0] ^= 0x01
    return b.hex()


def merkle_vectors() -> dict[str, object]:
    hashes = [leaf_hash(bytes.fromhex(x)) for x in LEAVES]
    sub = memory_subtree(hashes)
    roots = {n: root_from_leaf_hashes(hashes[:n]).hex() for n in range(1, 9)}
    inclusion = [
        {
            "index": i,
            "size": n,
            "leaf_hash": hashes[i].hex(),
            "root": roots[n],
            "proof": [p.hex() for p in inclusion_proof(i, n, sub)],
        }
        for n in range(1, 9)
        for i in range(n)
    ]
    consistency = [
        {
            "old_size": m,
            "new_size": n,
            "old_root": roots[m],
            "new_root": roots[n],
            "proof": [p.hex() for p in consistency_proof(m, n, sub)],
        }
        for n in range(1, 9)
        for m in range(1, n + 1)
    ]
    base_i = next(v for v in inclusion if v["index"] == 2 and v["size"] == 7)
    base_c = next(v for v in consistency if v["old_size"] == 3 and v["new_size"] == 7)
    p_i = [str(x) for x in base_i["proof"]]  # type: ignore[attr-defined]
    p_c = [str(x) for x in base_c["proof"]]  # type: ignore[attr-defined]
    tampered_inclusion = [
        {
            **base_i,
            "name": "flipped bit in a proof element",
            "proof": [flip(p_i[0]), *p_i[1:]],
            "want_err": "does not lead to the root",
        },
        {**base_i, "name": "truncated proof", "proof": p_i[:-1], "want_err": "too few elements"},
        {**base_i, "name": "extra proof element", "proof": [*p_i, p_i[0]], "want_err": "too many elements"},
        # A size that changes the proof's shape. (Size 8 would verify: for leaf 2 the proof of a 7-leaf
        # tree has the same shape at size 8, and size and root always come together in a checkpoint.)
        {**base_i, "name": "wrong tree size", "size": 4, "want_err": "too many elements"},
        {**base_i, "name": "wrong index", "index": 3, "want_err": "does not lead to the root"},
        {**base_i, "name": "index beyond size", "index": 7, "want_err": "outside a tree of size"},
        {**base_i, "name": "other root", "root": roots[8], "want_err": "does not lead to the root"},
        {
            **base_i,
            "name": "short proof element",
            "proof": [p_i[0][:10], *p_i[1:]],
            "want_err": "proof element is",
        },
    ]
    tampered_consistency = [
        {
            **base_c,
            "name": "flipped bit in a proof element",
            "proof": [flip(p_c[0]), *p_c[1:]],
            "want_err": "does not lead to the",
        },
        {**base_c, "name": "truncated proof", "proof": p_c[:-1], "want_err": "too few elements"},
        {**base_c, "name": "extra proof element", "proof": [*p_c, p_c[0]], "want_err": "too many elements"},
        {**base_c, "name": "empty proof", "proof": [], "want_err": "proof is empty"},
        {
            **base_c,
            "name": "swapped roots",
            "old_root": base_c["new_root"],
            "new_root": base_c["old_root"],
            "want_err": "does not lead to the",
        },
        {**base_c, "name": "wrong old size", "old_size": 4, "want_err": "too many elements"},
        {
            **base_c,
            "name": "new size smaller than old",
            "old_size": 7,
            "new_size": 3,
            "want_err": "no consistency from size 7 to size 3",
        },
        {
            **base_c,
            "name": "equal sizes, different roots",
            "old_size": 7,
            "new_size": 7,
            "proof": [],
            "old_root": roots[6],
            "new_root": roots[7],
            "want_err": "the log forked",
        },
        {
            **base_c,
            "name": "equal sizes with a proof",
            "old_size": 7,
            "new_size": 7,
            "old_root": roots[7],
            "want_err": "must be empty",
        },
    ]
    return {
        "description": "RFC 9162 Merkle tree hashes and proofs (SHA-256, 0x00 leaf / 0x01 node prefixes). Leaves are hex.",
        "leaves": LEAVES,
        "reference_roots": roots,
        "inclusion": inclusion,
        "consistency": consistency,
        "tampered_inclusion": tampered_inclusion,
        "tampered_consistency": tampered_consistency,
    }


def checkpoint_vectors() -> dict[str, object]:
    signer = NoteSigner.from_seed("exchange.example/log/pit", bytes([0x51]) * 32)
    wpub, wsec = sodium.sign_keypair_from_seed(bytes([0x61]) * 32)
    root = bytes.fromhex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")
    cp = Checkpoint("exchange.example/log/pit", 8, root)
    note = sign_checkpoint(cp, signer)
    cosig = cosign(note.text, "helmond.example/witness", wpub, wsec, 1767605400)
    signed = note.render()
    both = signed + cosig.render()
    good_sig_line = signed.splitlines()[-1]
    return {
        "description": "C2SP tlog-checkpoint signed notes (Ed25519 0x01) and tlog-cosignature/v1 (0x04).",
        "log_key": {
            "name": signer.name,
            "seed": "51" * 32,
            "public": base64.b64encode(signer.public).decode(),
        },
        "witness_key": {
            "name": "helmond.example/witness",
            "seed": "61" * 32,
            "public": base64.b64encode(wpub).decode(),
        },
        "signed": signed,
        "cosigned": both,
        "cosignature_timestamp": 1767605400,
        "tampered": [
            {"name": "size changed", "note": signed.replace("\n8\n", "\n9\n"), "want_err": "does not verify"},
            {
                "name": "root changed",
                "note": signed.replace(base64.b64encode(root).decode(), base64.b64encode(bytes(32)).decode()),
                "want_err": "does not verify",
            },
            {
                "name": "origin changed",
                "note": signed.replace("log/pit\n8", "log/kit\n8"),
                "want_err": "does not verify",
            },
            {"name": "no blank line", "note": signed.replace("\n\n", "\n"), "want_err": "no blank line"},
            {"name": "no signature", "note": signed.split("\n\n")[0] + "\n\n", "want_err": "no signatures"},
            {
                "name": "signature not base64",
                "note": signed.replace(good_sig_line, good_sig_line[:-4] + "!!!!"),
                "want_err": "not base64",
            },
            {
                "name": "signature line without em dash",
                "note": signed.replace("\u2014", "-"),
                "want_err": "malformed",
            },
            {
                "name": "control character",
                "note": signed.replace("\n8\n", "\n8\r\n"),
                "want_err": "control characters",
            },
            {
                "name": "size not decimal",
                "note": signed.replace("\n8\n", "\n08\n"),
                "want_err": "not a decimal number",
            },
            {
                "name": "root not 32 bytes",
                "note": signed.replace(base64.b64encode(root).decode(), base64.b64encode(bytes(31)).decode()),
                "want_err": "not 32 bytes",
            },
        ],
    }


def event_vectors() -> dict[str, object]:
    """Known-answer log events of version 1 and 2 (bytes and leaf hash) and tampered ones."""
    moment = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    about = {"case": "case-2026-0001", "purpose": "onrechtmatige-bewoning", "covenant": "pit/2021"}
    v1 = Event(
        moment, "tr-9f2c", Action.CASE_TRANSITION, Actor("someren", "u-1", "coordinator"), Outcome.DONE,
        phase="selection", **about,  # type: ignore[arg-type]  # Event's keyword fields
    )  # fmt: skip
    digest = "sha256:" + hashlib.sha256(b"exchange-vector-text").hexdigest()
    v2 = Event(
        moment, "tr-9f2c", Action.SELECTION, Actor("someren", "u-1", "coordinator"), Outcome.DONE,
        phase="preparation", text=TextRef("txt-0001", digest), **about,  # type: ignore[arg-type]  # idem
    )  # fmt: skip
    known = [
        {"name": name, "event": e.canonical().decode(), "leaf_hash": leaf_hash(e.canonical()).hex()}
        for name, e in (("version 1, no text", v1), ("version 2, a sealed selection reason", v2))
    ]
    good = v2.canonical().decode()
    tampered = [
        {"name": "version 2 without text", "event": good.replace(f',"text":{{"digest":"{digest}","id":"txt-0001"}}', ""), "want_err": "text"},
        {"name": "version 1 with text", "event": good.replace('"v":2', '"v":1'), "want_err": "version 1 event has no 'text'"},
        {"name": "unknown version", "event": good.replace('"v":2', '"v":3'), "want_err": "version 3"},
        {"name": "digest not sha256", "event": good.replace("sha256:", "blake3:"), "want_err": "text.digest"},
        {"name": "digest too short", "event": good.replace(digest, digest[:-2]), "want_err": "text.digest"},
        {"name": "text id not an identifier", "event": good.replace("txt-0001", "Dorpsstraat 5"), "want_err": "text.id"},
        {"name": "extra text field", "event": good.replace('"id":"txt-0001"', '"id":"txt-0001","plain":"x"'), "want_err": "exactly 'id' and 'digest'"},
    ]  # fmt: skip
    return {
        "description": (
            "Disclosure-log events (RFC 8785 bytes, RFC 9162 leaf hash). Version 1 bytes are unchanged; "
            "version 2 adds 'text' (id and SHA-256 digest of a sealed free text)."
        ),
        "known": known,
        "tampered": tampered,
    }


def main() -> None:
    for name, data in (
        ("merkle-v1.json", merkle_vectors()),
        ("checkpoint-v1.json", checkpoint_vectors()),
        ("events-v2.json", event_vectors()),
    ):
        (HERE / name).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {HERE / name}")


if __name__ == "__main__":
    main()
