"""RFC 9421 HTTP Message Signatures for party requests (with RFC 9530 Content-Digest).

A request must carry one signature with tag ``exchange-v1`` that covers ``@method``, ``@target-uri``,
``content-digest``, ``exchange-user`` and ``exchange-role``, with ``created``, ``keyid`` (a registered
Ed25519 key id) and a ``nonce``. It must be at most ``max_age`` old, and a (key id, nonce) pair is
accepted once: a replay is refused even within the window. Verification is done by the maintained
``http-message-signatures`` package; this module supplies the key lookup (through a cache kept
honest by the hub's key generation) and the replay policy: the nonce is recorded in the transaction
of the request's action, or in one of its own before a read's answer is released (ADR 0022).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from http_message_signatures import HTTPMessageVerifier, HTTPSignatureKeyResolver, VerifyResult, algorithms
from http_message_signatures.digests import ContentDigest
from http_message_signatures.exceptions import HTTPMessageSignaturesException, InvalidSignature
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from exchange.crypto.hazmat import ed25519_public_key
from exchange.errors import StorageError, VerificationError
from exchange.protocol import CONTENT_DIGEST, COVERED_COMPONENTS, IDENTIFIER, SIGNATURE_TAG
from exchange.storage.parties import SigningKey, signing_key
from exchange.storage.request_nonces import key_generation, prune_nonces, record_nonce
from exchange.storage.unit_of_work import run_unit
from exchange.vocabulary import Caller

# The signature profile is shared with the client (exchange.protocol); these names stay for callers.
TAG = SIGNATURE_TAG
REQUIRED = COVERED_COMPONENTS
_IDENT = IDENTIFIER


@dataclass(frozen=True, slots=True)
class SignedMessage:
    """The request as the signature library reads it."""

    method: str
    url: str
    headers: list[tuple[str, str]]

    def __post_init__(self) -> None:
        object.__setattr__(self, "headers", _Headers(self.headers))


class _Headers(list[tuple[str, str]]):
    def items(self) -> list[tuple[str, str]]:
        return list(self)


class NotAuthenticated(VerificationError):
    """The request's signature is missing, malformed, unknown, expired, replayed or wrong."""


@dataclass(frozen=True, slots=True)
class PresentedKey:
    """A key the request carries in its body, not a registered one: a join's proof of possession."""

    party: str
    kid: str
    public: bytes


@dataclass(slots=True)
class Claim:
    """A verified request's nonce, not yet recorded. The request's first write records it in the same
    transaction as the action and its events; a request that only reads records it in a transaction
    of its own before its answer is released; a request that fails records nothing (ADR 0022)."""

    kid: str
    nonce: str
    created: int
    #: The key generation under which the signing key was read as current; None for a join's key.
    generation: int | None
    recorded: bool = False


def _require_current(key: SigningKey | None) -> SigningKey:
    if key is None or key.status == "destroyed":
        raise NotAuthenticated("the signing key is not registered")
    if key.status != "current":
        raise NotAuthenticated("the signing key is retired; sign with your party's current key")
    return key


@dataclass(frozen=True, slots=True)
class CachedKey:
    key: SigningKey
    public: Any
    generation: int
    read_at: float


#: How long a process trusts a key it read, if it sees no newer key generation in the meantime.
KEY_SECONDS = 30.0


class KeyCache:
    """Parties' signing keys, read from the database at most once per key generation seen here.

    An entry is used only while the highest key generation this process has read is the one it was
    read under, and for at most ``seconds``. Every recorded nonce reads the generation in the writer's
    transaction (:meth:`RequestAuthenticator.record`), so a process learns of another process's key
    change with its next write, and never accepts a retired or destroyed key in a transaction that
    has seen the new generation. Unknown keys are not cached (anyone can send a made-up key id)."""

    def __init__(
        self, readers: sessionmaker[Session], seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.readers = readers
        self.seconds = seconds
        self.clock = clock
        self.newest = -1
        self._entries: dict[str, CachedKey] = {}
        self._lock = threading.Lock()

    def get(self, kid: str) -> CachedKey:
        """The current key ``kid``, or NotAuthenticated: unknown, retired or destroyed."""
        entry = self._entries.get(kid)
        if (
            entry is not None
            and entry.generation == self.newest
            and self.clock() - entry.read_at < self.seconds
        ):
            return entry
        try:
            with self.readers.begin() as session:
                # The generation first, then the key: on PostgreSQL each statement reads its own
                # snapshot, and a change committed in between must look newer, never older.
                generation = key_generation(session.connection())
                key = signing_key(session, kid)
        except SQLAlchemyError:
            raise StorageError("the database is unavailable; nothing was done") from None
        self.learn(kid, key, generation)
        current = _require_current(key)
        return CachedKey(current, ed25519_public_key(current.public), generation, self.clock())

    def learn(self, kid: str, key: SigningKey | None, generation: int) -> None:
        """Note what was read under ``generation``: keep the key if current, else forget it."""
        with self._lock:
            if generation > self.newest:
                self.newest = generation
                self._entries.clear()
            if key is None or key.status != "current":
                self._entries.pop(kid, None)
            elif generation == self.newest:
                self._entries[kid] = CachedKey(key, ed25519_public_key(key.public), generation, self.clock())


class _Keys(HTTPSignatureKeyResolver):
    def __init__(self, cache: KeyCache, presented: PresentedKey | None = None) -> None:
        self.cache = cache
        self.presented = presented
        self.found: dict[str, tuple[str, int | None]] = {}

    def resolve_public_key(self, key_id: str) -> Any:
        if self.presented is not None:
            # Only the key in the body may sign; a registered key proves nothing about it.
            if key_id != self.presented.kid:
                raise NotAuthenticated("the request must be signed with the signing key in its body")
            self.found[key_id] = (self.presented.party, None)
            return ed25519_public_key(self.presented.public)
        entry = self.cache.get(key_id)
        self.found[key_id] = (entry.key.party, entry.generation)
        return entry.public


class RequestAuthenticator:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        max_age: dt.timedelta = dt.timedelta(minutes=5),
        clock: Callable[[], float] = time.time,
        run: Callable[[Callable[[Session], None]], None] | None = None,
        readers: sessionmaker[Session] | None = None,
        key_seconds: float = KEY_SECONDS,
    ) -> None:
        self.sessions = sessions
        # The key lookup only reads: on SQLite it need not queue for the write lock.
        self.readers = readers or sessions
        self.max_age = max_age
        self.clock = clock
        # How a request that only reads records its nonce: by default its own transaction; the
        # service passes its group committer, so concurrent requests share one fsync.
        self.run = run or (lambda unit: run_unit(sessions, unit))
        self.keys = KeyCache(self.readers, key_seconds)
        self._verifier = _Verifier()
        self._seen = 0

    def authenticate(
        self, message: SignedMessage, body: bytes, presented: PresentedKey | None = None
    ) -> tuple[Caller, Claim]:
        """The verified caller and its request's unrecorded nonce. With ``presented``, the signature
        must be by that key (a join). Nothing is written: see :meth:`record` and :meth:`settle`."""
        names = [k.lower() for k, _ in message.headers]
        headers = {k.lower(): v for k, v in message.headers}
        if "signature" not in headers or "signature-input" not in headers:
            raise NotAuthenticated("the request is not signed (RFC 9421 Signature and Signature-Input)")
        repeated = {n for n in names if names.count(n) > 1}
        _refuse_repeated(repeated, ("signature", "signature-input", *REQUIRED))
        keys = _Keys(self.keys, presented)
        result = self._verifier.verify(message, body, keys, self.max_age)
        # Every field the signature covers, by name: a repeated one would be read as one value by
        # the verifier and as another (the last) by whoever reads it after.
        _refuse_repeated(repeated, (c.strip('"').split('"')[0] for c in result.covered_components))
        kid = str(result.parameters.get("keyid", ""))
        nonce = result.parameters.get("nonce")
        created = int(result.parameters.get("created", 0))
        if not isinstance(nonce, str) or not 16 <= len(nonce) <= 128:
            raise NotAuthenticated("the signature needs a nonce of 16 to 128 characters")
        party, generation = keys.found[kid]
        user, role = headers.get("exchange-user", ""), headers.get("exchange-role", "")
        if not _IDENT.match(user) or not _IDENT.match(role):
            raise NotAuthenticated("Exchange-User and Exchange-Role must be identifiers")
        return Caller(party, user, role, kid), Claim(kid, nonce, created, generation)

    def record(self, claim: Claim, session: Session) -> None:
        """Record ``claim`` in the writer transaction of ``session``, the one that carries the
        request's action: refused if the nonce was recorded before (replay), or if the signing key
        is no longer current under the key generation this transaction reads. Nonces of signatures
        past twice the window are pruned now and then."""
        conn = session.connection()
        if claim.generation is not None:
            generation = key_generation(conn)
            if generation != claim.generation:
                # Read after the generation: a change committed in between is seen again later.
                key = signing_key(session, claim.kid)
                self.keys.learn(claim.kid, key, generation)
                _require_current(key)
        self._seen += 1
        if self._seen % 500 == 1:
            prune_nonces(conn, int(self.clock()) - 2 * int(self.max_age.total_seconds()))
        if not record_nonce(conn, claim.kid, claim.nonce, claim.created):
            raise NotAuthenticated("this signature was used before (replay)")

    def settle(self, claim: Claim) -> None:
        """Record ``claim`` on its own, if no write of the request has: a request that only read
        records its nonce before its answer is released."""
        if claim.recorded:
            return
        self.run(lambda session: self.record(claim, session))
        claim.recorded = True


class _Verifier:
    """The maintained RFC 9421 library's verification, asked once per request: it parses
    ``Signature-Input`` and ``Signature`` once and builds the signature base. The library's own
    ``require_components`` and body check would parse every covered component's identifier again
    (twice more each); the profile's fixed set of components is instead compared with the
    identifiers as the library serialised them, and the Content-Digest it covered is checked with
    the library's own digest code."""

    def verify(self, message: SignedMessage, body: bytes, keys: _Keys, max_age: dt.timedelta) -> VerifyResult:
        verifier = HTTPMessageVerifier(signature_algorithm=algorithms.ED25519, key_resolver=keys)
        try:
            results = verifier.verify(message, max_age=max_age, expect_tag=TAG)
            if len(results) != 1:
                raise NotAuthenticated("exactly one exchange-v1 signature is expected")
            result = results[0]
            missing = [c for c in _REQUIRED_IDS if c not in result.covered_components]
            if missing:
                raise InvalidSignature(f"Required component {missing[0]} was not covered by the signature")
            ContentDigest.verify(result.covered_components[_DIGEST_ID], body)
        except (NotAuthenticated, StorageError):
            raise
        except (HTTPMessageSignaturesException, ValueError) as exc:
            if isinstance(exc.__cause__, StorageError):  # the key lookup, not the signature
                raise exc.__cause__ from None
            if isinstance(exc.__cause__, NotAuthenticated):
                raise exc.__cause__ from None
            raise NotAuthenticated(f"the request signature is not valid: {exc}") from None
        return result


#: The covered components as the library serialises their identifiers (``"@method"``).
_REQUIRED_IDS = tuple(f'"{c}"' for c in REQUIRED)
_DIGEST_ID = f'"{CONTENT_DIGEST}"'


def _refuse_repeated(repeated: set[str], covered: Iterable[str]) -> None:
    """Refuse a request that repeats a header the signature covers (or a signature header itself)."""
    twice = sorted(repeated.intersection(covered))
    if twice:
        raise NotAuthenticated(f"the signed header {twice[0]} appears more than once; send it once")
