"""Coverage-guided fuzzing (atheris) of the parsers that read what others send or store: signed
checkpoint notes, Merkle proofs, dossier envelopes, covenant files, log events and witness state.

Each target feeds bytes to one parser. A documented error (an :class:`ExchangeError`, whose
message is what a user sees) is the expected answer to garbage; anything else is a crash and
stops the fuzzer with the input saved.

``python -m tests.fuzz.harness TARGET [libFuzzer options]``, e.g.
``python -m tests.fuzz.harness envelope -max_total_time=60``. The test suite runs every target for
a few seconds (tests/integration/test_fuzz_parsers.py); corpora are not kept between runs.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable

import atheris  # type: ignore[import-untyped]

from tests.fuzz import TARGET_NAMES

with atheris.instrument_imports():
    from exchange.audit import checkpoint, merkle, witness
    from exchange.audit.events import event_from_bytes
    from exchange.crypto import envelope
    from exchange.crypto.pseudonym import parse_pseudonym
    from exchange.crypto.subjects import normalise_address
    from exchange.errors import ExchangeError
    from exchange.policies.reader import read_covenant, read_scenarios
    from exchange.policies.yamlsource import CovenantFileError

ORIGIN = "exchange.fuzz/log"
SIGNER = checkpoint.NoteSigner.from_seed(ORIGIN, b"\x11" * 32)


def _checkpoint(data: bytes) -> None:
    text = data.decode("utf-8", errors="replace")
    checkpoint.parse_note(text)
    checkpoint.open_checkpoint(text, SIGNER.verifier, ORIGIN)


def _proof(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    size = fdp.ConsumeIntInRange(0, 1 << 20)
    index = fdp.ConsumeIntInRange(0, 1 << 20)
    old = fdp.ConsumeIntInRange(0, 1 << 20)
    leaf, root, other = (fdp.ConsumeBytes(32) for _ in range(3))
    proof = [fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 40)) for _ in range(fdp.ConsumeIntInRange(0, 24))]
    with contextlib.suppress(merkle.ProofError):
        merkle.verify_inclusion(leaf, index, size, proof, root)
    merkle.verify_consistency(old, size, proof, other, root)


def _envelope(data: bytes) -> None:
    item = envelope.decode(data)
    envelope.verify(item, {"ed25519_fuzz": b"\x00" * 32})


def _covenant(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    covenant_text = fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 4096))
    flows_text = fdp.ConsumeUnicodeNoSurrogates(4096)
    read_covenant({"covenant.yaml": covenant_text, "flows.yaml": flows_text}, "fuzz")


def _records(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    which = fdp.ConsumeIntInRange(0, 4)
    text = fdp.ConsumeUnicodeNoSurrogates(2048)
    if which == 0:
        event_from_bytes(text.encode("utf-8"))
    elif which == 1:
        witness.WitnessState.from_json(text)
    elif which == 2:
        parse_pseudonym(text)
    elif which == 3:
        normalise_address(text)
    else:
        read_scenarios(text, "scenarios.yaml")


TARGETS: dict[str, Callable[[bytes], None]] = {
    "checkpoint": _checkpoint,
    "proof": _proof,
    "envelope": _envelope,
    "covenant": _covenant,
    "records": _records,
}


def main() -> None:
    assert tuple(sorted(TARGETS)) == TARGET_NAMES, "tests/fuzz/__init__.py lists the targets"
    target = TARGETS[sys.argv[1]]

    def one(data: bytes) -> None:
        with contextlib.suppress(ExchangeError, CovenantFileError):  # documented: the answer to garbage
            target(data)

    atheris.Setup([sys.argv[0], *sys.argv[2:]], one)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
