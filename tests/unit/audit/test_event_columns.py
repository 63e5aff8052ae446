"""Query columns read in bulk from event bytes are exactly those of event_from_bytes and entry_values;
for anything event_from_bytes would refuse (or read otherwise) the bulk reader gives no answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from exchange.audit.event_columns import ColumnReader
from exchange.audit.events import Action, Actor, Event, Outcome, TextRef, event_from_bytes
from exchange.errors import InvalidInputError
from exchange.storage.log_append import COLUMN_NAMES, entry_values

NOW = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
PSEUDONYM = "v1:KXfsiYLC-_oXZ-l23DKAUBL4dKMb-hnpXBSvJEO8CXs"
ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,12}", fullmatch=True)
maybe_ids = st.none() | ids


@st.composite
def events(draw: st.DrawFn) -> Event:
    offset = draw(st.integers(-12 * 60, 12 * 60))
    return Event(
        time=(NOW + timedelta(seconds=draw(st.integers(0, 10**8)))).astimezone(
            timezone(timedelta(minutes=offset))
        ),
        trace_id=draw(ids),
        action=draw(st.sampled_from(Action)),
        actor=Actor(draw(ids), draw(maybe_ids), draw(maybe_ids)),
        outcome=draw(st.sampled_from(Outcome)),
        case=draw(maybe_ids),
        subject=draw(st.none() | st.just(PSEUDONYM)),
        counterparty=draw(maybe_ids),
        category=draw(maybe_ids),
        purpose=draw(maybe_ids),
        phase=draw(maybe_ids),
        covenant=draw(st.none() | st.text(max_size=8)),
        articles=tuple(draw(st.lists(st.text(max_size=4), max_size=3))),
        legal_grounds=tuple(draw(st.lists(st.text(max_size=4), max_size=2))),
        reason=draw(st.none() | st.text(max_size=10)),
        reason_code=draw(maybe_ids),
        item=draw(maybe_ids),
        details=draw(
            st.dictionaries(ids, ids | st.integers(-(2**53) + 1, 2**53 - 1) | st.booleans(), max_size=2)
        ),
        text=draw(st.none() | st.just(TextRef("t-1", "sha256:" + "ab" * 32))),
    )


def expected(data: bytes) -> tuple[object, ...] | None:
    """The columns the one-by-one check derives, or None where it refuses the event (or fails)."""
    try:
        return entry_values(event_from_bytes(data))
    except (InvalidInputError, AttributeError, TypeError, ValueError, OverflowError, RecursionError):
        return None


def read_one(reader: ColumnReader, data: bytes) -> tuple[object, ...] | None:
    columns = reader.read([data])
    if columns is None:
        return None
    return tuple(c[0] for c in columns)


def utf8(e: Event) -> bool:
    try:
        e.canonical()
    except InvalidInputError:
        return False
    return True


@settings(max_examples=300, deadline=None)
@given(st.lists(events(), min_size=1, max_size=6))
def test_columns_of_valid_events_are_entry_values(evs: list[Event]) -> None:
    """For events an appender writes, the bulk reader answers, with entry_values of each."""
    evs = [e for e in evs if utf8(e)]
    reader = ColumnReader()
    columns = reader.read([e.canonical() for e in evs])
    assert columns is not None and len(columns) == len(COLUMN_NAMES)
    assert list(zip(*columns, strict=True)) == [entry_values(e) for e in evs]
    assert reader.read([e.canonical() for e in evs]) == columns  # the memo changes nothing


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6)
    | st.sampled_from(
        ["v1", PSEUDONYM, "decision", "hit", "7", "2026-03-01T10:00:00Z", "2026-03-01", "a\n", "id"]
    ),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["id", "digest", "k", ""]), inner, max_size=3)
    ),
    max_leaves=6,
)
PLACES = [
    (),
    ("actor",),
    ("processingActivity",),
]
KEYS = [
    "v",
    "time",
    "traceId",
    "action",
    "outcome",
    "case",
    "dataSubjectId",
    "counterparty",
    "category",
    "purpose",
    "phase",
    "reason",
    "reasonCode",
    "item",
    "channel",
    "details",
    "text",
    "other",
    "party",
    "user",
    "role",
    "covenant",
    "policyDigest",
    "articles",
    "legalGrounds",
    "actor",
    "processingActivity",
]


@settings(max_examples=600, deadline=None)
@given(
    base=events(),
    changes=st.lists(
        st.tuples(st.sampled_from(PLACES), st.sampled_from(KEYS), st.none() | JSON, st.booleans()),
        min_size=1,
        max_size=3,
    ),
)
def test_an_answer_is_always_the_one_by_one_answer(base: Any, changes: list[Any]) -> None:
    """Fields set to any JSON value, or removed: when the bulk reader answers at all, event_from_bytes
    accepts the event and gives the very same columns."""
    if not utf8(base):
        return
    data = base.to_data()
    for place, key, value, remove in changes:
        target = data
        for p in place:
            target = target.get(p) if isinstance(target, dict) else None
        if not isinstance(target, dict):
            continue
        if remove:
            target.pop(key, None)
        else:
            target[key] = value
    raw = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    reader = ColumnReader()
    reader.read([base.canonical()])  # values of a valid event remembered first
    got = read_one(reader, raw)
    if got is not None:
        assert got == expected(raw)


def test_values_equal_to_accepted_ones_are_still_checked() -> None:
    """Version true equals version 1 (and hashes alike) but is refused: the memo keeps types apart."""
    e = Event(NOW, "tr-1", Action.DISCLOSURE, Actor("senzer"), Outcome.ALLOWED)
    reader = ColumnReader()
    assert reader.read([e.canonical()]) is not None
    data = e.to_data()
    data["v"] = True
    assert expected(orjson.dumps(data)) is None
    assert reader.read([orjson.dumps(data)]) is None
    data["v"] = 1.0  # accepted by event_from_bytes, but not the plain form: left to it
    assert reader.read([orjson.dumps(data)]) is None


def test_duplicate_keys_are_read_as_the_standard_parser_reads_them() -> None:
    e = Event(NOW, "tr-1", Action.DISCLOSURE, Actor("senzer"), Outcome.ALLOWED, case="case-1")
    raw = e.canonical().replace(b'"case":"case-1"', b'"case":"case-1","case":"case-2"')
    assert read_one(ColumnReader(), raw) == expected(raw)
    columns = expected(raw)
    assert columns is not None and columns[COLUMN_NAMES.index("case_id")] == "case-2"


def test_fields_the_reader_does_not_read_leave_it_to_the_one_by_one_check() -> None:
    """A key no event has, or values nested deeper than an event's, are never accepted unread (the
    standard parser may fail on depth where orjson does not)."""
    e = Event(NOW, "tr-1", Action.DISCLOSURE, Actor("senzer"), Outcome.ALLOWED, legal_grounds=("a",))
    reader = ColumnReader()
    assert reader.read([e.canonical()]) is not None
    deep = "[" * 900 + '"x"' + "]" * 900
    for place, key, value in [
        ((), "other", "1"),
        (("actor",), "other", "null"),
        (("processingActivity",), "other", "null"),
        ((), "channel", deep),
        (("processingActivity",), "policyDigest", "[1]"),
        (("processingActivity",), "legalGrounds", f"[{deep}]"),
    ]:
        data = e.to_data()
        target = data
        for p in place:
            target = target[p]
        target[key] = "PLACE"
        raw = orjson.dumps(data).replace(b'"PLACE"', value.encode())
        assert orjson.loads(raw) is not None  # well-formed JSON
        assert reader.read([raw]) is None, (place, key)
