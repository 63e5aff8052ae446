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

from exchange.audit.merkle import verify_inclusion
from exchange.audit.receipt import ReceiptSigner
from exchange.audit.witness import WitnessState, witness
from exchange.cli.common import audit_log, create_log_key, database, log_signer, log_verifier
from exchange.cli.errors import EXIT_FAILED, handled
from exchange.cli.keys import KeystoreOpt, passphrase
from exchange.cli.log_mirror import verify_from
from exchange.client.http import ExchangeClient, Retry
from exchange.client.witness import WitnessKey, witness_over_http
from exchange.config import load_settings
from exchange.crypto.keystore import read_keystore
from exchange.errors import InvalidInputError, StorageError
from exchange.storage.audit_store import AuditLog, LogCorrupted
from exchange.storage.db import make_engine
from exchange.storage.log_migrate import MigrationRefused, migrate_to_tiles
from exchange.storage.schema import current_revision, head_revision, upgrade

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
        with engine.connect() as conn:
            size = conn.exec_driver_sql("SELECT size FROM log_head WHERE id = 1").scalar_one()
            tiles = conn.exec_driver_sql("SELECT COUNT(*) FROM log_tiles").scalar_one()
        if size and not tiles:
            typer.echo(f"the log's {size} entries have no tiles yet: run 'exchange log migrate-tiles'")
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


@app.command("init-receipt-key")
@handled
def init_receipt_key() -> None:
    """Create the service's receipt signing key (EXCHANGE_RECEIPT_KEY_FILE, mode 0600). The API
    holds this key, never the checkpoint key (EXCHANGE_LOG_KEY_FILE)."""
    s = load_settings()
    if s.receipt_key_file.resolve() == s.log_key_file.resolve():
        raise InvalidInputError("EXCHANGE_RECEIPT_KEY_FILE must not be the checkpoint key file")
    seed = create_log_key(s.receipt_key_file)
    signer = ReceiptSigner.from_seed(seed)
    typer.echo(f"created {s.receipt_key_file}")
    typer.echo(f"receipt key: {base64.b64encode(signer.public).decode()}")


LogPublic = Annotated[
    str | None,
    typer.Option(
        "--log-public",
        help="The log's public key (base64, as 'exchange log init-key' prints it), or a file holding it.",
    ),
]


@app.command("migrate-tiles")
@handled
def migrate_tiles(
    quiet: Annotated[bool, typer.Option(help="No progress output.")] = False,
    log_public: LogPublic = None,
) -> None:
    """Convert a log stored before migration 0019 (one row per tree node) to hash tiles.

    Checks that the stored tree gives the head's root and the newest signed checkpoint's, builds
    every tile from the entries' leaf hashes, checks the tiles give the same roots, and only then
    empties log_nodes; all in one transaction that holds the log's write lock, so the service waits
    and a failed check changes nothing. Running it again on a converted log checks the tiles.
    """
    settings = load_settings()
    verifier = log_verifier(settings, log_public)
    start = time.monotonic()

    def progress(stage: str, done: int, total: int) -> None:
        if quiet:
            return
        if stage == "before":
            signed = f" and the checkpoint's at {total:,}" if total >= 0 else " (no checkpoint yet)"
            typer.echo(f"before: the stored subtrees give the head's root at {done:,} entries{signed}")
            return
        rate = done / max(time.monotonic() - start, 1e-6)
        print(f"\r  tiled {done:,} of {total:,} entries ({rate:,.0f}/s)", end="", file=sys.stderr, flush=True)
        if done == total:
            print(file=sys.stderr)

    with database(settings) as session:
        try:
            report = migrate_to_tiles(session, settings.log_origin, verifier, progress)
        except MigrationRefused as exc:
            typer.echo(f"FAILED: {exc}; nothing was changed", err=True)
            raise typer.Exit(EXIT_FAILED) from None
    signed = f" and the checkpoint's at {report.checkpoint:,}" if report.checkpoint is not None else ""
    if report.already:
        typer.echo(
            f"ok: already in tiles; its {report.tiles} tiles give the head's root "
            f"at {report.size:,} entries{signed}"
        )
        return
    typer.echo(f"after: the tiles give the head's root at {report.size:,} entries{signed}")
    typer.echo(
        f"ok: {report.size:,} entries in {report.tiles:,} tiles; {report.nodes:,} rows of log_nodes removed"
    )


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
    from_url: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Check the hub at this address instead of a database: its signed checkpoint and hash "
            "tiles, with the log's public key alone (--log-public), signed with --keystore.",
        ),
    ] = None,
    mirror: Annotated[
        Path | None,
        typer.Option(help="With --from: a mirror directory kept between runs (default: a fresh one)."),
    ] = None,
    keystore: Annotated[
        Path | None,
        typer.Option(
            envvar="EXCHANGE_KEYSTORE", help="With --from: the party keystore that signs the requests."
        ),
    ] = None,
    user: Annotated[str, typer.Option(help="With --from: the user that signs the requests.")] = "auditor",
    role: Annotated[str, typer.Option(help="With --from: the role asserted in the requests.")] = "auditor",
) -> None:
    """Recompute every leaf hash, tile and root; check every signed checkpoint and the newest
    cosignature each witness left in this database. With --from URL, check a hub over HTTP instead:
    its tiles give its signed root, and, with --mirror, the tree only grew since the last run.

    Needs only the log's public key (--log-public); without it, the key is derived from the log's
    signing key (EXCHANGE_LOG_KEY_FILE). Exits 1 naming the first bad entry if anything was altered,
    or if the log no longer contains a checkpoint a witness cosigned: one stored here, or one in a
    party's own state file (--witnessed), which still counts if the stored cosignatures were deleted.
    """
    settings = load_settings()
    if from_url is not None:
        if log_public is None:
            raise InvalidInputError(
                "--from checks the hub with the log's public key alone: give --log-public"
            )
        verify_from(from_url, mirror, keystore, user, role, log_verifier(settings, log_public), quiet)
        return
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
    url: Annotated[
        str | None,
        typer.Option(
            help="Witness over HTTP: the hub's address (no database needed). Without it, the hub's "
            "database (EXCHANGE_DATABASE_URL) is used."
        ),
    ] = None,
    user: Annotated[str, typer.Option(help="With --url: the user that signs the requests.")] = "witness",
    role: Annotated[str, typer.Option(help="With --url: the role asserted in the requests.")] = "witness",
) -> None:
    """A party's side: check the newest checkpoint extends the last one it saw, and cosign it."""
    store = read_keystore(keystore, passphrase())
    key = store.keys.current
    if key.sign_secret is None:  # pragma: no cover - a current key always has its secret
        raise InvalidInputError("the current signing key has no secret")
    settings = load_settings()
    verifier = log_verifier(settings, log_public)
    previous = WitnessState.from_json(state.read_text()) if state.exists() else None
    if url is not None:
        client = ExchangeClient(url, key, user, role, retry=Retry())
        try:
            own = WitnessKey(name, key.sign_public, key.sign_secret)
            new_state = witness_over_http(client, verifier, previous, own, int(time.time()))
        finally:
            client.close()
        state.write_text(new_state.to_json() + "\n")
        typer.echo(f"cosigned checkpoint at size {new_state.size} (over HTTP)")
        return
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


# The privacy officer's commands (search, report, anomalies, acknowledge) register on this app.
from exchange.cli import log_oversight  # noqa: E402  (after ``app`` exists)

__all__ = ["app", "db_app", "log_oversight"]
