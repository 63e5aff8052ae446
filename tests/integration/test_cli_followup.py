"""`exchange client` after the action, against a running service: action points, findings checked
against the covenant files, the outcome fed back, the jurist's review and closing with a sealed
reason, each printed with the covenant's names (``--json`` for scripts)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from typer.testing import CliRunner

from exchange.cli.main import app as cli
from tests.conftest import convenant_today
from tests.integration.test_cli_client import PASS, run, served

__all__ = ["served"]  # the fixture, shared with test_cli_client

POLICE = ("politie-oost-brabant", "employee")
COORD = ("helmond", "coordinator")


def fails(base: str, tmp: Path, party: str, role: str, *args: str) -> str:
    """Run a command that must be refused; its one-line error."""
    env = {
        "EXCHANGE_URL": base,
        "EXCHANGE_KEYSTORE": str(tmp / f"{party}.ks"),
        "EXCHANGE_PASSPHRASE": PASS,
        "EXCHANGE_USER": "u-1",
        "EXCHANGE_ROLE": role,
        "EXCHANGE_CONVENANT_DIR": str(convenant_today()),
    }
    result = CliRunner().invoke(cli, ["client", *args], env=env)
    assert result.exit_code == 2, result.output
    return result.output


def test_follow_up_from_the_command_line(served: tuple[str, Path]) -> None:
    """A case worked to its end from the CLI: review, action point, findings (a typo refused before
    sending, a second registration replacing the first), feedback to the contributor, and closing."""
    base, tmp = served
    opened = run(
        base, tmp, *COORD, "open-case", "--covenant", "pit", "--purpose", "onrechtmatige-bewoning",
        "--address", "5701 AB 12a",
    )  # fmt: skip
    cid = json.loads(opened)["id"]
    run(base, tmp, *COORD, "transition", cid, "--to", "selection")
    run(base, tmp, *COORD, "add-party", cid, "--party", "politie-oost-brabant")
    run(base, tmp, *COORD, "transition", cid, "--to", "preparation", "--reason", "Two independent signals.")
    assert "verdict must be 'approved' or 'concerns'" in fails(
        base,
        tmp,
        "helmond",
        "jurist",
        "review",
        cid,
        "--verdict",
        "fine",
        "--note",
        "Proportionate selection.",
    )
    reviewed = json.loads(
        run(
            base,
            tmp,
            "helmond",
            "jurist",
            "review",
            cid,
            "--verdict",
            "concerns",
            "--note",
            "Only two signals.",
        )
    )
    assert [(r["party"], r["verdict"]) for r in reviewed["reviews"]] == [("helmond", "concerns")]
    run(
        base,
        tmp,
        *COORD,
        "request",
        cid,
        "--provider",
        "politie-oost-brabant",
        "--category",
        "politie-incidenten",
    )
    (tmp / "incidents.txt").write_text("2 meldingen overlast in 2026")
    run(
        base,
        tmp,
        *POLICE,
        "send",
        cid,
        "--category",
        "politie-incidenten",
        "--file",
        str(tmp / "incidents.txt"),
    )
    run(base, tmp, *COORD, "transition", cid, "--to", "action")

    due = (date.today() + timedelta(days=14)).isoformat()
    made = json.loads(
        run(base, tmp, *COORD, "actions", "add", cid, "--kind", "reinspection", "--owner", POLICE[0],
            "--deadline", due, "--json")
    )  # fmt: skip
    assert made["status"] == "open" and made["deadline"].startswith(due)
    updated = run(base, tmp, *POLICE, "actions", "update", cid, made["id"], "--status", "done")
    assert f"{made['id']}  Hercontrole" in updated and "afgerond" in updated
    listed = run(base, tmp, *COORD, "actions", "list", cid)
    assert "Politie Oost-Brabant (incl. AVIM)" in listed and "afgerond" in listed

    typo = fails(base, tmp, *POLICE, "findings", "add", cid, "--finding", "politie-incidenten:ondermijnin=1")
    assert "'ondermijnin' is not a violation code of PIT 2021; did you mean 'ondermijning'?" in typo
    assert "not CATEGORY:CODE=COUNT" in fails(base, tmp, *POLICE, "findings", "add", cid, "--finding", "x=y")
    assert json.loads(run(base, tmp, *POLICE, "findings", "list", cid, "--json")) == []
    added = run(
        base, tmp, *POLICE, "findings", "add", cid, "--finding", "politie-incidenten:ondermijning=1",
        "--finding", "brp-inschrijving:onjuiste-inschrijving=2",
    )  # fmt: skip
    assert (
        "Politie Oost-Brabant (incl. AVIM): 1 x Aanwijzing voor ondermijnende criminaliteit (ondermijning, "
        "art. 11) in Incidenten en mutaties op het adres (politie-incidenten)"
    ) in added
    run(base, tmp, *POLICE, "findings", "add", cid, "--finding", "politie-incidenten:ondermijning=3")
    found = json.loads(run(base, tmp, *COORD, "findings", "list", cid, "--json"))
    assert [(f["party"], f["code"], f["count"]) for f in found] == [(POLICE[0], "ondermijning", 3)]
    assert "3 x Aanwijzing voor ondermijnende criminaliteit" in run(
        base, tmp, *COORD, "findings", "list", cid
    )

    for phase in ("follow-up", "feedback"):
        run(base, tmp, *COORD, "transition", cid, "--to", phase)
    given = run(base, tmp, *COORD, "feedback", "give", cid, "--outcome", "violation-found")
    assert "Uitkomst: Overtreding vastgesteld (violation-found)" in given
    assert "Teruggekoppeld aan: Politie Oost-Brabant (incl. AVIM)" in given
    assert "Overtreding vastgesteld" in run(base, tmp, *POLICE, "feedback", "show", cid)
    assert (
        json.loads(run(base, tmp, *POLICE, "feedback", "show", cid, "--json"))["outcome"] == "violation-found"
    )

    assert "only the case's coordinator" in fails(
        base, tmp, *POLICE, "close", cid, "--reason", "Done with it all."
    )
    closed = run(base, tmp, *COORD, "close", cid, "--reason", "All action points done; outcome fed back.")
    assert f"Casus {cid} is gesloten" in closed
    assert "the case is closed" in fails(
        base, tmp, *POLICE, "findings", "add", cid, "--finding", "politie-incidenten:ondermijning=1"
    )
    shown = run(base, tmp, *POLICE, "texts", cid, "--signers", str(tmp / "helmond.pub.json"))
    assert "--- closing-reason by helmond" in shown and "All action points done; outcome fed back." in shown
