"""``exchange node``: a party's own node: its store, its local accounts, and its web workspace.

Settings come from ``EXCHANGE_NODE_*`` variables (docs/node.md). :mod:`exchange.cli.main` adds the
group with :func:`install`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from exchange.cli.errors import handled
from exchange.errors import InvalidInputError
from exchange.node.accounts import add_user, disable_user, list_users, set_roles
from exchange.node.runtime import bind_data_key, load_party, open_party_keystore, open_store, start
from exchange.node.settings import NodeSettings

app = typer.Typer(
    help="The party's own node: store, local accounts and the web workspace.", no_args_is_help=True
)
users = typer.Typer(help="Local accounts of the node's workspace.", no_args_is_help=True)

Name = Annotated[str, typer.Argument(help="The user's sign-in name, e.g. j.jansen.")]
Roles = Annotated[
    list[str], typer.Option("--role", help="A role the covenants let this party hold; repeat for more.")
]


def _now() -> datetime:
    return datetime.now(UTC)


def _password(password_file: Path | None) -> str:
    if password_file is not None:
        try:
            lines = password_file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise InvalidInputError(f"cannot read {password_file}: {exc.strerror}") from None
        if not lines or not lines[0]:
            raise InvalidInputError(f"{password_file} holds no password on its first line")
        return lines[0]
    value: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


@handled
def init() -> None:
    """Create or upgrade the node's store and bind it to the party's keystore (checks the passphrase)."""
    settings = NodeSettings()
    party = load_party(settings)
    keystore = open_party_keystore(settings, party.id)

    engine, factory = open_store(settings)
    with factory.begin() as session:
        key = bind_data_key(session, keystore)
    engine.dispose()
    typer.echo(f"node store ready for {party.name} ({party.id}); data key from key version {key.version}")
    typer.echo(f"roles this party may hold: {', '.join(party.roles)}")


@handled
def user_add(
    name: Name,
    role: Roles,
    password_file: Annotated[
        Path | None, typer.Option(help="A file whose first line is the password (default: ask).")
    ] = None,
    display_name: Annotated[str | None, typer.Option(help="The name shown on pages.")] = None,
) -> None:
    """Add a user with one or more roles."""
    settings = NodeSettings()
    party = load_party(settings)
    password = _password(password_file)
    engine, factory = open_store(settings)
    with factory.begin() as session:
        account = add_user(
            session, party, name, role, password, _now(), settings.password_profile, display_name
        )
    engine.dispose()
    typer.echo(f"added {account.name} ({', '.join(account.roles)})")


@handled
def user_disable(name: Name) -> None:
    """Disable a user; their sessions end at once."""
    engine, factory = open_store(NodeSettings())
    with factory.begin() as session:
        account = disable_user(session, name, _now())
    engine.dispose()
    typer.echo(f"disabled {account.name}")


@handled
def user_roles(name: Name, role: Roles) -> None:
    """Replace a user's roles."""
    settings = NodeSettings()
    party = load_party(settings)
    engine, factory = open_store(settings)
    with factory.begin() as session:
        account = set_roles(session, party, name, role, _now())
    engine.dispose()
    typer.echo(f"{account.name}: {', '.join(account.roles)}")


@handled
def user_list() -> None:
    """Every user: name, roles, and whether disabled or locked; accounts that sign in through the
    organisation's OpenID provider are marked with their name there."""
    engine, factory = open_store(NodeSettings())
    with factory.begin() as session:
        accounts = list_users(session)
    engine.dispose()
    now = _now()
    for a in accounts:
        locked = a.locked_until is not None and a.locked_until > now
        state = "disabled" if a.disabled else "locked" if locked else "active"
        # An account of the organisation's OpenID provider is named by its stable id; its name there
        # is shown beside it for the administrator to recognise.
        origin = f"  (OpenID: {a.display_name})" if a.external else ""
        typer.echo(f"{a.name:<24} {state:<9} {', '.join(a.roles) or '-'}{origin}")


@handled
def serve() -> None:
    """Serve the workspace (EXCHANGE_NODE_HOST/PORT). Refuses to start without a working keystore."""
    import uvicorn

    from exchange.node.sync_schedule import SyncSchedule
    from exchange.node.web import create_app

    settings = NodeSettings()
    runtime = start(settings)
    typer.echo(f"workspace of {runtime.party.name} on http://{settings.host}:{settings.port}/", err=True)
    schedule = SyncSchedule(runtime, settings.sync_interval_minutes * 60)
    if settings.sync_interval_minutes:
        schedule.start()
        typer.echo(f"index sync every {settings.sync_interval_minutes} minutes", err=True)
    try:
        uvicorn.run(create_app(runtime), host=settings.host, port=settings.port, log_level="warning")
    finally:
        if settings.sync_interval_minutes:
            schedule.stop()


def install(main: typer.Typer) -> None:
    from exchange.cli import node_sync

    app.command("init")(init)
    node_sync.install(app)
    app.command("serve")(serve)
    users.command("add")(user_add)
    users.command("disable")(user_disable)
    users.command("roles")(user_roles)
    users.command("list")(user_list)
    app.add_typer(users, name="user")
    main.add_typer(app, name="node")
