"""Wire types of ``POST /v1/access-requests`` (AVG art. 15). The domain answer is
:class:`exchange.reports.access.AccessAnswer`; these only carry it as JSON."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from exchange.cases.access import MAX_PSEUDONYMS

PSEUDONYM = "v1:KXfsiYLC-_oXZ-l23DKAUBL4dKMb-hnpXBSvJEO8CXs"


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
    case: str = Field(description="The case that named the subject.", examples=["case-4f1c2a9e0b7d3c51"])
    coordinator: NamedOut = Field(description="The party that opened and coordinates the case.")
    purpose: NamedOut | None = Field(description="The case's purpose.", examples=[None])
    opened: date = Field(description="The day the case was opened (Amsterdam).", examples=["2026-11-30"])


class DisclosureOut(BaseModel):
    kind: str = Field(
        description="hit (the recipient learned that the provider holds data in the category), "
        "disclosed (an item was sealed for the recipient), read (the recipient opened it), feedback "
        "(the case's outcome was passed on) or request (an allowed request for the category).",
        examples=["disclosed"],
    )
    recipient: NamedOut = Field(description="The party that received or learned it.")
    provider: NamedOut = Field(description="The party it came from.")
    category: NamedOut | None = Field(description="The data category; none for feedback.")
    purpose: NamedOut | None = Field(description="The purpose it was processed for.")
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
    asked_by: NamedOut = Field(description="The party that asked hit/no-hit.")
    provider: NamedOut = Field(description="The party whose index was asked.")
    category: NamedOut = Field(description="The category asked about.")
    count: int = Field(description="How many answers found nothing.", examples=[3])


class WithheldOut(BaseModel):
    category: NamedOut = Field(description="A category the covenant marks confidential.")
    ask: list[NamedOut] = Field(description="The parties that provide it: the subject asks them.")


class AccessAnswerOut(BaseModel):
    """What the log holds about one subject in one covenant, for a letter. No user ids."""

    covenant: NamedOut = Field(description="The covenant, with the title of the version in force.")
    versions: list[str] = Field(
        description="The covenant versions searched.", examples=[["pit/2016", "pit/2021"]]
    )
    subjects: int = Field(description="How many pseudonyms (key versions) were looked up.", examples=[1])
    cases: list[CaseOut] = Field(description="Cases that named the subject.")
    disclosures: list[DisclosureOut] = Field(
        description="Grouped by recipient, provider, kind, category, purpose, article and legal ground."
    )
    no_hits: list[NoHitsOut] = Field(description="Hit/no-hit answers that found nothing, as counts.")
    withheld: list[WithheldOut] = Field(
        description="Every confidential category of the covenant, the same for every subject: nothing "
        "about them is answered here, not even whether anything was exchanged."
    )
    entries: int = Field(description="The log entries the answer accounts for.", examples=[4])
    generated: datetime = Field(description="When the hub answered (UTC).", examples=["2026-11-30T18:00:00Z"])
    log_index: int = Field(description="The log index of the request's own event.", examples=[1234])
