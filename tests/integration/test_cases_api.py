"""The case workflow and hit/no-hit over HTTP: coordinators open and move cases, parties keep their
own index, and a query answers exactly the pairs the covenant allows in the case's phase."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from exchange.api.schemas import HitOut
from exchange.crypto.pseudonym import PseudonymKey, pseudonymise
from exchange.crypto.subjects import normalise_address
from exchange.storage import audit_queries
from tests.integration.api_support import Api, assert_problem

KEY = PseudonymKey("pit", 1, b"\x33" * 32)
A = str(pseudonymise(normalise_address("5701 AB 12a"), KEY))
B = str(pseudonymise(normalise_address("5701 AB 14"), KEY))


def open_case(api: Api, subjects: list[str] | None = None) -> str:
    r = api.client("helmond", "coord-1", "coordinator").post(
        "/v1/cases", {"covenant": "pit", "purpose": "onrechtmatige-bewoning", "subjects": subjects or [A, B]}
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_opening_cases(api: Api) -> None:
    """Only a coordinator of a covenant party opens a case, for a covenant purpose, within the subject limit."""
    case_id = open_case(api)
    coord = api.client("helmond", "coord-1", "coordinator")
    got = coord.get(f"/v1/cases/{case_id}").json()
    assert got["phase"] == "signal" and got["coordinator"] == "helmond" and got["subjects"] == sorted([A, B])
    assert got["covenant"] == "pit/2021"
    employee = api.client("helmond", "u-2", "employee")
    assert_problem(
        employee.post("/v1/cases", {"covenant": "pit", "purpose": "onrechtmatige-bewoning", "subjects": [A]}),
        403,
        "only a coordinator",
    )
    assert_problem(
        coord.post("/v1/cases", {"covenant": "pit", "purpose": "profilering", "subjects": [A]}),
        400,
        "not a purpose",
    )
    many = [str(pseudonymise(normalise_address(f"5701 AB {n}"), KEY)) for n in range(1, 14)]
    assert_problem(
        coord.post("/v1/cases", {"covenant": "pit", "purpose": "onrechtmatige-bewoning", "subjects": many}),
        403,
        "at most 12 subjects per case",
    )
    plain = coord.post(
        "/v1/cases", {"covenant": "pit", "purpose": "onrechtmatige-bewoning", "subjects": ["5701 AB 12a"]}
    )
    assert plain.status_code == 400  # a plaintext address is refused at the door


def test_other_parties_cannot_see_a_case(api: Api) -> None:
    """A case is invisible to parties not taking part: the same 404 as for an id that does not exist."""
    case_id = open_case(api)
    senzer = api.client("senzer")
    unknown = senzer.get("/v1/cases/case-ffffffffffffffff")
    hidden = senzer.get(f"/v1/cases/{case_id}")
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json()["title"] == unknown.json()["title"]
    assert_problem(senzer.post(f"/v1/cases/{case_id}/hits", {}), 404, "no case")
    api.client("helmond", "coord-1", "coordinator").post(f"/v1/cases/{case_id}/parties", {"party": "senzer"})
    assert senzer.get(f"/v1/cases/{case_id}").status_code == 200


def test_hit_no_hit_follows_the_covenant_and_the_phase(api: Api) -> None:
    """In 'signal' the coordinator learns hit/no-hit from Senzer's index, not yet from the police
    (their flow starts at 'selection'); Enexis, with no such flow, is never asked."""
    case_id = open_case(api)
    assert api.client("senzer").post("/v1/index/bijstand-status", {"add": [A]}).json() == {
        "added": 1,
        "removed": 0,
    }
    api.client("politie-oost-brabant").post("/v1/index/politie-incidenten", {"add": [A, B]})
    api.client("enexis").post("/v1/index/energie-afwijking", {"add": [A]})
    coord = api.client("helmond", "coord-1", "coordinator")

    def answers() -> dict[tuple[str, str, str], bool]:
        r = coord.post(f"/v1/cases/{case_id}/hits", {})
        assert r.status_code == 200, r.text
        for a in r.json():  # exactly the documented response model
            assert HitOut.model_validate(a).model_dump() == a
        return {(a["subject"], a["provider"], a["category"]): a["hit"] for a in r.json()}

    signal = answers()
    assert signal[(A, "senzer", "bijstand-status")] is True
    assert signal[(B, "senzer", "bijstand-status")] is False
    # Police incidents only from 'selection' on (flow hit-politie-selectie); general categories earlier.
    assert (A, "politie-oost-brabant", "politie-incidenten") not in signal
    assert (A, "politie-oost-brabant", "brp-inschrijving") in signal
    assert not any(p == "enexis" for _, p, _ in signal)
    coord.post(f"/v1/cases/{case_id}/transitions", {"to": "selection"})
    selection = answers()
    assert selection[(A, "politie-oost-brabant", "politie-incidenten")] is True
    assert selection[(B, "politie-oost-brabant", "politie-incidenten")] is True
    # An employee of the same municipality may not ask before selection (coordinator-only flow).
    assert api.client("helmond", "u-5", "employee").post(f"/v1/cases/{case_id}/hits", {}).json() == []
    # Every answer is logged; the access report for A lists them, with the article.
    with api.db.sessions.begin() as s:
        rows = audit_queries.access_report(s, A)
    hit_rows = [r for r in rows if r["action"] == "hit-query"]
    expected = sum(1 for subj, _, _ in signal if subj == A) + sum(1 for subj, _, _ in selection if subj == A)
    assert len(hit_rows) == expected
    assert {r["articles"] for r in hit_rows} == {"4"}


def test_removing_from_the_index(api: Api) -> None:
    """A subject removed from a party's index answers no-hit afterwards."""
    case_id = open_case(api, [A])
    senzer = api.client("senzer")
    senzer.post("/v1/index/bijstand-status", {"add": [A]})
    senzer.post("/v1/index/bijstand-status", {"remove": [A]})
    r = api.client("helmond", "coord-1", "coordinator").post(f"/v1/cases/{case_id}/hits", {}).json()
    assert [a["hit"] for a in r if a["provider"] == "senzer" and a["category"] == "bijstand-status"] == [
        False
    ]
    assert_problem(senzer.post("/v1/index/bijstand-status", {"add": ["not-a-pseudonym"]}), 400, "pseudonym")


def test_transitions(api: Api) -> None:
    """Phases move one step at a time by the coordinator; selection needs a reason; closing ends queries."""
    case_id = open_case(api)
    coord = api.client("helmond", "coord-1", "coordinator")
    assert_problem(
        coord.post(f"/v1/cases/{case_id}/transitions", {"to": "action"}), 409, "can move to 'selection'"
    )
    assert_problem(
        api.client("helmond", "u-2", "employee").post(
            f"/v1/cases/{case_id}/transitions", {"to": "selection"}
        ),
        403,
        "coordinator",
    )
    assert coord.post(f"/v1/cases/{case_id}/transitions", {"to": "selection"}).json()["phase"] == "selection"
    assert_problem(
        coord.post(f"/v1/cases/{case_id}/transitions", {"to": "preparation"}), 400, "needs a reason"
    )
    reason = api.sealed(
        case_id,
        "helmond",
        "Three independent signals of overcrowding.",
        "selection-reason",
        "coord-1",
        "coordinator",
    )
    selected = coord.post(f"/v1/cases/{case_id}/transitions", {"to": "preparation", "reason_sealed": reason})
    given = selected.json()["selection_reason"]
    assert (given["given"], given["by"], given["user"]) == (True, "helmond", "coord-1")
    assert_problem(coord.post(f"/v1/cases/{case_id}/transitions", {"to": "closed"}), 400, "needs a reason")
    closing = api.sealed(
        case_id, "helmond", "No grounds after enrichment.", "closing-reason", "coord-1", "coordinator"
    )
    closed = coord.post(f"/v1/cases/{case_id}/transitions", {"to": "closed", "reason_sealed": closing})
    assert closed.json()["closed"] is True
    assert closed.json()["closing_reason"]["by"] == "helmond"
    assert_problem(coord.post(f"/v1/cases/{case_id}/hits", {}), 409, "closed")
    assert_problem(coord.post(f"/v1/cases/{case_id}/parties", {"party": "vrbzo"}), 409, "closed")
    with api.db.sessions.begin() as s:
        events = [json.loads(api.db.log.entry(s, i).event) for i in range(api.db.log.size(s))]
    selection = [e for e in events if e["action"] == "selection"]
    assert len(selection) == 1 and selection[0]["reason"] is None
    assert selection[0]["v"] == 2 and selection[0]["text"]["id"] == given["text_id"]


def test_hit_lookup_uses_the_subject_index(api: Api) -> None:
    """The hit query searches the subject index instead of scanning every party's index (SQLite's plan)."""
    if api.db.engine.dialect.name != "sqlite":
        return  # this reads SQLite's plan; test_query_plans.py checks PostgreSQL's on filled tables
    from sqlalchemy import select

    from exchange.storage.models import HitIndexEntry

    stmt = select(HitIndexEntry.party, HitIndexEntry.category, HitIndexEntry.subject).where(
        HitIndexEntry.subject.in_([A, B]), HitIndexEntry.party.in_(["senzer", "politie-oost-brabant"])
    )
    with api.db.engine.connect() as conn:
        compiled = stmt.compile(conn, compile_kwargs={"literal_binds": True})
        plan = " | ".join(str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"))
    assert "USING COVERING INDEX ix_hit_subject" in plan
    assert "SCAN" not in plan


def test_jurist_reviews_the_selection(api: Api) -> None:
    """A jurist of a participating party reviews the selection decision; others may not; it is logged."""
    case_id = open_case(api)
    coord = api.client("helmond", "coord-1", "coordinator")
    jurist = api.client("helmond", "jur-1", "jurist")
    note = api.sealed(
        case_id, "helmond", "Three signals; inspection is proportionate.", "review-note", "jur-1", "jurist"
    )
    body = {"verdict": "approved", "note_sealed": note}
    assert_problem(jurist.post(f"/v1/cases/{case_id}/review", body), 409, "no selection decision")
    coord.post(f"/v1/cases/{case_id}/transitions", {"to": "selection"})
    reason = api.sealed(
        case_id, "helmond", "Three independent signals.", "selection-reason", "coord-1", "coordinator"
    )
    coord.post(f"/v1/cases/{case_id}/transitions", {"to": "preparation", "reason_sealed": reason})
    assert_problem(coord.post(f"/v1/cases/{case_id}/review", body), 403, "only a jurist")
    assert_problem(
        jurist.post(f"/v1/cases/{case_id}/review", {"verdict": "maybe", "note_sealed": note}), 400, "verdict"
    )
    reviewed = jurist.post(f"/v1/cases/{case_id}/review", body).json()
    [review] = reviewed["reviews"]
    assert (review["party"], review["reviewer"], review["verdict"]) == ("helmond", "jur-1", "approved")
    assert (review["note"]["given"], review["note"]["by"], review["note"]["user"]) == (
        True,
        "helmond",
        "jur-1",
    )
    assert_problem(
        api.client("senzer", "jur-2", "jurist").post(f"/v1/cases/{case_id}/review", body), 404, "no case"
    )


def test_installing_a_revised_policy_changes_hit_answers(api: Api) -> None:
    """Hit answers follow the covenant in force at once: a revision installed in the engine applies to
    the next query (the allowed pairs are cached per policy generation)."""
    import dataclasses

    from exchange.policies.compiler import compile_covenant

    case_id = open_case(api, [A])
    coord = api.client("helmond", "coord-1", "coordinator")
    before = coord.post(f"/v1/cases/{case_id}/hits", {}).json()
    assert any(a["provider"] == "senzer" for a in before)
    service = api.http.app.state.service  # type: ignore[attr-defined]
    pit = service.decisions.covenant("pit", datetime.now(UTC))
    revised = dataclasses.replace(pit, flows=tuple(f for f in pit.flows if f.id != "hit-gemeenten-selectie"))
    service.decisions.install(compile_covenant(revised))
    after = coord.post(f"/v1/cases/{case_id}/hits", {}).json()
    assert after == []


def test_the_hub_refuses_an_index_for_a_category_the_party_does_not_provide(api: Api) -> None:
    """A mistyped category is a 400 with the close name; a category the party does not provide under
    any covenant in force is refused (403, logged as a refusal) instead of stored silently."""
    helmond = api.client("helmond", "u-1", "employee")
    assert_problem(
        helmond.post("/v1/index/brp-inschrijvng", {"add": [A]}), 400, "did you mean 'brp-inschrijving'?"
    )
    assert_problem(
        helmond.post("/v1/index/politie-incidenten", {"add": [A]}),
        403,
        "'helmond' does not provide 'politie-incidenten'",
    )
    assert helmond.post("/v1/index/brp-inschrijving", {"add": [A]}).json() == {"added": 1, "removed": 0}
