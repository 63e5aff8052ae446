"""``exchange admin joins``, ``approve-join`` and ``reject-join``: the operator's side of a join, on
the hub's database like the other admin commands. A join takes effect (the party and its keys
registered) when the covenant's key custodian has approved too (``POST /v1/joins/{id}/approval``).

:mod:`exchange.cli.main` adds them to ``exchange admin`` with :func:`install`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from exchange.cases.joins import JoinService
from exchange.cli.admin import operator_unit
from exchange.cli.common import database
from exchange.cli.convenant import engine_for, load_covenants
from exchange.cli.errors import handled
from exchange.config import load_settings
from exchange.storage.joins import Join

Operator = Annotated[str, typer.Option(help="Who decides (recorded in the log).")]


def _line(j: Join) -> str:
    return (
        f"{j.id}  {j.party:<24} {j.covenant:<12} {j.requested.isoformat(timespec='seconds')}  "
        f"signing key {j.kid}  operator: {j.operator or '-'}  custodian: {j.custodian or '-'}  "
        f"name: {j.name}"
    )


@handled
def joins() -> None:
    """List the pending joins: party, covenant, when, the signing key to compare out of band, and
    who has approved so far."""
    with database() as session:
        pending = JoinService(operator_unit(session, "operator", "admin"), engine_for([])).pending()
    for j in pending:
        typer.echo(_line(j))
    if not pending:
        typer.echo("no pending joins")


def _decide(join_id: str, approve: bool, operator: str) -> None:
    settings = load_settings()
    decisions = engine_for(load_covenants(settings.convenant_dir))
    with database(settings) as session:
        join = JoinService(operator_unit(session, operator, "admin"), decisions).decide_as_operator(
            join_id, approve
        )
    if join.status == "registered":
        typer.echo(f"{join.id}: approved; {join.party} is registered and can sign")
    elif approve:
        typer.echo(f"{join.id}: approved; waiting for the covenant's custodian")
    else:
        typer.echo(f"{join.id}: rejected")


@handled
def approve_join(join_id: str, operator: Operator = "operator") -> None:
    """Approve a join as the hub's operator (after checking its signing key out of band). Logged."""
    _decide(join_id, True, operator)


@handled
def reject_join(join_id: str, operator: Operator = "operator") -> None:
    """Reject a join as the hub's operator; it never takes effect. Logged."""
    _decide(join_id, False, operator)


def install(app: typer.Typer) -> None:
    """Add these commands to ``exchange admin``."""
    app.command()(joins)
    app.command("approve-join")(approve_join)
    app.command("reject-join")(reject_join)
