"""Enrichment: the case table asks, providers answer with sealed items, recipients read their own.

The hub decides every step again from the covenant, so a provider's client cannot widen who
receives an item, and a recipient sees only items sealed for it. The hub stores ciphertext and
signed headers only; each disclosure and each read is a log event in the same transaction.
"""

from __future__ import annotations

import uuid

from exchange.audit.events import Action, Outcome
from exchange.cases.rules import covenant_in_force, require_open, require_party
from exchange.cases.unit import Unit
from exchange.crypto.envelope import InvalidEnvelope, assemble, decode, verify
from exchange.errors import ConflictError, DeniedError, InvalidInputError
from exchange.policies.decision import Decision, DecisionRequest
from exchange.policies.engine import DecisionEngine
from exchange.storage.cases import CaseRepository
from exchange.storage.casework import EnrichmentRepository
from exchange.storage.parties import encryption_keys, signing_key
from exchange.storage.readmodels import CaseView, PendingRequest, RecipientKey
from exchange.vocabulary import Form, Phase

# Items (enrichment answers, findings, written feedback) are exchanged once a case is selected and
# until it closes; in each phase the covenant's flows decide which categories may go to whom.
ENRICHMENT_PHASES = frozenset(
    {str(Phase.PREPARATION), str(Phase.ACTION), str(Phase.FOLLOW_UP), str(Phase.FEEDBACK)}
)

__all__ = ["ENRICHMENT_PHASES", "DossierService", "RecipientKey"]


class DossierService:
    """Enrichment requests, sealed items and the recipients' reads, bound to one unit of work."""

    def __init__(self, unit: Unit, decisions: DecisionEngine) -> None:
        self.unit = unit
        self.decisions = decisions
        self.cases = CaseRepository(unit.session)
        self.items = EnrichmentRepository(unit.session)

    def _decide(self, recipient: str, role: str, provider: str, category: str, case: CaseView) -> Decision:
        return self.decisions.decide(
            DecisionRequest(
                recipient, role, provider, category, case.purpose, case.phase, case.covenant, self.unit.now
            )
        )

    def _open_case(self, case_id: str) -> CaseView:
        case = self.cases.visible(case_id, self.unit.caller.party)
        require_open(case)
        require_party(covenant_in_force(self.decisions, case.covenant, self.unit.now), self.unit.caller)
        if case.phase not in ENRICHMENT_PHASES:
            raise ConflictError(
                f"items are exchanged from preparation to feedback; the case is in {case.phase}",
                code="phase-order",
            )
        return case

    def request(self, case_id: str, provider: str, categories: list[str]) -> list[dict[str, object]]:
        """Ask ``provider`` for ``categories``; each is decided for the caller as recipient of content."""
        c = self.unit.caller
        case = self._open_case(case_id)
        if provider == c.party:
            raise InvalidInputError("a party does not enrich a case from itself")
        out: list[dict[str, object]] = []
        for category in dict.fromkeys(categories):
            d = self._decide(c.party, c.role, provider, category, case)
            content = d.allowed and d.form is Form.CONTENT
            if d.allowed and not content:
                reason, code = "the covenant allows only hit/no-hit for this category here", "hit-only"
            else:
                reason, code = d.reason, d.code
            self.unit.record(
                Action.DECISION,
                Outcome.ALLOWED if content else Outcome.DENIED,
                case,
                counterparty=provider,
                category=category,
                policy_digest=d.policy_digest,
                articles=d.articles,
                legal_grounds=d.legal_grounds,
                reason=reason,
                reason_code=code,
            )
            if not content:
                out.append({"category": category, "requested": False, "reason": reason})
                continue
            rid = f"enr-{uuid.uuid4().hex[:16]}"
            self.items.add_request(rid, case.id, c.party, provider, category, self.unit.now)
            self.cases.add_party(case.id, provider)
            out.append({"category": category, "requested": True, "id": rid, "articles": list(d.articles)})
        return out

    def pending(self) -> list[PendingRequest]:
        """Open enrichment requests addressed to the caller, with the cases' subject pseudonyms."""
        return self.items.pending(self.unit.caller.party)

    def recipients(self, case_id: str, category: str) -> list[RecipientKey]:
        """The case's parties that may receive ``category`` from the caller now, with keys to seal to.

        Items are sealed to parties; a flow that names roles limits which users of the recipient
        may read it, and :meth:`view` enforces that per reader. So a party qualifies here if any
        of the covenant's roles may receive the category.
        """
        c = self.unit.caller
        case = self._open_case(case_id)
        covenant = covenant_in_force(self.decisions, case.covenant, self.unit.now)
        out = []
        for party in self.cases.parties(case.id):
            if party == c.party:
                continue
            decision = None
            for role in covenant.roles:
                d = self._decide(party, role, c.party, category, case)
                if d.allowed and d.form is Form.CONTENT:
                    decision = d
                    break
            if decision is None:
                continue
            current = [k for k in encryption_keys(self.unit.session, party) if k.status == "current"]
            if current:
                out.append(RecipientKey(party, current[-1].kid, current[-1].public, decision.articles))
        return out

    def store(self, case_id: str, envelope: bytes) -> dict[str, object]:
        """Accept a sealed item after re-deciding every recipient; one disclosure event per recipient."""
        c = self.unit.caller
        case = self._open_case(case_id)
        try:
            item = decode(envelope)
        except InvalidEnvelope:
            raise InvalidInputError("the envelope is malformed") from None
        meta = item.header.metadata
        key = signing_key(self.unit.session, item.header.provider_kid)
        if key is None or key.party != c.party or key.status == "destroyed":
            raise DeniedError("the item must be signed with one of your own registered keys")
        # A new item is stored now; a key retired before now signs nothing new (the hub's clock,
        # never a time the signer wrote).
        if not key.signed_before_retirement(self.unit.now):
            raise DeniedError(
                "the item is signed with a retired key; sign it with your current key", code="key-retired"
            )
        try:
            verify(item, {key.kid: key.public})
        except InvalidEnvelope:
            # The request was authenticated; it is the item inside that does not verify.
            raise InvalidInputError("the item's signature does not verify") from None
        if meta.case != case.id or meta.provider != c.party or meta.purpose != case.purpose:
            raise InvalidInputError("the item's case, provider or purpose does not match this case")
        if self.items.item_exists(meta.item):
            raise ConflictError(f"item '{meta.item}' exists already")
        allowed = {r.party: r for r in self.recipients(case_id, meta.category)}
        for party, kid in item.header.recipients:
            if party not in allowed:
                raise DeniedError(
                    f"the covenant does not allow '{meta.category}' to go to '{party}' in this case"
                )
            row = self.items.encryption_key(kid)
            if row is None or row.party != party or row.algorithm != "x25519" or row.status == "destroyed":
                raise DeniedError(f"'{kid}' is not a registered encryption key of '{party}'")
        party_of = {kid: party for party, kid in item.header.recipients}  # verify() refused unlisted wraps
        self.items.add_item(
            meta.item,
            case.id,
            c.party,
            meta.category,
            item.header_bytes,
            item.ciphertext,
            item.signature,
            [(kid, party_of[kid], wrap) for kid, wrap in item.wraps],
            self.unit.now,
        )
        for party, _kid in item.header.recipients:
            self.unit.record(
                Action.DISCLOSURE,
                Outcome.ALLOWED,
                case,
                counterparty=party,
                category=meta.category,
                item=meta.item,
                articles=allowed[party].articles,
            )
        self.items.mark_answered(case.id, c.party, meta.category, self.unit.now)
        return {"item": meta.item, "recipients": [p for p, _ in item.header.recipients]}

    def view(self, case_id: str) -> list[bytes]:
        """The caller's own dossier view: items sealed for it, each with only its own wraps, that the
        reader's role may see in the case's current phase. Every read, and every withheld item, is logged."""
        c = self.unit.caller
        case = self.cases.visible(case_id, c.party)
        out = []
        for item in self.items.sealed_for(case.id, c.party):
            # Purpose and role limits hold at reading time too: the reader's role, the case's phase now.
            d = self._decide(c.party, c.role, item.provider, item.category, case)
            readable = d.allowed and d.form is Form.CONTENT
            self.unit.record(
                Action.DOSSIER_READ,
                Outcome.DONE if readable else Outcome.DENIED,
                case,
                counterparty=item.provider,
                category=item.category,
                item=item.id,
                articles=d.articles,
                legal_grounds=d.legal_grounds,
                reason=None if readable else d.reason,
                reason_code=None if readable else d.code,
            )
            if readable:
                out.append(assemble(item.header, item.ciphertext, item.signature, item.wraps))
        return out
