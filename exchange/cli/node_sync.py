"""``exchange node sync``: one pass of the index's drop-folder sync, or ``--rotate`` to
re-pseudonymise the whole index under the covenant's newest pseudonym key version (docs/node.md)."""

from __future__ import annotations

from typing import Annotated

import typer

from exchange.cli.errors import EXIT_FAILED, handled
from exchange.node.folder_sync import Outcome, sync_pass
from exchange.node.index_file import Problem
from exchange.node.runtime import start
from exchange.node.settings import NodeSettings
from exchange.node.sync_hub import LiveIndexHub

PROBLEM_TEXT = {
    "not-utf8": "the file is not UTF-8 text",
    "invalid": "not a valid subject of this kind",
    "duplicate": "repeats line {first}",
}


def describe(p: Problem) -> str:
    where = f"line {p.number}" if p.number else "file"
    return f"{where}: {PROBLEM_TEXT.get(p.code, p.code).format(first=p.first)}"


def progress(category: str, stage: str, done: int, total: int) -> None:
    verb = "pseudonymised" if stage == "pseudonymise" else "sent to the hub"
    typer.echo(f"{category}: {done}/{total} {verb}", err=True)


def report(o: Outcome) -> str:
    if o.state == "sent":
        what = "re-pseudonymised" if o.reason == "rotation" else "synced"
        return f"{o.category}: {what}: {o.additions} added, {o.removals} removed, {o.unchanged} unchanged"
    if o.state == "unchanged":
        return f"{o.category}: the export is the one synced last; nothing to send"
    if o.state == "no-file":
        return f"{o.category}: no complete export in the drop folder yet"
    return f"{o.category}: the export has {o.parsed.problem_count if o.parsed else 0} bad lines; nothing sent"


@handled
def sync(
    rotate: Annotated[
        bool,
        typer.Option(
            "--rotate",
            help="Only re-pseudonymise the index under the newest pseudonym key version; read no folder.",
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress lines.")] = False,
) -> None:
    """Sync the index from the drop folders (and re-pseudonymise on a new key version) once."""
    runtime = start(NodeSettings())
    try:
        outcomes = sync_pass(runtime, LiveIndexHub(runtime), progress if not quiet else _silent, not rotate)
    finally:
        runtime.engine.dispose()
    failed = False
    for o in outcomes:
        typer.echo(report(o))
        if o.parsed is not None:
            failed = True
            for p in o.parsed.problems:
                typer.echo(f"  {describe(p)}", err=True)
            if o.parsed.problem_count > len(o.parsed.problems):
                typer.echo(f"  ... {o.parsed.problem_count} problems in all", err=True)
    if not outcomes:
        typer.echo(
            "nothing to do: the index is under the newest pseudonym key version already"
            if rotate
            else "nothing to sync: no drop folder is configured (EXCHANGE_NODE_SYNC_FOLDERS) and "
            "the index is under the newest pseudonym key version"
        )
    if failed:
        raise typer.Exit(EXIT_FAILED)


def _silent(_category: str, _stage: str, _done: int, _total: int) -> None:
    return None


def install(app: typer.Typer) -> None:
    app.command("sync")(sync)
