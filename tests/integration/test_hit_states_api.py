"""Hit/no-hit over HTTP with three states: hit, no-hit, and no-index for a provider that never
published an index for the category; and the pairs allowed only in another phase, listed in a
header without a lookup or a log event (docs/specs/hit-states.md)."""

from __future__ import annotations

from sqlalchemy import select

from exchange.api.schemas import HitOut
from exchange.client.hits import not_in_phase
from exchange.crypto.pseudonym import PseudonymKey, pseudonymise
from exchange.crypto.subjects import normalise_address
from exchange.storage.models import LogEntry
from tests.integration.api_support import Api

KEY = PseudonymKey("pit", 1, b"\x33" * 32)
A = str(pseudonymise(normalise_address("5701 AB 12a"), KEY))
B = str(pseudonymise(normalise_address("5701 AB 14"), KEY))
POLICE = "politie-oost-brabant"


def open_case(api: Api) -> str:
    r = api.client("helmond", "coord-1", "coordinator").post(
        "/v1/cases", {"covenant": "pit", "purpose": "onrechtmatige-bewoning", "subjects": [A, B]}
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def hit_events(api: Api, case_id: str) -> list[LogEntry]:
    with api.db.sessions.begin() as s:
        rows = s.execute(
            select(LogEntry).where(LogEntry.case_id == case_id, LogEntry.action == "hit-query")
        ).scalars()
        return list(rows)


def test_three_states(api: Api) -> None:
    """Senzer published an index (hit for A, no-hit for B); the police published none for
    brp-inschrijving (no-index); an index emptied again still answers no-hit, not no-index."""
    case_id = open_case(api)
    api.client("senzer").post("/v1/index/bijstand-status", {"add": [A]})
    someren = api.client("someren")
    someren.post("/v1/index/brp-inschrijving", {"add": [B]})
    someren.post("/v1/index/brp-inschrijving", {"remove": [B]})
    r = api.client("helmond", "coord-1", "coordinator").post(f"/v1/cases/{case_id}/hits", {})
    assert r.status_code == 200, r.text
    for a in r.json():  # exactly the documented response model, with hit kept for older clients
        assert HitOut.model_validate(a).model_dump() == a
        assert a["hit"] is (a["state"] == "hit")
    states = {(a["subject"], a["provider"], a["category"]): a["state"] for a in r.json()}
    assert states[(A, "senzer", "bijstand-status")] == "hit"
    assert states[(B, "senzer", "bijstand-status")] == "no-hit"
    assert states[(A, POLICE, "brp-inschrijving")] == "no-index"
    assert states[(A, "someren", "brp-inschrijving")] == "no-hit"
    # Every answer is its own event, and the event's outcome is the answer's state.
    events = hit_events(api, case_id)
    assert len(events) == len(states)
    logged = {(e.subject, e.counterparty, e.category): e.outcome for e in events}
    assert logged == states


def test_pairs_not_allowed_in_this_phase_are_listed_and_not_logged(api: Api) -> None:
    """In 'signal' the police's incidents are allowed only from 'selection' on: the header lists
    them, no answer or event is made for them; in 'selection' they are answered instead."""
    case_id = open_case(api)
    coord = api.client("helmond", "coord-1", "coordinator")
    before = api.log_size()
    r = coord.post(f"/v1/cases/{case_id}/hits", {})
    listed = not_in_phase(r.headers["Exchange-Not-In-Phase"])
    assert (POLICE, "politie-incidenten") in listed
    answered = {(a["provider"], a["category"]) for a in r.json()}
    assert not answered & set(listed)
    assert api.log_size() - before == len(r.json())
    assert not [e for e in hit_events(api, case_id) if e.category == "politie-incidenten"]
    # Enexis has no flow to Helmond for this purpose in any phase: neither answered nor listed.
    assert not [p for p, _ in listed if p == "enexis"]
    coord.post(f"/v1/cases/{case_id}/transitions", {"to": "selection"})
    r = coord.post(f"/v1/cases/{case_id}/hits", {})
    assert (POLICE, "politie-incidenten") in {(a["provider"], a["category"]) for a in r.json()}
    assert (POLICE, "politie-incidenten") not in not_in_phase(r.headers["Exchange-Not-In-Phase"])


def test_a_caller_with_no_pair_now_still_learns_the_pairs_of_other_phases(api: Api) -> None:
    """An employee may ask nothing before selection (the flows name the coordinator), so the body
    is empty and nothing is logged; pairs it could ask in a later phase are listed."""
    case_id = open_case(api)
    before = api.log_size()
    r = api.client("helmond", "u-5", "employee").post(f"/v1/cases/{case_id}/hits", {})
    assert r.status_code == 200 and r.json() == []
    assert api.log_size() == before
    assert "Exchange-Not-In-Phase" in r.headers


def test_a_first_publication_turns_no_index_into_hit_or_no_hit(api: Api) -> None:
    """The hub remembers published indexes per process; a provider that publishes after an answer
    said no-index answers hit or no-hit on the very next query (nothing stale is remembered)."""
    case_id = open_case(api)
    coord = api.client("helmond", "coord-1", "coordinator")

    def police_brp() -> dict[str, str]:
        r = coord.post(f"/v1/cases/{case_id}/hits", {}).json()
        return {
            a["subject"]: a["state"]
            for a in r
            if (a["provider"], a["category"]) == (POLICE, "brp-inschrijving")
        }

    assert police_brp() == {A: "no-index", B: "no-index"}
    api.client(POLICE).post("/v1/index/brp-inschrijving", {"add": [A]})
    assert police_brp() == {A: "hit", B: "no-hit"}
    api.client(POLICE).post("/v1/index/brp-inschrijving", {"remove": [A]})
    assert police_brp() == {A: "no-hit", B: "no-hit"}
