"""``exchange admin`` and ``exchange serve``: what the operator runs. No command here can read a dossier."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from exchange.audit.events import Action, Actor, Event, Outcome
from exchange.cli.common import audit_log, database
from exchange.cli.errors import handled
from exchange.config import load_settings
from exchange.errors import InvalidInputError
from exchange.storage.parties import register_party

app = typer.Typer(help="Operator tasks against the database.", no_args_is_help=True)


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
    now = datetime.now(UTC)
    with database() as session:
        added = register_party(session, party, name, data, now)
        audit_log().append(
            session,
            Event(
                now,
                f"admin-{int(now.timestamp() * 1000)}",
                Action.KEY_REGISTRATION,
                Actor("operator", operator, "operator"),
                Outcome.DONE,
                counterparty=party,
                channel="cli",
                details={"keys_added": len(added)},
            ),
        )
    typer.echo(f"registered {party}: {len(added)} new key(s)")


@app.command("shred-expired")
@handled
def shred_expired() -> None:
    """Delete the wraps of every dossier item whose retention period has ended (run daily). Logged."""
    from exchange.cases.followup import FollowUpService
    from exchange.cases.service import CaseService
    from exchange.cli.convenant import engine_for
    from exchange.policies.files import load_tree

    settings = load_settings()
    now = datetime.now(UTC)
    followup = FollowUpService(
        CaseService(engine_for(load_tree(settings.convenant_dir)), audit_log(settings))
    )
    with database(settings) as session:
        shredded = followup.shred_expired(session, now, f"retention-{int(now.timestamp())}")
    typer.echo(f"shredded {len(shredded)} item(s)")


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8080,
) -> None:
    """Run the HTTP service (EXCHANGE_DATABASE_URL, EXCHANGE_CONVENANT_DIR, EXCHANGE_LOG_ORIGIN)."""
    import uvicorn

    from exchange.api.app import create_app
    from exchange.logging_json import configure

    configure()
    uvicorn.run(create_app(load_settings()), host=host, port=port, log_config=None, access_log=False)
