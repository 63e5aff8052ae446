"""``exchange log`` and ``exchange db``: the disclosure log for operators, witnesses and privacy officers."""

from __future__ import annotations

import base64
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from exchange.audit.events import Action, Outcome, new_trace
from exchange.audit.merkle import verify_inclusion
from exchange.audit.witness import WitnessState, witness
from exchange.cases.oversight import OFFICER, FlagView, OversightService
from exchange.cases.unit import Unit
from exchange.cli.common import audit_log, create_log_key, database, log_signer, log_verifier
from exchange.cli.errors import EXIT_FAILED, handled
from exchange.cli.keys import KeystoreOpt, passphrase
from exchange.config import load_settings
from exchange.crypto.keystore import read_keystore
from exchange.crypto.pseudonym import parse_pseudonym, pseudonymise
from exchange.crypto.subjects import normalise_address
from exchange.errors import InvalidInputError, StorageError
from exchange.storage import audit_queries as q
from exchange.storage.audit_store import AuditLog, LogCorrupted
from exchange.storage.db import make_engine
from exchange.storage.schema import current_revision, head_revision, upgrade
from exchange.vocabulary import Caller

app = typer.Typer(help="The tamper-evident disclosure log.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


@db_app.command("upgrade")
@handled
def db_upgrade() -> None:
    """Create or migrate the schema to the newest version (EXCHANGE_DATABASE_URL)."""
    engine = make_engine(load_settings().engine_url())
    try:
        upgrade(engine)
        typer.echo(f"schema at {current_revision(engine)}")
    finally:
        engine.dispose()


@db_app.command("status")
@handled
def db_status() -> None:
    """Show the schema version of the database and of this program."""
    engine = make_engine(load_settings().engine_url())
    try:
        typer.echo(f"database: {current_revision(engine) or 'empty'}; this program: {head_revision()}")
    finally:
        engine.dispose()


@app.command("init-key")
@handled
def init_key() -> None:
    """Create the log's checkpoint signing key (EXCHANGE_LOG_KEY_FILE, mode 0600)."""
    s = load_settings()
    create_log_key(s.log_key_file)
    signer = log_signer(s)
    typer.echo(f"created {s.log_key_file}")
    typer.echo(f"verifier: {signer.name} {base64.b64encode(signer.public).decode()}")


def _officer_unit(session: Session, party: str, user: str) -> Unit:
    """A privacy officer's unit of work at the command line, now, logged with channel 'cli'."""
    caller = Caller(party, user, OFFICER, kid="cli")
    return Unit(session, caller, new_trace("cli"), datetime.now(UTC), audit_log(), channel="cli")


def _log_view(session: Session, party: str, user: str, what: str, count: int) -> None:
    _officer_unit(session, party, user).record(
        Action.LOG_VIEW, Outcome.DONE, details={"view": what, "rows": count}
    )


LogPublic = Annotated[
    str | None,
    typer.Option(
        "--log-public",
        help="The log's public key (base64, as 'exchange log init-key' prints it), or a file holding it.",
    ),
]


@app.command()
@handled
def verify(
    quiet: Annotated[bool, typer.Option(help="No progress output.")] = False,
    witnessed: Annotated[
        list[Path] | None,
        typer.Option(
            help="A witness's state file (what a party last cosigned, kept outside this database); "
            "the log must contain that checkpoint. Repeat for several. Use after a restore."
        ),
    ] = None,
    log_public: LogPublic = None,
) -> None:
    """Recompute every leaf hash, subtree and root; check every signed checkpoint and the newest
    cosignature each witness left in this database.

    Needs only the log's public key (--log-public); without it, the key is derived from the log's
    signing key (EXCHANGE_LOG_KEY_FILE). Exits 1 naming the first bad entry if anything was altered,
    or if the log no longer contains a checkpoint a witness cosigned: one stored here, or one in a
    party's own state file (--witnessed), which still counts if the stored cosignatures were deleted.
    """
    settings = load_settings()
    verifier = log_verifier(settings, log_public)
    states = []
    for path in witnessed or []:
        try:
            states.append((path, WitnessState.from_json(path.read_text(encoding="utf-8"))))
        except OSError as exc:
            raise InvalidInputError(f"cannot read {path}: {exc.strerror}") from None
    start = time.monotonic()

    def progress(done: int, total: int) -> None:
        if not quiet:
            rate = done / max(time.monotonic() - start, 1e-6)
            print(
                f"\r  verified {done:,} of {total:,} entries ({rate:,.0f}/s)",
                end="",
                file=sys.stderr,
                flush=True,
            )

    log = audit_log(settings)
    failures: list[str] = []
    with database(settings) as session:
        try:
            report = log.verify(session, verifier, progress)
        except LogCorrupted as exc:
            if not quiet:
                print(file=sys.stderr)
            typer.echo(f"FAILED at entry {exc.index}: {exc}", err=True)
            raise typer.Exit(EXIT_FAILED) from None
        for path, state in states:
            failures.extend(_witness_check(log, session, report.size, path, state))
    if not quiet:
        print(file=sys.stderr)
    for failure in failures:
        typer.echo(f"FAILED: {failure}", err=True)
    if failures:
        raise typer.Exit(EXIT_FAILED)
    for path, state in states:
        typer.echo(f"ok: contains the checkpoint of size {state.size} witnessed in {path.name}")
    for w in report.witnessed:
        typer.echo(f"ok: contains the checkpoint of size {w.size} cosigned by witness {w.witness}")
    if not report.witnessed:
        typer.echo(
            "note: no witness cosignatures are stored in this database, so a log truncated together "
            "with its checkpoints would pass here; check against what parties saw with "
            "--witnessed <a party's witness state file>"
        )
    typer.echo(
        f"ok: {report.size} entries, root {base64.b64encode(report.root).decode()}, "
        f"{report.checkpoints} checkpoint(s) consistent"
    )


def _witness_check(log: AuditLog, session: Session, size: int, path: Path, state: WitnessState) -> list[str]:
    if state.origin != log.origin:
        return [f"{path.name} witnessed another log ({state.origin})"]
    if state.size > size:
        return [
            f"the log has {size} entries but {path.name} cosigned a checkpoint of size {state.size}: "
            f"entries {size} to {state.size - 1} are missing (restored from an older backup?)"
        ]
    if state.size and log.root(session, state.size) != state.root:
        return [f"the log's root at size {state.size} differs from the one {path.name} cosigned: a fork"]
    return []


@app.command()
@handled
def prove(
    index: Annotated[int, typer.Option(help="The entry to prove.")],
    size: Annotated[int | None, typer.Option(help="Tree size (default: current).")] = None,
) -> None:
    """An inclusion proof for one entry, as JSON, checked before it is printed."""
    log = audit_log()
    with database() as session:
        n = size if size is not None else log.size(session)
        proof = log.prove_inclusion(session, index, n)
        entry = log.entry(session, index)
        root = log.root(session, n)
        verify_inclusion(entry.leaf_hash, index, n, proof, root)
        typer.echo(
            json.dumps(
                {
                    "index": index,
                    "size": n,
                    "leaf_hash": entry.leaf_hash.hex(),
                    "root": root.hex(),
                    "proof": [p.hex() for p in proof],
                    "event": json.loads(entry.event),
                },
                indent=2,
                ensure_ascii=False,
            )
        )


@app.command()
@handled
def checkpoint(
    every: Annotated[
        int,
        typer.Option(min=0, help="Keep running and sign every N seconds (0: sign once). One signer per log."),
    ] = 0,
    rounds: Annotated[int, typer.Option(min=0, hidden=True, help="Stop after N rounds (tests).")] = 0,
) -> None:
    """Sign a checkpoint at the current size (refused if inconsistent with the last) and show witnesses.

    With ``--every`` it is the log's sequencer: a database outage is reported and retried next round;
    a log that no longer extends the last checkpoint stops it with exit 2, so it is noticed.
    """
    signer = log_signer()
    log = audit_log()
    done = 0
    while True:
        try:
            with database() as session:
                row = log.sign_checkpoint(session, signer, datetime.now(UTC))
                typer.echo(row.note, nl=False)
                for name, party, size in log.witnessed(session):
                    typer.echo(f"witness {name} ({party}): cosigned up to size {size}")
        except StorageError as exc:
            if not every:
                raise
            typer.echo(f"error: {exc.diagnostics()}; retrying in {every} s", err=True)
        done += 1
        if not every or (rounds and done >= rounds):
            return
        time.sleep(every)


@app.command("witness")
@handled
def witness_cmd(
    keystore: KeystoreOpt,
    name: Annotated[str, typer.Option(help="This witness's key name, e.g. helmond.example/witness.")],
    state: Annotated[Path, typer.Option(help="File with the last checkpoint this party cosigned.")],
    log_public: Annotated[
        str, typer.Option(help="The log's public key (base64, as published), or a file holding it.")
    ],
) -> None:
    """A party's side: check the newest checkpoint extends the last one it saw, and cosign it."""
    store = read_keystore(keystore, passphrase())
    key = store.keys.current
    if key.sign_secret is None:  # pragma: no cover - a current key always has its secret
        raise InvalidInputError("the current signing key has no secret")
    settings = load_settings()
    verifier = log_verifier(settings, log_public)
    previous = WitnessState.from_json(state.read_text()) if state.exists() else None
    log = audit_log(settings)
    with database(settings) as session:
        latest = log.latest_checkpoint(session)
        if latest is None:
            raise InvalidInputError("the log has no checkpoint yet")
        proof = (
            log.prove_consistency(session, previous.size, latest.size) if previous and previous.size else []
        )
        new_state, line = witness(
            latest.note, proof, previous, verifier, name, key.sign_public, key.sign_secret, int(time.time())
        )
        log.register_witness(session, name, store.party, key.sign_public)
        log.add_cosignature(session, latest.size, line.render())
    state.write_text(new_state.to_json() + "\n")
    typer.echo(f"cosigned checkpoint at size {new_state.size}")


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
    fmt: Fmt = "table",
) -> None:
    """Access-request report (AVG art. 15): who received what about a subject, when, under which article."""
    if (pseudonym is None) == (address is None):
        raise InvalidInputError("give either --pseudonym or --address")
    if address is not None:
        if keystore is None or covenant is None:
            raise InvalidInputError("--address needs --keystore and --covenant to pseudonymise it locally")
        key = read_keystore(keystore, passphrase()).pseudonym_key(covenant)
        subject = str(pseudonymise(normalise_address(address), key))
    else:
        subject = str(parse_pseudonym(pseudonym or ""))
    with database() as session:
        rows = q.access_report(session, subject)
        _log_view(session, party_as, user, "access-report", len(rows))
    if fmt == "table":
        typer.echo(f"Access report for subject {subject}")
    _print(rows, fmt)


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
