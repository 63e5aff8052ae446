"""Users' free text in a case, sealed: selection and closing reasons, review notes, action-point reasons.

The writer's client seals the text as a dossier envelope (docs/specs/dossier-envelope.md) for the
case's parties that may read free text (:meth:`Covenant.reads_free_text`); the hub re-checks what it
can without reading it, stores ciphertext and wraps, and the log records only the text's id and the
SHA-256 of its envelope without wraps (event version 2). Spec: docs/specs/sealed-texts.md.
"""

from __future__ import annotations

import hashlib
import re

from exchange.audit.events import Action, Outcome, TextRef
from exchange.cases.rules import covenant_in_force
from exchange.cases.unit import Unit
from exchange.crypto.envelope import InvalidEnvelope, assemble, decode, verify
from exchange.errors import ConflictError, DeniedError, InvalidInputError
from exchange.policies.engine import DecisionEngine
from exchange.policies.model import Covenant
from exchange.storage.cases import CaseRepository
from exchange.storage.casework import EnrichmentRepository
from exchange.storage.parties import encryption_keys, signing_key
from exchange.storage.readmodels import CaseView, RecipientKey
from exchange.storage.texts import TextRepository

SELECTION_REASON = "selection-reason"
CLOSING_REASON = "closing-reason"
REVIEW_NOTE = "review-note"
ACTION_REASON = "action-reason"
TEXT_KINDS = frozenset({SELECTION_REASON, CLOSING_REASON, REVIEW_NOTE, ACTION_REASON})
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$")

__all__ = ["ACTION_REASON", "CLOSING_REASON", "REVIEW_NOTE", "SELECTION_REASON", "TEXT_KINDS", "TextService"]


def text_digest(header: bytes, ciphertext: bytes, signature: bytes) -> str:
    """``sha256:<hex>`` of the envelope without wraps: what stays after shredding, so the log's
    digest can still be checked against the stored text once nobody can open it."""
    return "sha256:" + hashlib.sha256(assemble(header, ciphertext, signature, ())).hexdigest()


class TextService:
    """Sealed free texts of a case, bound to one unit of work."""

    def __init__(self, unit: Unit, decisions: DecisionEngine) -> None:
        self.unit = unit
        self.decisions = decisions
        self.cases = CaseRepository(unit.session)
        self.texts = TextRepository(unit.session)

    def readers(self, case: CaseView, covenant: Covenant) -> list[RecipientKey]:
        """The case's parties that may read its free text, each with its current encryption key."""
        out = []
        for party in self.cases.parties(case.id):
            if not covenant.reads_free_text(party):
                continue
            current = [k for k in encryption_keys(self.unit.session, party) if k.status == "current"]
            if current:
                out.append(RecipientKey(party, current[-1].kid, current[-1].public, ()))
        return out

    def recipients(self, case_id: str) -> list[RecipientKey]:
        """For a participating party: whom to seal a text of this case to."""
        case = self.cases.visible(case_id, self.unit.caller.party)
        return self.readers(case, covenant_in_force(self.decisions, case.covenant, self.unit.now))

    def accept(self, case: CaseView, kind: str, sealed: bytes) -> TextRef:
        """Check and store a text the caller sealed for ``case`` as a ``kind``; the reference the
        log records. The caller's use case records the event."""
        c = self.unit.caller
        try:
            text = decode(sealed)
        except InvalidEnvelope:
            raise InvalidInputError("the sealed text is not a valid envelope") from None
        key = signing_key(self.unit.session, text.header.provider_kid)
        if key is None or key.party != c.party:
            raise DeniedError("a sealed text must be signed with your own current key")
        if key.status != "current":
            raise DeniedError(
                "the sealed text is signed with a key that is not current; "
                "seal it again with your current key",
                code="key-retired",
            )
        try:
            verify(text, {key.kid: key.public})
        except InvalidEnvelope:
            raise InvalidInputError("the sealed text's signature does not verify") from None
        meta = text.header.metadata
        if (meta.case, meta.provider, meta.purpose, meta.category) != (case.id, c.party, case.purpose, kind):
            raise InvalidInputError(
                f"the sealed text must name this case, its purpose, you as its writer and '{kind}' as "
                "its category; seal it for this case (exchange client does)"
            )
        if not _ID.match(meta.item):
            raise InvalidInputError("the sealed text's id is not a valid identifier")
        if self.texts.exists(meta.item):
            raise ConflictError(f"text '{meta.item}' exists already")
        covenant = covenant_in_force(self.decisions, case.covenant, self.unit.now)
        readers = {r.party for r in self.readers(case, covenant)}
        keys = EnrichmentRepository(self.unit.session)
        for party, kid in text.header.recipients:
            if party not in readers:
                raise DeniedError(
                    f"'{party}' may not read this case's free text: seal it only for the parties "
                    f"GET /v1/cases/{case.id}/text-recipients names"
                )
            row = keys.encryption_key(kid)
            if row is None or row.party != party or row.algorithm != "x25519" or row.status == "destroyed":
                raise DeniedError(f"'{kid}' is not a registered encryption key of '{party}'")
        party_of = {kid: party for party, kid in text.header.recipients}  # verify() refused unlisted wraps
        digest = text_digest(text.header_bytes, text.ciphertext, text.signature)
        self.texts.add(
            meta.item,
            case.id,
            kind,
            (c.party, c.user),
            (text.header_bytes, text.ciphertext, text.signature),
            digest,
            [(kid, party_of[kid], wrap) for kid, wrap in text.wraps],
            self.unit.now,
        )
        return TextRef(meta.item, digest)

    def view(self, case_id: str) -> list[bytes]:
        """The caller's texts of the case, each with only its own wraps; every read is logged, like a
        dossier read, and a party that no longer reads free text under the covenant gets none."""
        c = self.unit.caller
        case = self.cases.visible(case_id, c.party)
        covenant = self.decisions.covenant(case.covenant, self.unit.now)
        readable = covenant is not None and covenant.reads_free_text(c.party)
        out = []
        for text in self.texts.sealed_for(case.id, c.party):
            self.unit.record(
                Action.DOSSIER_READ,
                Outcome.DONE if readable else Outcome.DENIED,
                case,
                counterparty=text.author_party,
                item=text.id,
                details={"text": text.kind},
                text=TextRef(text.id, text.digest),
                reason=None if readable else "the covenant names this party as a recipient of no flow",
                reason_code=None if readable else "no-flow",
            )
            if readable:
                out.append(assemble(text.header, text.ciphertext, text.signature, text.wraps))
        return out
