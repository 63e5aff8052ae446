"""A revision approved over the API takes over from the version in force on its effective_from: the
engine ends the older version there, even before its own effective_until, and a case opened under
the older version continues under the revision; before that day nothing changes."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

from exchange.policies.compiler import compile_covenant
from exchange.policies.decision import DecisionRequest
from exchange.policies.engine import DecisionEngine
from exchange.policies.files import LoadedVersion

BEFORE = datetime(2023, 5, 31, 12, tzinfo=UTC)
AFTER = datetime(2023, 6, 1, 12, tzinfo=UTC)


def req(moment: datetime, covenant: str = "pit") -> DecisionRequest:
    return DecisionRequest(
        "someren", "employee", "senzer", "bijstand-status", "uitkeringsfraude", "action", covenant, moment
    )


def _engine(shipped: list[LoadedVersion]) -> DecisionEngine:
    pit = next(v.covenant for v in shipped if str(v.covenant.ref) == "pit/2021")
    revised = dataclasses.replace(
        pit,
        ref=dataclasses.replace(pit.ref, version="2023"),
        effective_from=date(2023, 6, 1),
        flows=tuple(f for f in pit.flows if f.id != "bijstand-naar-gemeenten"),
    )
    return DecisionEngine([*(compile_covenant(v.covenant) for v in shipped), compile_covenant(revised)])


def test_the_revision_takes_over_on_its_effective_from(shipped: list[LoadedVersion]) -> None:
    engine = _engine(shipped)
    before, after = engine.decide(req(BEFORE)), engine.decide(req(AFTER))
    assert before.allowed and str(before.covenant) == "pit/2021"
    assert not after.allowed and str(after.covenant) == "pit/2023"
    assert [str(c.ref) for c in engine.in_force(AFTER) if c.ref.id == "pit"] == ["pit/2023"]
    assert [str(c.ref) for c in engine.in_force(BEFORE) if c.ref.id == "pit"] == ["pit/2021"]


def test_a_case_under_the_replaced_version_continues_under_the_revision(
    shipped: list[LoadedVersion],
) -> None:
    """A case stores the version it was opened under; after the revision takes over, naming that
    version decides under the revision (and says so), while a version that ended on its own date
    stays ended."""
    engine = _engine(shipped)
    followed = engine.decide(req(AFTER, "pit/2021"))
    assert str(followed.covenant) == "pit/2023" and not followed.allowed
    assert engine.covenant("pit/2021", AFTER) is not None
    assert engine.covenant("pit/2021", AFTER).ref.version == "2023"  # type: ignore[union-attr]
    ended = engine.decide(req(AFTER, "pit/2016"))
    assert not ended.allowed and "PIT 2016 is no longer in force" in ended.reason


def test_before_the_day_the_replaced_version_still_decides(shipped: list[LoadedVersion]) -> None:
    """An approved revision changes nothing before its effective_from, also for a case that names
    the older version; a past decision re-evaluated under the older digest still ignores dates."""
    engine = _engine(shipped)
    assert str(engine.decide(req(BEFORE, "pit/2021")).covenant) == "pit/2021"
    assert engine.decide(req(BEFORE, "pit/2021")).allowed
    pit2021 = next(p for p in engine.policies if str(p.covenant.ref) == "pit/2021")
    assert engine.decide_under(pit2021.digest, req(AFTER)).allowed
