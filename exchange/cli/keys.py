"""``exchange keys``: a party's own keystore (init, rotate, destroy, show, export-public).

The passphrase comes from ``EXCHANGE_PASSPHRASE`` or an interactive prompt; it is never an argument,
so it does not end up in shell history or process listings.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from exchange.cli.errors import handled
from exchange.crypto.keys import PartyKeys
from exchange.crypto.keystore import Keystore, read_keystore, write_keystore
from exchange.crypto.pseudonym import PseudonymKey
from exchange.errors import ConflictError

app = typer.Typer(
    help="Manage this party's keystore (private keys stay on this machine).", no_args_is_help=True
)

KeystoreOpt = Annotated[
    Path,
    typer.Option("--keystore", envvar="EXCHANGE_KEYSTORE", help="Keystore file (env EXCHANGE_KEYSTORE)."),
]


def passphrase(confirm: bool = False) -> str:
    from_env = os.environ.get("EXCHANGE_PASSPHRASE")
    if from_env:
        return from_env
    value: str = typer.prompt("Keystore passphrase", hide_input=True, confirmation_prompt=confirm)
    return value


def _save(path: Path, store: Keystore, secret: str) -> None:
    write_keystore(path, store, secret)


@app.command()
@handled
def init(
    party: Annotated[str, typer.Option(help="This party's id in the covenant, e.g. helmond.")],
    keystore: KeystoreOpt,
) -> None:
    """Create a keystore with a first encryption and signing key pair."""
    if keystore.exists():
        raise ConflictError(f"{keystore} exists already; use 'exchange keys rotate' for new keys")
    store = Keystore(PartyKeys.create(party, datetime.now(UTC)))
    _save(keystore, store, passphrase(confirm=True))
    typer.echo(f"created {keystore} for {party}: {store.keys.current.box_kid}, {store.keys.current.sign_kid}")


@app.command()
@handled
def rotate(keystore: KeystoreOpt) -> None:
    """Add a new current key version; the old one keeps opening older items."""
    secret = passphrase()
    store = read_keystore(keystore, secret)
    rotated = Keystore(store.keys.rotate(datetime.now(UTC)), store.pseudonym_keys)
    _save(keystore, rotated, secret)
    typer.echo(f"key version {rotated.keys.current.version} is now current; register it with the hub")


@app.command()
@handled
def destroy(
    keystore: KeystoreOpt, version: Annotated[int, typer.Option(help="The retired version to destroy.")]
) -> None:
    """Erase a retired version's private keys for good: items sealed only to it become unreadable."""
    secret = passphrase()
    store = read_keystore(keystore, secret)
    _save(keystore, Keystore(store.keys.destroy(version), store.pseudonym_keys), secret)
    typer.echo(f"destroyed the private keys of version {version}")


@app.command()
@handled
def show(keystore: KeystoreOpt) -> None:
    """List key versions, ids and status, and the pseudonym key versions held. No secrets."""
    store = read_keystore(keystore, passphrase())
    typer.echo(f"party: {store.party}")
    for v in store.keys.versions:
        typer.echo(f"  v{v.version} {v.status:<9} {v.created:%Y-%m-%d}  {v.box_kid}  {v.sign_kid}")
    for k in store.pseudonym_keys:
        typer.echo(f"  pseudonym key: covenant {k.covenant} v{k.version}")


@app.command("export-public")
@handled
def export_public(
    keystore: KeystoreOpt,
    out: Annotated[Path | None, typer.Option(help="Write JSON here instead of stdout.")] = None,
) -> None:
    """The public keys as JSON, to register with the hub."""
    store = read_keystore(keystore, passphrase())
    text = json.dumps([v.to_data(store.party) for v in store.keys.public()], indent=2)
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        typer.echo(f"wrote {out}")


@app.command("new-pseudonym-key")
@handled
def new_pseudonym_key(
    keystore: KeystoreOpt, covenant: Annotated[str, typer.Option(help="Covenant id, e.g. pit.")]
) -> None:
    """Generate the next pseudonym key version for a covenant (the coordinator does this once)."""
    secret = passphrase()
    store = read_keystore(keystore, secret)
    existing = [k.version for k in store.pseudonym_keys if k.covenant == covenant]
    key = PseudonymKey.generate(covenant, max(existing, default=0) + 1)
    _save(keystore, store.with_pseudonym_key(key), secret)
    typer.echo(f"pseudonym key v{key.version} for {covenant} added")
