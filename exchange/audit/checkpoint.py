"""Signed checkpoints (c2sp.org/tlog-checkpoint) as signed notes (c2sp.org/signed-note), with
Ed25519 signatures (type 0x01) from the log and timestamped cosignatures (c2sp.org/tlog-cosignature,
type 0x04) from witnessing parties.

    exchange.example/log/pit         <- origin
    1042                             <- tree size, decimal
    zCq...base64 root hash...=       <- standard base64 of the 32-byte root

    — exchange.example/log/pit <base64(key id || signature)>
    — helmond.exchange/witness <base64(key id || u64 timestamp || signature)>
"""

from __future__ import annotations

import base64
import hashlib
import re
import struct
from dataclasses import dataclass

from exchange.audit.merkle import HASH_SIZE, ProofError, verify_consistency
from exchange.crypto import sodium
from exchange.errors import InvalidInputError, VerificationError

SIG_ED25519 = 0x01
SIG_COSIGNATURE_V1 = 0x04
EM_DASH = "\u2014"
MAX_NOTE_BYTES = 16 * 1024
MAX_SIGNATURES = 64
_KEY_NAME = re.compile(r"^[^\s+]+$")


class CheckpointError(VerificationError):
    """A checkpoint or signed note is malformed, or a signature on it does not verify."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def body(self) -> str:
        """The note text: origin, size, root, extension lines, each ending in a newline."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode("ascii"), *self.extensions]
        return "".join(line + "\n" for line in lines)


@dataclass(frozen=True, slots=True)
class SignatureLine:
    name: str
    key_id: bytes  # 4 bytes
    signature: bytes  # everything after the key id

    def render(self) -> str:
        return f"{EM_DASH} {self.name} {base64.b64encode(self.key_id + self.signature).decode('ascii')}\n"


@dataclass(frozen=True, slots=True)
class SignedNote:
    text: str
    signatures: tuple[SignatureLine, ...]

    def render(self) -> str:
        return self.text + "\n" + "".join(s.render() for s in self.signatures)


def key_id(name: str, sig_type: int, public: bytes) -> bytes:
    """SHA-256(name || 0x0A || type || public key)[:4] (signed-note §Signatures)."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([sig_type]) + public).digest()[:4]


@dataclass(frozen=True, slots=True)
class NoteSigner:
    """The log's checkpoint key: a key name and an Ed25519 key pair."""

    name: str
    public: bytes
    secret: bytes

    @classmethod
    def from_seed(cls, name: str, seed: bytes) -> NoteSigner:
        if not _KEY_NAME.match(name):
            raise InvalidInputError("a key name may not contain spaces or '+'")
        public, secret = sodium.sign_keypair_from_seed(seed)
        return cls(name, public, secret)

    @property
    def verifier(self) -> NoteVerifier:
        return NoteVerifier(self.name, self.public, SIG_ED25519)

    def sign(self, text: str) -> SignatureLine:
        sig = sodium.sign_detached(text.encode("utf-8"), self.secret)
        return SignatureLine(self.name, key_id(self.name, SIG_ED25519, self.public), sig)


@dataclass(frozen=True, slots=True)
class NoteVerifier:
    name: str
    public: bytes
    sig_type: int = SIG_ED25519

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.sig_type, self.public)

    def matches(self, line: SignatureLine) -> bool:
        return line.name == self.name and line.key_id == self.key_id


def parse_note(data: str) -> SignedNote:
    """Split a signed note into text and signature lines (c2sp.org/signed-note §Format)."""
    if len(data.encode("utf-8")) > MAX_NOTE_BYTES:
        raise CheckpointError("the note is too large")
    if any(ord(c) < 0x20 and c != "\n" for c in data):
        raise CheckpointError("the note contains control characters")
    sep = data.rfind("\n\n")
    if sep < 0 or not data.endswith("\n"):
        raise CheckpointError("the note has no blank line before its signatures")
    text, sig_block = data[: sep + 1], data[sep + 2 :]
    lines = sig_block.split("\n")[:-1]
    if not lines:
        raise CheckpointError("the note has no signatures")
    if len(lines) > MAX_SIGNATURES:
        raise CheckpointError("the note has too many signatures")
    sigs = []
    for line in lines:
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != EM_DASH or not _KEY_NAME.match(parts[1]):
            raise CheckpointError("a signature line is malformed")
        try:
            raw = base64.b64decode(parts[2], validate=True)
        except ValueError:  # binascii.Error, and non-ASCII text
            raise CheckpointError("a signature is not base64") from None
        if len(raw) < 5:
            raise CheckpointError("a signature is too short")
        sigs.append(SignatureLine(parts[1], raw[:4], raw[4:]))
    return SignedNote(text, tuple(sigs))


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse the note text of a checkpoint (c2sp.org/tlog-checkpoint)."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise CheckpointError("a checkpoint has an origin, a size and a root hash, each on its own line")
    origin, size_s, root_s, *ext = lines[:-1]
    if not origin:
        raise CheckpointError("the checkpoint origin is empty")
    if not re.fullmatch(r"0|[1-9][0-9]{0,19}", size_s):
        raise CheckpointError("the checkpoint size is not a decimal number")
    try:
        root = base64.b64decode(root_s, validate=True)
    except ValueError:  # binascii.Error, and non-ASCII text
        raise CheckpointError("the checkpoint root hash is not base64") from None
    if len(root) != HASH_SIZE:
        raise CheckpointError("the checkpoint root hash is not 32 bytes")
    if any(not e for e in ext):
        raise CheckpointError("a checkpoint extension line is empty")
    return Checkpoint(origin, int(size_s), root, tuple(ext))


def sign_checkpoint(cp: Checkpoint, signer: NoteSigner) -> SignedNote:
    body = cp.body()
    return SignedNote(body, (signer.sign(body),))


def open_checkpoint(
    data: str, log_key: NoteVerifier, origin: str | None = None
) -> tuple[Checkpoint, SignedNote]:
    """Parse a signed checkpoint and verify the log's signature. Raises :class:`CheckpointError`."""
    note = parse_note(data)
    cp = parse_checkpoint(note.text)
    if origin is not None and cp.origin != origin:
        raise CheckpointError(f"the checkpoint is for origin '{cp.origin}', not '{origin}'")
    ours = [s for s in note.signatures if log_key.matches(s)]
    if not ours:
        raise CheckpointError("the checkpoint is not signed by the log's key")
    for s in ours:
        try:
            sodium.verify_detached(s.signature, note.text.encode("utf-8"), log_key.public)
        except VerificationError:
            raise CheckpointError("the log's signature on the checkpoint does not verify") from None
    return cp, note


def cosignature_message(body: str, timestamp: int) -> bytes:
    """c2sp.org/tlog-cosignature, Ed25519 signed message."""
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


def cosign(body: str, name: str, public: bytes, secret: bytes, timestamp: int) -> SignatureLine:
    """A witness's timestamped cosignature over a checkpoint body."""
    if not _KEY_NAME.match(name):
        raise InvalidInputError("a cosigner name may not contain spaces or '+'")
    if not 0 <= timestamp < 2**63:
        raise InvalidInputError("the cosignature timestamp is out of range")
    sig = sodium.sign_detached(cosignature_message(body, timestamp), secret)
    return SignatureLine(name, key_id(name, SIG_COSIGNATURE_V1, public), struct.pack(">Q", timestamp) + sig)


def verify_cosignature(body: str, line: SignatureLine, public: bytes) -> int:
    """Verify a cosignature line; returns its timestamp. Raises :class:`CheckpointError`."""
    if line.key_id != key_id(line.name, SIG_COSIGNATURE_V1, public):
        raise CheckpointError("the cosignature is not from this witness key")
    if len(line.signature) != 8 + sodium.SIGNATURE_BYTES:
        raise CheckpointError("the cosignature has the wrong length")
    (timestamp,) = struct.unpack(">Q", line.signature[:8])
    try:
        sodium.verify_detached(line.signature[8:], cosignature_message(body, timestamp), public)
    except VerificationError:
        raise CheckpointError("the cosignature does not verify") from None
    return int(timestamp)


def check_extends(old: Checkpoint, new: Checkpoint, proof: list[bytes]) -> None:
    """Raise unless ``new`` is a consistent extension of ``old`` (same origin, proof verifies)."""
    if old.origin != new.origin:
        raise CheckpointError("the checkpoints belong to different logs")
    if new.size < old.size:
        raise CheckpointError(f"the log shrank from {old.size} to {new.size} entries")
    if old.size == 0:
        return
    try:
        verify_consistency(old.size, new.size, proof, old.root, new.root)
    except ProofError as exc:
        raise CheckpointError(f"checkpoint {new.size} is not consistent with {old.size}: {exc}") from None
