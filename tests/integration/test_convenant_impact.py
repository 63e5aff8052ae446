"""`exchange convenant impact` against the demo's log: the PIT 2016 → 2021 revision, replayed over the
decisions and hit/no-hit answers the demo logged."""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from exchange.audit.events import Action, Actor, Event, Outcome
from exchange.cli.demo import run_demo
from tests.conftest import ROOT
from tests.integration.conftest import Db


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's database, made once for this module (the demo takes a while)."""
    where = tmp_path_factory.mktemp("impact") / "demo"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        lines: list[str] = []
        run_demo(where, lines.append, keep_serving=False)
    return where / "exchange.db"


def impact(db: Path, *args: str, url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXCHANGE_")}
    env["EXCHANGE_DATABASE_URL"] = url or f"sqlite:///{db}"
    return subprocess.run(
        [sys.executable, "-m", "exchange.cli.main", "convenant", "impact", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )


def test_pit_2021_against_2016_changes_the_demo_answers(demo_db: Path) -> None:
    """PIT 2016 had no Senzer and no benefit category, and let the municipalities share BAG use at
    selection; PIT 2021 lets Helmond's coordinator ask Senzer for a benefit hit at selection (art. 4)
    and no longer the BAG. The report names the demo's case and those parties, counts subjects, and
    holds no pseudonym."""
    with sqlite3.connect(demo_db) as conn:
        [(case,)] = conn.execute("SELECT DISTINCT case_id FROM log_entries WHERE action = 'hit-query'")
        answers = conn.execute("SELECT count(*) FROM log_entries WHERE action = 'hit-query'").fetchone()[0]
    args = ("convenant/pit/2021", "--against", "convenant/pit/2016")
    text = impact(demo_db, *args)
    assert text.returncode == 0, text.stderr
    assert (
        f"case {case}: helmond (coordinator) <- senzer 'bijstand-status' for 'onrechtmatige-bewoning' "
        "in selection: would now be answered (art. 4) [1 subject(s), 1 answer(s)]"
    ) in text.stdout
    assert (
        f"case {case}: helmond (coordinator) <- asten 'bag-gebruik' for 'onrechtmatige-bewoning' in "
        "selection: would no longer be answered (art. 3): PIT 2021 has no flow of 'bag-gebruik'"
    ) in text.stdout
    assert f"{answers} past PIT hit/no-hit answers replayed:" in text.stdout
    assert f"cases affected: {case}" in text.stdout
    assert "v1:" not in text.stdout

    out = impact(demo_db, *args, "--format", "json")
    assert out.returncode == 0, out.stderr
    assert "v1:" not in out.stdout
    data = json.loads(out.stdout)
    assert (data["covenant"], data["against"]) == ("pit/2021", "pit/2016")
    rows = {(r["provider"], r["category"], r["phase"]): r for r in data["answers"]["rows"]}
    benefit = rows[("senzer", "bijstand-status", "selection")]
    assert (benefit["case"], benefit["requester"], benefit["role"], benefit["change"]) == (
        case,
        "helmond",
        "coordinator",
        "newly-answered",
    )
    assert (benefit["subjects"], benefit["articles"]) == (1, ["4"])
    assert rows[("asten", "bag-gebruik", "selection")]["change"] == "no-longer-answered"
    # Unchanged: PIT 2016 already let Helmond ask the police about incidents at selection (art. 4).
    assert ("politie-oost-brabant", "politie-incidenten", "selection") not in rows
    assert data["answers"]["replayed"] == answers
    assert data["cases"] == [case]
    assert {"helmond", "senzer", "asten"} <= set(data["parties"])
    # Senzer was not a party to PIT 2016: its read of the BRP data would have been denied.
    [decision] = data["decisions"]["rows"]
    assert (decision["requester"], decision["provider"], decision["was_allowed"]) == (
        "senzer",
        "helmond",
        False,
    )

    logged = impact(demo_db, "convenant/pit/2021", "--limit", "0")
    assert logged.returncode == 0, logged.stderr
    assert "0 of 5 past PIT decisions would change under PIT 2021" in logged.stdout
    assert f"{answers} past PIT hit/no-hit answers replayed: 0 would no longer be given" in logged.stdout


def test_wrong_options_are_refused_before_the_log_is_read(tmp_path: Path) -> None:
    """An unknown format, and a version of another covenant to compare with, exit 2 and say why."""
    db = tmp_path / "absent.db"
    fmt = impact(db, "convenant/pit/2021", "--format", "xml")
    assert fmt.returncode == 2 and "--format is text or json, not 'xml'" in fmt.stderr
    other = impact(db, "convenant/pit/2021", "--against", "convenant/kit/2020")
    assert other.returncode == 2 and "different covenants: 'kit' and 'pit'" in other.stderr
    assert not db.exists()


def test_the_log_is_read_on_either_database(db: Db) -> None:
    """The command streams the covenant's decisions and answers from SQLite or PostgreSQL; another
    covenant's answers and other actions are not counted."""
    t = datetime(2022, 3, 1, 10, tzinfo=UTC)
    base = Event(
        t,
        "tr-q",
        Action.HIT_QUERY,
        Actor("helmond", "coord-1", "coordinator"),
        Outcome.NO_HIT,
        case="case-1",
        purpose="onrechtmatige-bewoning",
        phase="selection",
        covenant="pit/2021",
        articles=("4",),
    )
    answers = [
        base.derive(subject=s, counterparty=p, category=k)
        for s in ("v1:" + "A" * 43, "v1:" + "B" * 43)
        for p, k in (("senzer", "bijstand-status"), ("politie-oost-brabant", "politie-incidenten"))
    ]
    other = dataclasses.replace(answers[0], covenant="kit/2020", case="case-2")
    view = Event(t, "tr-v", Action.CASE_VIEW, Actor("helmond", "po-1", "privacy-officer"), Outcome.DONE)
    with db.sessions.begin() as s:
        db.log.append_leaves(s, [*answers, other, view])
    out = impact(Path("unused"), "convenant/pit/2021", "--against", "convenant/pit/2016", url=db.url)
    assert out.returncode == 0, out.stderr
    assert (
        "case case-1: helmond (coordinator) <- senzer 'bijstand-status' for 'onrechtmatige-bewoning' in "
        "selection: would now be answered (art. 4) [2 subject(s), 2 answer(s)]"
    ) in out.stdout
    assert "politie-incidenten' for 'onrechtmatige-bewoning' in selection" not in out.stdout
    assert "4 past PIT hit/no-hit answers replayed" in out.stdout
    assert "cases affected: case-1\n" in out.stdout
