"""The same dossier view as :mod:`exchange.client.dossier_html`, as a PDF for the action day.

Made on the party's machine from items it opened there; fpdf2 embeds a Unicode TrueType font
(DejaVu Sans by default: Debian's ``fonts-dejavu-core``; elsewhere set ``EXCHANGE_PDF_FONT`` to a
regular ``.ttf`` with a bold face beside it named ``*-Bold.ttf``).
"""

from __future__ import annotations

import logging
import os
from datetime import datetime
from pathlib import Path

from exchange.client.dossier_html import OpenedItem
from exchange.errors import ConfigurationError

DEFAULT_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def font_paths() -> tuple[Path, Path]:
    regular = Path(os.environ.get("EXCHANGE_PDF_FONT", str(DEFAULT_FONT)))
    bold = regular.with_name(regular.stem + "-Bold" + regular.suffix)
    if not regular.is_file():
        raise ConfigurationError(
            f"a PDF needs a Unicode TrueType font and {regular} does not exist; install Debian's "
            "fonts-dejavu-core or set EXCHANGE_PDF_FONT, or write --html instead"
        )
    return regular, bold if bold.is_file() else regular


def render_pdf(case: dict[str, object], party: str, items: list[OpenedItem], printed: datetime) -> bytes:
    """The party's own view, a block per item, with the confidentiality line on every page."""
    try:
        from fpdf import FPDF
        from fpdf.enums import XPos, YPos
    except ImportError:  # pragma: no cover - installed with the 'pdf' extra (and for development)
        raise ConfigurationError("PDF export needs fpdf2: pip install 'exchange[pdf]'") from None
    regular, bold = font_paths()
    footer = f"Vertrouwelijk: alleen voor het doel van casus {case['id']}. Weergave van {party}."

    class Dossier(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("body", "", 8)
            self.cell(0, 5, f"{footer}  Pagina {self.page_no()}/{{nb}}", align="C")

    pdf = Dossier(format="A4")
    pdf.set_title(f"Dossier {case['id']} ({party})")
    pdf.set_creator("exchange")
    pdf.add_font("body", "", str(regular))
    pdf.add_font("body", "B", str(bold))
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()
    pdf.set_font("body", "B", 16)
    pdf.cell(0, 10, "Dossier voor de actiedag", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("body", "", 9)
    pdf.multi_cell(
        0,
        5,
        f"Casus {case['id']} · {case['covenant']} · doel {case['purpose']} · fase {case['phase']}\n"
        f"Weergave van {party}, gedecodeerd op eigen systeem, afgedrukt {printed:%Y-%m-%d %H:%M}.",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.ln(3)
    quiet = logging.getLogger("fpdf")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # missing-glyph warnings quote item text: keep it out of logs
    try:
        if not items:
            pdf.set_font("body", "", 10)
            pdf.multi_cell(0, 6, "Er zijn in deze casus geen items voor deze partij versleuteld.")
        for item in items:  # a block per item: long items flow across pages, which table rows cannot
            pdf.set_draw_color(150)
            pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
            pdf.ln(1.5)
            pdf.set_font("body", "B", 10)
            pdf.multi_cell(
                0,
                6,
                f"{item.category} · van {item.provider} · {item.created}",
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
            )
            pdf.set_font("body", "", 10)
            pdf.multi_cell(0, 5, item.text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(3)
        return bytes(pdf.output())
    finally:
        quiet.setLevel(level)
