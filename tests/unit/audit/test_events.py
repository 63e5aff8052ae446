"""Log events are canonical, never carry plaintext identifiers, and keep reasons to one line."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from exchange.audit.events import Action, Actor, Event, Outcome, TextRef, event_from_bytes
from exchange.audit.merkle import leaf_hash
from exchange.errors import InvalidInputError

NOW = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
PSEUDONYM = "v1:KXfsiYLC-_oXZ-l23DKAUBL4dKMb-hnpXBSvJEO8CXs"


def event(**kw: object) -> Event:
    base: dict[str, object] = {
        "time": NOW,
        "trace_id": "tr-1",
        "action": Action.DISCLOSURE,
        "actor": Actor("senzer", "u-17", "employee"),
        "outcome": Outcome.ALLOWED,
    }
    base.update(kw)
    return Event(**base)  # type: ignore[arg-type]


def test_round_trip_and_field_names() -> None:
    """An event survives encoding; the bytes use the Logboek Dataverwerkingen field names."""
    e = event(
        case="case-1",
        subject=PSEUDONYM,
        counterparty="helmond",
        category="bijstand-status",
        purpose="uitkeringsfraude",
        phase="action",
        covenant="pit/2021",
        policy_digest="sha256:ab",
        articles=("7",),
        legal_grounds=("Participatiewet art. 64",),
        item="item-1",
        details={"n": 3, "ok": True},
    )
    raw = e.canonical()
    assert event_from_bytes(raw) == e
    for name in (b'"traceId"', b'"dataSubjectId"', b'"processingActivity"', b'"legalGrounds"'):
        assert name in raw


def test_plaintext_identifiers_refused() -> None:
    """An address, BSN or anything else that is not a pseudonym cannot be a subject."""
    for bad in ("1234AB 5a", "123456782", "v1:short"):
        with pytest.raises(InvalidInputError, match="pseudonym"):
            event(subject=bad)


@pytest.mark.parametrize("field", ["trace_id", "case", "counterparty", "category", "item"])
def test_identifier_fields_refuse_free_text(field: str) -> None:
    """Identifier fields accept identifiers only: no spaces, no newlines, no free text."""
    with pytest.raises(InvalidInputError, match=field):
        event(**{field: "Dorpsstraat 5\nHelmond"})


def test_other_validation() -> None:
    """Naive times, out-of-range integers and free-text detail values are refused."""
    with pytest.raises(InvalidInputError, match="time zone"):
        event(time=datetime(2026, 1, 1))
    with pytest.raises(InvalidInputError, match="exact JSON integer range"):
        event(details={"n": 2**60})
    with pytest.raises(InvalidInputError, match=r"details\.note"):
        event(details={"note": "free text here"})
    with pytest.raises(InvalidInputError, match=r"actor\.party"):
        event(actor=Actor("a b"))
    with pytest.raises(InvalidInputError, match="not a valid log event"):
        event_from_bytes(b"{}")
    with pytest.raises(InvalidInputError, match="version 3"):
        event_from_bytes(event().canonical().replace(b'"v":1', b'"v":3'))
    with pytest.raises(InvalidInputError, match="text"):
        event_from_bytes(event().canonical().replace(b'"v":1', b'"v":2'))


VECTORS = json.loads((Path(__file__).parents[2] / "vectors" / "events-v2.json").read_text())
DIGEST = "sha256:" + hashlib.sha256(b"sealed").hexdigest()


def test_only_an_event_about_a_text_is_version_2() -> None:
    """Without a text an event keeps its version 1 bytes; with one it is version 2 and round-trips."""
    plain = event()
    assert b'"v":1' in plain.canonical() and b'"text"' not in plain.canonical()
    e = event(text=TextRef("txt-1", DIGEST))
    raw = e.canonical()
    assert b'"v":2' in raw and f'"text":{{"digest":"{DIGEST}","id":"txt-1"}}'.encode() in raw
    assert event_from_bytes(raw) == e
    assert rfc8785.dumps(json.loads(raw)) == raw


@pytest.mark.parametrize("case", VECTORS["known"], ids=lambda c: c["name"])
def test_known_answer_events(case: dict[str, str]) -> None:
    """The vectors' bytes parse, encode back to the same bytes, and hash to the stated leaf."""
    raw = case["event"].encode()
    assert event_from_bytes(raw).canonical() == raw
    assert leaf_hash(raw).hex() == case["leaf_hash"]


@pytest.mark.parametrize("case", VECTORS["tampered"], ids=lambda c: c["name"])
def test_tampered_events_are_refused(case: dict[str, str]) -> None:
    """Each altered event is refused, saying what is wrong."""
    with pytest.raises(InvalidInputError, match=case["want_err"]):
        event_from_bytes(case["event"].encode())


def test_text_reference_is_checked() -> None:
    """A text reference holds an identifier and a SHA-256 digest, never free text."""
    with pytest.raises(InvalidInputError, match=r"text\.id"):
        TextRef("an address", DIGEST)
    with pytest.raises(InvalidInputError, match=r"text\.digest"):
        TextRef("txt-1", "sha256:XYZ")


def test_reason_is_one_bounded_line() -> None:
    """A reason with newlines and control whitespace becomes one line of at most 500 characters."""
    e = event(reason="first line\nsecond\r\nthird\t" + "x" * 1000)
    assert e.reason is not None
    assert "\n" not in e.reason and "\r" not in e.reason
    assert len(e.reason) == 500
    assert event_from_bytes(e.canonical()) == e


ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,20}", fullmatch=True)


@settings(max_examples=300, deadline=None)
@given(
    reason=st.text(max_size=60),
    ids=st.lists(ids, min_size=4, max_size=4),
    articles=st.lists(st.text(max_size=8), max_size=3),
    n=st.integers(-(2**53) + 1, 2**53 - 1),
)
def test_canonical_equals_rfc8785(reason: str, ids: list[str], articles: list[str], n: int) -> None:
    """The fast encoder gives exactly the RFC 8785 bytes for any event."""
    try:
        reason.encode("utf-8")
        for a in articles:
            a.encode("utf-8")
    except UnicodeEncodeError:
        return
    e = event(
        reason=reason or None,
        case=ids[0],
        category=ids[1],
        counterparty=ids[2],
        articles=tuple(articles),
        legal_grounds=tuple(articles),
        details={ids[3]: n},
    )
    assert e.canonical() == rfc8785.dumps(e.to_data())


ANSWER = {
    "subject": PSEUDONYM,
    "counterparty": "senzer",
    "category": "bijstand-status",
    "outcome": Outcome.HIT,
    "policy_digest": "sha256:cd",
    "articles": ("7", "9"),
    "legal_grounds": ("Participatiewet art. 64",),
}


@settings(max_examples=200, deadline=None)
@given(
    changed=st.lists(st.sampled_from(sorted(ANSWER)), unique=True),
    counterparty=ids,
    category=ids,
)
def test_derive_equals_constructing_the_event(changed: list[str], counterparty: str, category: str) -> None:
    """A derived answer event is the very event (bytes and all) the constructor would make."""
    base = event(case="case-1", purpose="uitkeringsfraude", phase="selection", covenant="kit/2024")
    values = {**ANSWER, "counterparty": counterparty, "category": category}
    changes = {name: values[name] for name in changed}
    derived = base.derive(**changes)
    built = event(
        case="case-1", purpose="uitkeringsfraude", phase="selection", covenant="kit/2024", **changes
    )
    assert derived == built
    assert derived.canonical() == built.canonical()


def test_derive_checks_what_it_changes() -> None:
    """A derived event refuses the same bad values as the constructor, and cannot change the time,
    the actor or free text."""
    base = event()
    for bad in ("1234AB 5a", "123456782", "v1:short"):
        with pytest.raises(InvalidInputError, match="pseudonym"):
            base.derive(subject=bad)
    for name in ("counterparty", "category"):
        with pytest.raises(InvalidInputError, match=name):
            base.derive(**{name: "Dorpsstraat 5\nHelmond"})
    for name, value in (("time", NOW), ("actor", Actor("x")), ("reason", "r"), ("details", {})):
        with pytest.raises(TypeError, match="cannot change"):
            base.derive(**{name: value})


def test_text_that_is_not_unicode_is_refused() -> None:
    """A lone surrogate (a JSON '\\ud800' escape decodes to one) has no UTF-8 bytes: one clear error."""
    with pytest.raises(InvalidInputError, match="not valid Unicode"):
        event(reason="kapot \ud800").canonical()
