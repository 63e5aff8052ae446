"""Demo copies of the covenant tree: every date moved by the same number of days, nothing else."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from exchange.errors import ConfigurationError
from exchange.policies.compiler import compile_covenant
from exchange.policies.engine import DecisionEngine
from exchange.policies.files import LoadedVersion
from exchange.policies.model import Covenant
from exchange.policies.reader import COVENANT_FILE, FLOWS_FILE, SCENARIOS_FILE, read_covenant
from exchange.policies.rebase import DEMO_REFERENCE_DATE, rebase_version, shift_days, write_rebased_tree
from exchange.policies.scenarios import run_scenarios
from tests.conftest import CONVENANT

PIT_2021 = CONVENANT / "pit" / "2021"


def pit_files() -> dict[str, str]:
    return {
        n: (PIT_2021 / n).read_text(encoding="utf-8") for n in (COVENANT_FILE, FLOWS_FILE, SCENARIOS_FILE)
    }


def in_force(c: Covenant, day: date) -> bool:
    return c.effective_from <= day and (c.effective_until is None or day < c.effective_until)


def by_ref(versions: list[LoadedVersion]) -> dict[str, LoadedVersion]:
    return {str(v.covenant.ref): v for v in versions}


@pytest.mark.parametrize("today", [date(2026, 11, 30), date(2031, 2, 28), date(2101, 1, 1), date(2019, 6, 1)])
def test_copy_moves_every_date_by_the_same_days(
    shipped: list[LoadedVersion], tmp_path: Path, today: date
) -> None:
    """Every version's validity and every scenario moment move by today - reference; labels, order,
    lengths and gaps stay; the version in force on the reference day is in force today; the copy's
    own scenarios pass (what `exchange convenant test` runs on it)."""
    copy = write_rebased_tree(CONVENANT, tmp_path / "c", reference=DEMO_REFERENCE_DATE, today=today)
    delta = timedelta(days=shift_days(DEMO_REFERENCE_DATE, today))
    old, new = by_ref(shipped), by_ref(copy)
    assert old.keys() == new.keys()
    for ref, o in old.items():
        n = new[ref]
        assert n.covenant.label == o.covenant.label and n.covenant.title == o.covenant.title
        assert n.covenant.effective_from == o.covenant.effective_from + delta
        assert o.covenant.effective_until is not None and n.covenant.effective_until is not None
        assert n.covenant.effective_until == o.covenant.effective_until + delta
        assert n.covenant.flows == o.covenant.flows
        assert [s.name for s in n.scenarios] == [s.name for s in o.scenarios]
        for a, b in zip(o.scenarios, n.scenarios, strict=True):
            assert a.moment is not None and b.moment is not None
            assert datetime.fromisoformat(b.moment) == datetime.fromisoformat(a.moment) + delta
        assert in_force(n.covenant, today) == in_force(o.covenant, DEMO_REFERENCE_DATE)
        text = (tmp_path / "c" / ref / COVENANT_FILE).read_text(encoding="utf-8")
        assert text.startswith(f"# DEMO COPY of convenant/{ref}, not the signed agreement")
    engine = DecisionEngine(compile_covenant(v.covenant) for v in copy)
    for v in copy:
        report = run_scenarios(engine, v.covenant, list(v.scenarios))
        assert report.passed, report.render()


def test_reference_day_lies_well_inside_every_shipped_covenant(shipped: list[LoadedVersion]) -> None:
    """Every shipped covenant has a version in force on the reference day, with a year to spare on
    either side, so tests that look a year back or ahead of today stay within it."""
    margin = timedelta(days=365)
    for cid in {v.covenant.ref.id for v in shipped}:
        versions = [v.covenant for v in shipped if v.covenant.ref.id == cid]
        current = [c for c in versions if in_force(c, DEMO_REFERENCE_DATE)]
        assert len(current) == 1, cid
        assert in_force(current[0], DEMO_REFERENCE_DATE - margin), cid
        assert in_force(current[0], DEMO_REFERENCE_DATE + margin), cid


def test_the_shipped_tree_is_not_touched(tmp_path: Path) -> None:
    """Making a copy leaves convenant/ as it was."""
    before = pit_files()
    write_rebased_tree(CONVENANT, tmp_path / "c", reference=DEMO_REFERENCE_DATE, today=date(2040, 1, 1))
    assert pit_files() == before


def test_other_files_are_copied_as_they_are(tmp_path: Path) -> None:
    """A version directory's README (or any other file) is copied byte for byte."""
    src = tmp_path / "src" / "pit" / "2021"
    src.mkdir(parents=True)
    for name, text in pit_files().items():
        (src / name).write_text(text, encoding="utf-8")
    (src / "README.md").write_bytes(b"# PIT 2021\n\xff not even UTF-8\n")
    write_rebased_tree(tmp_path / "src", tmp_path / "c", reference=date(2024, 1, 1), today=date(2024, 1, 2))
    assert (
        tmp_path / "c" / "pit" / "2021" / "README.md"
    ).read_bytes() == b"# PIT 2021\n\xff not even UTF-8\n"


def test_open_ended_versions_and_scenarios_without_a_moment() -> None:
    """An open-ended version stays open-ended; a scenario without a moment keeps none (it is decided
    at noon on the moved first day)."""
    files = pit_files()
    files[COVENANT_FILE] = files[COVENANT_FILE].replace("effective_until: 2027-07-01\n", "")
    files[SCENARIOS_FILE] = re.sub(r', moment: "[^"]*"', "", files[SCENARIOS_FILE])
    out = rebase_version(files, 10, "pit/2021")
    c = read_covenant(out, "pit/2021")
    assert c.effective_from == date(2021, 7, 11) and c.effective_until is None
    assert "moment" not in out[SCENARIOS_FILE]
    assert out[FLOWS_FILE] == files[FLOWS_FILE]


def test_quoted_and_unquoted_forms_are_moved() -> None:
    """Quoted dates and unquoted (YAML timestamp) moments are moved and keep their quoting."""
    files = pit_files()
    files[COVENANT_FILE] = files[COVENANT_FILE].replace(
        "effective_from: 2021-07-01", "effective_from: '2021-07-01'"
    )
    files[SCENARIOS_FILE] = files[SCENARIOS_FILE].replace(
        'moment: "2022-03-01T10:00:00+01:00"', "moment: 2022-03-01T10:00:00+01:00"
    )
    out = rebase_version(files, -1, "pit/2021")
    assert "effective_from: '2021-06-30'" in out[COVENANT_FILE]
    assert "moment: 2022-02-28T10:00:00+01:00}" in out[SCENARIOS_FILE]


@pytest.mark.parametrize(
    ("name", "old", "new", "what"),
    [
        (COVENANT_FILE, "effective_from: 2021-07-01", '"effective_from": 2021-07-01', "effective_from"),
        (COVENANT_FILE, "effective_until: 2027-07-01", '"effective_until": 2027-07-01', "effective_until"),
        (
            SCENARIOS_FILE,
            'moment: "2022-03-01T10:00:00+01:00"}',
            '"moment": "2022-03-01T10:00:00+01:00"}',
            "the moment of scenario 'The coordinator may ask Senzer",
        ),
    ],
)
def test_a_date_in_an_unknown_form_is_refused(name: str, old: str, new: str, what: str) -> None:
    """A date the reader accepts but the copy could not move is an error, not a half-moved copy."""
    files = pit_files()
    files[name] = files[name].replace(old, new, 1)
    with pytest.raises(ConfigurationError, match=f"cannot make a demo copy of pit/2021: {what}.* not moved"):
        rebase_version(files, 30, "pit/2021")


def test_the_copy_needs_a_fresh_directory(tmp_path: Path) -> None:
    """Writing over an earlier copy could leave stale versions behind, so a non-empty target is refused."""
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "old.yaml").write_text("x", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="is not empty: a demo copy of the covenants needs a fresh"):
        write_rebased_tree(CONVENANT, tmp_path / "c", reference=DEMO_REFERENCE_DATE, today=date(2030, 1, 1))


def test_a_version_without_scenarios() -> None:
    """A version without a scenarios file gets none in the copy."""
    files = pit_files()
    del files[SCENARIOS_FILE]
    out = rebase_version(files, 5, "pit/2021")
    assert set(out) == {COVENANT_FILE, FLOWS_FILE}
    assert read_covenant(out, "pit/2021").effective_until == date(2027, 7, 6)
