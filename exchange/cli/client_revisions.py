"""``exchange client convenant propose|approve|withdraw|list|show`` and ``exchange convenant publish``:
covenant revisions as the key custodian's jurist and each signatory's privacy officer or jurist run
them. They parse options and print; the steps are in :mod:`exchange.client.revisions`.

:mod:`exchange.cli.main` adds them with :func:`install`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from exchange.cli.client import Role, Url, User, _client, _echo
from exchange.cli.errors import handled
from exchange.cli.keys import KeystoreOpt
from exchange.client import revisions

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the hub's answer as JSON, for scripts.")]
Digest = Annotated[str, typer.Argument(help="The version's digest (sha256:...), as `list` shows it.")]
Directory = Annotated[
    Path, typer.Argument(help="The version directory (covenant.yaml, flows.yaml, scenarios.yaml).")
]

app = typer.Typer(
    help="Covenant revisions: propose a version, approve it as a signatory, follow its state.",
    no_args_is_help=True,
)


def _print(lines: list[str]) -> None:
    for line in lines:
        typer.echo(line)


@app.command("propose")
@handled
def propose(
    directory: Directory, url: Url, keystore: KeystoreOpt, user: User, role: Role, as_json: JsonOpt = False
) -> None:
    """Check, compile and test a version directory here, then propose it (a jurist of the covenant's
    key custodian). The proposal counts as your party's approval; every other signatory is asked."""
    bundle = revisions.prepare(directory)
    typer.echo(f"{bundle.covenant.label}: files check, {len(bundle.suite.results)} scenario(s) pass")
    c, _ = _client(url, keystore, user, role)
    made = revisions.propose(c, bundle)
    if as_json:
        _echo(made)
    else:
        _print(revisions.detail_lines(made))


@app.command("approve")
@handled
def approve(
    digest: Digest, url: Url, keystore: KeystoreOpt, user: User, role: Role, as_json: JsonOpt = False
) -> None:
    """Approve a proposed version for your party (a signatory's privacy officer or jurist)."""
    c, _ = _client(url, keystore, user, role)
    done = revisions.approve(c, digest)
    if as_json:
        _echo(done)
    else:
        _print(revisions.detail_lines(done))


@app.command("withdraw")
@handled
def withdraw(
    digest: Digest, url: Url, keystore: KeystoreOpt, user: User, role: Role, as_json: JsonOpt = False
) -> None:
    """Withdraw an open proposal (a jurist of the covenant's key custodian)."""
    c, _ = _client(url, keystore, user, role)
    done = revisions.withdraw(c, digest)
    if as_json:
        _echo(done)
    else:
        typer.echo(revisions.summary_line(done))


@app.command("list")
@handled
def list_versions(
    url: Url,
    keystore: KeystoreOpt,
    user: User,
    role: Role,
    state: Annotated[str | None, typer.Option(help="proposed, approved, withdrawn or superseded.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The versions proposed for your party's covenants, newest first."""
    c, _ = _client(url, keystore, user, role)
    found = revisions.listing(c, state)
    if as_json:
        _echo(found)
        return
    if not found:
        typer.echo("no covenant versions proposed")
    _print([revisions.summary_line(v) for v in found])


@app.command("show")
@handled
def show(
    digest: Digest,
    url: Url,
    keystore: KeystoreOpt,
    user: User,
    role: Role,
    files: Annotated[
        Path | None, typer.Option(help="Also write the version's files into this new directory.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """One proposed version: approvals, scenario results and its impact on past answers."""
    c, _ = _client(url, keystore, user, role)
    found = revisions.show(c, digest)
    if files is not None:
        files.mkdir(parents=True, exist_ok=False)
        for name, text in found["files"].items():
            (files / Path(name).name).write_text(text, encoding="utf-8")
    if as_json:
        _echo(found)
    else:
        _print(revisions.detail_lines(found))


def install(client_app: typer.Typer, convenant_app: typer.Typer) -> None:
    """Add ``exchange client convenant ...`` and ``exchange convenant publish``."""
    client_app.add_typer(app, name="convenant")
    convenant_app.command("publish")(propose)
