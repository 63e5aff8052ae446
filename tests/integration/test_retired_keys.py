"""A retired signing key authenticates no request and signs no new dossier item, and console sessions
of its party end; the hub records when it retired the key on its own clock."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from exchange.client.http import ExchangeClient
from exchange.crypto.envelope import Recipient
from exchange.crypto.keys import PartyKeys
from exchange.storage.models import PartyKeyRow
from exchange.storage.parties import register_party
from tests.integration.api_support import Api, assert_problem
from tests.integration.test_console import signed_in
from tests.integration.test_enrichment_api import POLICE, prepared_case, sealed_item


def rotate(api: Api, party: str) -> PartyKeys:
    """The party rotates its keys and registers the new state; returns the old keys."""
    old = api.keys[party]
    new = old.rotate(datetime.now(UTC))
    with api.db.sessions.begin() as s:
        register_party(s, party, party.title(), [v.to_data(party) for v in new.public()], datetime.now(UTC))
    api.keys[party] = new
    return old


def test_a_retired_key_authenticates_nothing(api: Api) -> None:
    """After rotation the old key's signature is refused with a clear reason; the new key works."""
    before = datetime.now(UTC)
    old = rotate(api, "helmond")
    stale = ExchangeClient("http://testserver", old.current, "coord-1", "coordinator", http=api.http)
    assert_problem(stale.get("/v1/whoami"), 401, "retired")
    assert api.client("helmond").get("/v1/whoami").status_code == 200
    with api.db.sessions.begin() as s:
        retired = s.execute(
            select(PartyKeyRow.retired_at).where(PartyKeyRow.kid == old.current.sign_kid)
        ).scalar_one()
    assert retired is not None and retired.replace(tzinfo=retired.tzinfo or UTC) >= before


def test_an_item_signed_with_a_retired_key_is_not_accepted_as_new(api: Api) -> None:
    """The police retire their key; an item still signed with it is refused although the request is
    signed with the current key."""
    case_id = prepared_case(api, ask_police=True)
    hk = api.keys["helmond"].current
    old = rotate(api, POLICE)
    current = api.keys[POLICE]
    api.keys[POLICE] = old  # seal with the retired key ...
    envelope = sealed_item(api, case_id, "item-retired", [Recipient("helmond", hk.box_kid, hk.box_public)])
    api.keys[POLICE] = current  # ... and send it with the current one
    assert_problem(
        api.client(POLICE).post(f"/v1/cases/{case_id}/items", {"envelope": envelope}), 403, "retired key"
    )
    fresh = sealed_item(api, case_id, "item-fresh", [Recipient("helmond", hk.box_kid, hk.box_public)])
    assert api.client(POLICE).post(f"/v1/cases/{case_id}/items", {"envelope": fresh}).status_code == 201


def test_console_sessions_end_when_the_partys_key_is_retired(api: Api) -> None:
    """A privacy officer signed in to the console is signed out once the party's signing key retires."""
    browser = signed_in(api)
    assert browser.get("/console").status_code == 200
    rotate(api, "helmond")
    assert browser.get("/console").status_code == 401
