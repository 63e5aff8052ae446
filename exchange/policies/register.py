"""Documents a privacy officer otherwise writes by hand, generated from the covenant files.

- the AVG art. 30 register of processing activities, one entry per party as provider;
- a DPIA skeleton (AVG art. 35) with every flow of special, criminal or BSN data highlighted;
- a plain-language transparency text (AVG art. 13/14) a party can publish.
Output is Markdown. The texts state facts from the covenant; assessments are left for people.
"""

from __future__ import annotations

from collections import defaultdict

from exchange.policies.model import Covenant, Flow
from exchange.vocabulary import GroupId, PartyId, Purpose, Sensitivity

_SENSITIVITY_LABEL = {
    Sensitivity.ORDINARY: "gewoon persoonsgegeven",
    Sensitivity.SPECIAL: "bijzonder persoonsgegeven (AVG art. 9)",
    Sensitivity.CRIMINAL: "strafrechtelijk gegeven (AVG art. 10)",
    Sensitivity.BSN: "BSN (UAVG art. 46)",
}


def _names(c: Covenant, ends: tuple[str, ...]) -> str:
    out = []
    for end in ends:
        if end in c.groups:
            group = c.groups[GroupId(end)]
            members = ", ".join(c.parties[m].name for m in group.members)
            out.append(f"{group.name} ({members})")
        else:
            out.append(c.parties[PartyId(end)].name)
    return "; ".join(out)


def _retention(days: int) -> str:
    if days % 365 == 0:
        years = days // 365
        return f"{years} jaar"
    if days % 30 == 0:
        return f"{days // 30} maanden"
    return f"{days} dagen"


def _flows_from(c: Covenant, party: PartyId) -> list[Flow]:
    return [f for f in c.flows if any(party in c.members(p) for p in f.providers)]


def render_register(c: Covenant) -> str:
    """The art. 30 register entries, the DPIA skeleton and the transparency text, as Markdown."""
    return "\n\n".join([_art30(c), _dpia(c), _transparency(c)]) + "\n"


def _art30(c: Covenant) -> str:
    lines = [
        f"# Verwerkingsregister (AVG art. 30): {c.title}",
        "",
        f"Convenant {c.label}, in werking van {c.effective_from} tot "
        f"{c.effective_until or 'nader bericht'}. Gegenereerd uit de convenantbestanden; "
        "elke regel volgt uit een stroom (flow) in het convenant.",
    ]
    for party in c.parties.values():
        flows = _flows_from(c, party.id)
        received = [f for f in c.flows if any(party.id in c.members(r) for r in f.recipients)]
        lines += ["", f"## {party.name}", ""]
        if not flows and not received:
            lines.append("Deze partij verstrekt en ontvangt onder dit convenant geen gegevens.")
            continue
        lines.append("| Doel | Categorie | Ontvangers | Grondslag | Artikel | Bewaartermijn |")
        lines.append("|---|---|---|---|---|---|")
        for f in flows:
            purpose = c.purposes[f.purpose]
            for cat in f.categories:
                cdef = c.categories[cat]
                ground = f.ground + (f"; uitzondering: {f.exception}" if f.exception else "")
                lines.append(
                    f"| {purpose.name} | {cdef.name} | {_names(c, f.recipients)} | {ground} | "
                    f"art. {f.article} | {_retention(cdef.retention_days)} |"
                )
        if received:
            lines += [
                "",
                "Ontvangt: "
                + "; ".join(
                    sorted(
                        {
                            f"{c.categories[k].name} ({c.purposes[f.purpose].name})"
                            for f in received
                            for k in f.categories
                        }
                    )
                ),
            ]
    return "\n".join(lines)


def _dpia(c: Covenant) -> str:
    lines = [
        f"# DPIA-opzet (AVG art. 35): {c.title}",
        "",
        "## Beschrijving van de verwerkingen",
        "",
        "| Stroom | Van | Naar | Categorieën | Doel | Fasen | Vorm | Grondslag | Let op |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    sensitive: list[Flow] = []
    for f in c.flows:
        cats = [c.categories[k] for k in f.categories]
        flag = ""
        if any(k.sensitivity is not Sensitivity.ORDINARY for k in cats):
            flag = (
                "**"
                + ", ".join(
                    sorted(
                        {
                            _SENSITIVITY_LABEL[k.sensitivity]
                            for k in cats
                            if k.sensitivity is not Sensitivity.ORDINARY
                        }
                    )
                )
                + "**"
            )
            sensitive.append(f)
        lines.append(
            f"| {f.id} | {_names(c, f.providers)} | {_names(c, f.recipients)} | "
            f"{', '.join(k.name for k in cats)} | {c.purposes[f.purpose].name} | "
            f"{', '.join(str(p) for p in f.phases)} | "
            f"{'inhoud' if f.form == 'content' else 'alleen hit/no-hit'} | {f.ground} | {flag} |"
        )
    lines += ["", "## Stromen met bijzondere, strafrechtelijke gegevens of BSN", ""]
    if not sensitive:
        lines.append("Geen.")
    for f in sensitive:
        lines.append(
            f"- **{f.id}** ({_names(c, f.providers)} → {_names(c, f.recipients)}): "
            f"grondslag {f.ground}, uitzondering {f.exception}, art. {f.article}."
            + (f" {f.note}" if f.note else "")
        )
    lines += [
        "",
        "## Noodzaak en evenredigheid",
        "",
        "_In te vullen door de partijen: waarom is elke stroom nodig voor het doel, en waarom is "
        "minder niet genoeg?_",
        "",
        "## Risico's voor betrokkenen en maatregelen",
        "",
        "Technische maatregelen van exchange: versleuteling per ontvanger (de beheerder kan dossiers "
        "niet lezen), pseudoniemen voor adressen en personen, een beslissing per verzoek op grond van "
        "dit convenant, en een manipulatiebestendig verstrekkingenlog.",
        "",
        "_In te vullen door de partijen: overige risico's en maatregelen._",
    ]
    return "\n".join(lines)


def _transparency(c: Covenant) -> str:
    by_purpose: dict[str, list[Flow]] = defaultdict(list)
    for f in c.flows:
        by_purpose[f.purpose].append(f)
    parties = ", ".join(p.name for p in c.parties.values())
    lines = [
        f"# Privacyverklaring: {c.title}",
        "",
        f"In dit samenwerkingsverband werken samen: {parties}.",
        "",
        "Wij wisselen alleen gegevens uit over een adres, persoon of bedrijf waarover een signaal is "
        "binnengekomen en dat het team heeft geselecteerd. Wij maken geen profielen en zoeken niet in "
        "bulk. Elke verstrekking wordt vastgelegd, zodat achteraf te controleren is wie wat heeft "
        "ontvangen.",
        "",
        "## Waarvoor gebruiken wij uw gegevens?",
        "",
    ]
    for pid, flows in by_purpose.items():
        purpose = c.purposes[Purpose(pid)]
        cats = sorted({c.categories[k].name for f in flows for k in f.categories})
        lines.append(
            f"- **{purpose.name}** (grondslag: {', '.join(purpose.grounds)}). "
            f"Gegevens: {', '.join(cats).lower()}."
        )
    lines += ["", "## Hoe lang bewaren wij uw gegevens?", ""]
    for cdef in c.categories.values():
        lines.append(f"- {cdef.name}: {_retention(cdef.retention_days)}")
    lines += [
        "",
        "## Uw rechten",
        "",
        "U kunt bij elke deelnemende partij vragen welke gegevens over u of uw adres zijn verstrekt, "
        "aan wie, wanneer en op welke grond (AVG art. 15). U kunt ook vragen om correctie of "
        "bezwaar maken, en een klacht indienen bij de Autoriteit Persoonsgegevens.",
    ]
    return "\n".join(lines)
