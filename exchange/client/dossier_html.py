"""A printable HTML page of the dossier items a party may see in a case, decrypted on the client."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class OpenedItem:
    item: str
    provider: str
    category: str
    created: str
    text: str


STYLE = """body { font-family: system-ui, sans-serif; margin: 2em; }
table { border-collapse: collapse; width: 100%; }
td, th { border: 1px solid #999; padding: .4em; vertical-align: top; text-align: left; }
pre { white-space: pre-wrap; margin: 0; font-family: inherit; } .meta { color: #444; }
@media print { body { margin: 0; } }
"""


def render(
    case: dict[str, object],
    party: str,
    items: list[OpenedItem],
    printed: datetime,
    stylesheet: str | None = None,
) -> str:
    """The party's own view; nothing on the page came from the hub in plaintext except metadata.

    The style is inline unless ``stylesheet`` names a style sheet to link instead (a page served
    under a Content-Security-Policy that allows no inline style: the party node's)."""
    esc = html.escape
    style = (
        f'<link rel="stylesheet" href="{esc(stylesheet)}">'
        if stylesheet is not None
        else f"<style>\n{STYLE}</style>"
    )
    rows = (
        "\n".join(
            f"<tr><td>{esc(i.category)}</td><td>{esc(i.provider)}</td><td>{esc(i.created)}</td>"
            f"<td><pre>{esc(i.text)}</pre></td></tr>"
            for i in items
        )
        or '<tr><td colspan="4"><em>No items are sealed for this party in this case.</em></td></tr>'
    )
    return f"""<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><title>Dossier {esc(str(case["id"]))} ({esc(party)})</title>
<link rel="icon" href="data:,">
{style}</head><body>
<h1>Dossier voor de actiedag</h1>
<p class="meta">Casus {esc(str(case["id"]))} &middot; {esc(str(case["covenant"]))} &middot;
doel {esc(str(case["purpose"]))} &middot; fase {esc(str(case["phase"]))}</p>
<p class="meta">Weergave van <strong>{esc(party)}</strong>, gedecodeerd op eigen systeem,
afgedrukt {esc(printed.strftime("%Y-%m-%d %H:%M"))}. Vertrouwelijk: alleen voor het doel van deze casus.</p>
<table><thead><tr><th>Categorie</th><th>Van</th><th>Aangemaakt</th><th>Inhoud</th></tr></thead>
<tbody>
{rows}
</tbody></table>
</body></html>
"""
