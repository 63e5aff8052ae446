"""Access requests (AVG art. 15) from the party's side: the subject is pseudonymised here, under every
pseudonym key version of the covenant the keystore holds, and only the pseudonyms go to the hub.

    pseudonyms = subject_pseudonyms(store, "pit", "address", "5701 AB 12a")
    answer = request_access(client, "pit", pseudonyms)
    print(summary_nl(answer))

The answer is the hub's JSON (docs/api.md, ``POST /v1/access-requests``); :func:`summary_nl` writes
it as Dutch text a privacy officer can work into a letter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from exchange.client.http import ExchangeClient
from exchange.client.texts import HubAnswerError
from exchange.crypto.keystore import Keystore
from exchange.crypto.pseudonym import pseudonymise
from exchange.crypto.subjects import normalise
from exchange.errors import InvalidInputError

KINDS_NL = {
    "hit": "treffer gemeld (bekend bij de verstrekker)",
    "disclosed": "verstrekt",
    "read": "ingezien",
    "feedback": "uitkomst teruggekoppeld",
    "request": "verzoek toegestaan",
}


def subject_pseudonyms(store: Keystore, covenant: str, kind: str, value: str) -> list[str]:
    """The subject's pseudonym under each pseudonym key version of ``covenant`` in the keystore,
    oldest version first. The value is normalised first (:func:`exchange.crypto.subjects.normalise`)."""
    covenant_id = covenant.partition("/")[0]
    keys = sorted((k for k in store.pseudonym_keys if k.covenant == covenant_id), key=lambda k: k.version)
    if not keys:
        raise InvalidInputError(
            f"this keystore holds no pseudonym key for covenant '{covenant_id}'; "
            "import the key the covenant's custodian sealed for your party first"
        )
    subject = normalise(kind, value)
    return [str(pseudonymise(subject, k)) for k in keys]


def request_access(client: ExchangeClient, covenant: str, pseudonyms: Sequence[str]) -> dict[str, Any]:
    """Ask the hub what it holds about the subject (privacy officer). Raises
    :class:`HubAnswerError` with the hub's reason when it refuses."""
    response = client.post("/v1/access-requests", {"covenant": covenant, "pseudonyms": list(pseudonyms)})
    try:
        body = response.json()
    except ValueError:
        body = {"title": response.text[:200]}
    if response.status_code != 200:
        raise HubAnswerError(response.status_code, body if isinstance(body, dict) else {})
    if not isinstance(body, dict):
        raise InvalidInputError("the hub's answer to the access request is not a JSON object")
    return body


def _day(text: str) -> str:
    return date.fromisoformat(text).strftime("%d-%m-%Y")


def _days(days: Sequence[str]) -> str:
    shown = ", ".join(_day(d) for d in days[:10])
    return shown + (f" en nog {len(days) - 10} dagen" if len(days) > 10 else "")


def _or(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " of " + names[-1]


def summary_nl(answer: Mapping[str, Any]) -> str:
    """The answer as Dutch text, grouped by recipient: cases, what each party received or learned,
    no-hit counts and the withheld categories with whom to ask."""
    lines = [
        f"Inzageverzoek (AVG art. 15) - {answer['covenant']['name']}",
        f"Gezocht met {answer['subjects']} pseudoniem(en) in {', '.join(answer['versions'])}; "
        f"{answer['entries']} logregels.",
        "",
    ]
    cases = answer["cases"]
    lines.append(f"Casussen over de betrokkene: {len(cases)}")
    for c in cases:
        purpose = f", doel: {c['purpose']['name']}" if c.get("purpose") else ""
        lines.append(
            f"  - {_day(c['opened'])} geopend door {c['coordinator']['name']}{purpose} ({c['case']})"
        )
    lines.append("")
    lines.append("Verstrekkingen en treffers")
    if not answer["disclosures"]:
        lines.append("  geen")
    recipient = None
    for d in answer["disclosures"]:
        if d["recipient"]["id"] != recipient:
            recipient = d["recipient"]["id"]
            lines.append(f"  Aan {d['recipient']['name']}:")
        what = d["category"]["name"] if d.get("category") else "uitkomst van de casus"
        lines.append(f"    - {KINDS_NL.get(d['kind'], d['kind'])} door {d['provider']['name']}: {what}")
        basis = []
        if d.get("purpose"):
            basis.append(f"doel: {d['purpose']['name']}")
        if d["articles"]:
            basis.append(
                "convenant "
                + ", ".join(
                    f"art. {a['id']}" + (f" ({a['name']})" if a["name"] else "") for a in d["articles"]
                )
            )
        if d["legal_grounds"]:
            basis.append("grondslag: " + "; ".join(d["legal_grounds"]))
        if basis:
            lines.append("      " + "; ".join(basis))
        lines.append(f"      op {_days(d['dates'])} ({d['count']}x)")
    lines.append("")
    lines.append("Vragen die niets opleverden (alleen aantallen)")
    if not answer["no_hits"]:
        lines.append("  geen")
    for h in answer["no_hits"]:
        asked = f'  - {h["asked_by"]["name"]} vroeg {h["provider"]["name"]} naar "{h["category"]["name"]}": '
        if h["count"]:
            lines.append(f"{asked}{h['count']}x geen treffer")
        if h.get("no_index"):
            lines.append(f"{asked}{h['no_index']}x had {h['provider']['name']} geen index om te controleren")
    if answer["withheld"]:
        lines.append("")
        lines.append("Niet in dit antwoord (vertrouwelijke categorieën)")
        for w in answer["withheld"]:
            ask = _or([p["name"] for p in w["ask"]]) if w["ask"] else "de verstrekker"
            lines.append(f"  - {w['category']['name']}: vraag het {ask}")
        lines.append("  Over deze categorieën zegt dit antwoord niets, ook niet of er iets is uitgewisseld.")
    lines.append("")
    lines.append(f"Dit verzoek staat in het logboek onder nummer {answer['log_index']}.")
    return "\n".join(lines)
