"""The privacy officer's pages: the disclosure log of the officer's own party, the access-request
report for one subject, the log's verification status and its witnesses, and anomaly flags."""

from __future__ import annotations

import urllib.parse
from collections.abc import Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from exchange.audit.events import Action
from exchange.cases.access import AccessService
from exchange.cases.oversight import FlagView, OversightService
from exchange.cases.unit import Unit
from exchange.console.sessions import ConsoleUser
from exchange.console.web import HEADERS, Console, _, day, render
from exchange.crypto.pseudonym import parse_pseudonym
from exchange.errors import InvalidInputError
from exchange.policies.files import LoadedVersion
from exchange.reports.access import AccessAnswer, access_answer
from exchange.storage import audit_queries as q
from exchange.storage.acknowledgements import AcknowledgementRepository
from exchange.vocabulary import PartyId

#: Log entries on one page of the log, newest first; older pages follow by index.
PAGE = 100
OUTCOMES = ("allowed", "denied", "hit", "no-hit", "no-index", "done", "failed")
ACTIONS = tuple(str(a) for a in Action)
#: Filters the log form has no field for (a flag's link sets them): shown in words, kept hidden.
NARROWING = ("user", "from_index", "to_index")


def page_start(value: str | None, name: str = "before") -> int | None:
    """A log index given in the query (``before``, ``from_index``, ``to_index``)."""
    if not value:
        return None
    if not value.isdigit() or len(value) > 18:
        raise InvalidInputError(f"'{name}' must be a log index (a whole number), not '{value[:40]}'")
    return int(value)


def names(versions: Sequence[LoadedVersion]) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Party, purpose and category names from the covenant files (a later version's name wins)."""
    parties: dict[str, str] = {}
    purposes: dict[str, str] = {}
    categories: dict[str, str] = {}
    for v in versions:
        parties.update({str(i): p.name for i, p in v.covenant.parties.items()})
        purposes.update({str(i): p.name for i, p in v.covenant.purposes.items()})
        categories.update({str(i): c.name for i, c in v.covenant.categories.items()})
    return parties, purposes, categories


def install(console: Console) -> None:
    service = console.service

    def log_page(request: Request, who: ConsoleUser, csv: bool = False) -> Response:
        params = request.query_params
        subject = params.get("subject") or None
        if subject:
            parse_pseudonym(subject)
        before = page_start(params.get("before"))
        f = q.LogFilter(
            subject=subject,
            party=who.party,  # the officer sees what the own party did or received
            other=params.get("party") or None,
            purpose=params.get("purpose") or None,
            article=params.get("article") or None,
            case=params.get("case") or None,
            outcome=params.get("outcome") or None,
            action=params.get("action") or None,
            since=day(params.get("since"), "since"),
            until=day(params.get("until"), "until"),
            limit=100_000 if csv else PAGE + 1,
            newest_first=not csv,
            before=None if csv else before,
            user=(params.get("user") or "")[:128] or None,
            first=page_start(params.get("from_index"), "from_index"),
            last=page_start(params.get("to_index"), "to_index"),
        )
        rows = console.viewed(who, "export" if csv else "search", lambda s: q.search(s, f), len)
        if csv:
            headers = {**HEADERS, "Content-Disposition": 'attachment; filename="logboek.csv"'}
            return Response(q.to_csv(rows), media_type="text/csv; charset=utf-8", headers=headers)
        filters = {k: v for k, v in params.items() if v and k != "before"}
        # A flag links to its events by user and index range: said in words, kept by the form.
        narrowed = {k: filters[k] for k in NARROWING if k in filters}
        widened = urllib.parse.urlencode({k: v for k, v in filters.items() if k not in NARROWING})
        older = None
        if len(rows) > PAGE:
            rows = rows[:PAGE]
            older = urllib.parse.urlencode({**filters, "before": rows[-1]["idx"]})
        parties, purposes, categories = names(service.versions)
        return render(
            "log.html",
            title=_("Log"),
            who=who,
            rows=rows,
            q=params,
            query=urllib.parse.urlencode(filters),
            narrowed=narrowed,
            widened=widened,
            older=older,
            paged=before is not None,
            page=PAGE,
            outcomes=OUTCOMES,
            actions=ACTIONS,
            parties=sorted(((i, n) for i, n in parties.items() if i != who.party), key=lambda p: p[1]),
            purposes=sorted(purposes.items(), key=lambda p: p[1]),
            party_names=parties,
            purpose_names=purposes,
            category_names=categories,
        )

    def report(request: Request, who: ConsoleUser) -> Response:
        params = request.query_params
        subject = params.get("subject") or None
        # Only the covenants the officer's party takes part in: another one's answer is refused.
        covenants = sorted(
            {
                str(v.covenant.ref.id): v.covenant.label
                for v in service.versions
                if PartyId(who.party) in v.covenant.parties
            }.items(),
            key=lambda c: c[1],
        )
        covenant = params.get("covenant") or (covenants[0][0] if covenants else "")
        answer: AccessAnswer | None = None
        index = None
        if subject:
            subject = str(parse_pseudonym(subject))
            pseudonyms = [subject]

            def work(unit: Unit) -> tuple[AccessAnswer, int]:
                access = AccessService(unit, service.decisions)
                facts = access.search(covenant, pseudonyms)
                found = access_answer(facts.entries, facts.versions, facts.current, len(facts.subjects))
                return found, access.record(covenant, pseudonyms, found.entries)

            answer, index = console.act(who, work)
        return render(
            "report.html",
            title=_("Access request"),
            who=who,
            subject=subject,
            covenant=covenant,
            covenants=covenants,
            answer=answer,
            index=index,
            printed=console.now().strftime("%d-%m-%Y %H:%M UTC"),
        )

    def verification(request: Request, who: ConsoleUser) -> Response:
        def query(session: Session) -> dict[str, Any]:
            size = service.log.size(session)
            checkpoint = service.log.latest_checkpoint(session)
            matches = checkpoint is not None and service.log.root(session, checkpoint.size) == checkpoint.root
            witnesses = [{"name": n, "party": p, "size": s} for n, p, s in service.log.witnessed(session)]
            cp = (
                {"size": checkpoint.size, "created": str(checkpoint.created)[:19], "note": checkpoint.note}
                if checkpoint
                else None
            )
            return {"size": size, "checkpoint": cp, "matches": matches, "witnesses": witnesses}

        facts = console.viewed(who, "verification", query, lambda f: int(f["size"]))
        return render("verification.html", title=_("Verification"), who=who, **facts)

    def anomalies(request: Request, who: ConsoleUser, failed: str | None = None) -> Response:
        """The open and dealt-with flags; ``failed`` the flag whose form came back without a note
        (its field marked invalid only then, never before anything was typed)."""

        def query(session: Session) -> list[FlagView]:
            acks = AcknowledgementRepository(session).by_flag(who.party)
            found = q.anomalies(session, service.anomaly_thresholds, party=who.party)
            return [FlagView(f, acks.get(f.id)) for f in found]

        found = console.viewed(who, "anomalies", query, len)
        return render(
            "anomalies.html",
            title=_("Flags"),
            who=who,
            open=[v.flag for v in found if v.acknowledged is None],
            done=[v for v in found if v.acknowledged is not None],
            acknowledged=request.query_params.get("afgehandeld") == "1",
            failed=failed,
            status=400 if failed else 200,
        )

    console.page("/console/log", log_page)
    console.page("/console/log.csv", lambda r, w: log_page(r, w, csv=True), menu="/console/log")
    console.page("/console/report", report)
    console.page("/console/verification", verification)

    def acknowledge(request: Request, who: ConsoleUser, form: FormData) -> Response:
        flag_id = request.path_params["flag"]
        note = form.get("note")
        if not isinstance(note, str) or not note.strip():
            return anomalies(request, who, failed=flag_id)

        def work(unit: Unit) -> None:
            oversight = OversightService(unit, service.anomaly_thresholds)
            oversight.acknowledge(oversight.find(flag_id), note)

        console.act(who, work)
        return RedirectResponse("/console/anomalies?afgehandeld=1", status_code=303, headers=HEADERS)

    console.page("/console/anomalies", anomalies)
    console.form("/console/anomalies/{flag}/acknowledge", acknowledge, menu="/console/anomalies")
