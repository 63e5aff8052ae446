"""``exchange convenant``: the jurist's and privacy officer's tools on covenant files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from exchange.cli.errors import EXIT_FAILED, handled
from exchange.errors import ConfigurationError, InvalidInputError
from exchange.policies.compiler import CompiledPolicy, compile_covenant
from exchange.policies.diff import diff_covenants, render_diff
from exchange.policies.engine import DecisionEngine
from exchange.policies.files import LoadedVersion, load_tree, load_version
from exchange.policies.impact import DEFAULT_LIMIT
from exchange.policies.impact import impact as impact_of
from exchange.policies.lookup import did_you_mean
from exchange.policies.register import render_register
from exchange.policies.scenarios import run_scenarios

app = typer.Typer(help="Check, compile, test, compare and document covenant versions.", no_args_is_help=True)

DirArg = Annotated[Path, typer.Argument(help="A covenant version directory, or a tree of them.")]
#: The covenant tree a command decides or checks against: --convenant, EXCHANGE_CONVENANT_DIR, or
#: ./convenant (where the project keeps it).
TreeOpt = Annotated[
    Path,
    typer.Option(
        "--convenant",
        envvar="EXCHANGE_CONVENANT_DIR",
        help="The covenant tree (env EXCHANGE_CONVENANT_DIR; default ./convenant).",
    ),
]
DEFAULT_TREE = Path("convenant")


def load_covenants(tree: Path) -> list[LoadedVersion]:
    """Every covenant version in ``tree``; a missing tree is named with where it was looked for."""
    if not tree.is_dir():
        where = str(tree) if tree.is_absolute() else f"{tree} (looked in {Path.cwd() / tree})"
        raise ConfigurationError(
            f"no covenant directory at {where}; "
            "give the covenant tree with --convenant DIR or EXCHANGE_CONVENANT_DIR"
        )
    return load_tree(tree)


def require_covenant(versions: list[LoadedVersion], ref: str, tree: Path) -> list[LoadedVersion]:
    """The versions of the covenant ``ref`` ("pit" or "pit/2021") names; an unknown one is refused
    with the names that are close to it."""
    cid, _, version = ref.partition("/")
    ids = sorted({v.covenant.ref.id for v in versions})
    mine = [v for v in versions if v.covenant.ref.id == cid]
    if not mine:
        raise InvalidInputError(
            f"unknown covenant '{cid}' in {tree}{did_you_mean(cid, ids)} (it has: {', '.join(ids)})"
        )
    if version:
        numbers = [v.covenant.ref.version for v in mine]
        mine = [v for v in mine if v.covenant.ref.version == version]
        if not mine:
            raise InvalidInputError(
                f"covenant '{cid}' has no version '{version}' in {tree} (it has: {', '.join(numbers)})"
            )
    return mine


@app.command()
@handled
def check(directory: DirArg) -> None:
    """Validate covenant files; every problem names its file and line. Exits 2 on any problem."""
    versions = load_tree(directory)
    for v in versions:
        c = v.covenant
        typer.echo(
            f"ok  {c.label} ({v.directory}): {len(c.parties)} parties, "
            f"{len(c.flows)} flows, {len(v.scenarios)} scenarios"
        )


def write_compiled(compiled: CompiledPolicy, out: Path) -> None:
    """Write model.conf, policy.csv, covenant.json and DIGEST into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    for name, text in (
        ("model.conf", compiled.model_text),
        ("policy.csv", compiled.policy_text),
        ("covenant.json", compiled.covenant_json),
        ("DIGEST", compiled.digest + "\n"),
    ):
        tmp = out / f".{name}.tmp"
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(out / name)


@app.command("compile")
@handled
def compile_cmd(
    directory: DirArg,
    out: Annotated[Path, typer.Option("--out", help="Output directory.")],
) -> None:
    """Compile to a Casbin model.conf and policy.csv (plus covenant.json and DIGEST).

    A single version is written into OUT; a tree into OUT/<id>/<version>/.
    """
    versions = load_tree(directory)
    single = len(versions) == 1 and versions[0].directory == directory
    for v in versions:
        compiled = compile_covenant(v.covenant)
        target = out if single else out / v.covenant.ref.id / v.covenant.ref.version
        write_compiled(compiled, target)
        typer.echo(f"{v.covenant.label}: {compiled.row_count} policy rows, {compiled.digest} -> {target}")


def engine_for(versions: list[LoadedVersion]) -> DecisionEngine:
    return DecisionEngine(compile_covenant(v.covenant) for v in versions)


@app.command()
@handled
def test(directory: DirArg) -> None:
    """Run each version's scenarios; print coverage per article and flows without a scenario."""
    versions = load_tree(directory)
    engine = engine_for(versions)
    failed = False
    for v in versions:
        report = run_scenarios(engine, v.covenant, list(v.scenarios))
        typer.echo(report.render())
        failed |= not report.passed
    if failed:
        raise typer.Exit(EXIT_FAILED)


@app.command()
@handled
def diff(
    old: Annotated[Path, typer.Argument(help="The old version directory.")],
    new: Annotated[Path, typer.Argument(help="The new version directory.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """What the new version changes: who gains or loses which category, purpose and phase."""
    a, b = load_version(old).covenant, load_version(new).covenant
    if a.ref.id != b.ref.id:
        raise InvalidInputError(f"these are different covenants: '{a.ref.id}' and '{b.ref.id}'")
    if as_json:
        typer.echo(json.dumps(diff_covenants(a, b), indent=2, ensure_ascii=False))
    else:
        typer.echo(render_diff(a, b))


@app.command()
@handled
def register(
    directory: DirArg,
    out: Annotated[Path | None, typer.Option("--out", help="Write Markdown here.")] = None,
) -> None:
    """AVG art. 30 register entries, a DPIA skeleton and a transparency text, as Markdown."""
    v = load_version(directory)
    text = render_register(v.covenant)
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out}")


@app.command()
@handled
def impact(
    new: Annotated[Path, typer.Argument(help="The revised covenant version directory.")],
    against: Annotated[
        Path | None,
        typer.Option(
            "--against",
            help="Compare with what this version directory decides, instead of the logged outcomes.",
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option(min=0, help="List at most this many changed decisions, and as many answer rows.")
    ] = DEFAULT_LIMIT,
    fmt: Annotated[str, typer.Option("--format", help="text or json")] = "text",
) -> None:
    """Replay the decisions and hit/no-hit answers in the log under a revised version.

    Lists what would change (answers counted per case, never a subject), then the cases and parties.

    Without --against, what was is the logged outcome. Validity dates are ignored.
    """
    from sqlalchemy import select

    from exchange.cli.common import database
    from exchange.storage.models import LogEntry

    if fmt not in ("text", "json"):
        raise InvalidInputError(f"--format is text or json, not '{fmt}'")
    compiled = compile_covenant(load_version(new).covenant)
    old = compile_covenant(load_version(against).covenant) if against is not None else None
    cid = compiled.covenant.ref.id
    if old is not None and old.covenant.ref.id != cid:
        raise InvalidInputError(f"these are different covenants: '{old.covenant.ref.id}' and '{cid}'")
    with database() as session:
        # Streamed in batches: a log holds far more answers than is wise to hold as dicts at once.
        rows = session.execute(
            select(LogEntry.idx, LogEntry.event)
            .where(LogEntry.action.in_(("decision", "hit-query")), LogEntry.covenant.like(f"{cid}/%"))
            .order_by(LogEntry.idx)
            .execution_options(yield_per=2000)
        )
        report = impact_of(((idx, json.loads(event)) for idx, event in rows), compiled, old)
    if fmt == "json":
        typer.echo(json.dumps(report.to_data(limit), indent=2, ensure_ascii=False))
    else:
        for line in report.render(limit):
            typer.echo(line)
