"""``exchange log search | report | anomalies | acknowledge``: the privacy officer's questions to the
log at the command line. Each view is logged first, as in the console."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from exchange.api.schemas_access import AccessAnswerOut
from exchange.audit.events import Action, Outcome, new_trace
from exchange.cases.access import AccessService
from exchange.cases.oversight import OFFICER, FlagView, OversightService
from exchange.cases.unit import Unit
from exchange.cli.common import audit_log, database
from exchange.cli.convenant import engine_for, load_covenants
from exchange.cli.errors import handled
from exchange.cli.keys import passphrase
from exchange.cli.log import app
from exchange.client.access import subject_pseudonyms, summary_nl
from exchange.config import load_settings
from exchange.crypto.keystore import read_keystore
from exchange.crypto.pseudonym import parse_pseudonym
from exchange.errors import InvalidInputError
from exchange.reports.access import access_answer
from exchange.storage import audit_queries as q
from exchange.vocabulary import Caller


def _officer_unit(session: Session, party: str, user: str) -> Unit:
    """A privacy officer's unit of work at the command line, now, logged with channel 'cli'."""
    caller = Caller(party, user, OFFICER, kid="cli")
    return Unit(session, caller, new_trace("cli"), datetime.now(UTC), audit_log(), channel="cli")


def _log_view(session: Session, party: str, user: str, what: str, count: int) -> None:
    _officer_unit(session, party, user).record(
        Action.LOG_VIEW, Outcome.DONE, details={"view": what, "rows": count}
    )


Party = Annotated[str, typer.Option("--as", help="Your party (recorded as who viewed the log).")]
User = Annotated[str, typer.Option("--user", help="Your user id (recorded as who viewed the log).")]
Fmt = Annotated[str, typer.Option("--format", help="table, csv or json")]


def _print(rows: list[dict[str, object]], fmt: str) -> None:
    if fmt == "csv":
        typer.echo(q.to_csv(rows), nl=False)
    elif fmt == "json":
        typer.echo(q.to_json(rows))
    elif fmt == "table":
        for r in rows:
            typer.echo(
                f"{r['idx']:>7} {str(r['time'])[:19]} {r['action']:<15} {r['outcome']:<8} {r['actor_party']}"
                f"{'/' + str(r['actor_user']) if r['actor_user'] else ''} -> {r['counterparty'] or '-'} "
                f"case={r['case_id'] or '-'} {r['category'] or ''} {r['purpose'] or ''} "
                f"art.{r['articles'] or '-'}"
            )
        typer.echo(f"{len(rows)} entries")
    else:
        raise InvalidInputError("--format is table, csv or json")


def _moment(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        m = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(f"not an ISO date or date-time: {value!r}") from None
    return m if m.tzinfo else m.replace(tzinfo=UTC)


@app.command()
@handled
def search(
    party_as: Party,
    user: User,
    subject: Annotated[str | None, typer.Option(help="A subject pseudonym (v1:...).")] = None,
    party: Annotated[str | None, typer.Option(help="Acting party or counterparty.")] = None,
    purpose: Annotated[str | None, typer.Option()] = None,
    article: Annotated[str | None, typer.Option()] = None,
    case: Annotated[str | None, typer.Option()] = None,
    outcome: Annotated[str | None, typer.Option(help="e.g. denied")] = None,
    action: Annotated[str | None, typer.Option()] = None,
    since: Annotated[str | None, typer.Option(help="ISO date or date-time (UTC if no zone).")] = None,
    until: Annotated[str | None, typer.Option()] = None,
    limit: Annotated[int, typer.Option()] = 1000,
    fmt: Fmt = "table",
) -> None:
    """Search the log by subject, party, purpose, article, case, outcome and period; export CSV/JSON."""
    if subject is not None:
        parse_pseudonym(subject)
    f = q.LogFilter(
        subject, party, purpose, article, case, outcome, action, _moment(since), _moment(until), limit
    )
    with database() as session:
        rows = q.search(session, f)
        _log_view(session, party_as, user, "search", len(rows))
    _print(rows, fmt)


@app.command()
@handled
def report(
    party_as: Party,
    user: User,
    pseudonym: Annotated[str | None, typer.Option(help="The subject's pseudonym.")] = None,
    address: Annotated[
        str | None, typer.Option(help="An address; pseudonymised here with your keystore.")
    ] = None,
    covenant: Annotated[str | None, typer.Option(help="Covenant whose pseudonym key to use.")] = None,
    keystore: Annotated[Path | None, typer.Option(envvar="EXCHANGE_KEYSTORE")] = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="table, csv or json: the log rows; answer (JSON) or nl (Dutch text): the access-request "
            "answer across every party of --covenant, as POST /v1/access-requests gives it",
        ),
    ] = "table",
) -> None:
    """Access-request report (AVG art. 15): who received what about a subject, when, under which article."""
    if (pseudonym is None) == (address is None):
        raise InvalidInputError("give either --pseudonym or --address")
    answer_formats = ("answer", "nl")
    if fmt in answer_formats and covenant is None:
        raise InvalidInputError(f"--format {fmt} needs --covenant: the answer is about one covenant")
    if address is not None:
        if keystore is None or covenant is None:
            raise InvalidInputError("--address needs --keystore and --covenant to pseudonymise it locally")
        store = read_keystore(keystore, passphrase())
        subjects = subject_pseudonyms(store, covenant, "address", address)  # every key version
    else:
        subjects = [str(parse_pseudonym(pseudonym or ""))]
    if fmt in answer_formats:
        _answer(party_as, user, covenant or "", subjects, fmt)
        return
    subject = subjects[-1]  # the newest key version's, as before
    with database() as session:
        rows = q.access_report(session, subject)
        _log_view(session, party_as, user, "access-report", len(rows))
    if fmt == "table":
        typer.echo(f"Access report for subject {subject}")
    _print(rows, fmt)


def _answer(party: str, user: str, covenant: str, subjects: list[str], fmt: str) -> None:
    """The access-request answer, by the same use case and grouping as the HTTP route; logged as an
    ``access-request`` before it is printed. The --as party must hold privacy-officer under it."""
    decisions = engine_for(load_covenants(load_settings().convenant_dir))
    with database() as session:
        unit = _officer_unit(session, party, user)
        service = AccessService(unit, decisions)
        facts = service.search(covenant, subjects)
        answer = access_answer(facts.entries, facts.versions, facts.current, len(facts.subjects))
        index = service.record(covenant, subjects, answer.entries)
    out = AccessAnswerOut.model_validate({**asdict(answer), "generated": unit.now, "log_index": index})
    data = out.model_dump(mode="json")
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False) if fmt == "answer" else summary_nl(data))


def _officer(session: Session, party: str, user: str) -> OversightService:
    """The oversight use cases for a privacy officer at the command line, logged with channel 'cli'."""
    return OversightService(_officer_unit(session, party, user), load_settings().anomaly_thresholds())


def _flag_line(v: FlagView) -> str:
    f, ack = v.flag, v.acknowledged
    line = (
        f"{f.id} {f.kind:<18} {f.party}/{f.user or '-'} {f.start:%Y-%m-%d %H:%M}"
        f" entries {f.first_index}-{f.last_index}: {f.detail}"
    )
    if ack is not None:
        line += f"\n    acknowledged by {ack.user} at {ack.acknowledged:%Y-%m-%d %H:%M} UTC: {ack.note}"
    return line


@app.command("anomalies")
@handled
def anomalies_cmd(party_as: Party, user: User, since: Annotated[str | None, typer.Option()] = None) -> None:
    """Flags to look at: requests outside a case, in an uncovered phase, bursts, repeated denials.

    Counts requests (trace ids), not log entries; thresholds from EXCHANGE_ANOMALY_*. Acknowledged
    flags are listed apart, with who acknowledged them, when and the note."""
    with database() as session:
        oversight = _officer(session, party_as, user)
        found = oversight.flags(_moment(since), every_party=True)
        oversight.viewed(len(found))
    open_flags = [v for v in found if v.acknowledged is None]
    for v in open_flags:
        typer.echo(_flag_line(v))
    typer.echo(f"{len(open_flags)} anomalies")
    done = [v for v in found if v.acknowledged is not None]
    if done:
        typer.echo(f"acknowledged ({len(done)}):")
        for v in done:
            typer.echo("  " + _flag_line(v))


@app.command("acknowledge")
@handled
def acknowledge_cmd(
    party_as: Party,
    user: User,
    flag: Annotated[str, typer.Option("--flag", help="The flag's id (an-...), as 'log anomalies' shows.")],
    note: Annotated[str, typer.Option(help="What was checked and found (at most 1000 characters).")],
) -> None:
    """Acknowledge an anomaly flag of your party with a note; logged (the note stays out of the log)."""
    with database() as session:
        oversight = _officer(session, party_as, user)
        v = oversight.acknowledge(oversight.find(flag), note)
    typer.echo(_flag_line(v))
