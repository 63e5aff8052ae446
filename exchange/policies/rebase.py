"""Demo copies of a covenant tree whose dates are moved so that its versions are in force today.

The shipped covenants are real agreements with real end dates: PIT 2021 ends on 2027-07-01. The demo
and the test suite must play the same story on any day, without faking the hub's clock (signature
freshness and log times stay real). So they run on a *copy* of the tree in which every date, the
versions' ``effective_from``/``effective_until`` and the scenarios' ``moment``, is moved by the same
number of days: the version in force on a reference day is in force today, and the versions keep
their order, lengths and gaps (docs/adr/0011-demo-covenant-copies.md).

The transformation is pure text in, text out, and checked by reading both sides with the covenant
reader; only :func:`write_rebased_tree` touches the disk. No function here reads the wall clock: the
caller passes ``today``.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from exchange.errors import ConfigurationError
from exchange.policies.decision import parse_moment
from exchange.policies.files import LoadedVersion, load_tree, version_dirs
from exchange.policies.reader import (
    COVENANT_FILE,
    FLOWS_FILE,
    SCENARIOS_FILE,
    read_covenant,
    read_scenarios,
)

#: A day on which every shipped covenant has a version in force, about halfway through the period in
#: which all of them do (LSI Woensel 2024 from 2024-03-01, its end on 2027-03-01 the first of the
#: ends), so that a copy made today leaves well over a year on either side of today for tests that
#: look back or ahead. tests/unit/policies/test_rebase.py checks it against the shipped files.
DEMO_REFERENCE_DATE = date(2025, 9, 1)

D = TypeVar("D", date, datetime)

_DATED = (COVENANT_FILE, FLOWS_FILE, SCENARIOS_FILE)  # read as text, rewritten; other files copied

# Top-level keys only (no indentation): nested mappings never carry a version's validity.
_VALIDITY = re.compile(
    r"^(?P<key>effective_from|effective_until)(?P<sep>:[ \t]*)(?P<q>['\"]?)"
    r"(?P<value>\d{4}-\d{2}-\d{2})(?P=q)",
    re.MULTILINE,
)
_MOMENT = re.compile(
    r"(?P<key>\bmoment)(?P<sep>:[ \t]*)(?P<q>['\"]?)"
    r"(?P<value>\d{4}-\d{2}-\d{2}[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)(?P=q)"
)


def shift_days(reference: date, today: date) -> int:
    """How many days every date moves so that ``reference`` falls on ``today``."""
    return (today - reference).days


def _moved_date(m: re.Match[str], days: int) -> str:
    value = (date.fromisoformat(m["value"]) + timedelta(days=days)).isoformat()
    return f"{m['key']}{m['sep']}{m['q']}{value}{m['q']}"


def _moved_moment(m: re.Match[str], days: int) -> str:
    # Whole days keep the time of day and the written offset, so "10:00 Amsterdam time" stays that.
    value = (datetime.fromisoformat(m["value"]) + timedelta(days=days)).isoformat()
    return f"{m['key']}{m['sep']}{m['q']}{value}{m['q']}"


def _moment(text: str | None) -> datetime | None:
    return parse_moment(text) if text is not None else None


def _plus(value: D | None, delta: timedelta) -> D | None:
    return value + delta if value is not None else None


def rebase_version(files: Mapping[str, str], days: int, source: str) -> dict[str, str]:
    """The files of one covenant version with every date moved by ``days``, marked as a copy.

    ``files`` maps the version's YAML file names (``covenant.yaml``, ``flows.yaml`` and, if present,
    ``scenarios.yaml``) to their text; ``flows.yaml`` has no dates and comes back unchanged. Raises
    :class:`ConfigurationError` when a date the reader sees was not moved (a form this module does
    not know), rather than hand out a copy that is only half moved.
    """
    original = read_covenant(dict(files), source)  # a missing or broken file is reported as such
    note = (
        f"# DEMO COPY of {source}, not the signed agreement: every date in this directory is moved "
        f"{days:+d} days\n# so that the story plays on any day (docs/adr/0011-demo-covenant-copies.md).\n"
    )
    out = dict(files)
    out[COVENANT_FILE] = note + _VALIDITY.sub(lambda m: _moved_date(m, days), files[COVENANT_FILE])
    moved = read_covenant(out, source)
    delta = timedelta(days=days)
    problems = [
        key
        for key, before, after in (
            ("effective_from", original.effective_from, moved.effective_from),
            ("effective_until", original.effective_until, moved.effective_until),
        )
        if after != _plus(before, delta)
    ]
    if SCENARIOS_FILE in files:
        out[SCENARIOS_FILE] = note + _MOMENT.sub(lambda m: _moved_moment(m, days), files[SCENARIOS_FILE])
        pairs = zip(
            read_scenarios(files[SCENARIOS_FILE], source),
            read_scenarios(out[SCENARIOS_FILE], source),
            strict=True,
        )
        problems += [
            f"the moment of scenario {a.name!r}"
            for a, b in pairs
            if _moment(b.moment) != _plus(_moment(a.moment), delta)
        ]
    if problems:
        raise ConfigurationError(
            f"cannot make a demo copy of {source}: {', '.join(problems)} not moved; write dates as "
            "YYYY-MM-DD and moments as ISO 8601 (docs/specs/covenant-format.md)"
        )
    return out


def write_rebased_tree(source: Path, dest: Path, *, reference: date, today: date) -> list[LoadedVersion]:
    """Copy the covenant tree at ``source`` to ``dest`` with every date moved by ``today - reference``.

    ``dest`` must be missing or empty. The copy keeps the tree's layout and every file of a version
    directory (a README is copied as it is); it is read back, and so checked, before it is returned.
    """
    if dest.exists() and any(dest.iterdir()):
        raise ConfigurationError(f"{dest} is not empty: a demo copy of the covenants needs a fresh directory")
    load_tree(source)  # a broken tree is reported against its own files, not against the copy
    days = shift_days(reference, today)
    for directory in version_dirs(source):
        relative = directory.relative_to(source)
        target = dest / relative
        target.mkdir(parents=True, exist_ok=True)
        for path in sorted(directory.iterdir()):
            if path.is_file() and path.name not in _DATED:
                shutil.copyfile(path, target / path.name)
        files = {n: (directory / n).read_text(encoding="utf-8") for n in _DATED if (directory / n).is_file()}
        for name, text in rebase_version(files, days, (Path(source.name) / relative).as_posix()).items():
            (target / name).write_text(text, encoding="utf-8")
    return load_tree(dest)
