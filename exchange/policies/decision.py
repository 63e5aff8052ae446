"""Decision requests and decisions: the values that cross from the engine into envelopes and the log."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from exchange.errors import InvalidInputError
from exchange.vocabulary import CovenantRef, Form, PolicyDigest

_REQUEST_FIELDS = ("requester", "role", "provider", "category", "purpose", "phase", "covenant")


@dataclass(frozen=True, slots=True)
class DecisionRequest:
    """Who asks (party and the user's role), whom, for which category, purpose and phase, when.

    ``covenant`` is a covenant id ("pit") or id/version ("pit/2021"); without a version the
    version in force at ``moment`` is used.
    """

    requester: str
    role: str
    provider: str
    category: str
    purpose: str
    phase: str
    covenant: str
    moment: datetime

    @classmethod
    def from_data(cls, data: Any) -> DecisionRequest:
        """Build a request from parsed JSON; raises :class:`InvalidInputError` naming the problem."""
        if not isinstance(data, dict):
            raise InvalidInputError("a decision request must be a JSON object")
        missing = [k for k in (*_REQUEST_FIELDS, "moment") if k not in data]
        if missing:
            raise InvalidInputError(f"decision request lacks: {', '.join(missing)}")
        unknown = sorted(set(data) - {*_REQUEST_FIELDS, "moment"})
        if unknown:
            raise InvalidInputError(f"decision request has unknown fields: {', '.join(unknown)}")
        for key in _REQUEST_FIELDS:
            if not isinstance(data[key], str) or not data[key]:
                raise InvalidInputError(f"'{key}' must be a non-empty text")
        moment = parse_moment(data["moment"])
        return cls(**{k: data[k] for k in _REQUEST_FIELDS}, moment=moment)

    def to_data(self) -> dict[str, str]:
        out = {k: getattr(self, k) for k in _REQUEST_FIELDS}
        out["moment"] = format_moment(self.moment)
        return out


def parse_moment(value: Any) -> datetime:
    """An ISO 8601 moment with a time zone, e.g. 2022-03-01T10:00:00Z."""
    if not isinstance(value, str):
        raise InvalidInputError("'moment' must be an ISO 8601 text with a time zone")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(f"'moment' is not an ISO 8601 date-time: {value!r}") from None
    if moment.tzinfo is None:
        raise InvalidInputError("'moment' needs a time zone (e.g. 'Z' or '+01:00')")
    return moment


def format_moment(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Grant:
    """One flow that allows a request: its id, covenant article and legal ground."""

    flow: str
    article: str
    ground: str
    form: Form

    def to_data(self) -> dict[str, str]:
        return {"flow": self.flow, "article": self.article, "ground": self.ground, "form": str(self.form)}


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer to a request. ``grants`` is empty exactly when the request is denied."""

    request: DecisionRequest
    allowed: bool
    form: Form | None
    reason: str
    covenant: CovenantRef | None = None
    policy_digest: PolicyDigest | None = None
    grants: tuple[Grant, ...] = field(default=())
    #: Machine-readable reason: "allowed", or why not (docs/specs/disclosure-log.md lists the codes).
    code: str = "allowed"

    @property
    def articles(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(g.article for g in self.grants))

    @property
    def legal_grounds(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(g.ground for g in self.grants))

    def to_data(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed,
            "form": str(self.form) if self.form else None,
            "reason": self.reason,
            "code": self.code,
            "covenant": str(self.covenant) if self.covenant else None,
            "policy_digest": self.policy_digest,
            "articles": list(self.articles),
            "legal_grounds": list(self.legal_grounds),
            "grants": [g.to_data() for g in self.grants],
            "request": self.request.to_data(),
        }
