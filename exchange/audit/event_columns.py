"""The query columns of many stored events at once, read from their bytes without making Events.

Pure: no storage, no I/O. Verification checks each entry's query columns against its event; making
an :class:`~exchange.audit.events.Event` per entry (:func:`~exchange.audit.events.event_from_bytes`)
costs ten times the parse. :class:`ColumnReader` parses a bundle of events with orjson and takes
the column values straight from the parsed objects; the checks ``event_from_bytes`` makes are made
once per *distinct* value of each field (parties, roles, purposes, categories and trace ids repeat
across events), with the very checks an Event makes (:func:`~exchange.audit.events.is_identifier`,
the pseudonym's parser, the enumerations; details by making an Event with them).

It answers only when the result is certain: every event of the bundle parsed, every field of the
plain form an appender writes, every distinct value accepted. Then the columns are exactly what
``entry_values(event_from_bytes(data))`` gives (tests/unit/audit/test_event_columns.py). Otherwise
it answers None and the caller checks those events one by one with ``event_from_bytes``: orjson
refuses all that the standard library's parser refuses and more (NaN, lone surrogates, a byte order
mark), both keep the last of duplicate keys, and anything unusual (a version 1.0, ``articles`` that
is no list) only costs the slower path, never a different verdict.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from itertools import chain, repeat
from operator import itemgetter
from typing import Any

import orjson

from exchange.audit.events import VERSIONS, Action, Actor, Event, Outcome, TextRef, is_identifier
from exchange.crypto.pseudonym import parse_pseudonym
from exchange.errors import InvalidInputError

#: The query columns, in the order of ``exchange.storage.log_append.COLUMN_NAMES``.
COLUMNS = 16
#: The fields read from each event: at the top, of its actor, of its processing activity.
_TOP_KEYS = (
    "time",
    "traceId",
    "action",
    "outcome",
    "counterparty",
    "case",
    "dataSubjectId",
    "purpose",
    "category",
    "phase",
    "reasonCode",
    "v",
    "item",
    "reason",
    "details",
    "channel",
    "actor",
    "processingActivity",
)
_ACTOR_KEYS = ("party", "user", "role")
_ACTIVITY_KEYS = ("covenant", "articles", "legalGrounds", "policyDigest")
_TOP, _ACTOR, _ACTIVITY = itemgetter(*_TOP_KEYS[:16]), itemgetter(*_ACTOR_KEYS), itemgetter(*_ACTIVITY_KEYS)
_ACTOR_OF, _ACTIVITY_OF = itemgetter("actor"), itemgetter("processingActivity")
_V, _DETAILS, _CHANNEL = 11, 14, 15
#: Checked fields among the top ones, by their key in :data:`_CHECKS`.
_TOP_CHECKED = {1: 1, 2: 2, 3: 3, 7: 4, 8: 5, 9: 6, 10: 7, 11: 8, 12: 9, 15: 10, 17: 12, 18: 13}
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


def _enum(kind: type[Action] | type[Outcome]) -> Callable[[object], bool]:
    values = frozenset(str(v) for v in kind)
    return lambda value: type(value) is str and value in values


def _version(value: object) -> bool:
    """(type of v, v, text): version 1 without a text, or 2 with a text of exactly 'id' and 'digest'."""
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


#: How each checked field's distinct values are checked: by the position of its query column, then
#: 16 (type of version, version, text), 17 item, 18 reason, 19 (types of articles and legal
#: grounds), 20 details as items, 21 channel and policy digest (free in an Event; here plain text).
_CHECKS: dict[int, Callable[[object], bool]] = {
    1: is_identifier,
    2: _enum(Action),
    3: _enum(Outcome),
    4: is_identifier,
    5: is_identifier,
    6: is_identifier,
    7: is_identifier,
    8: is_identifier,
    9: _subject,
    10: is_identifier,
    11: is_identifier,
    12: is_identifier,
    15: is_identifier,
    16: _version,
    17: is_identifier,
    18: lambda v: v is None or type(v) is str,
    19: _lists,
    20: _details,
    21: lambda v: v is None or type(v) is str,
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
        self._moments: dict[str, datetime] = {}  # event time text -> the column's value
        self._remembered = 0

    def read(self, events: Sequence[bytes]) -> list[tuple[Any, ...]] | None:
        """The query columns of the events, column by column, exactly as ``entry_values`` gives
        them, or None unless every event is certainly valid."""
        try:
            parsed = list(map(orjson.loads, events))
            top = list(zip(*map(_TOP, parsed), strict=True))
            actors = list(map(_ACTOR_OF, parsed))
            activities = list(map(_ACTIVITY_OF, parsed))
            actor = list(zip(*map(_ACTOR, actors), strict=True))
            activity = list(zip(*map(_ACTIVITY, activities), strict=True))
            if not top:
                return [()] * COLUMNS
            texts = sum(map(dict.__contains__, parsed, repeat("text")))
            arts, grounds = activity[1], activity[2]
            if (
                # No key beyond those read (and 'text'): nothing unread, however deeply nested.
                sum(map(len, parsed)) != len(_TOP_KEYS) * len(parsed) + texts
                or set(map(len, actors)) != {len(_ACTOR_KEYS)}
                or set(map(len, activities)) != {len(_ACTIVITY_KEYS)}
                or set(map(type, top[_DETAILS])) != {dict}
                or not {str}.issuperset(map(type, chain.from_iterable(grounds)))
            ):
                return None
            checked = {
                **{k: top[t] for k, t in _TOP_CHECKED.items()},
                4: actor[0],
                5: actor[1],
                6: actor[2],
                16: [(type(d["v"]), d["v"], _text_key(d.get("text", _ABSENT))) for d in parsed]
                if texts
                else list(zip(map(type, top[_V]), top[_V], repeat(_ABSENT), strict=False)),
                19: list(zip(map(type, arts), map(type, grounds), strict=True)),
                20: [_details_key(d) for d in top[_DETAILS]] if any(top[_DETAILS]) else [()],
                21: top[_CHANNEL] + activity[3],
            }
            if not self._accept(checked):
                return None
            moments = self._moments
            for text in set(top[0]) - moments.keys():
                moment = event_time(text)
                if moment is None:
                    return None
                moments[text] = moment
                self._remembered += 1
            times = tuple(map(moments.__getitem__, top[0]))
            if all(arts):  # as entry_values writes them: ",7,9," (all C-level maps)
                articles = tuple(map(str.__add__, map(",".__add__, map(",".join, arts)), repeat(",")))
            else:
                articles = tuple("," + ",".join(a) + "," if a else "" for a in arts)
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
            return None
        return [times, *top[1:4], *actor, *top[4:10], activity[0], articles, top[10]]

    def _accept(self, fields: Mapping[int, Sequence[object]]) -> bool:
        """Whether every distinct value of every checked field is valid (TypeError: unhashable)."""
        if self._remembered > MEMO_LIMIT:
            for accepted in self._accepted.values():
                accepted.clear()
            self._moments.clear()
            self._remembered = 0
        for k, check in _CHECKS.items():
            accepted = self._accepted[k]
            new = set(fields[k]) - accepted
            if not all(map(check, new)):
                return False
            accepted |= new
            self._remembered += len(new)
        return True
