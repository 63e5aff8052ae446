"""Covenant revisions over the signed API: the key custodian's jurist proposes, every signatory
approves, and only then does the version take effect (live, without a restart); a withdrawn proposal
cannot be approved, a case-by-case partner is informed but not asked, and every step is logged."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from exchange.api.app import create_app
from exchange.config import Settings
from exchange.crypto.keys import PartyKeys
from exchange.policies.decision import DecisionRequest
from exchange.policies.engine import LEGAL_TIMEZONE
from exchange.storage.parties import register_party
from tests.conftest import convenant_today
from tests.integration.api_support import DECISION, NOW, Api, assert_problem
from tests.integration.conftest import ORIGIN
from tests.integration.revision_support import DROPPED_FLOW, SIGNATORIES, digest_of, revision

TODAY = NOW.astimezone(LEGAL_TIMEZONE).date()
BASE = "/v1/covenant-versions"


def signatories(api: Api) -> None:
    """Register the PIT signatories the test parties lack."""
    with api.db.sessions.begin() as s:
        for p in SIGNATORIES:
            if p not in api.keys:
                api.keys[p] = PartyKeys.create(p, NOW)
                register_party(s, p, p.title(), [v.to_data(p) for v in api.keys[p].public()], NOW)


def propose(api: Api, files: dict[str, str], party: str = "helmond", role: str = "jurist") -> Any:
    return api.client(party, "jurist-1", role).post(BASE, {"files": files, "digest": digest_of(files)})


def approve(api: Api, digest: str, party: str, role: str = "privacy-officer") -> Any:
    return api.client(party, f"po-{party}", role).post(f"{BASE}/{digest}/approval", {})


def senzer_benefits(api: Api) -> dict[str, Any]:
    assert DECISION is not None
    r = api.client("someren").post("/v1/decisions", DECISION)
    assert r.status_code == 200, r.text
    return dict(r.json())


def policy_steps(api: Api) -> list[tuple[str, str]]:
    with api.db.sessions.begin() as s:
        events = [json.loads(api.db.log.entry(s, i).event) for i in range(api.db.log.size(s))]
    return [(e["details"]["step"], e["actor"]["party"]) for e in events if e["action"] == "policy-change"]


def test_a_revision_takes_effect_only_when_every_signatory_approved(api: Api) -> None:
    """Proposed today without Senzer's benefit flow: the answer stays 'allowed' through eight of
    nine approvals and becomes 'denied' under the new version with the ninth, in this worker and in a
    worker started afterwards. Every step is a policy-change event naming the version's digest."""
    signatories(api)
    files = revision("2026-r1", TODAY, DROPPED_FLOW)
    made = propose(api, files)
    assert made.status_code == 201, made.text
    v = made.json()
    assert v["state"] == "proposed" and v["yours"] == "approved"
    assert v["waiting_for"] == [p for p in SIGNATORIES if p != "helmond"]
    assert v["previous"]["version"] == "pit/2021" and v["scenarios"]["total"] >= 1
    digest = v["digest"]
    assert senzer_benefits(api)["allowed"]
    others = [p for p in SIGNATORIES if p != "helmond"]
    for party in others[:-1]:
        assert approve(api, digest, party).status_code == 200
        assert senzer_benefits(api)["allowed"]  # all but one: it never takes effect
    assert api.client("senzer", "u", "jurist").get(f"{BASE}/{digest}").json()["waiting_for"] == [others[-1]]
    last = approve(api, digest, others[-1], "jurist")
    assert last.status_code == 200 and last.json()["state"] == "approved"
    after = senzer_benefits(api)
    assert not after["allowed"] and after["covenant"] == "pit/2026-r1" and after["policy_digest"] == digest
    steps = policy_steps(api)
    assert steps[0] == ("proposed", "helmond") and steps[-1] == ("approved", others[-1])
    assert sum(step == "approval" for step, _ in steps) == len(SIGNATORIES)
    # A worker started now installs the approved version from the database.
    settings = Settings(
        mode="dev", database_url=api.db.url, convenant_dir=convenant_today(), log_origin=ORIGIN
    )
    with TestClient(create_app(settings, api.db.engine)) as fresh:
        moment = NOW + timedelta(seconds=1)
        d = fresh.app.state.service.decisions.decide(  # type: ignore[attr-defined]
            DecisionRequest(
                "someren",
                "employee",
                "senzer",
                "bijstand-status",
                "uitkeringsfraude",
                "action",
                "pit",
                moment,
            )
        )
        assert not d.allowed and str(d.covenant) == "pit/2026-r1"


def test_an_approved_version_changes_nothing_before_its_effective_from(api: Api) -> None:
    signatories(api)
    files = revision("2026-r2", TODAY + timedelta(days=2), DROPPED_FLOW)
    digest = propose(api, files).json()["digest"]
    for party in SIGNATORIES:
        if party != "helmond":
            approve(api, digest, party)
    assert api.client("someren", "u", "jurist").get(f"{BASE}/{digest}").json()["state"] == "approved"
    assert senzer_benefits(api)["allowed"]
    engine = api.http.app.state.service.decisions  # type: ignore[attr-defined]
    later = DecisionRequest(
        "someren",
        "employee",
        "senzer",
        "bijstand-status",
        "uitkeringsfraude",
        "action",
        "pit",
        NOW + timedelta(days=3),
    )
    assert str(engine.decide(later).covenant) == "pit/2026-r2" and not engine.decide(later).allowed


def test_who_may_propose_approve_and_withdraw(api: Api) -> None:
    """Only the custodian's jurist proposes and withdraws; a case-by-case partner sees the proposal
    (informed) but cannot approve; an employee cannot approve; a withdrawn proposal cannot be
    approved; a later proposal supersedes an open one."""
    signatories(api)
    files = revision("2026-r3", TODAY, DROPPED_FLOW)
    r = propose(api, files, "senzer")
    assert_problem(r, 403, "proposed by a jurist of its key custodian (Gemeente Helmond)")
    assert_problem(
        propose(api, files, "helmond", "privacy-officer"), 403, "not by 'helmond' as 'privacy-officer'"
    )
    digest = propose(api, files).json()["digest"]
    seen = api.client("enexis", "u", "jurist").get(f"{BASE}/{digest}")
    assert seen.status_code == 200 and seen.json()["yours"] == "informed"
    assert seen.json()["files"]["covenant.yaml"] == files["covenant.yaml"]
    assert_problem(
        approve(api, digest, "enexis", "jurist"), 403, "case-by-case partners are informed, not asked"
    )
    assert_problem(approve(api, digest, "senzer", "employee"), 403, "privacy-officer or jurist")
    assert approve(api, digest, "senzer").status_code == 200
    assert_problem(approve(api, digest, "senzer"), 409, "approved")
    assert_problem(
        api.client("senzer", "u", "jurist").post(f"{BASE}/{digest}/withdrawal", {}), 403, "key custodian"
    )
    gone = api.client("helmond", "jurist-1", "jurist").post(f"{BASE}/{digest}/withdrawal", {})
    assert gone.status_code == 200 and gone.json()["state"] == "withdrawn"
    assert_problem(approve(api, digest, "someren"), 409, "withdrawn; it cannot be approved")
    first = propose(api, revision("2026-r4", TODAY, DROPPED_FLOW)).json()["digest"]
    second = propose(api, revision("2026-r5", TODAY, DROPPED_FLOW)).json()["digest"]
    listed = api.client("someren", "u", "jurist").get(BASE).json()["versions"]
    states = {v["digest"]: v["state"] for v in listed}
    assert states[first] == "superseded" and states[second] == "proposed" and states[digest] == "withdrawn"
    assert [
        v["digest"]
        for v in api.client("someren", "u", "jurist").get(f"{BASE}?state=proposed").json()["versions"]
    ] == [second]
    assert ("superseded", "helmond") in policy_steps(api) and ("withdrawn", "helmond") in policy_steps(api)
    assert senzer_benefits(api)["allowed"]  # nothing took effect


@pytest.mark.parametrize(
    ("change", "status", "detail"),
    [
        (lambda f: {**f, "flows.yaml": f["flows.yaml"] + "\n  - id: [broken\n"}, 400, "flows.yaml"),
        (lambda f: {**f, "notes.txt": "x"}, 400, "'notes.txt' is not a covenant file"),
        (lambda f: {k: v for k, v in f.items() if k != "covenant.yaml"}, 400, "no covenant.yaml"),
    ],
)
def test_a_broken_bundle_is_refused_naming_the_file(api: Api, change: Any, status: int, detail: str) -> None:
    files = change(revision("2026-r6", TODAY, DROPPED_FLOW))
    digest = "sha256:" + "0" * 64
    r = api.client("helmond", "j", "jurist").post(BASE, {"files": files, "digest": digest})
    assert_problem(r, status, detail)


def test_dates_labels_and_digests_are_checked(api: Api) -> None:
    files = revision("2026-r7", TODAY, DROPPED_FLOW)
    wrong = api.client("helmond", "j", "jurist").post(BASE, {"files": files, "digest": "sha256:" + "1" * 64})
    assert_problem(wrong, 400, "the files compile to sha256:")
    assert_problem(propose(api, revision("2026-r8", TODAY - timedelta(days=1))), 400, "which has passed")
    assert_problem(propose(api, revision("2021", TODAY)), 409, "PIT 2021 exists already")
    assert_problem(
        api.client("someren", "u", "jurist").get(f"{BASE}/sha256:{'2' * 64}"), 404, "no covenant version"
    )
    assert_problem(api.client("someren", "u", "jurist").get(f"{BASE}/not-a-digest"), 400, "64 hex digits")
    assert_problem(
        api.client("someren", "u", "jurist").get(f"{BASE}?state=pending"), 400, "state must be one of"
    )
    assert not policy_steps(api)  # refused proposals leave no policy-change event
