"""Reading an index file a party uploads on its node: pure, no I/O.

A text file holds one subject per line; a CSV file (``.csv``) holds the subject in its first column,
cells separated by ``;`` or ``,``, and may start with a header line (``adres``, ``bsn``, ``kvk``, ...).
Every line is checked; a problem is reported by its line number with a code the page turns into Dutch
(:data:`PROBLEMS`), never with the line's content in a log. Empty lines are skipped.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from exchange.crypto.subjects import SubjectError, SubjectKind, normaliser

#: The header cells a CSV file may start with (lower case).
HEADERS = frozenset({"adres", "address", "postcode", "bsn", "kvk", "kvk-nummer", "kvknummer", "subject"})
#: Problem codes: not-utf8 (the file), invalid (a line that is no subject of the kind), duplicate.
PROBLEMS = ("not-utf8", "invalid", "duplicate")
#: At most this many problems are listed; the count says how many there were in all.
MAX_LISTED = 50


@dataclass(frozen=True, slots=True)
class Line:
    number: int
    #: What the line said, trimmed: shown to the party's own staff, sealed at rest.
    text: str
    #: The normalised form that is pseudonymised (e.g. ``5701AB|12|A|``).
    canonical: str


@dataclass(frozen=True, slots=True)
class Problem:
    number: int  # 0 for the file as a whole
    code: str
    #: For "duplicate": the line it repeats.
    first: int = 0


@dataclass(frozen=True, slots=True)
class ParsedFile:
    lines: tuple[Line, ...]
    problems: tuple[Problem, ...]
    problem_count: int


def _cells(text: str, is_csv: bool) -> list[str]:
    rows = text.splitlines()
    if not is_csv:
        return rows
    sample = rows[0] if rows else ""
    delimiter = ";" if sample.count(";") >= sample.count(",") else ","
    return [row[0] if row else "" for row in csv.reader(rows, delimiter=delimiter)]


def parse(data: bytes, kind: SubjectKind, is_csv: bool) -> ParsedFile:
    """Every subject in ``data`` with its line number, or the problems found."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return ParsedFile((), (Problem(0, "not-utf8"),), 1)
    lines: list[Line] = []
    problems: list[Problem] = []
    count = 0
    seen: dict[str, int] = {}
    normalise = normaliser(kind)
    for number, cell in enumerate(_cells(text, is_csv), 1):
        value = cell.strip()
        if not value:
            continue
        if number == 1 and is_csv and value.lower() in HEADERS:
            continue
        try:
            canonical = normalise(value).canonical
        except SubjectError:
            problem = Problem(number, "invalid")
        else:
            if canonical not in seen:
                seen[canonical] = number
                lines.append(Line(number, value, canonical))
                continue
            problem = Problem(number, "duplicate", seen[canonical])
        count += 1
        if len(problems) < MAX_LISTED:
            problems.append(problem)
    return ParsedFile(tuple(lines), tuple(problems), count)


@dataclass(frozen=True, slots=True)
class Difference:
    """What an upload changes against what the node holds for the category, by pseudonym."""

    #: Pseudonym and line of every subject the file adds.
    additions: tuple[tuple[str, Line], ...]
    #: Pseudonyms the node holds and the file no longer lists.
    removals: tuple[str, ...]
    unchanged: int


def difference(held: Iterable[str], lines: Mapping[str, Line]) -> Difference:
    """The file is the whole list for the category (``lines`` by pseudonym): what is new is added,
    what is gone is removed."""
    held_set = set(held)
    additions = tuple((p, line) for p, line in lines.items() if p not in held_set)
    removals = tuple(sorted(held_set - lines.keys()))
    return Difference(additions, removals, len(held_set & lines.keys()))
