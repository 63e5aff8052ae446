"""``exchange client`` commands for what waits for a party at the hub: hit/no-hit answers with their
three states, the inbox, and signals forwarded by a coordinator (sealed here, opened here).

:mod:`exchange.cli.main` adds them to ``exchange client`` with :func:`install`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from exchange.cli.client import Role, Url, User, _client, _echo
from exchange.cli.errors import handled
from exchange.cli.keys import KeystoreOpt
from exchange.client.forwards import forward_signal, open_forward, read_inbox
from exchange.client.hits import query_hits, state_of
from exchange.crypto.keys import unb64

forwards_app = typer.Typer(help="Signals forwarded to your party.", no_args_is_help=True)
Signers = Annotated[Path, typer.Option(help="JSON of the senders' public keys: export-public files merged.")]

_LABEL = {"hit": "HIT", "no-hit": "no-hit", "no-index": "no-index"}


@handled
def hits(url: Url, keystore: KeystoreOpt, user: User, role: Role, case: str) -> None:
    """Hit, no-hit or no-index for a case's subjects, for the pairs the covenant allows you to ask
    about now; then the pairs it allows you only in another phase (not asked, not logged)."""
    c, _ = _client(url, keystore, user, role)
    report = query_hits(c, case)
    for a in report.answers:
        typer.echo(
            f"{a['subject'][:14]}...  {a['provider']:<24} {a['category']:<28} "
            f"{_LABEL[state_of(a)]:<8} art. {', '.join(a['articles'])}"
        )
    for provider, category in report.not_in_phase:
        typer.echo(f"{'':<17}  {provider:<24} {category:<28} not allowed in this phase")


@handled
def inbox(url: Url, keystore: KeystoreOpt, user: User, role: Role) -> None:
    """What waits for your party: open requests, unread items and texts, open action points (overdue
    marked), feedback and forwarded signals. Metadata only, as JSON."""
    c, _ = _client(url, keystore, user, role)
    _echo(read_inbox(c))


@handled
def forward(
    url: Url,
    keystore: KeystoreOpt,
    user: User,
    role: Role,
    to: Annotated[str, typer.Option("--to", help="The partner the signal belongs to.")],
    purpose: Annotated[str, typer.Option(help="The signal's purpose under the covenant.")],
    covenant: Annotated[str, typer.Option(help="The covenant, e.g. pit or pit/2021.")],
    text: Annotated[str, typer.Option(help="The signal; sealed here for the partner's keys.")],
) -> None:
    """Forward a signal to the partner it belongs to, without opening a case (a coordinator)."""
    c, store = _client(url, keystore, user, role)
    _echo(forward_signal(c, store.keys, to, purpose, covenant, text))


@handled
def open_(url: Url, keystore: KeystoreOpt, user: User, role: Role, forward_id: str, signers: Signers) -> None:
    """Fetch a signal forwarded to your party (a logged read) and open it here."""
    c, store = _client(url, keystore, user, role)
    keys: dict[str, bytes] = {}
    for entry in json.loads(signers.read_text(encoding="utf-8")):
        keys[entry["ed25519"]["kid"]] = unb64(entry["ed25519"]["public"], "key")
    f = open_forward(c, store.keys, forward_id, keys)
    typer.echo(
        f"--- signal from {f.sender} for {f.purpose} under {f.covenant} ({f.created}) [{f.id}]\n{f.text}"
    )


def install(app: typer.Typer) -> None:
    """Add these commands to ``exchange client``."""
    app.command()(hits)
    app.command()(inbox)
    app.command()(forward)
    forwards_app.command("open")(open_)
    app.add_typer(forwards_app, name="forwards")
