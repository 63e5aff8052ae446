"""The README's demo is also a test: it starts the service on SQLite and plays the case over HTTP."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from exchange.cli.demo import run_demo
from tests.conftest import ROOT
from tests.integration.store_dump import holds_postcode


def test_demo_over_http(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each party sees exactly its share under PIT 2021; the observer sees nothing; the log verifies,
    is witnessed, and holds no plaintext address; the access report includes the disclosures."""
    monkeypatch.chdir(ROOT)
    lines: list[str] = []
    facts = run_demo(tmp_path / "demo", lines.append, keep_serving=False)
    assert facts["views"] == {
        "helmond": ["politie-incidenten"],
        "politie-oost-brabant": ["brp-inschrijving"],
        "vrbzo": ["brp-inschrijving"],
        "senzer": ["brp-inschrijving"],
        "wijkteam-zonder-rol": [],
    }
    assert facts["observer_items"] == 0
    assert facts["observer_texts"] == 0  # an observer reads no free text either
    assert facts["witnesses"] == 2
    assert facts["selection_hits"] == facts["signal_hits"] + 1  # the police's incidents join at selection
    text = "\n".join(lines)
    assert (
        "told to every party that contributed or answered a hit: politie-oost-brabant, senzer, vrbzo" in text
    )
    assert "disclosure" in text and "dossier-read" in text
    assert "(demo covenants: copies of convenant/ with dates moved to today" in text
    copy = (tmp_path / "demo" / "convenant" / "pit" / "2021" / "covenant.yaml").read_text(encoding="utf-8")
    assert copy.startswith("# DEMO COPY of convenant/pit/2021, not the signed agreement")
    with sqlite3.connect(tmp_path / "demo" / "exchange.db") as conn:
        blob = b"".join(row[0] for row in conn.execute("SELECT event FROM log_entries"))
        cipher = b"".join(row[0] for row in conn.execute("SELECT ciphertext FROM dossier_items"))
    assert not holds_postcode(blob) and b"12-a" not in blob.lower()  # only the pseudonym is logged
    assert b"meldingen" not in cipher and b"personen" not in cipher  # the hub stores ciphertext only
    files = b"".join(p.read_bytes() for p in (tmp_path / "demo").glob("exchange.db*"))  # the WAL too
    assert b"overcrowding" not in files and b"Enforcement started" not in files  # reasons are sealed
    assert "opens the reasons sealed for it: 1 ('Enforcement started; follow-up completed.')" in text
    # The pseudonym key reached every party through the hub, sealed: five copies stored, four fetched.
    assert "Helmond, PIT's key custodian, makes key v1" in text
    assert blob.count(b'"action":"pseudonym-key-copy"') == 5
    assert blob.count(b'"action":"pseudonym-key-fetch"') == 4
