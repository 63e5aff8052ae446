"""The `exchange convenant` and `exchange decide` commands, run as a user runs them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import CONVENANT, ROOT


def run(*args: str, stdin: str | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "EXCHANGE_CONVENANT_DIR"}
    return subprocess.run(
        [sys.executable, "-m", "exchange.cli.main", *args],
        capture_output=True,
        text=True,
        input=stdin,
        cwd=cwd,
        env=env,
        check=False,
    )


def test_check_ok() -> None:
    """`convenant check` accepts the shipped tree and lists each version."""
    p = run("convenant", "check", "convenant")
    assert p.returncode == 0, p.stderr
    assert "ok  PIT 2021" in p.stdout and "ok  KIT 2020" in p.stdout


def test_check_reports_file_and_line(tmp_path: Path) -> None:
    """`convenant check` exits non-zero and names file and line."""
    target = tmp_path / "pit" / "2021"
    shutil.copytree(CONVENANT / "pit" / "2021", target)
    flows = target / "flows.yaml"
    flows.write_text(flows.read_text().replace("purpose: ondermijning", "purpose: spionage"))
    p = run("convenant", "check", str(tmp_path))
    assert p.returncode == 2
    assert f"{flows}:" in p.stderr and "unknown purpose 'spionage'" in p.stderr


def test_compile_writes_casbin_files(tmp_path: Path) -> None:
    """`convenant compile` writes a Casbin model and a policy whose rows carry article and ground."""
    p = run("convenant", "compile", "convenant/pit/2021", "--out", str(tmp_path))
    assert p.returncode == 0, p.stderr
    policy = (tmp_path / "policy.csv").read_text()
    assert "[matchers]" in (tmp_path / "model.conf").read_text()
    row = next(line for line in policy.splitlines() if "bijstand-naar-gemeenten" in line)
    assert row.endswith(", bijstand-naar-gemeenten, 7, Participatiewet art. 64")
    assert (tmp_path / "DIGEST").read_text().startswith("sha256:")
    tree = run("convenant", "compile", "convenant", "--out", str(tmp_path / "all"))
    assert tree.returncode == 0 and (tmp_path / "all" / "kit" / "2020" / "policy.csv").is_file()


def test_test_command_prints_coverage() -> None:
    """`convenant test` prints per-article coverage and passes on the shipped covenants."""
    p = run("convenant", "test", "convenant")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "coverage per article" in p.stdout and "25 of 25 scenarios pass" in p.stdout


def test_diff_and_register_commands(tmp_path: Path) -> None:
    """`convenant diff` prints words or JSON; `convenant register` writes Markdown."""
    words = run("convenant", "diff", "convenant/pit/2016", "convenant/pit/2021")
    assert words.returncode == 0 and "Permissions lost:" in words.stdout
    as_json = run("convenant", "diff", "convenant/pit/2016", "convenant/pit/2021", "--json")
    assert json.loads(as_json.stdout)["new"] == "pit/2021"
    other = run("convenant", "diff", "convenant/pit/2016", "convenant/kit/2020")
    assert other.returncode == 2 and "different covenants" in other.stderr
    out = tmp_path / "register.md"
    reg = run("convenant", "register", "convenant/pit/2021", "--out", str(out))
    assert reg.returncode == 0 and "Verwerkingsregister" in out.read_text()


def test_decide_from_argument_and_stdin() -> None:
    """`decide` prints the decision as JSON; exit 0 allowed, 1 denied, 2 malformed."""
    request = {
        "requester": "someren",
        "role": "employee",
        "provider": "senzer",
        "category": "bijstand-status",
        "purpose": "uitkeringsfraude",
        "phase": "action",
        "covenant": "pit",
        "moment": "2022-03-01T10:00:00+01:00",
    }
    allowed = run("decide", json.dumps(request))
    assert allowed.returncode == 0, allowed.stderr
    assert json.loads(allowed.stdout)["articles"] == ["7"]
    denied = run("decide", stdin=json.dumps({**request, "purpose": "brandveiligheid"}))
    assert denied.returncode == 1 and json.loads(denied.stdout)["allowed"] is False
    reference = run("decide", "--reference", json.dumps(request))
    assert reference.returncode == 0 and json.loads(reference.stdout)["allowed"] is True
    bad = run("decide", "{not json")
    assert bad.returncode == 2 and "not valid JSON" in bad.stderr


REQUEST = {
    "requester": "someren",
    "role": "employee",
    "provider": "senzer",
    "category": "bijstand-status",
    "purpose": "uitkeringsfraude",
    "phase": "action",
    "covenant": "pit",
    "moment": "2022-03-01T10:00:00+01:00",
}


def test_decide_refuses_an_unknown_covenant_as_malformed() -> None:
    """An unknown covenant or version is a malformed request (exit 2) with close names, not a denial."""
    typo = run("decide", json.dumps({**REQUEST, "covenant": "pitt"}))
    assert typo.returncode == 2 and typo.stdout == ""
    assert "unknown covenant 'pitt' in convenant; did you mean 'pit'?" in typo.stderr
    assert "(it has: kit, lsi-woensel, pit)" in typo.stderr
    version = run("decide", json.dumps({**REQUEST, "covenant": "pit/2099"}))
    assert version.returncode == 2 and "covenant 'pit' has no version '2099'" in version.stderr
    assert "(it has: 2016, 2021)" in version.stderr
    named = run("decide", json.dumps({**REQUEST, "covenant": "pit/2021"}))
    assert named.returncode == 0 and json.loads(named.stdout)["allowed"] is True


def test_decide_outside_the_project_names_the_directory_it_looked_in(tmp_path: Path) -> None:
    """Run elsewhere, `decide` says which covenant directory is missing and how to give one."""
    away = run("decide", json.dumps(REQUEST), cwd=tmp_path)
    assert away.returncode == 2
    assert f"no covenant directory at convenant (looked in {tmp_path / 'convenant'})" in away.stderr
    assert "--convenant DIR or EXCHANGE_CONVENANT_DIR" in away.stderr
    given = run("decide", "--convenant", str(CONVENANT), json.dumps(REQUEST), cwd=tmp_path)
    assert given.returncode == 0, given.stderr


def test_the_demo_outside_the_project_says_where_the_covenants_should_be(tmp_path: Path) -> None:
    """`exchange demo` elsewhere stops at once naming the missing covenant directory, instead of
    starting a service without covenants whose every step is denied."""
    away = run("demo", "--exit", "--workdir", str(tmp_path / "demo"), cwd=tmp_path)
    assert away.returncode == 2
    assert f"the demo plays the covenants in {tmp_path / 'convenant'}, which does not exist" in away.stderr
    assert not (tmp_path / "demo").exists()
