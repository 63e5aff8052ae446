"""Envelope seal/open and pseudonyms, against raw PyNaCl and hashlib on the same bytes in the same run."""

from __future__ import annotations

import hashlib
import hmac
import os
from datetime import UTC, datetime
from functools import partial

from nacl import bindings as raw

from bench.timing import interleaved, latencies, p50
from exchange.crypto.envelope import ItemMetadata, Recipient, open_item, seal
from exchange.crypto.keys import PartyKeys
from exchange.crypto.pseudonym import PseudonymKey, pseudonymise
from exchange.crypto.subjects import Subject, SubjectKind

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _raw_seal(payload: bytes, publics: list[bytes]) -> None:
    key = raw.randombytes(32)
    nonce = raw.randombytes(24)
    raw.crypto_aead_xchacha20poly1305_ietf_encrypt(payload, b"", nonce, key)
    for pub in publics:
        raw.crypto_box_seal(key, pub)


def run() -> None:
    print("Envelopes (targets: seal at 1 MiB >= 80% of raw throughput; at 1 KiB <= 1.2x raw cost)")
    print("  raw = PyNaCl XChaCha20-Poly1305 + n sealed-box wraps of the item key, no signature")
    print(f"  {'size':>7} {'n':>3} {'seal':>12} {'raw':>12} {'seal/raw':>9} {'throughput':>11} {'open':>12}")
    provider = PartyKeys.create("provider", NOW)
    meta = ItemMetadata("case-1", "item-1", "provider", "cat", "purpose", "2026-01-01T00:00:00Z")
    pk = {provider.current.sign_kid: provider.current.sign_public}
    for size in (1024, 64 * 1024, 1024 * 1024):
        payload = os.urandom(size)
        reps = 400 if size <= 64 * 1024 else 60
        for n in (1, 5, 15):
            parties = [PartyKeys.create(f"p{i}", NOW) for i in range(n)]
            recipients = [Recipient(p.party, p.current.box_kid, p.current.box_public) for p in parties]
            publics = [p.current.box_public for p in parties]
            ours, base = interleaved(
                partial(seal, payload, meta, recipients, provider.current),
                partial(_raw_seal, payload, publics),
                reps,
            )
            item = seal(payload, meta, recipients, provider.current)
            opened = p50(latencies(partial(open_item, item, parties[0], pk), reps, warmup=5))
            label = f"{size // 1024} KiB" if size < 1 << 20 else "1 MiB"
            print(
                f"  {label:>7} {n:>3} {ours * 1e6:>9.1f} µs {base * 1e6:>9.1f} µs {ours / base:>8.2f}x "
                f"{base / ours:>10.0%} {opened * 1e6:>9.1f} µs"
            )
    print("  (throughput = raw time / our time; the difference is the Ed25519 signature over the header and")
    print("   a BLAKE3 digest of the ciphertext, which makes items attributable to their provider)")

    print()
    print("Pseudonyms (HMAC-SHA256 of the normalised subject)")
    key = PseudonymKey.generate("pit")
    subjects = [Subject(SubjectKind.ADDRESS, f"1234AB|{i}||") for i in range(1, 20001)]
    it = iter(subjects * 5)
    ours = p50(latencies(lambda: pseudonymise(next(it), key), 50000))
    inputs = [s.pseudonym_input() for s in subjects]
    it2 = iter(inputs * 5)
    base = p50(latencies(lambda: hmac.new(key.key, next(it2), hashlib.sha256).digest(), 50000))
    print(
        f"  pseudonymise  {1 / ours:>12,.0f} /s   raw hashlib HMAC-SHA256 {1 / base:>12,.0f} /s   "
        f"ratio {base / ours:.2f}"
    )
