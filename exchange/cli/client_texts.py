"""``exchange client`` commands for a case's free text: a jurist's review, an action point's status
with its reason, and reading the case's reasons and notes. Every text is sealed here for the case's
readers before it is sent, and opened here; the hub never reads one (docs/specs/sealed-texts.md).

:mod:`exchange.cli.main` adds them to ``exchange client`` with :func:`install`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from exchange.cli.client import Role, Url, User, _client, _echo, _ok
from exchange.cli.errors import handled
from exchange.cli.keys import KeystoreOpt
from exchange.client import followup
from exchange.client.directory import signer_source
from exchange.client.texts import open_texts, seal_text

Signers = Annotated[
    Path | None,
    typer.Option(help="The writers' export-public files merged; default: the hub's key directory."),
]


@handled
def review(
    url: Url,
    keystore: KeystoreOpt,
    user: User,
    role: Role,
    case: str,
    verdict: Annotated[str, typer.Option(help="approved or concerns.")],
    note: Annotated[str, typer.Option(help="Why; sealed here for the case's readers.")],
) -> None:
    """Review a case's selection decision (jurist), with a sealed note."""
    c, store = _client(url, keystore, user, role)
    _echo(followup.review(c, store.keys, case, verdict, note))


@handled
def update_action(
    url: Url,
    keystore: KeystoreOpt,
    user: User,
    role: Role,
    case: str,
    action: Annotated[str, typer.Option(help="The action point's id.")],
    status: Annotated[str, typer.Option(help="open, done or cancelled.")],
    reason: Annotated[str | None, typer.Option(help="Required once overdue; sealed here.")] = None,
) -> None:
    """Set an action point's status (its owner or the coordinator)."""
    c, store = _client(url, keystore, user, role)
    body: dict[str, Any] = {"status": status}
    if reason is not None:
        body["reason_sealed"] = seal_text(c, store.keys, case, "action-reason", reason)
    _echo(_ok(c.post(f"/v1/cases/{case}/actions/{action}", body)))


@handled
def texts(
    url: Url, keystore: KeystoreOpt, user: User, role: Role, case: str, signers: Signers = None
) -> None:
    """Open and print the case's reasons and notes sealed for your party (each read is logged)."""
    c, store = _client(url, keystore, user, role)
    for t in open_texts(c, store.keys, case, signer_source(c, signers)):
        typer.echo(f"--- {t.kind} by {t.author} ({t.created}) [{t.id}]\n{t.text}")


def install(app: typer.Typer) -> None:
    """Add these commands to ``exchange client``."""
    app.command()(review)
    app.command("update-action")(update_action)
    app.command()(texts)
