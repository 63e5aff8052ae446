"""The query columns of many stored events at once, read from their bytes without making Events.

Pure: no storage, no I/O. Verification checks each entry's query columns against its event; making
an :class:`~exchange.audit.events.Event` per entry (:func:`~exchange.audit.events.event_from_bytes`)
costs ten times the parse. :class:`ColumnReader` parses a bundle of events with orjson and takes
the column values straight from the parsed objects; the checks ``event_from_bytes`` makes are made
once per *distinct* value of each field (parties, roles, purposes, categories and trace ids repeat
across events), each by building an Event or Actor with that value, so the very same code decides.

It answers only when the result is certain: every event of the bundle parsed, every field of the
plain form an appender writes, every distinct value accepted. Then the columns are exactly what
``entry_values(event_from_bytes(data))`` gives (tests/unit/audit/test_event_columns.py). Otherwise
it answers None and the caller checks those events one by one with ``event_from_bytes``: orjson
refuses all that the standard library's parser refuses and more (NaN, lone surrogates, a byte order
mark), both keep the last of duplicate keys, and anything unusual (a version 1.0, ``articles`` that
is no list) only costs the slower path, never a different verdict.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from exchange.audit.events import VERSIONS, Action, Actor, Event, Outcome, TextRef
from exchange.crypto.pseudonym import parse_pseudonym
from exchange.errors import InvalidInputError

#: The parsed fields of one event: the 16 query columns in the order of
#: ``exchange.storage.log_append.COLUMN_NAMES`` (``time`` still as the event's text), then the
#: fields only checked: (type of the version, version, text), item, reason, (types of articles and legal grounds),
#: details as items, (channel, policy digest).
Fields = tuple[Any, ...]
COLUMNS = 16
_ABSENT = object()
_PROBE: dict[str, Any] = {
    "time": datetime(2000, 1, 1, tzinfo=UTC),
    "trace_id": "t",
    "action": Action.DECISION,
    "actor": Actor("p"),
    "outcome": Outcome.DONE,
}
#: Values too many to keep: the memo of accepted values is emptied when it grows past this.
MEMO_LIMIT = 200_000


def _event_with(name: str, value: object) -> bool:
    """Whether an Event with ``value`` for field ``name`` (the rest plain) can be made."""
    try:
        Event(**{**_PROBE, name: value})
    except (InvalidInputError, TypeError, ValueError, AttributeError):
        return False
    return True


def _actor_with(name: str, value: object) -> bool:
    return _event_with("actor", Actor(**{name: value}))


def _enum(kind: type[Action] | type[Outcome]) -> Callable[[object], bool]:
    values = frozenset(str(v) for v in kind)
    return lambda value: type(value) is str and value in values


def _version(value: object) -> bool:
    """(type of v, v, text): version 1 without a text, or version 2 with a text of exactly 'id' and 'digest'."""
    kind, v, text = value if isinstance(value, tuple) else (None, None, None)
    if kind is not int or v not in VERSIONS:
        return False
    if v == 1:
        return text is _ABSENT
    if not isinstance(text, tuple):
        return False
    try:
        TextRef(*text)
    except (InvalidInputError, TypeError):
        return False
    return True


def _subject(value: object) -> bool:
    if value is None:
        return True
    if type(value) is not str:
        return False
    try:
        parse_pseudonym(value)
    except InvalidInputError:
        return False
    return True


def _details(value: object) -> bool:
    return value == () or (isinstance(value, tuple) and _event_with("details", dict(value)))


def _lists(value: object) -> bool:
    return value == (list, list)


#: How each checked field's distinct values are checked, by position in :data:`Fields`.
_CHECKS: dict[int, Callable[[object], bool]] = {
    1: lambda v: _event_with("trace_id", v),
    2: _enum(Action),
    3: _enum(Outcome),
    4: lambda v: _actor_with("party", v),
    5: lambda v: _actor_with("user", v),
    6: lambda v: _actor_with("role", v),
    7: lambda v: _event_with("counterparty", v),
    8: lambda v: _event_with("case", v),
    9: _subject,
    10: lambda v: _event_with("purpose", v),
    11: lambda v: _event_with("category", v),
    12: lambda v: _event_with("phase", v),
    15: lambda v: _event_with("reason_code", v),
    16: _version,
    17: lambda v: _event_with("item", v),
    18: lambda v: v is None or type(v) is str,
    19: _lists,
    20: _details,
}


def _text_key(text: object) -> object:
    if text is _ABSENT:
        return _ABSENT
    if type(text) is dict and text.keys() == {"id", "digest"}:
        return (text["id"], text["digest"])
    return None  # refused by _version


def _details_key(details: object) -> object:
    if type(details) is dict:
        return tuple(details.items()) if details else ()
    return None  # refused by _details


def event_time(text: object) -> datetime | None:
    """The query column ``time`` of an event whose time is ``text``, as ``entry_values`` gives it;
    None if ``event_from_bytes`` would refuse it."""
    if type(text) is not str:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return moment.astimezone(UTC) if moment.tzinfo is not None else None
    except (ValueError, OverflowError):
        return None


class ColumnReader:
    """Reads the query columns of bundles of events; remembers the values it has accepted."""

    def __init__(self) -> None:
        self._accepted: dict[int, set[object]] = {k: set() for k in _CHECKS}
        self._remembered = 0

    def read(self, events: Sequence[bytes]) -> list[Fields] | None:
        """Each event's :data:`Fields`, or None unless every event is certainly valid."""
        loads, absent = orjson.loads, _ABSENT
        parsed: list[Fields] = []
        try:
            for data in events:
                d = loads(data)
                a, pa = d["actor"], d["processingActivity"]
                arts = pa["articles"]
                parsed.append(
                    (
                        d["time"],
                        d["traceId"],
                        d["action"],
                        d["outcome"],
                        a["party"],
                        a["user"],
                        a["role"],
                        d["counterparty"],
                        d["case"],
                        d["dataSubjectId"],
                        d["purpose"],
                        d["category"],
                        d["phase"],
                        pa["covenant"],
                        "," + ",".join(arts) + "," if arts else "",
                        d["reasonCode"],
                        (type(d["v"]), d["v"], _text_key(d.get("text", absent))),
                        d["item"],
                        d["reason"],
                        (type(arts), type(pa["legalGrounds"])),
                        _details_key(d["details"]),
                        (d["channel"], pa["policyDigest"]),
                    )
                )
            if parsed and not self._accept(list(zip(*parsed, strict=True))):
                return None
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
            return None
        return parsed

    def _accept(self, fields: list[tuple[object, ...]]) -> bool:
        """Whether every distinct value of every checked field is valid (TypeError: unhashable)."""
        for k, check in _CHECKS.items():
            accepted = self._accepted[k]
            for value in set(fields[k]) - accepted:
                if not check(value):
                    return False
                accepted.add(value)
                self._remembered += 1
        if self._remembered > MEMO_LIMIT:
            for accepted in self._accepted.values():
                accepted.clear()
            self._remembered = 0
        return True
