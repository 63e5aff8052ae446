"""The answer to an access request as a PDF, made on the party's machine with the subject in it
(the hub never holds it): the Dutch summary of :func:`exchange.client.access.summary_nl` under a
heading naming the subject, in the dossier export's Unicode font (:mod:`exchange.client.dossier_pdf`).
"""

from __future__ import annotations

from exchange.client.dossier_pdf import font_paths
from exchange.errors import ConfigurationError


def letter_as_pdf(subject: str, made: str, summary: str) -> bytes:
    """One document: heading, the subject and the day it was made, then the summary."""
    try:
        from fpdf import FPDF
        from fpdf.enums import XPos, YPos
    except ImportError:  # pragma: no cover - installed with the 'pdf' extra (and for development)
        raise ConfigurationError("PDF export needs fpdf2: pip install 'exchange[pdf]'") from None
    regular, bold = font_paths()
    pdf = FPDF(format="A4")
    pdf.set_title("Inzageverzoek (AVG art. 15)")
    pdf.set_creator("exchange")
    pdf.add_font("body", "", str(regular))
    pdf.add_font("body", "B", str(bold))
    pdf.add_page()
    pdf.set_font("body", "B", 14)
    pdf.cell(0, 9, "Antwoord op uw inzageverzoek (AVG art. 15)", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("body", "", 10)
    pdf.multi_cell(0, 5, f"Betreft: {subject}\nOpgesteld: {made}\n", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.multi_cell(0, 5, summary, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())
