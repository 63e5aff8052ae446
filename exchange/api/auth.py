"""RFC 9421 HTTP Message Signatures for party requests (with RFC 9530 Content-Digest).

A request must carry one signature with tag ``exchange-v1`` that covers ``@method``, ``@target-uri``,
``content-digest``, ``exchange-user`` and ``exchange-role``, with ``created``, ``keyid`` (a registered
Ed25519 key id) and a ``nonce``. It must be at most ``max_age`` old, and a (key id, nonce) pair is
accepted once: a replay is refused even within the window. Verification is done by the maintained
``http-message-signatures`` package; this module supplies the key lookup and the replay policy.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

from http_message_signatures import HTTPMessageVerifier, HTTPSignatureKeyResolver, algorithms
from http_message_signatures.exceptions import HTTPMessageSignaturesException
from sqlalchemy import Table, bindparam, delete, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from exchange.crypto.hazmat import ed25519_public_key
from exchange.errors import StorageError, VerificationError
from exchange.protocol import COVERED_COMPONENTS, IDENTIFIER, SIGNATURE_TAG
from exchange.storage.models import RequestNonce
from exchange.storage.parties import signing_key
from exchange.storage.unit_of_work import run_unit
from exchange.vocabulary import Caller

# The signature profile is shared with the client (exchange.protocol); these names stay for callers.
TAG = SIGNATURE_TAG
REQUIRED = COVERED_COMPONENTS
_NONCES = cast(Table, RequestNonce.__table__)
_SEEN = select(_NONCES.c.kid).where(_NONCES.c.kid == bindparam("kid"), _NONCES.c.nonce == bindparam("nonce"))
_RECORD = _NONCES.insert()
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


class _Keys(HTTPSignatureKeyResolver):
    def __init__(self, session: Session, presented: PresentedKey | None = None) -> None:
        self.session = session
        self.presented = presented
        self.found: dict[str, str] = {}

    def resolve_public_key(self, key_id: str) -> Any:
        if self.presented is not None:
            # Only the key in the body may sign; a registered key proves nothing about it.
            if key_id != self.presented.kid:
                raise NotAuthenticated("the request must be signed with the signing key in its body")
            self.found[key_id] = self.presented.party
            return ed25519_public_key(self.presented.public)
        key = signing_key(self.session, key_id)
        if key is None or key.status == "destroyed":
            raise NotAuthenticated("the signing key is not registered")
        if key.status != "current":
            raise NotAuthenticated("the signing key is retired; sign with your party's current key")
        self.found[key_id] = key.party
        return ed25519_public_key(key.public)

    def resolve_private_key(self, key_id: str) -> Any:  # pragma: no cover - the hub never signs requests
        raise NotAuthenticated("not available")


class RequestAuthenticator:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        max_age: dt.timedelta = dt.timedelta(minutes=5),
        clock: Callable[[], float] = time.time,
        run: Callable[[Callable[[Session], None]], None] | None = None,
        readers: sessionmaker[Session] | None = None,
    ) -> None:
        self.sessions = sessions
        # The key lookup only reads: on SQLite it need not queue for the write lock.
        self.readers = readers or sessions
        self.max_age = max_age
        self.clock = clock
        # How a nonce is recorded durably: by default its own transaction; the service passes its
        # group committer, so concurrent requests share one fsync.
        self.run = run or (lambda unit: run_unit(sessions, unit))
        self._seen = 0

    def authenticate(
        self, message: SignedMessage, body: bytes, presented: PresentedKey | None = None
    ) -> Caller:
        """The verified caller. With ``presented``, the signature must be by that key (a join)."""
        names = [k.lower() for k, _ in message.headers]
        headers = {k.lower(): v for k, v in message.headers}
        if "signature" not in headers or "signature-input" not in headers:
            raise NotAuthenticated("the request is not signed (RFC 9421 Signature and Signature-Input)")
        repeated = {n for n in names if names.count(n) > 1}
        _refuse_repeated(repeated, ("signature", "signature-input", *REQUIRED))
        with self.readers.begin() as session:
            keys = _Keys(session, presented)
            verifier = HTTPMessageVerifier(signature_algorithm=algorithms.ED25519, key_resolver=keys)
            try:
                results = verifier.verify(
                    message, max_age=self.max_age, expect_tag=TAG, require_components=REQUIRED, body=body
                )
            except NotAuthenticated:
                raise
            except (HTTPMessageSignaturesException, ValueError) as exc:
                if isinstance(exc.__cause__, SQLAlchemyError):  # the key lookup, not the signature
                    raise StorageError("the database is unavailable; nothing was done") from None
                raise NotAuthenticated(f"the request signature is not valid: {exc}") from None
            if len(results) != 1:
                raise NotAuthenticated("exactly one exchange-v1 signature is expected")
            result = results[0]
            # Every field the signature covers, by name: a repeated one would be read as one value
            # by the verifier and as another (the last) by whoever reads it after.
            _refuse_repeated(repeated, (c.strip('"').split('"')[0] for c in result.covered_components))
            kid = str(result.parameters.get("keyid", ""))
            nonce = result.parameters.get("nonce")
            created = int(result.parameters.get("created", 0))
            if not isinstance(nonce, str) or not 16 <= len(nonce) <= 128:
                raise NotAuthenticated("the signature needs a nonce of 16 to 128 characters")
            party = keys.found[kid]
        user, role = headers.get("exchange-user", ""), headers.get("exchange-role", "")
        if not _IDENT.match(user) or not _IDENT.match(role):
            raise NotAuthenticated("Exchange-User and Exchange-Role must be identifiers")
        self._remember(kid, nonce, created)
        return Caller(party, user, role, kid)

    def _remember(self, kid: str, nonce: str, created: int) -> None:
        """Record the nonce durably before the request runs: a replay is refused even if this request
        fails. Old nonces (beyond twice the window) are pruned now and then."""
        now = int(self.clock())
        self._seen += 1
        prune = self._seen % 500 == 1

        def unit(session: Session) -> None:
            # Core statements: this runs for every signed request, on the writer's path.
            conn = session.connection()
            if prune:
                window = 2 * int(self.max_age.total_seconds())
                conn.execute(delete(_NONCES).where(_NONCES.c.created < now - window))
            if conn.execute(_SEEN, {"kid": kid, "nonce": nonce}).first() is not None:
                raise NotAuthenticated("this signature was used before (replay)")
            conn.execute(_RECORD, {"kid": kid, "nonce": nonce, "created": created})

        try:
            self.run(unit)
        except StorageError:
            # Another process recorded the same nonce between our check and insert (unique key).
            with self.readers.begin() as session:
                if session.connection().execute(_SEEN, {"kid": kid, "nonce": nonce}).first() is not None:
                    raise NotAuthenticated("this signature was used before (replay)") from None
            raise


def _refuse_repeated(repeated: set[str], covered: Iterable[str]) -> None:
    """Refuse a request that repeats a header the signature covers (or a signature header itself)."""
    twice = sorted(repeated.intersection(covered))
    if twice:
        raise NotAuthenticated(f"the signed header {twice[0]} appears more than once; send it once")
