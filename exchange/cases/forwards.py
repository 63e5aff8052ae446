"""Forwarding a signal: a coordinator passes a signal to the partner it belongs to, without opening a
case. The sender's client seals the message for the recipient's keys as a dossier envelope; the hub
checks the covenant allows it, stores ciphertext, and logs a ``forward`` event with the parties,
purpose, covenant and the envelope's digest, never the content. The recipient opens it with
``GET /v1/forwards/{id}`` (a logged read). Spec: docs/specs/forwards.md.

The covenant allows a forward when it has a flow *from the sender's party to the recipient* for the
purpose in phase ``signal`` with form ``content``, for some category and some role the recipient may
hold. No new covenant syntax is needed: the decision engine answers the question for each category.
"""

from __future__ import annotations

from datetime import timedelta

from exchange.audit.events import Action, Outcome, TextRef
from exchange.cases.rules import COORDINATOR, covenant_in_force, require_party, require_role
from exchange.cases.texts import text_digest
from exchange.cases.unit import Unit
from exchange.crypto.envelope import InvalidEnvelope, assemble, decode, verify
from exchange.errors import ConflictError, DeniedError, InvalidInputError, NotFoundError
from exchange.policies.decision import Decision, DecisionRequest
from exchange.policies.engine import DecisionEngine
from exchange.policies.model import Covenant
from exchange.protocol import FORWARD_CATEGORY, FORWARD_ID
from exchange.storage.casework import EnrichmentRepository
from exchange.storage.forwards import ForwardInfo, ForwardRepository
from exchange.storage.parties import encryption_keys, signing_key
from exchange.storage.readmodels import RecipientKey
from exchange.vocabulary import Form, PartyId, Phase, Purpose

SIGNAL = str(Phase.SIGNAL)

__all__ = ["FORWARD_CATEGORY", "FORWARD_ID", "ForwardService", "shred_expired_forwards"]


def unknown_forward(forward_id: str) -> NotFoundError:
    """The one answer for a forward that does not exist and for one sent to another party."""
    return NotFoundError(f"no forward '{forward_id}'")


class ForwardService:
    """Forwarded signals, bound to one unit of work."""

    def __init__(self, unit: Unit, decisions: DecisionEngine) -> None:
        self.unit = unit
        self.decisions = decisions
        self.forwards = ForwardRepository(unit.session)

    def flow(
        self, covenant: Covenant, purpose: str, sender: str, recipient: str, role: str | None
    ) -> Decision | None:
        """The decision that allows ``sender`` to forward to ``recipient`` (acting in ``role``, or
        in any role it may hold) for ``purpose`` in phase signal, or None."""
        roles = [role] if role is not None else [r for r in covenant.roles if covenant.may_hold(recipient, r)]
        for r in roles:
            for category in covenant.categories:
                d = self.decisions.decide(
                    DecisionRequest(
                        recipient, r, sender, category, purpose, SIGNAL, str(covenant.ref), self.unit.now
                    )
                )
                if d.allowed and d.form is Form.CONTENT:
                    return d
        return None

    def _allowed(self, to: str, purpose: str, covenant_ref: str) -> tuple[Covenant, Decision]:
        """The sender is a coordinator of a covenant party and the covenant has a signal-phase flow
        from its party to ``to`` for ``purpose``; otherwise the refusal says which rule failed."""
        c = self.unit.caller
        covenant = covenant_in_force(self.decisions, covenant_ref, self.unit.now)
        require_role(covenant, c, COORDINATOR, "forwards a signal")
        if Purpose(purpose) not in covenant.purposes:
            raise InvalidInputError(f"'{purpose}' is not a purpose of {covenant.label}")
        if PartyId(to) not in covenant.parties:
            raise InvalidInputError(f"'{to}' is not a party to {covenant.label}")
        if to == c.party:
            raise InvalidInputError("a party does not forward a signal to itself")
        d = self.flow(covenant, purpose, c.party, to, None)
        if d is None:
            raise DeniedError(
                f"{covenant.label} has no flow from '{c.party}' to '{to}' for '{purpose}' in phase "
                "'signal': the signal cannot be forwarded to that party",
                code="no-flow",
            )
        return covenant, d

    def recipients(self, to: str, purpose: str, covenant_ref: str) -> list[RecipientKey]:
        """The recipient's current encryption keys to seal a forward to, once it is allowed."""
        _covenant, d = self._allowed(to, purpose, covenant_ref)
        keys = [k for k in encryption_keys(self.unit.session, to) if k.status == "current"]
        if not keys:
            raise ConflictError(f"'{to}' has no current encryption key to seal to", code="no-key")
        return [RecipientKey(to, k.kid, k.public, d.articles) for k in keys]

    def send(self, to: str, purpose: str, covenant_ref: str, sealed: bytes) -> tuple[ForwardInfo, int]:
        """Check and store a forward the caller sealed for ``to``; one ``forward`` event, whose log
        index is returned with the forward."""
        c, now = self.unit.caller, self.unit.now
        covenant, d = self._allowed(to, purpose, covenant_ref)
        try:
            env = decode(sealed)
        except InvalidEnvelope:
            raise InvalidInputError("the sealed forward is not a valid envelope") from None
        key = signing_key(self.unit.session, env.header.provider_kid)
        if key is None or key.party != c.party:
            raise DeniedError("a forward must be signed with your own current key")
        if key.status != "current":
            raise DeniedError(
                "the forward is signed with a key that is not current; seal it again with your current key",
                code="key-retired",
            )
        try:
            verify(env, {key.kid: key.public})
        except InvalidEnvelope:
            raise InvalidInputError("the sealed forward's signature does not verify") from None
        meta = env.header.metadata
        if (
            not FORWARD_ID.match(meta.item)
            or meta.case != meta.item
            or (meta.provider, meta.purpose, meta.category) != (c.party, purpose, FORWARD_CATEGORY)
        ):
            raise InvalidInputError(
                "the sealed forward must carry its id ('fwd-' and 32 hex digits) as case and item, you as "
                f"its sender, this purpose and '{FORWARD_CATEGORY}' as category (exchange client does)"
            )
        if self.forwards.exists(meta.item):
            raise ConflictError(f"forward '{meta.item}' exists already")
        if not env.header.recipients:
            raise InvalidInputError(f"the forward is sealed for nobody; seal it for '{to}'")
        keys = EnrichmentRepository(self.unit.session)
        for party, kid in env.header.recipients:
            if party != to:
                raise DeniedError(f"a forward to '{to}' is sealed only for '{to}', not for '{party}'")
            row = keys.encryption_key(kid)
            if row is None or row.party != to or row.algorithm != "x25519" or row.status == "destroyed":
                raise DeniedError(f"'{kid}' is not a registered encryption key of '{to}'")
        digest = text_digest(env.header_bytes, env.ciphertext, env.signature)
        info = ForwardInfo(meta.item, c.party, to, purpose, str(covenant.ref), digest, now, None)
        # Kept as long as the covenant keeps any of its categories (like a case's sealed texts).
        longest = max((k.retention_days for k in covenant.categories.values()), default=0)
        self.forwards.add(
            info,
            c.user,
            (env.header_bytes, env.ciphertext, env.signature),
            env.wraps,
            now + timedelta(days=longest),
        )
        index = self.unit.record(
            Action.FORWARD,
            Outcome.DONE,
            counterparty=to,
            purpose=purpose,
            covenant=str(covenant.ref),
            phase=SIGNAL,
            item=meta.item,
            text=TextRef(meta.item, digest),
            policy_digest=d.policy_digest,
            articles=d.articles,
            legal_grounds=d.legal_grounds,
        )
        return info, index

    def open(self, forward_id: str) -> tuple[ForwardInfo, bytes]:
        """The forward with only the caller's wraps, for its recipient acting in a role the flow
        allows now; the read is logged. Anyone else gets the same answer as for an unknown id."""
        c = self.unit.caller
        stored = self.forwards.for_recipient(forward_id, c.party)
        if stored is None:
            raise unknown_forward(forward_id)
        info = stored.info
        covenant = covenant_in_force(self.decisions, info.covenant, self.unit.now)
        require_party(covenant, c)
        d = self.flow(covenant, info.purpose, info.sender, c.party, c.role)
        if d is None:
            raise DeniedError(
                f"the flow that allowed this forward does not let a '{c.role}' of '{c.party}' read it",
                code="no-flow",
            )
        self.unit.record(
            Action.DOSSIER_READ,
            Outcome.DONE,
            counterparty=info.sender,
            purpose=info.purpose,
            covenant=info.covenant,
            phase=SIGNAL,
            item=info.id,
            text=TextRef(info.id, info.digest),
            policy_digest=d.policy_digest,
            articles=d.articles,
            legal_grounds=d.legal_grounds,
            details={"text": FORWARD_CATEGORY},
        )
        self.forwards.mark_opened(info.id, self.unit.now)
        return info, assemble(stored.header, stored.ciphertext, stored.signature, stored.wraps)

    def readable(self, info: ForwardInfo) -> bool:
        """Whether the caller, in its role, may open ``info`` now (for the inbox; no event)."""
        covenant = self.decisions.covenant(info.covenant, self.unit.now)
        if covenant is None or not covenant.may_hold(self.unit.caller.party, self.unit.caller.role):
            return False
        return (
            self.flow(covenant, info.purpose, info.sender, self.unit.caller.party, self.unit.caller.role)
            is not None
        )


def shred_expired_forwards(unit: Unit) -> list[str]:
    """Delete every wrap of forwards past retention; one ``shred`` event each (no content)."""
    forwards = ForwardRepository(unit.session)
    shredded = []
    for info in forwards.expired(unit.now):
        forwards.shred(info.id, unit.now)
        unit.record(
            Action.SHRED,
            Outcome.DONE,
            counterparty=info.recipient,
            purpose=info.purpose,
            covenant=info.covenant,
            item=info.id,
            reason="retention period ended",
            details={"text": FORWARD_CATEGORY},
            text=TextRef(info.id, info.digest),
        )
        shredded.append(info.id)
    return shredded
