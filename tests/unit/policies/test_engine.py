"""Decisions name their article and ground, or say why they were denied; deny by default."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from exchange.errors import InvalidInputError
from exchange.policies.compiler import CompiledPolicy, compile_covenant, load_compiled
from exchange.policies.decision import DecisionRequest, Grant
from exchange.policies.engine import DecisionEngine
from exchange.policies.files import LoadedVersion
from exchange.vocabulary import Form

MOMENT = datetime(2022, 3, 1, 10, 0, tzinfo=UTC)


def req(**kw: str | datetime) -> DecisionRequest:
    base: dict[str, str | datetime] = {
        "requester": "someren",
        "role": "employee",
        "provider": "senzer",
        "category": "bijstand-status",
        "purpose": "uitkeringsfraude",
        "phase": "action",
        "covenant": "pit",
        "moment": MOMENT,
    }
    base.update(kw)
    return DecisionRequest(**base)  # type: ignore[arg-type]


def test_allowed_names_article_ground_version_and_digest(engine: DecisionEngine) -> None:
    """An allowed decision carries form, article, legal ground, covenant version and policy digest."""
    d = engine.decide(req())
    assert d.allowed and d.form is Form.CONTENT
    assert d.articles == ("7",)
    assert d.legal_grounds == ("Participatiewet art. 64",)
    assert str(d.covenant) == "pit/2021"
    assert d.policy_digest is not None and d.policy_digest.startswith("sha256:")
    assert "art. 7" in d.reason


def test_hit_only_form(engine: DecisionEngine) -> None:
    """A hit-only flow allows a request with form 'hit'."""
    d = engine.decide(
        req(requester="helmond", role="coordinator", purpose="onrechtmatige-bewoning", phase="selection")
    )
    assert d.allowed and d.form is Form.HIT


def test_purpose_limitation_denial_reason(engine: DecisionEngine) -> None:
    """The same data for another purpose is denied, and the reason names the purpose."""
    d = engine.decide(
        DecisionRequest(
            "bladel",
            "employee",
            "uwv",
            "uitkering-status",
            "brandveiligheid",
            "preparation",
            "kit",
            datetime(2023, 2, 1, tzinfo=UTC),
        )
    )
    assert not d.allowed and d.form is None and d.grants == ()
    assert d.reason.startswith(
        "KIT 2020 has no flow of 'uitkering-status' from UWV to Gemeente Bladel for purpose 'brandveiligheid'"
    )


def test_phase_denial_reason(engine: DecisionEngine) -> None:
    """Outside the flow's phases the reason lists the phases it allows."""
    d = engine.decide(
        req(
            requester="riec-ob",
            provider="helmond",
            category="ondermijning-signaal",
            purpose="ondermijning",
            phase="preparation",
        )
    )
    assert not d.allowed
    assert d.reason.endswith("the covenant allows it only in: action, follow-up")


def test_role_denial_reason(engine: DecisionEngine) -> None:
    """A flow restricted to the coordinator denies an employee, saying so."""
    d = engine.decide(
        req(requester="helmond", role="employee", purpose="onrechtmatige-bewoning", phase="selection")
    )
    assert not d.allowed and "only the role(s) coordinator" in d.reason and "'employee'" in d.reason


def test_missing_attribute_denial_reason(engine: DecisionEngine) -> None:
    """A party without the required attribute is denied with that reason."""
    d = engine.decide(req(requester="laarbeek"))
    assert not d.allowed
    assert "requires Gemeente Laarbeek to have 'infosec-2021', which it lacks" in d.reason


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"requester": "amsterdam"}, "'amsterdam' is not a party to PIT 2021"),
        ({"provider": "ggz"}, "'ggz' is not a party to PIT 2021"),
        ({"role": "burgemeester"}, "'burgemeester' is not a role in PIT 2021"),
        ({"category": "zorgdossier"}, "'zorgdossier' is not a data category of PIT 2021"),
        ({"purpose": "profilering"}, "'profilering' is not a purpose of PIT 2021"),
        (
            {"phase": "triage"},
            "'triage' is not a case phase of PIT 2021 (phases: signal, selection, preparation, "
            "action, follow-up, feedback, closed)",
        ),
        ({"covenant": "xyz"}, "unknown covenant 'xyz'"),
        ({"covenant": "pit/2030"}, "covenant 'pit' has no version '2030'"),
        ({"moment": datetime(2031, 1, 1, tzinfo=UTC)}, "no version of PIT is in force on 2031-01-01"),
        ({"covenant": "pit/2016"}, "PIT 2016 is no longer in force on 2022-03-01 (it ended on 2021-07-01)"),
        (
            {"covenant": "pit/2021", "moment": datetime(2020, 1, 1, tzinfo=UTC)},
            "PIT 2021 is not yet in force on 2020-01-01 (it takes effect on 2021-07-01)",
        ),
    ],
)
def test_deny_by_default(engine: DecisionEngine, change: dict[str, object], reason: str) -> None:
    """Anything unknown, or a covenant not in force, is denied with a reason a person understands."""
    d = engine.decide(dataclasses.replace(req(), **change))  # type: ignore[arg-type]
    assert not d.allowed and d.grants == ()
    assert d.reason == reason


def test_version_chosen_by_moment_in_amsterdam_time(engine: DecisionEngine) -> None:
    """At 23:30 UTC on 30 June 2021 it is already 1 July in Amsterdam: PIT 2021 applies."""
    d = engine.decide(req(moment=datetime(2021, 6, 30, 23, 30, tzinfo=UTC)))
    assert str(d.covenant) == "pit/2021"
    d_old = engine.decide(
        req(
            requester="laarbeek",
            provider="politie-oost-brabant",
            category="politie-incidenten",
            purpose="onrechtmatige-bewoning",
            phase="selection",
            moment=datetime(2021, 6, 30, 21, 30, tzinfo=UTC),
        )
    )
    assert str(d_old.covenant) == "pit/2016" and d_old.allowed and d_old.articles == ("4",)


def test_exception_in_decision_path_denies(engine: DecisionEngine, caplog: pytest.LogCaptureFixture) -> None:
    """An exception inside the decision path yields a deny with a reason, never an allow or a crash."""

    def broken(policy: CompiledPolicy, r: DecisionRequest) -> tuple[Grant, ...]:
        raise RuntimeError("matcher exploded")

    d = engine.decide(req(), matcher=broken)
    assert not d.allowed
    assert d.reason == "internal error while deciding; denied by default"
    assert "decision failed" in caplog.text
    assert "someren" not in caplog.text  # request values stay out of application logs


def test_history_re_evaluates_under_past_policy(shipped: list[LoadedVersion]) -> None:
    """A decision can be re-evaluated under the policy it was made with after a revision."""
    pit21 = next(v.covenant for v in shipped if str(v.covenant.ref) == "pit/2021")
    original = compile_covenant(pit21)
    revised_cov = dataclasses.replace(
        pit21, flows=tuple(f for f in pit21.flows if f.id != "bijstand-naar-gemeenten")
    )
    revised = compile_covenant(revised_cov)
    assert original.digest != revised.digest
    engine = DecisionEngine([original])
    before = engine.decide(req())
    engine.install(revised)
    after = engine.decide(req())
    assert before.allowed and not after.allowed
    replay = engine.decide_under(before.policy_digest, req())  # type: ignore[arg-type]
    assert replay.allowed and replay.policy_digest == original.digest
    assert engine.history(original.digest) is original
    unknown = engine.decide_under("sha256:00", req())  # type: ignore[arg-type]
    assert not unknown.allowed and "no compiled policy with digest" in unknown.reason


def test_compiled_policy_round_trips(shipped: list[LoadedVersion]) -> None:
    """A compiled policy reloaded from its three files has the same digest and decides alike."""
    for v in shipped:
        c = compile_covenant(v.covenant)
        again = load_compiled(c.model_text, c.policy_text, c.covenant_json)
        assert again.digest == c.digest
        assert again.covenant == c.covenant


def test_digest_covers_article_text(shipped: list[LoadedVersion]) -> None:
    """Changing only an article's wording changes the digest."""
    cov = shipped[0].covenant
    number = next(iter(cov.articles))
    changed = dataclasses.replace(
        cov, articles={**cov.articles, number: dataclasses.replace(cov.articles[number], text="Other words.")}
    )
    assert compile_covenant(changed).digest != compile_covenant(cov).digest


def test_request_from_json_errors() -> None:
    """Malformed decision requests are refused with what is wrong."""
    good = req().to_data()
    assert DecisionRequest.from_data(good) == req()
    with pytest.raises(InvalidInputError, match="must be a JSON object"):
        DecisionRequest.from_data([1])
    with pytest.raises(InvalidInputError, match="lacks: purpose"):
        DecisionRequest.from_data({k: v for k, v in good.items() if k != "purpose"})
    with pytest.raises(InvalidInputError, match="unknown fields: extra"):
        DecisionRequest.from_data({**good, "extra": "x"})
    with pytest.raises(InvalidInputError, match="'role' must be a non-empty text"):
        DecisionRequest.from_data({**good, "role": ""})
    with pytest.raises(InvalidInputError, match="needs a time zone"):
        DecisionRequest.from_data({**good, "moment": "2022-03-01T10:00:00"})
    with pytest.raises(InvalidInputError, match="not an ISO 8601"):
        DecisionRequest.from_data({**good, "moment": "gisteren"})
    with pytest.raises(InvalidInputError, match="must be an ISO 8601 text"):
        DecisionRequest.from_data({**good, "moment": 5})


def test_failed_install_keeps_previous_policy(engine: DecisionEngine, shipped: list[LoadedVersion]) -> None:
    """A policy that fails to build leaves the previous version in force."""
    local = DecisionEngine([compile_covenant(v.covenant) for v in shipped])
    good = compile_covenant(shipped[0].covenant)
    broken = dataclasses.replace(good, policy_text="p, too, few, fields\n")
    with pytest.raises(Exception, match="not a valid rule"):
        local.install(broken)
    assert local.decide(req()).allowed


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({}, "allowed"),
        ({"requester": "amsterdam"}, "unknown-party"),
        ({"role": "burgemeester"}, "unknown-role"),
        ({"category": "zorgdossier"}, "unknown-category"),
        ({"purpose": "profilering"}, "unknown-purpose"),
        ({"phase": "triage"}, "unknown-phase"),
        ({"covenant": "xyz"}, "unknown-covenant"),
        ({"moment": datetime(2031, 1, 1, tzinfo=UTC)}, "not-in-force"),
        ({"covenant": "pit/2016"}, "not-in-force"),
        ({"provider": "enexis"}, "no-flow"),
        ({"requester": "laarbeek"}, "attribute-missing"),
        ({"phase": "signal"}, "phase-not-covered"),
        (
            {"requester": "helmond", "purpose": "onrechtmatige-bewoning", "phase": "selection"},
            "role-not-allowed",
        ),
    ],
)
def test_denials_carry_a_reason_code(engine: DecisionEngine, change: dict[str, object], code: str) -> None:
    """Each kind of denial has a machine-readable code for the log and the anomaly report."""
    d = engine.decide(dataclasses.replace(req(), **change))  # type: ignore[arg-type]
    assert d.code == code, d.reason
    assert d.to_data()["code"] == code


def test_purpose_not_covered_code(engine: DecisionEngine) -> None:
    """Data that flows for another purpose is denied as purpose-not-covered (purpose limitation)."""
    d = engine.decide(
        DecisionRequest(
            "bladel",
            "employee",
            "uwv",
            "uitkering-status",
            "brandveiligheid",
            "preparation",
            "kit",
            datetime(2023, 2, 1, tzinfo=UTC),
        )
    )
    assert d.code == "purpose-not-covered"
