"""The PDF dossier holds each item's text whole, in any script, and says where it may be used."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from exchange.client.dossier_html import OpenedItem
from exchange.client.dossier_pdf import DEFAULT_FONT, render_pdf
from exchange.errors import ConfigurationError

CASE: dict[str, object] = {
    "id": "case-0123456789abcdef",
    "covenant": "pit/2021",
    "purpose": "onrechtmatige-bewoning",
    "phase": "action",
}
needs_font = pytest.mark.skipif(
    not DEFAULT_FONT.exists(), reason="Debian's fonts-dejavu-core is not installed"
)


def text_of(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


@needs_font
def test_items_in_any_script_and_long_items_across_pages(caplog: pytest.LogCaptureFixture) -> None:
    long = "\n".join(f"regel {i}: bewoner meldt overlast" for i in range(150))
    items = [
        OpenedItem(
            "it-1", "politie-oost-brabant", "politie-incidenten", "2026-11-01", "Łódź — café, straße 🙂"
        ),
        OpenedItem("it-2", "senzer", "bijstand-status", "2026-11-02", long),
    ]
    with caplog.at_level(logging.DEBUG):
        pdf = render_pdf(CASE, "helmond", items, datetime(2026, 11, 24, 9, 30, tzinfo=UTC))
    assert pdf.startswith(b"%PDF-")
    text = text_of(pdf)
    assert "Łódź — café, straße" in text and "regel 149: bewoner meldt overlast" in text
    assert "Weergave van helmond" in text and "case-0123456789abcdef" in text
    assert len(PdfReader(io.BytesIO(pdf)).pages) > 1
    assert "Vertrouwelijk" in PdfReader(io.BytesIO(pdf)).pages[-1].extract_text()  # on every page
    assert "Łódź" not in caplog.text and "🙂" not in caplog.text  # item text never reaches a log


@needs_font
def test_no_items_says_so() -> None:
    pdf = render_pdf(CASE, "wijkteam", [], datetime(2026, 11, 24, tzinfo=UTC))
    assert "geen items voor deze partij" in text_of(pdf)


def test_missing_font_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("EXCHANGE_PDF_FONT", str(tmp_path / "none.ttf"))
    with pytest.raises(ConfigurationError, match="Unicode TrueType font"):
        render_pdf(CASE, "helmond", [], datetime(2026, 11, 24, tzinfo=UTC))
