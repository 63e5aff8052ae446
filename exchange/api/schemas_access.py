"""Wire types of ``POST /v1/access-requests`` (AVG art. 15). The domain answer is
:class:`exchange.reports.access.AccessAnswer`; these only carry it as JSON."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from exchange.cases.access import MAX_PSEUDONYMS

PSEUDONYM = "v1:KXfsiYLC-_oXZ-l23DKAUBL4dKMb-hnpXBSvJEO8CXs"
HELMOND = {"id": "helmond", "name": "Gemeente Helmond"}
SENZER = {"id": "senzer", "name": "Senzer"}
BRP = {"id": "brp-inschrijving", "name": "Inschrijvingen in de BRP op het adres"}
PURPOSE = {"id": "onrechtmatige-bewoning", "name": "Aanpak van onrechtmatige of onveilige bewoning"}
POLICE = {"id": "politie-oost-brabant", "name": "Politie Oost-Brabant (incl. AVIM)"}
CASE = "case-4f1c2a9e0b7d3c51"
INCIDENTS = {"id": "politie-incidenten", "name": "Incidenten en mutaties op het adres"}


class AccessRequestIn(BaseModel):
    """One data subject in one covenant, by its pseudonym under each key version in use."""

    model_config = ConfigDict(extra="forbid")
    covenant: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$",
        description="The covenant's id; every version of it is searched.",
        examples=["pit"],
    )
    pseudonyms: list[str] = Field(
        min_length=1,
        max_length=MAX_PSEUDONYMS,
        description="The subject's pseudonym under each pseudonym key version in use, at most one per "
        "version; made by the party from the address, which never leaves it.",
        examples=[[PSEUDONYM]],
    )


class NamedOut(BaseModel):
    id: str = Field(description="The identifier in the covenant files.", examples=["helmond"])
    name: str = Field(description="The name the covenant gives it (Dutch).", examples=["Gemeente Helmond"])


class CaseOut(BaseModel):
    case: str = Field(description="The case that named the subject.", examples=[CASE])
    coordinator: NamedOut = Field(
        description="The party that opened and coordinates the case.", examples=[HELMOND]
    )
    purpose: NamedOut | None = Field(description="The case's purpose.", examples=[PURPOSE])
    opened: date = Field(description="The day the case was opened (Amsterdam).", examples=["2026-11-30"])


class DisclosureOut(BaseModel):
    kind: str = Field(
        description="hit (the recipient learned that the provider holds data in the category), "
        "disclosed (an item was sealed for the recipient), read (the recipient opened it), feedback "
        "(the case's outcome was passed on) or request (an allowed request for the category).",
        examples=["disclosed"],
    )
    recipient: NamedOut = Field(description="The party that received or learned it.", examples=[SENZER])
    provider: NamedOut = Field(description="The party it came from.", examples=[HELMOND])
    category: NamedOut | None = Field(description="The data category; none for feedback.", examples=[BRP])
    purpose: NamedOut | None = Field(description="The purpose it was processed for.", examples=[PURPOSE])
    articles: list[NamedOut] = Field(
        description="The covenant articles, by number and title.",
        examples=[[{"id": "7", "name": "Verstrekking door Senzer en UWV"}]],
    )
    legal_grounds: list[str] = Field(
        description="The legal grounds (and exceptions) the covenant cites.",
        examples=[["Participatiewet art. 64"]],
    )
    dates: list[date] = Field(description="The days it happened (Amsterdam).", examples=[["2026-11-30"]])
    count: int = Field(description="How many log entries this group holds.", examples=[1])


class NoHitsOut(BaseModel):
    asked_by: NamedOut = Field(description="The party that asked hit/no-hit.", examples=[HELMOND])
    provider: NamedOut = Field(description="The party whose index was asked.", examples=[SENZER])
    category: NamedOut = Field(description="The category asked about.", examples=[BRP])
    count: int = Field(description="How many answers found nothing (no-hit).", examples=[3])
    no_index: int = Field(
        0,
        description="How many answers came while the provider had published no index for the "
        "category (no-index): nothing was checked, so they are not counted as nothing found.",
        examples=[0],
    )


class WithheldOut(BaseModel):
    category: NamedOut = Field(
        description="A category the covenant marks confidential.", examples=[INCIDENTS]
    )
    ask: list[NamedOut] = Field(
        description="The parties that provide it: the subject asks them.", examples=[[POLICE]]
    )


class AccessAnswerOut(BaseModel):
    """What the log holds about one subject in one covenant, for a letter. No user ids."""

    covenant: NamedOut = Field(
        description="The covenant, with the title of the version in force.",
        examples=[{"id": "pit", "name": "Convenant Peelland Interventieteam (PIT)"}],
    )
    versions: list[str] = Field(
        description="The covenant versions searched.", examples=[["pit/2016", "pit/2021"]]
    )
    subjects: int = Field(description="How many pseudonyms (key versions) were looked up.", examples=[1])
    cases: list[CaseOut] = Field(
        description="Cases that named the subject.",
        examples=[[{"case": CASE, "coordinator": HELMOND, "purpose": PURPOSE, "opened": "2026-11-30"}]],
    )
    disclosures: list[DisclosureOut] = Field(
        description="Grouped by recipient, provider, kind, category, purpose, article and legal ground.",
        examples=[
            [
                {
                    "kind": "disclosed",
                    "recipient": SENZER,
                    "provider": HELMOND,
                    "category": BRP,
                    "purpose": PURPOSE,
                    "articles": [{"id": "5", "name": "Verstrekking door gemeenten"}],
                    "legal_grounds": ["Wet BRP art. 3.3"],
                    "dates": ["2026-11-30"],
                    "count": 1,
                }
            ]
        ],
    )
    no_hits: list[NoHitsOut] = Field(
        description="Hit/no-hit answers that found nothing, as counts.",
        examples=[[{"asked_by": HELMOND, "provider": SENZER, "category": BRP, "count": 1}]],
    )
    withheld: list[WithheldOut] = Field(
        description="Every confidential category of the covenant, the same for every subject: nothing "
        "about them is answered here, not even whether anything was exchanged.",
        examples=[[{"category": INCIDENTS, "ask": [POLICE]}]],
    )
    entries: int = Field(description="The log entries the answer accounts for.", examples=[4])
    generated: datetime = Field(description="When the hub answered (UTC).", examples=["2026-11-30T18:00:00Z"])
    log_index: int = Field(description="The log index of the request's own event.", examples=[1234])
