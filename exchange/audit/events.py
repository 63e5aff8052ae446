"""Disclosure-log events: one per decision, answer, disclosure, read, transition or key change.

Field names follow the Dutch *Logboek Dataverwerkingen* (trace id shared by everything one request
caused, a processing-activity reference, the data subject as an identifier the log cannot read)
and NEN 7513 (who, on whose behalf, what, about whom, when, from where, under which authorisation).
An event never holds a plaintext identifier: ``subject`` must be a pseudonym, and free text is
limited to short reasons written by exchange itself. Encoded as RFC 8785 canonical JSON, so the
same event always has the same bytes and the same leaf hash. Spec: docs/specs/disclosure-log.md.
"""

from __future__ import annotations

import enum
import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from exchange.crypto.pseudonym import parse_pseudonym
from exchange.errors import InvalidInputError

EVENT_VERSION = 1
#: Version 2 is version 1 plus ``text``: the digest of a sealed free text (docs/specs/disclosure-log.md).
TEXT_EVENT_VERSION = 2
VERSIONS = frozenset({EVENT_VERSION, TEXT_EVENT_VERSION})
MAX_REASON = 500
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


class Action(enum.StrEnum):
    DECISION = "decision"  # a covenant decision, allowed or denied
    HIT_QUERY = "hit-query"  # one hit/no-hit answer for one (party, category)
    DISCLOSURE = "disclosure"  # a sealed item stored for its recipients
    DOSSIER_READ = "dossier-read"  # a recipient fetched an item
    CASE_TRANSITION = "case-transition"
    CASE_CREATED = "case-created"
    SELECTION = "selection"  # the selection decision and its reason
    FINDING = "finding"
    FOLLOW_UP = "follow-up"
    FEEDBACK = "feedback"
    KEY_REGISTRATION = "key-registration"
    POLICY_CHANGE = "policy-change"
    SHRED = "shred"
    LOG_VIEW = "log-view"  # someone viewed or exported log data (console, CLI)
    CASE_VIEW = "case-view"  # someone viewed case metadata in the console
    INDEX_UPDATE = "index-update"  # a party changed its hit/no-hit index (counts only)
    REFUSAL = "refusal"  # an authenticated request refused by the covenant or the case's state
    ACCESS_REQUEST = "access-request"  # a privacy officer asked what the log holds about a subject
    JOIN_REQUEST = "join-request"  # a new party asked to join a covenant (proof of possession)
    JOIN_APPROVAL = "join-approval"  # the operator or the covenant's custodian approved a join
    JOIN_REJECTION = "join-rejection"  # the operator or the covenant's custodian rejected a join
    PSEUDONYM_KEY_VERSION = "pseudonym-key-version"  # the custodian distributed a new key version
    PSEUDONYM_KEY_COPY = "pseudonym-key-copy"  # a sealed copy of a key version stored for one party
    PSEUDONYM_KEY_FETCH = "pseudonym-key-fetch"  # a party fetched its sealed copies
    PSEUDONYM_KEY_PENDING = "pseudonym-key-pending"  # the custodian asked who lacks a copy
    FORWARD = "forward"  # a coordinator forwarded a sealed signal to a partner (digest, no content)


class Outcome(enum.StrEnum):
    ALLOWED = "allowed"
    DENIED = "denied"
    HIT = "hit"
    NO_HIT = "no-hit"
    NO_INDEX = "no-index"  # a hit/no-hit answer: the provider keeps no index for the category
    DONE = "done"
    FAILED = "failed"


def new_trace(prefix: str = "tr") -> str:
    """A fresh trace id: everything one request (or one command, or one page view) causes shares it."""
    return f"{prefix}-{uuid.uuid4().hex}"


def _ident(value: str | None, what: str) -> None:
    if value is not None and not _ID.match(value):
        raise InvalidInputError(f"event field '{what}' is not a valid identifier")


def is_identifier(value: object) -> bool:
    """Whether an event accepts ``value`` in an identifier field (None, or text of the form above)."""
    return value is None or (isinstance(value, str) and _ID.match(value) is not None)


def _clean_text(value: str) -> str:
    # One line, bounded length: a reason reaches log viewers and CSV exports.
    text = " ".join(value.split())
    return text[:MAX_REASON]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acted: the party, and the user and role it asserts (on whose behalf, NEN 7513)."""

    party: str
    user: str | None = None
    role: str | None = None


@dataclass(frozen=True, slots=True)
class TextRef:
    """A sealed free text an event is about: its id and ``sha256:<hex>`` of its stored envelope
    without wraps. The text itself never enters the log, so it can be shredded at retention while
    every leaf and proof stays valid."""

    id: str
    digest: str

    def __post_init__(self) -> None:
        _ident(self.id, "text.id")
        if not _DIGEST.match(self.digest):
            raise InvalidInputError("event field 'text.digest' must be 'sha256:' and 64 lowercase hex digits")


@dataclass(frozen=True, slots=True)
class Event:
    time: datetime
    trace_id: str
    action: Action
    actor: Actor
    outcome: Outcome
    case: str | None = None
    subject: str | None = None  # a pseudonym 'v1:...', never an address, BSN or KvK number
    counterparty: str | None = None  # the provider asked, or the recipient served
    category: str | None = None
    purpose: str | None = None
    phase: str | None = None
    covenant: str | None = None  # id/version
    policy_digest: str | None = None
    articles: tuple[str, ...] = ()
    legal_grounds: tuple[str, ...] = ()
    reason: str | None = None
    reason_code: str | None = None
    item: str | None = None
    channel: str = "api"  # from where: api, cli, console
    details: dict[str, str | int | bool] = field(default_factory=dict)
    text: TextRef | None = None  # a sealed free text (event version 2); never the text itself

    def __post_init__(self) -> None:
        if self.reason is not None:
            object.__setattr__(self, "reason", _clean_text(self.reason))
        if self.time.tzinfo is None:
            raise InvalidInputError("an event time needs a time zone")
        _ident(self.actor.party, "actor.party")
        _ident(self.actor.user, "actor.user")
        _ident(self.actor.role, "actor.role")
        self._check(_CHECKED)

    def _check(self, names: Iterable[str]) -> None:
        for name in names:
            if name in _IDENTIFIERS:
                _ident(getattr(self, name), name)
            elif name == "subject" and self.subject is not None:
                parse_pseudonym(self.subject)  # refuses anything that is not a pseudonym
            elif name == "details":
                for k, v in self.details.items():
                    _ident(k, "details key")
                    if isinstance(v, str):
                        _ident(v, f"details.{k}")
                    elif not isinstance(v, bool) and not -(2**53) < v < 2**53:
                        raise InvalidInputError(
                            f"event field 'details.{k}' is out of the exact JSON integer range"
                        )

    def derive(self, **changes: Any) -> Event:
        """This event with the given fields changed: the many answers of one request differ only
        in subject, counterparty, category, outcome and decision. Only the changed fields are
        checked again; the others were checked when this event was made. Time, actor, reason and
        free-form fields cannot be changed this way."""
        unknown = changes.keys() - _DERIVABLE
        if unknown:
            raise TypeError(f"derive() cannot change {sorted(unknown)}")
        new = object.__new__(Event)
        for name in _FIELDS:
            object.__setattr__(new, name, changes[name] if name in changes else getattr(self, name))
        new._check(changes)
        return new

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "v": EVENT_VERSION if self.text is None else TEXT_EVENT_VERSION,
            "time": self.time.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"),
            "traceId": self.trace_id,
            "action": str(self.action),
            "actor": {"party": self.actor.party, "user": self.actor.user, "role": self.actor.role},
            "outcome": str(self.outcome),
            "case": self.case,
            "dataSubjectId": self.subject,
            "counterparty": self.counterparty,
            "category": self.category,
            "purpose": self.purpose,
            "phase": self.phase,
            "processingActivity": {
                "covenant": self.covenant,
                "policyDigest": self.policy_digest,
                "articles": list(self.articles),
                "legalGrounds": list(self.legal_grounds),
            },
            "reason": self.reason,
            "reasonCode": self.reason_code,
            "item": self.item,
            "channel": self.channel,
            "details": dict(self.details),
        }
        # Only an event about a sealed text is version 2: every other event keeps the v1 bytes, so
        # readers of earlier releases still read it and its leaf hash is what v1 gives.
        if self.text is not None:
            data["text"] = {"id": self.text.id, "digest": self.text.digest}
        return data

    def canonical(self) -> bytes:
        """RFC 8785 bytes. Event values are text, integers within ±2^53, booleans, null, lists and
        objects with ASCII keys; for those, orjson's sorted compact UTF-8 output is byte-identical
        to RFC 8785 and about 8 times faster than the standard library's encoder. A property test
        (tests/unit/audit/test_events.py) checks the equality against the rfc8785 package."""
        try:
            return orjson.dumps(self.to_data(), option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:  # e.g. a lone surrogate in a reason: not valid Unicode
            raise InvalidInputError("an event field is not valid Unicode text") from None


_IDENTIFIERS = frozenset(
    ("trace_id", "case", "counterparty", "category", "purpose", "phase", "item", "reason_code")
)
_CHECKED = (*sorted(_IDENTIFIERS), "subject", "details")
_FIELDS = tuple(Event.__dataclass_fields__)
#: What :meth:`Event.derive` may change; each is an identifier, the subject, or a decision's output.
_DERIVABLE = frozenset(
    ("subject", "counterparty", "category", "outcome", "policy_digest", "articles", "legal_grounds")
)


def event_from_bytes(data: bytes) -> Event:
    """Parse a stored event of version 1 or 2. Raises :class:`InvalidInputError` otherwise: an
    unknown version, a v1 event with a ``text``, or a v2 event without one."""
    try:
        d = json.loads(data)
        if d["v"] not in VERSIONS or isinstance(d["v"], bool):
            raise InvalidInputError(f"event version {d['v']} is not supported")
        text = None
        if d["v"] == TEXT_EVENT_VERSION:
            t = d["text"]
            if not isinstance(t, dict) or set(t) != {"id", "digest"}:
                raise InvalidInputError("a version 2 event's 'text' must have exactly 'id' and 'digest'")
            text = TextRef(t["id"], t["digest"])
        elif "text" in d:
            raise InvalidInputError("a version 1 event has no 'text'")
        pa = d["processingActivity"]
        return Event(
            time=datetime.fromisoformat(d["time"].replace("Z", "+00:00")),
            trace_id=d["traceId"],
            action=Action(d["action"]),
            actor=Actor(d["actor"]["party"], d["actor"]["user"], d["actor"]["role"]),
            outcome=Outcome(d["outcome"]),
            case=d["case"],
            subject=d["dataSubjectId"],
            counterparty=d["counterparty"],
            category=d["category"],
            purpose=d["purpose"],
            phase=d["phase"],
            covenant=pa["covenant"],
            policy_digest=pa["policyDigest"],
            articles=tuple(pa["articles"]),
            legal_grounds=tuple(pa["legalGrounds"]),
            reason=d["reason"],
            reason_code=d["reasonCode"],
            item=d["item"],
            channel=d["channel"],
            details=d["details"],
            text=text,
        )
    except (KeyError, TypeError, ValueError) as exc:  # InvalidInputError from validation passes through
        raise InvalidInputError(f"not a valid log event: {exc!r}") from None
