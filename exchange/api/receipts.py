"""The ``Exchange-Receipt`` header: one signed receipt per response that logged events
(:mod:`exchange.audit.receipt`; docs/specs/disclosure-log.md, section "Receipts").

A route's unit of work collects the (index, leaf hash) of every event it appends; once the unit is
durable, :meth:`~exchange.api.context.RequestContext.write` puts the receipt's message in the
request's :class:`ReceiptSlot`, and :class:`ReceiptHeader` signs it once as the response starts.
One Ed25519 signature per response, never per event: a hit/no-hit query with 78 answers costs one
signature (about 24 µs here) and one SHA-256 over 78 × 32 bytes.

The receipt key is the service's own (``EXCHANGE_RECEIPT_KEY_FILE``). The service never reads the
log's checkpoint key: a stolen API process can sign receipts, which only ever claim what a signed
checkpoint and an inclusion proof must then confirm, but never a checkpoint.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from exchange.audit.checkpoint import NoteVerifier
from exchange.audit.receipt import HEADER, ReceiptSigner
from exchange.config import Settings
from exchange.crypto import sodium
from exchange.errors import ConfigurationError

log = logging.getLogger(__name__)
#: Where the request's slot is kept in the ASGI scope.
SLOT = "exchange.receipt"
_HEADER = HEADER.lower().encode("ascii")


@dataclass(slots=True)
class ReceiptSlot:
    """The receipt message of the request's logged events, once they are durable (else None)."""

    message: bytes | None = None


def load_receipt_signer(settings: Settings) -> ReceiptSigner:
    """The receipt key from ``EXCHANGE_RECEIPT_KEY_FILE`` (a 32-byte hex seed, mode 0600).

    Without the file, dev mode signs with a key made for this process only (receipts then cannot
    be checked after a restart); production refuses to start.
    """
    path = settings.receipt_key_file
    try:
        mode = os.stat(path).st_mode
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        if settings.mode == "dev":
            log.warning("no receipt key file: receipts are signed with a key of this process only")
            return ReceiptSigner.from_seed(sodium.random_bytes(32))
        raise ConfigurationError(
            f"EXCHANGE_RECEIPT_KEY_FILE {path} does not exist; create it with: exchange log init-receipt-key"
        ) from None
    except (OSError, UnicodeDecodeError):
        raise ConfigurationError(f"EXCHANGE_RECEIPT_KEY_FILE {path} cannot be read") from None
    if mode & 0o077:
        raise ConfigurationError(
            f"EXCHANGE_RECEIPT_KEY_FILE {path} is readable by others; run: chmod 600 {path}"
        )
    try:
        seed = bytes.fromhex(text)
    except ValueError:
        raise ConfigurationError(f"EXCHANGE_RECEIPT_KEY_FILE {path} does not hold a hex key") from None
    if len(seed) != 32 or (settings.mode != "dev" and len(set(seed)) < 8):
        raise ConfigurationError(
            f"EXCHANGE_RECEIPT_KEY_FILE {path} does not hold a 32-byte random key; "
            "create one with: exchange log init-receipt-key"
        )
    return ReceiptSigner.from_seed(seed)


def checkpoint_verifier(settings: Settings) -> NoteVerifier | None:
    """The log's checkpoint verifier from ``EXCHANGE_LOG_PUBLIC_KEY`` (base64, or the
    ``verifier: <origin> <key>`` line), to publish; None when it is not set. The API never reads
    the checkpoint signing key (EXCHANGE_LOG_KEY_FILE)."""
    text = settings.log_public_key
    if text is None:
        return None
    words = text.split()
    try:
        key = base64.b64decode(words[-1] if words else "", validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != sodium.PUBLIC_KEY_BYTES:
        raise ConfigurationError(
            "EXCHANGE_LOG_PUBLIC_KEY is not the log's public key: give the 32-byte Ed25519 key in base64, "
            "as 'exchange log init-key' prints it"
        )
    return NoteVerifier(settings.log_origin, key)


class ReceiptHeader:
    """Give each request a :class:`ReceiptSlot`; sign what it holds as the response starts."""

    def __init__(self, app: ASGIApp, signer: ReceiptSigner) -> None:
        self.app = app
        self.signer = signer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        slot = ReceiptSlot()
        scope[SLOT] = slot

        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start" and slot.message is not None:
                value = self.signer.sign(slot.message).encode("ascii")
                message = {**message, "headers": [*message.get("headers", []), (_HEADER, value)]}
            await send(message)

        await self.app(scope, receive, stamped)
