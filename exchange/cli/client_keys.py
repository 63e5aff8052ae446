"""``exchange client keys``, ``join`` and ``joins``: a party's keys at the hub, joining a covenant,
and the custodian's decisions on joins. The logic is in :mod:`exchange.client.directory` and
:mod:`exchange.client.joins`; these commands parse options and print.

:mod:`exchange.cli.main` adds them to ``exchange client`` with :func:`install`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from exchange.cli.client import Role, Url, User, _client, _echo
from exchange.cli.errors import handled
from exchange.cli.keys import KeystoreOpt, passphrase
from exchange.client.directory import DirectoryAnswerError, fetch_directory, publish_keys, publishing_key
from exchange.client.http import ExchangeClient, Retry
from exchange.client.joins import decide_join, pending_joins, request_join
from exchange.crypto.keystore import read_keystore

keys_app = typer.Typer(help="Your party's keys at the hub, and the key directory.", no_args_is_help=True)
joins_app = typer.Typer(help="Joins of the covenants whose keys your party keeps.", no_args_is_help=True)


@keys_app.command()
@handled
def publish(url: Url, keystore: KeystoreOpt, user: User, role: Role) -> None:
    """Register your keys with the hub after 'exchange keys rotate': the new version becomes current,
    the previous one retired. Signed with the key the hub has as current."""
    store = read_keystore(keystore, passphrase())
    signer = publishing_key(store.keys)
    try:
        added = publish_keys(ExchangeClient(url, signer, user, role, retry=Retry()), store.keys)
    except DirectoryAnswerError as exc:
        if exc.status != 401 or signer is store.keys.current:
            raise
        # Published before: the hub has the newest version as current already.
        added = publish_keys(ExchangeClient(url, store.keys.current, user, role, retry=Retry()), store.keys)
    typer.echo(f"registered {store.party} version {store.keys.current.version}: {len(added)} new key(s)")


@keys_app.command("list")
@handled
def list_keys(
    url: Url,
    keystore: KeystoreOpt,
    user: User,
    role: Role,
    party: Annotated[str | None, typer.Option(help="Only this party's keys.")] = None,
) -> None:
    """The key directory: the keys of the parties in your covenants, each key id checked here."""
    c, _ = _client(url, keystore, user, role)
    directory = fetch_directory(c, party)
    for k in sorted(directory.keys.values(), key=lambda k: (k.party, k.version, k.algorithm)):
        retired = f" retired {k.retired_at.isoformat()}" if k.retired_at is not None else ""
        typer.echo(f"{k.party:<24} v{k.version:<3} {k.kid}  {k.status}{retired}")


@handled
def join(
    url: Url,
    keystore: KeystoreOpt,
    user: User,
    role: Role,
    covenant: Annotated[str, typer.Option(help="The covenant to join, e.g. pit.")],
    name: Annotated[str, typer.Option(help="Your organisation's name.")],
) -> None:
    """Ask to join a covenant that lists your party, with your keystore's public keys (signed with
    its current key). It takes effect once the hub's operator and the covenant's custodian approve."""
    store = read_keystore(keystore, passphrase())
    # The answer names the signing key id: the custodian and the operator compare it out of band.
    _echo(request_join(url, store.keys, covenant, name, user, role))


@joins_app.command("list")
@handled
def list_joins(url: Url, keystore: KeystoreOpt, user: User, role: Role) -> None:
    """Pending joins of the covenants whose keys your party keeps (privacy officer or coordinator)."""
    c, _ = _client(url, keystore, user, role)
    _echo(pending_joins(c))


@joins_app.command()
@handled
def approve(url: Url, keystore: KeystoreOpt, user: User, role: Role, join_id: str) -> None:
    """Approve a join as the covenant's custodian (after checking its signing key out of band)."""
    c, _ = _client(url, keystore, user, role)
    _echo(decide_join(c, join_id, approve=True))


@joins_app.command()
@handled
def reject(url: Url, keystore: KeystoreOpt, user: User, role: Role, join_id: str) -> None:
    """Reject a join as the covenant's custodian; it never takes effect."""
    c, _ = _client(url, keystore, user, role)
    _echo(decide_join(c, join_id, approve=False))


def install(app: typer.Typer) -> None:
    """Add these commands to ``exchange client``."""
    app.add_typer(keys_app, name="keys")
    app.command()(join)
    app.add_typer(joins_app, name="joins")
