"""The covenant as frozen values: what the files say, after reading and before compiling."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date

from exchange.vocabulary import (
    Article,
    Category,
    CovenantRef,
    Form,
    GroupId,
    LegalGround,
    PartyId,
    Phase,
    Purpose,
    Role,
    Sensitivity,
)


class PartyRole(enum.StrEnum):
    """How a party takes part: it signed the covenant, or it joins case by case."""

    SIGNATORY = "signatory"
    CASE_BY_CASE = "case-by-case"


@dataclass(frozen=True, slots=True)
class Party:
    id: PartyId
    name: str
    kind: str
    role: PartyRole
    attributes: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Group:
    id: GroupId
    name: str
    members: tuple[PartyId, ...]


@dataclass(frozen=True, slots=True)
class ArticleText:
    number: Article
    title: str
    text: str


@dataclass(frozen=True, slots=True)
class PurposeDef:
    id: Purpose
    name: str
    grounds: tuple[LegalGround, ...]
    description: str = ""


@dataclass(frozen=True, slots=True)
class CategoryDef:
    id: Category
    name: str
    sensitivity: Sensitivity
    retention_days: int
    description: str = ""
    #: An access request shows it as withheld ("ask the provider"), not its details.
    confidential: bool = False


@dataclass(frozen=True, slots=True)
class ViolationDef:
    """A code a party may register as a finding after an action (counts only, no people)."""

    id: str
    name: str
    article: Article | None = None


@dataclass(frozen=True, slots=True)
class Flow:
    """Data of ``categories`` may go from ``providers`` to ``recipients`` for one purpose.

    Providers and recipients are party or group ids as the jurist wrote them; the compiler expands
    nothing, Casbin's role definitions do.
    """

    id: str
    providers: tuple[str, ...]
    recipients: tuple[str, ...]
    categories: tuple[Category, ...]
    purpose: Purpose
    phases: tuple[Phase, ...]
    form: Form
    ground: LegalGround
    article: Article
    exception: LegalGround | None = None
    roles: tuple[Role, ...] = ()
    requires_recipient: frozenset[str] = frozenset()
    requires_provider: frozenset[str] = frozenset()
    note: str = ""
    # Where the flow was written; not part of what the flow means.
    line: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Covenant:
    ref: CovenantRef
    title: str
    effective_from: date
    effective_until: date | None
    query_limit: int
    roles: tuple[Role, ...]
    phases: tuple[Phase, ...]
    parties: dict[PartyId, Party] = field(hash=False)
    groups: dict[GroupId, Group] = field(hash=False)
    articles: dict[Article, ArticleText] = field(hash=False)
    purposes: dict[Purpose, PurposeDef] = field(hash=False)
    categories: dict[Category, CategoryDef] = field(hash=False)
    flows: tuple[Flow, ...] = ()
    source: str = field(default="", compare=False)
    #: Which parties may hold each role, as written (party or group ids); a role absent here may be
    #: held by every party. The hub refuses a request in any other role (see :meth:`may_hold`).
    role_holders: dict[Role, tuple[str, ...]] = field(default_factory=dict, hash=False)
    #: The signatory that makes the covenant's pseudonym keys and seals them to each party.
    custodian: PartyId | None = None
    #: The violation codes findings may be registered under, by id.
    violations: dict[str, ViolationDef] = field(default_factory=dict, hash=False)
    #: The programme the covenant belongs to (``lsi``): the stuurgroep's report can add up all of
    #: a programme's covenants. None for a covenant of its own.
    programme: str | None = None

    @property
    def label(self) -> str:
        """How people name this version: 'PIT 2021'."""
        return f"{self.ref.id.upper()} {self.ref.version}"

    def members(self, party_or_group: str) -> tuple[PartyId, ...]:
        """The parties a flow end names: the group's members, or the party itself."""
        group = self.groups.get(GroupId(party_or_group))
        if group is not None:
            return group.members
        return (PartyId(party_or_group),)

    def holders(self, role: str) -> tuple[PartyId, ...]:
        """The parties that may act in ``role`` under this version (none for an unknown role)."""
        if Role(role) not in self.roles:
            return ()
        written = self.role_holders.get(Role(role))
        if written is None:
            return tuple(self.parties)
        return tuple(dict.fromkeys(p for end in written for p in self.members(end)))

    def may_hold(self, party: str, role: str) -> bool:
        """Whether ``party`` may act in ``role`` under this version."""
        return PartyId(party) in self.holders(role)

    def reads_free_text(self, party: str) -> bool:
        """Whether ``party`` may read the free text of a case it takes part in (selection and
        closing reasons, review notes, action-point reasons): it is named as a recipient, itself or
        through a group, in at least one flow of this version. A party that receives nothing under
        the covenant (an observer) reads no free text either. The one place this rule is written;
        see docs/specs/sealed-texts.md."""
        return any(PartyId(party) in self.members(end) for flow in self.flows for end in flow.recipients)

    def in_force_on(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_until is None or day < self.effective_until)


@dataclass(frozen=True, slots=True)
class Scenario:
    """A jurist's expectation: given this request, the covenant allows (with form, article) or denies."""

    name: str
    requester: str
    role: str
    provider: str
    category: str
    purpose: str
    phase: str
    expect_allow: bool
    form: Form | None
    article: str | None
    moment: str | None
    line: int
    file: str


def role_not_held(c: Covenant, party: str, role: str) -> str:
    """Why ``party`` may not act in ``role`` under ``c``, naming who may."""
    written = c.role_holders.get(Role(role), ())
    names = [c.groups[GroupId(n)].name if GroupId(n) in c.groups else n for n in written]
    return f"in {c.label} the role '{role}' is held only by {', '.join(names)}, not by '{party}'"
