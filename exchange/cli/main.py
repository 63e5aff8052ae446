"""The ``exchange`` command."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from exchange.cli import (
    admin,
    admin_joins,
    client,
    client_access,
    client_followup,
    client_keys,
    client_log,
    client_node,
    client_pseudonym_keys,
    client_revisions,
    client_texts,
    convenant,
    keys,
    log,
    node,
)
from exchange.cli.errors import handled
from exchange.errors import InvalidInputError
from exchange.policies.decision import DecisionRequest

app = typer.Typer(
    help="exchange: lawful, provable information exchange for intervention teams.", no_args_is_help=True
)
app.add_typer(convenant.app, name="convenant")
app.add_typer(keys.app, name="keys")
app.add_typer(log.app, name="log")
app.add_typer(log.db_app, name="db")
app.add_typer(admin.app, name="admin")
client_texts.install(client.app)
client_log.install(client.app)
client_access.install(client.app)
client_followup.install(client.app)
client_keys.install(client.app)
client_pseudonym_keys.install(client.app)
client_node.install(client.app)
client_revisions.install(client.app, convenant.app)
app.add_typer(client.app, name="client")
admin_joins.install(admin.app)
app.command("serve")(handled(admin.serve))
node.install(app)

DEMO_DIR = Path("var/demo")
NODES_DIR = Path("build/demo")


@app.command()
@handled
def decide(
    request: Annotated[str | None, typer.Argument(help="Request JSON; read from stdin if absent.")] = None,
    convenant_dir: convenant.TreeOpt = convenant.DEFAULT_TREE,
    reference: Annotated[bool, typer.Option(help="Decide with plain Casbin, not the fast path.")] = False,
) -> None:
    """Decide one request against the covenants and print the decision as JSON.

    Exit code 0 when allowed, 1 when denied, 2 when the request or covenants are malformed, the
    covenant tree is missing, or the request names a covenant or version it does not hold.
    """
    raw = request if request is not None else sys.stdin.read()
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"the request is not valid JSON: {exc}") from None
    req = DecisionRequest.from_data(data)
    versions = convenant.load_covenants(convenant_dir)
    convenant.require_covenant(versions, req.covenant, convenant_dir)
    engine = convenant.engine_for(versions)
    matcher = None
    if reference:
        from exchange.policies.casbin_adapter import CasbinMatcher

        matcher = CasbinMatcher()
    decision = engine.decide(req, matcher)
    typer.echo(json.dumps(decision.to_data(), indent=2, ensure_ascii=False))
    if not decision.allowed:
        raise typer.Exit(1)


@app.command()
@handled
def demo(
    workdir: Annotated[Path, typer.Option(help="Where the demo database goes (wiped first).")] = DEMO_DIR,
    exit_after: Annotated[bool, typer.Option("--exit", help="Stop the service after the demo.")] = False,
    port: Annotated[int | None, typer.Option(help="Port for the service (default: a free one).")] = None,
    nodes: Annotated[
        bool,
        typer.Option(
            "--nodes",
            help="Instead: serve the hub (port 8000) and the workspaces of Helmond, Senzer and the police "
            "(8701-8703) for the browser, made on first start in build/demo (or --workdir).",
        ),
    ] = False,
    port_base: Annotated[
        int,
        typer.Option(
            min=1,
            max=65532,
            help="With --nodes: the workspaces listen on this port plus 1, 2 and 3 (8701-8703).",
        ),
    ] = 8700,
) -> None:
    """Start the service on SQLite and play a PIT case through it over HTTP, party by party."""
    if nodes:
        from exchange.cli.demo_nodes import run_nodes

        run_nodes(NODES_DIR if workdir == DEMO_DIR else workdir, typer.echo, port or 8000, port_base)
        return
    from exchange.cli.demo import run_demo  # only this command needs the server

    run_demo(workdir, typer.echo, keep_serving=not exit_after, port=port)


if __name__ == "__main__":  # pragma: no cover
    app()
