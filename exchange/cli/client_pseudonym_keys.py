"""``exchange client pseudonym-key``: covenant pseudonym keys through the hub, sealed. The custodian
distributes (and tops up); every party fetches its own copies into its keystore. Keys are sealed and
opened here, never on the hub (docs/specs/pseudonym-keys.md).

:mod:`exchange.cli.main` adds them to ``exchange client`` with :func:`install`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from exchange.cli.client import Role, Url, User
from exchange.cli.errors import handled
from exchange.cli.keys import KeystoreOpt, passphrase
from exchange.client.http import ExchangeClient, Retry
from exchange.client.pseudonym_keys import distribute, fetch
from exchange.crypto.keys import unb64
from exchange.crypto.keystore import Keystore, read_keystore, write_keystore

app = typer.Typer(help="Covenant pseudonym keys, sealed through the hub.", no_args_is_help=True)
Covenant = Annotated[str, typer.Option(help="The covenant id, e.g. pit.")]


def _open(url: str, keystore: Path, user: str, role: str, secret: str) -> tuple[ExchangeClient, Keystore]:
    """The keystore (read once, with the passphrase asked once) and a client signing with it."""
    store = read_keystore(keystore, secret)
    return ExchangeClient(url, store.keys.current, user, role, retry=Retry()), store


@app.command("distribute")
@handled
def distribute_cmd(
    url: Url,
    keystore: KeystoreOpt,
    user: User,
    role: Role,
    covenant: Covenant,
    new_version: Annotated[
        bool, typer.Option("--new-version", help="Make and distribute a new key version (rotation).")
    ] = False,
    overlap_days: Annotated[
        int, typer.Option(help="With --new-version: days the previous version stays accepted.")
    ] = 30,
) -> None:
    """As the covenant's key custodian (coordinator or privacy officer): seal the pseudonym key to
    every party and top up parties that lack a copy for their current sealing key."""
    secret = passphrase()
    c, store = _open(url, keystore, user, role, secret)

    def save(updated: Keystore) -> None:
        write_keystore(keystore, updated, secret)

    report = distribute(c, store, covenant, save, new_version=new_version, overlap_days=overlap_days)
    if report.new_version is not None:
        typer.echo(f"pseudonym key v{report.new_version} for {covenant} distributed")
    for version, parties in report.uploaded:
        typer.echo(f"  v{version}: sealed for {', '.join(parties)}")
    if not report.uploaded:
        typer.echo("every registered party holds a copy of every accepted version; nothing to send")
    if report.unregistered:
        typer.echo(
            f"  no sealing key registered yet (run again once they are): {', '.join(report.unregistered)}"
        )


@app.command("fetch")
@handled
def fetch_cmd(
    url: Url,
    keystore: KeystoreOpt,
    user: User,
    role: Role,
    covenant: Covenant,
    custodian_keys: Annotated[
        Path | None,
        typer.Option(
            help="The custodian's export-public JSON, to verify copies by it instead of by the keys "
            "the hub lists (recommended: the hub could list a key of its own)."
        ),
    ] = None,
) -> None:
    """Fetch this party's sealed copies, check the custodian signed them for this covenant, version and
    party, and keep every version in the keystore."""
    secret = passphrase()
    c, store = _open(url, keystore, user, role, secret)
    pinned = None
    if custodian_keys is not None:
        pinned = {
            entry["ed25519"]["kid"]: unb64(entry["ed25519"]["public"], "key")
            for entry in json.loads(custodian_keys.read_text(encoding="utf-8"))
        }
    updated, added = fetch(c, store, covenant, pinned)
    if added:
        write_keystore(keystore, updated, secret)
        typer.echo(f"pseudonym key {', '.join(f'v{v}' for v in added)} for {covenant} added to {keystore}")
    else:
        typer.echo(f"the keystore already holds every pseudonym key version of {covenant} sealed for you")


def install(client_app: typer.Typer) -> None:
    """Add ``pseudonym-key`` to ``exchange client``."""
    client_app.add_typer(app, name="pseudonym-key")
