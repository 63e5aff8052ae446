"""Enrichment: the case table asks, providers answer with sealed items, recipients read their own.

The hub decides every step again from the covenant, so a provider's client cannot widen who
receives an item, and a recipient sees only items sealed for it. The hub stores ciphertext and
signed headers only; each disclosure and each read is a log event in the same transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange.audit.events import Action, Outcome
from exchange.cases.service import CaseService
from exchange.crypto.envelope import InvalidEnvelope, assemble, decode, verify
from exchange.errors import ConflictError, DeniedError, InvalidInputError
from exchange.policies.decision import Decision, DecisionRequest
from exchange.storage.models import (
    CaseParty,
    CaseRow,
    DossierItemRow,
    DossierWrap,
    EnrichmentRequestRow,
    PartyKeyRow,
)
from exchange.storage.parties import encryption_keys, signing_key
from exchange.vocabulary import Caller, Form, Phase

# Items (enrichment answers, findings, written feedback) are exchanged once a case is selected and
# until it closes; in each phase the covenant's flows decide which categories may go to whom.
ENRICHMENT_PHASES = frozenset(
    {str(Phase.PREPARATION), str(Phase.ACTION), str(Phase.FOLLOW_UP), str(Phase.FEEDBACK)}
)


@dataclass(frozen=True, slots=True)
class RecipientKey:
    party: str
    kid: str
    public: bytes
    articles: tuple[str, ...]


class DossierService:
    def __init__(self, cases: CaseService) -> None:
        self.cases = cases
        self.decisions = cases.decisions
        self.log = cases.log

    def _decide(
        self, recipient: str, role: str, provider: str, category: str, case: CaseRow, now: datetime
    ) -> Decision:
        return self.decisions.decide(
            DecisionRequest(recipient, role, provider, category, case.purpose, case.phase, case.covenant, now)
        )

    def _open_case(self, s: Session, c: Caller, case_id: str) -> CaseRow:
        case = self.cases.visible(s, c, case_id)
        if case.closed is not None:
            raise ConflictError("the case is closed")
        if case.phase not in ENRICHMENT_PHASES:
            raise ConflictError(
                f"items are exchanged from preparation to feedback; the case is in {case.phase}"
            )
        return case

    def request(
        self,
        s: Session,
        c: Caller,
        case_id: str,
        provider: str,
        categories: list[str],
        trace: str,
        now: datetime,
    ) -> list[dict[str, object]]:
        """Ask ``provider`` for ``categories``; each is decided for the caller as recipient of content."""
        case = self._open_case(s, c, case_id)
        if provider == c.party:
            raise InvalidInputError("a party does not enrich a case from itself")
        out: list[dict[str, object]] = []
        for category in dict.fromkeys(categories):
            d = self._decide(c.party, c.role, provider, category, case, now)
            content = d.allowed and d.form is Form.CONTENT
            if d.allowed and not content:
                reason, code = "the covenant allows only hit/no-hit for this category here", "hit-only"
            else:
                reason, code = d.reason, d.code
            self.cases.record(
                s,
                c,
                trace,
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
            s.add(
                EnrichmentRequestRow(
                    id=rid,
                    case_id=case.id,
                    requested_by=c.party,
                    provider=provider,
                    category=category,
                    created=now,
                )
            )
            if s.get(CaseParty, (case.id, provider)) is None:
                s.add(CaseParty(case_id=case.id, party=provider))
            out.append({"category": category, "requested": True, "id": rid, "articles": list(d.articles)})
        s.flush()
        return out

    def pending(self, s: Session, c: Caller) -> list[dict[str, object]]:
        rows = (
            s.execute(
                select(EnrichmentRequestRow)
                .where(EnrichmentRequestRow.provider == c.party, EnrichmentRequestRow.answered.is_(None))
                .order_by(EnrichmentRequestRow.created)
            )
            .scalars()
            .all()
        )
        out: list[dict[str, object]] = []
        for r in rows:
            case = s.get(CaseRow, r.case_id)
            if case is None or case.closed is not None:
                continue
            out.append(
                {
                    "id": r.id,
                    "case": r.case_id,
                    "category": r.category,
                    "purpose": case.purpose,
                    "phase": case.phase,
                    "covenant": case.covenant,
                    "requested_by": r.requested_by,
                    "subjects": self.cases.subjects(s, r.case_id),
                }
            )
        return out

    def recipients(
        self, s: Session, c: Caller, case_id: str, category: str, now: datetime
    ) -> list[RecipientKey]:
        """The case's parties that may receive ``category`` from the caller now, with keys to seal to.

        Items are sealed to parties; a flow that names roles limits which users of the recipient
        may read it, and :meth:`view` enforces that per reader. So a party qualifies here if any
        of the covenant's roles may receive the category.
        """
        case = self._open_case(s, c, case_id)
        covenant = self.cases.covenant_of(case, now)
        out = []
        for party in self.cases.parties(s, case.id):
            if party == c.party:
                continue
            decision = None
            for role in covenant.roles:
                d = self._decide(party, role, c.party, category, case, now)
                if d.allowed and d.form is Form.CONTENT:
                    decision = d
                    break
            if decision is None:
                continue
            current = [k for k in encryption_keys(s, party) if k.status == "current"]
            if current:
                out.append(RecipientKey(party, current[-1].kid, current[-1].public, decision.articles))
        return out

    def store(
        self, s: Session, c: Caller, case_id: str, envelope: bytes, trace: str, now: datetime
    ) -> dict[str, object]:
        """Accept a sealed item after re-deciding every recipient; one disclosure event per recipient."""
        case = self._open_case(s, c, case_id)
        try:
            item = decode(envelope)
        except InvalidEnvelope:
            raise InvalidInputError("the envelope is malformed") from None
        meta = item.header.metadata
        key = signing_key(s, item.header.provider_kid)
        if key is None or key.party != c.party or key.status == "destroyed":
            raise DeniedError("the item must be signed with one of your own registered keys")
        try:
            verify(item, {key.kid: key.public})
        except InvalidEnvelope:
            # The request was authenticated; it is the item inside that does not verify.
            raise InvalidInputError("the item's signature does not verify") from None
        if meta.case != case.id or meta.provider != c.party or meta.purpose != case.purpose:
            raise InvalidInputError("the item's case, provider or purpose does not match this case")
        if s.get(DossierItemRow, meta.item) is not None:
            raise ConflictError(f"item '{meta.item}' exists already")
        allowed = {r.party: r for r in self.recipients(s, c, case_id, meta.category, now)}
        for party, kid in item.header.recipients:
            if party not in allowed:
                raise DeniedError(
                    f"the covenant does not allow '{meta.category}' to go to '{party}' in this case"
                )
            row = s.get(PartyKeyRow, kid)
            if row is None or row.party != party or row.algorithm != "x25519" or row.status == "destroyed":
                raise DeniedError(f"'{kid}' is not a registered encryption key of '{party}'")
        s.add(
            DossierItemRow(
                id=meta.item,
                case_id=case.id,
                provider=c.party,
                category=meta.category,
                header=item.header_bytes,
                ciphertext=item.ciphertext,
                signature=item.signature,
                created=now,
            )
        )
        s.flush()
        party_of = {kid: party for party, kid in item.header.recipients}  # verify() refused unlisted wraps
        for kid, wrap in item.wraps:
            s.add(DossierWrap(item_id=meta.item, kid=kid, party=party_of[kid], wrap=wrap))
        for party, _kid in item.header.recipients:
            self.cases.record(
                s,
                c,
                trace,
                Action.DISCLOSURE,
                Outcome.ALLOWED,
                case,
                counterparty=party,
                category=meta.category,
                item=meta.item,
                articles=allowed[party].articles,
            )
        for req in s.execute(
            select(EnrichmentRequestRow).where(
                EnrichmentRequestRow.case_id == case.id,
                EnrichmentRequestRow.provider == c.party,
                EnrichmentRequestRow.category == meta.category,
                EnrichmentRequestRow.answered.is_(None),
            )
        ).scalars():
            req.answered = now
        s.flush()
        return {"item": meta.item, "recipients": [p for p, _ in item.header.recipients]}

    def view(self, s: Session, c: Caller, case_id: str, trace: str) -> list[bytes]:
        """The caller's own dossier view: items sealed for it, each with only its own wraps, that the
        reader's role may see in the case's current phase. Every read, and every withheld item, is logged."""
        case = self.cases.visible(s, c, case_id)
        rows = s.execute(
            select(DossierItemRow, DossierWrap)
            .join(DossierWrap, DossierWrap.item_id == DossierItemRow.id)
            .where(DossierItemRow.case_id == case.id, DossierWrap.party == c.party)
            .order_by(DossierItemRow.created, DossierItemRow.id)
        ).all()
        grouped: dict[str, tuple[DossierItemRow, list[tuple[str, bytes]]]] = {}
        for item, wrap in rows:
            grouped.setdefault(item.id, (item, []))[1].append((wrap.kid, wrap.wrap))
        out = []
        now = datetime.now(UTC)
        for item, wraps in grouped.values():
            # Purpose and role limits hold at reading time too: the reader's role, the case's phase now.
            d = self._decide(c.party, c.role, item.provider, item.category, case, now)
            readable = d.allowed and d.form is Form.CONTENT
            self.cases.record(
                s,
                c,
                trace,
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
                out.append(assemble(item.header, item.ciphertext, item.signature, tuple(wraps)))
        return out
