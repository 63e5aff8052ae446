"""``exchange admin`` and ``exchange serve``: what the operator runs. No command here can read a dossier."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from exchange.audit.events import Action, Outcome, new_trace
from exchange.cases.unit import Unit
from exchange.cli.common import audit_log, database
from exchange.cli.errors import handled
from exchange.config import load_settings
from exchange.errors import ConfigurationError, InvalidInputError
from exchange.storage.parties import register_party
from exchange.vocabulary import Caller

app = typer.Typer(help="Operator tasks against the database.", no_args_is_help=True)


def operator_unit(session: Session, user: str, trace: str) -> Unit:
    """A unit of work for an operator's command, now, logged with channel 'cli'."""
    caller = Caller("operator", user, "operator", kid="operator")
    return Unit(session, caller, new_trace(trace), datetime.now(UTC), audit_log(), channel="cli")


@app.command("register-party")
@handled
def register_party_cmd(
    party: Annotated[str, typer.Option(help="The party id used in the covenants, e.g. helmond.")],
    name: Annotated[str, typer.Option(help="The party's name.")],
    public_keys: Annotated[Path, typer.Option(help="The party's 'exchange keys export-public' JSON.")],
    operator: Annotated[str, typer.Option(help="Who registers (recorded in the log).")] = "operator",
) -> None:
    """Register a party's public keys (or their new status after a rotation). Logged."""
    try:
        data = json.loads(public_keys.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidInputError(f"cannot read {public_keys}: {exc}") from None
    with database() as session:
        unit = operator_unit(session, operator, "admin")
        added = register_party(session, party, name, data, unit.now)
        unit.record(
            Action.KEY_REGISTRATION, Outcome.DONE, counterparty=party, details={"keys_added": len(added)}
        )
    typer.echo(f"registered {party}: {len(added)} new key(s)")


@app.command("shred-expired")
@handled
def shred_expired() -> None:
    """Delete the wraps of every dossier item and sealed text whose retention period has ended
    (run daily). Logged."""
    from exchange.cases.followup import shred_expired as shred

    with database() as session:
        shredded = shred(operator_unit(session, "retention", "retention"))
    typer.echo(f"shredded {len(shredded)} item(s) and text(s)")


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8080,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes (PostgreSQL for > 1).")] = 1,
) -> None:
    """Run the HTTP service (EXCHANGE_DATABASE_URL, EXCHANGE_CONVENANT_DIR, EXCHANGE_LOG_ORIGIN, ...).

    Secrets and the schema are checked before any worker starts, so a misconfigured deployment stops
    at once with one message instead of restarting workers in a loop.
    """
    import uvicorn

    from exchange.api.receipts import load_receipt_signer
    from exchange.config import refuse_weak_secrets
    from exchange.logging_json import configure
    from exchange.storage.db import make_engine
    from exchange.storage.schema import require_current

    settings = load_settings()
    refuse_weak_secrets(settings)
    load_receipt_signer(settings)  # a missing or unreadable receipt key stops the start here
    engine = make_engine(settings.engine_url())
    try:
        require_current(engine)
    finally:
        engine.dispose()
    if workers > 1 and settings.database_url.startswith("sqlite"):
        typer.echo(
            "note: several workers on SQLite take turns to write; use PostgreSQL to scale out", err=True
        )
    _prepare_metrics_dir()
    configure()
    options: dict[str, Any] = {"host": host, "port": port, "log_config": None, "access_log": False}
    if workers == 1:
        from exchange.api.app import create_app

        uvicorn.run(create_app(settings), **options)
    else:
        uvicorn.run("exchange.api.asgi:create", factory=True, workers=workers, **options)


def _prepare_metrics_dir() -> None:
    """With PROMETHEUS_MULTIPROC_DIR set, workers share their figures through files there; figures of
    a previous run must not be counted again, so the directory is emptied at start."""
    raw = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not raw:
        return
    path = Path(raw)
    try:
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()
    except OSError as exc:
        raise ConfigurationError(f"PROMETHEUS_MULTIPROC_DIR {path} is not writable: {exc.strerror}") from None
