"""Free text typed by users (reasons, notes) reaches the hub only sealed for the case's readers: never
in its tables, its files or its log; observers get no wrap; the log keeps a digest that outlives
shredding."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update

from exchange.audit.checkpoint import NoteSigner
from exchange.cases.followup import shred_expired
from exchange.cases.unit import Unit
from exchange.client.texts import open_texts, seal_text
from exchange.crypto.envelope import ItemMetadata, Recipient, assemble, decode, encode, format_created, seal
from exchange.storage.models import ActionPoint, CaseTextRow, CaseTextWrap
from exchange.vocabulary import Caller
from tests.integration.api_support import Api, assert_problem
from tests.integration.store_dump import POSTCODES, holds_postcode
from tests.integration.test_enrichment_api import POLICE, A
from tests.integration.test_retired_keys import rotate

OBSERVER = "wijkteam-zonder-rol"
PLANTED = "Dorpsstraat 12a, 5701 AB Helmond, BSN 123456782"
COORD = ("coord-1", "coordinator")


def case_with_observer(api: Api) -> str:
    coord = api.client("helmond", *COORD)
    case_id = str(
        coord.post(
            "/v1/cases", {"covenant": "pit", "purpose": "onrechtmatige-bewoning", "subjects": [A]}
        ).json()["id"]
    )
    for party in (POLICE, OBSERVER):
        assert coord.post(f"/v1/cases/{case_id}/parties", {"party": party}).status_code == 200
    coord.post(f"/v1/cases/{case_id}/transitions", {"to": "selection"})
    return case_id


def events(api: Api) -> list[dict[str, object]]:
    with api.db.sessions.begin() as s:
        return [json.loads(api.db.log.entry(s, i).event) for i in range(api.db.log.size(s))]


def signers(api: Api) -> dict[str, bytes]:
    return {k.current.sign_kid: k.current.sign_public for k in api.keys.values()}


def test_a_planted_address_in_free_text_never_reaches_the_hub(api: Api) -> None:
    """An address and BSN typed in every kind of free text appear nowhere on the hub: not in its
    tables, not in its database files (WAL included), not in the log, not in case answers; the
    readers open them with their own keys."""
    case_id = case_with_observer(api)
    coord = api.client("helmond", *COORD)
    selection = api.sealed(case_id, "helmond", f"Selected: {PLANTED}", "selection-reason", *COORD)
    assert (
        coord.post(
            f"/v1/cases/{case_id}/transitions", {"to": "preparation", "reason_sealed": selection}
        ).status_code
        == 200
    )
    note = api.sealed(case_id, "helmond", f"Proportionate: {PLANTED}", "review-note", "jur-1", "jurist")
    jurist = api.client("helmond", "jur-1", "jurist")
    assert (
        jurist.post(f"/v1/cases/{case_id}/review", {"verdict": "approved", "note_sealed": note}).status_code
        == 200
    )
    coord.post(f"/v1/cases/{case_id}/transitions", {"to": "action"})
    deadline = (datetime.now(UTC) + timedelta(days=14)).isoformat()
    action = coord.post(
        f"/v1/cases/{case_id}/actions", {"kind": "reinspection", "owner": POLICE, "deadline": deadline}
    )
    reason = api.sealed(case_id, POLICE, f"Moved: {PLANTED}", "action-reason", "agent-7", "employee")
    police = api.client(POLICE, "agent-7", "employee")
    done = police.post(
        f"/v1/cases/{case_id}/actions/{action.json()['id']}", {"status": "done", "reason_sealed": reason}
    )
    assert done.status_code == 200, done.text
    closing = api.sealed(case_id, "helmond", f"Closed: {PLANTED}", "closing-reason", *COORD)
    closed = coord.post(f"/v1/cases/{case_id}/transitions", {"to": "closed", "reason_sealed": closing})
    assert closed.status_code == 200, closed.text

    answers = closed.text + coord.get(f"/v1/cases/{case_id}/actions").text + done.text
    logged = json.dumps(events(api))
    for needle in (*POSTCODES, "Dorpsstraat", "123456782"):
        assert needle not in answers and needle not in logged
    with api.db.sessions.begin() as s:
        stored = b"".join(r.header + r.ciphertext for r in s.execute(select(CaseTextRow)).scalars())
    assert not holds_postcode(stored) and b"Dorpsstraat" not in stored
    if api.db.engine.dialect.name == "sqlite":
        path = Path(api.db.url.removeprefix("sqlite:///"))
        files = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))  # the file, -wal, -shm
        assert not holds_postcode(files) and b"Dorpsstraat" not in files and b"123456782" not in files

    opened = open_texts(coord, api.keys["helmond"], case_id, signers(api))
    assert sorted(t.kind for t in opened) == [
        "action-reason",
        "closing-reason",
        "review-note",
        "selection-reason",
    ]
    assert all(PLANTED in t.text for t in opened)
    police_read = open_texts(police, api.keys[POLICE], case_id, signers(api))
    assert len(police_read) == 4
    reads = [e for e in events(api) if e["action"] == "dossier-read" and e["v"] == 2]
    assert len(reads) == 8 and {e["actor"]["party"] for e in reads} == {"helmond", POLICE}  # type: ignore[index]


def test_observers_get_no_wrap_and_cannot_be_sealed_for(api: Api) -> None:
    """An observer (a recipient of no flow) is not offered as a reader, a text sealed for it is
    refused, and it gets no text to read."""
    case_id = case_with_observer(api)
    coord = api.client("helmond", *COORD)
    readers = coord.get(f"/v1/cases/{case_id}/text-recipients").json()
    assert {r["party"] for r in readers} == {"helmond", POLICE}
    ok = api.sealed(case_id, "helmond", "Three signals of overcrowding.", "selection-reason", *COORD)
    assert OBSERVER not in decode(base64.b64decode(ok)).header.recipient_parties
    ok_case = coord.get(f"/v1/cases/{case_id}").json()
    observer_key = api.keys[OBSERVER].current
    wide = seal(
        b"Three signals of overcrowding.",
        ItemMetadata(
            case_id,
            "txt-wide",
            "helmond",
            "selection-reason",
            ok_case["purpose"],
            format_created(datetime.now(UTC)),
        ),
        [Recipient(OBSERVER, observer_key.box_kid, observer_key.box_public)],
        api.keys["helmond"].current,
    )
    body = {"to": "preparation", "reason_sealed": base64.b64encode(encode(wide)).decode()}
    assert_problem(
        coord.post(f"/v1/cases/{case_id}/transitions", body), 403, "may not read this case's free text"
    )
    assert (
        coord.post(f"/v1/cases/{case_id}/transitions", {"to": "preparation", "reason_sealed": ok}).status_code
        == 200
    )
    with api.db.sessions.begin() as s:
        assert OBSERVER not in set(s.execute(select(CaseTextWrap.party)).scalars())
    observer = api.client(OBSERVER)
    assert observer.get(f"/v1/cases/{case_id}/texts").json() == {"texts": []}


def test_plaintext_and_mismatched_texts_are_refused(api: Api) -> None:
    """A plaintext reason or note is refused with 400 saying to seal it; a text sealed for another
    kind or case is refused; nothing is written."""
    case_id = case_with_observer(api)
    coord = api.client("helmond", *COORD)
    before = api.log_size()
    plain = coord.post(
        f"/v1/cases/{case_id}/transitions", {"to": "preparation", "reason": "Three signals here."}
    )
    assert_problem(plain, 400, "must not be sent as plaintext: seal it")
    assert_problem(
        coord.post(f"/v1/cases/{case_id}/transitions", {"to": "preparation", "reason_sealed": "%%%"}),
        400,
        "not base64",
    )
    jurist = api.client("helmond", "jur-1", "jurist")
    assert_problem(
        jurist.post(f"/v1/cases/{case_id}/review", {"verdict": "approved", "note": "Fine by me."}),
        400,
        "seal it",
    )
    assert_problem(jurist.post(f"/v1/cases/{case_id}/review", {"verdict": "approved"}), 400, "needs a note")
    closing = api.sealed(case_id, "helmond", "Three signals of overcrowding.", "closing-reason", *COORD)
    assert_problem(
        coord.post(f"/v1/cases/{case_id}/transitions", {"to": "preparation", "reason_sealed": closing}),
        400,
        "'selection-reason' as its category",
    )
    assert_problem(
        coord.post(f"/v1/cases/{case_id}/actions/act-000000000000", {"status": "done", "reason": "x" * 20}),
        400,
        "seal it",
    )
    assert api.log_size() == before
    assert coord.get(f"/v1/cases/{case_id}").json()["selection_reason"] is None


def test_the_logged_digest_matches_the_stored_text_and_outlives_shredding(api: Api) -> None:
    """The event's digest is SHA-256 of the stored envelope without wraps; after retention the text's
    wraps are gone, nobody can read it, and the digest and the whole log still verify."""
    case_id = case_with_observer(api)
    coord = api.client("helmond", *COORD)
    selection = api.sealed(case_id, "helmond", "Three signals of overcrowding.", "selection-reason", *COORD)
    coord.post(f"/v1/cases/{case_id}/transitions", {"to": "preparation", "reason_sealed": selection})
    closing = api.sealed(case_id, "helmond", "No grounds after enrichment.", "closing-reason", *COORD)
    coord.post(f"/v1/cases/{case_id}/transitions", {"to": "closed", "reason_sealed": closing})
    logged = {e["text"]["id"]: e["text"]["digest"] for e in events(api) if e["v"] == 2}  # type: ignore[index]
    assert len(logged) == 2

    def stored() -> dict[str, str]:
        with api.db.sessions.begin() as s:
            return {
                r.id: "sha256:"
                + hashlib.sha256(assemble(r.header, r.ciphertext, r.signature, ())).hexdigest()
                for r in s.execute(select(CaseTextRow)).scalars()
            }

    assert stored() == logged
    log = api.http.app.state.service.log  # type: ignore[attr-defined]
    operator = Caller("operator", "retention", "operator", "operator")
    with api.db.sessions.begin() as s:
        assert shred_expired(Unit(s, operator, "t-early", datetime.now(UTC) + timedelta(days=366), log)) == []
        shredded = shred_expired(
            Unit(s, operator, "t-late", datetime.now(UTC) + timedelta(days=5 * 366 + 2), log)
        )
    assert set(logged) <= set(shredded)
    assert coord.get(f"/v1/cases/{case_id}/texts").json() == {"texts": []}
    assert stored() == logged  # header, ciphertext and signature stay: the digest still checks
    shreds = [e for e in events(api) if e["action"] == "shred" and e["v"] == 2]
    assert {e["text"]["id"] for e in shreds} == set(logged)  # type: ignore[index]
    with api.db.sessions.begin() as s:
        signer = NoteSigner.from_seed(api.db.log.origin, b"\x05" * 32)
        api.db.log.sign_checkpoint(s, signer, datetime.now(UTC))
        api.db.log.verify(s, signer.verifier)


def test_an_overdue_action_point_needs_a_sealed_reason(api: Api) -> None:
    """Once overdue, an action point's update needs a sealed reason; a case shows who gave it."""
    case_id = case_with_observer(api)
    coord = api.client("helmond", *COORD)
    coord.post(
        f"/v1/cases/{case_id}/transitions",
        {
            "to": "preparation",
            "reason_sealed": api.sealed(
                case_id, "helmond", "Three signals of overcrowding.", "selection-reason", *COORD
            ),
        },
    )
    coord.post(f"/v1/cases/{case_id}/transitions", {"to": "action"})
    deadline = (datetime.now(UTC) + timedelta(days=14)).isoformat()
    made = coord.post(
        f"/v1/cases/{case_id}/actions", {"kind": "reinspection", "owner": POLICE, "deadline": deadline}
    ).json()
    with api.db.sessions.begin() as s:
        s.execute(
            update(ActionPoint)
            .where(ActionPoint.id == made["id"])
            .values(deadline=datetime.now(UTC) - timedelta(days=1))
        )
    police = api.client(POLICE, "agent-7", "employee")
    assert_problem(
        police.post(f"/v1/cases/{case_id}/actions/{made['id']}", {"status": "done"}), 400, "reason_sealed"
    )
    listed = coord.get(f"/v1/cases/{case_id}/actions").json()
    assert listed[0]["reason"] is None and listed[0]["overdue"] is True


def test_a_text_signed_with_a_retired_key_is_refused(api: Api) -> None:
    """A text sealed with a key the writer has since retired is refused, although the request is
    signed with the current key; sealed again with the current key, it is accepted."""
    case_id = case_with_observer(api)
    old = rotate(api, "helmond")
    coord = api.client("helmond", *COORD)
    stale = seal_text(coord, old, case_id, "selection-reason", "Three signals of overcrowding.")
    body = {"to": "preparation", "reason_sealed": stale}
    assert_problem(coord.post(f"/v1/cases/{case_id}/transitions", body), 403, "not current")
    fresh = api.sealed(case_id, "helmond", "Three signals of overcrowding.", "selection-reason", *COORD)
    ok = coord.post(f"/v1/cases/{case_id}/transitions", {"to": "preparation", "reason_sealed": fresh})
    assert ok.status_code == 200, ok.text
