"""``exchange client`` commands for a case after its action: ``actions add|update|list``,
``findings add|list``, ``feedback give|show`` and ``close``. They parse options and print; the steps
are in :mod:`exchange.client.followup`. Names of parties, categories and violations come from the
covenant files; ``--json`` prints the hub's answer as it is, for scripts.

:mod:`exchange.cli.main` adds them to ``exchange client`` with :func:`install`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from exchange.cli.client import Role, Url, User, _client, _echo, _ok
from exchange.cli.convenant import DEFAULT_TREE, TreeOpt, load_covenants
from exchange.cli.errors import handled
from exchange.cli.keys import KeystoreOpt
from exchange.client import followup
from exchange.client.http import ExchangeClient
from exchange.errors import InvalidInputError
from exchange.policies.model import Covenant

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the hub's answer as JSON, for scripts.")]

actions_app = typer.Typer(help="A case's follow-up action points.", no_args_is_help=True)
findings_app = typer.Typer(
    help="What your party found at a case's action (counts per code).", no_args_is_help=True
)
feedback_app = typer.Typer(
    help="A case's outcome, fed back to the parties that took part.", no_args_is_help=True
)


def _covenant(tree: Path, ref: str) -> Covenant:
    return followup.covenant_of([v.covenant for v in load_covenants(tree)], ref)


def _case_covenant(c: ExchangeClient, tree: Path, case: str) -> Covenant:
    """The covenant version the case runs under, as the party's own files have it (for names)."""
    return _covenant(tree, _ok(c.get(f"/v1/cases/{case}"))["covenant"])


def _print(lines: list[str]) -> None:
    for line in lines:
        typer.echo(line)


@actions_app.command("add")
@handled
def actions_add(
    url: Url,
    keystore: KeystoreOpt,
    user: User,
    role: Role,
    case: str,
    kind: Annotated[str, typer.Option(help=f"One of: {', '.join(followup.ACTION_KIND_NAMES)}.")],
    owner: Annotated[str, typer.Option(help="The party that carries it out (one taking part).")],
    deadline: Annotated[str, typer.Option(help="A date (end of that day) or ISO moment, Dutch time.")],
    as_json: JsonOpt = False,
) -> None:
    """Assign an action point to a party of the case, with a deadline (coordinator)."""
    c, _ = _client(url, keystore, user, role)
    made = followup.add_action(c, case, kind, owner, followup.parse_deadline(deadline))
    if as_json:
        _echo(made)
    else:
        _print(followup.action_lines(None, [made]))


@actions_app.command("update")
@handled
def actions_update(
    url: Url,
    keystore: KeystoreOpt,
    user: User,
    role: Role,
    case: str,
    action: str,
    status: Annotated[str, typer.Option(help="open, done or cancelled.")],
    reason: Annotated[str | None, typer.Option(help="Required once overdue; sealed here.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Set an action point's status (its owner or the coordinator); a reason is sealed here."""
    c, store = _client(url, keystore, user, role)
    updated = followup.update_action(c, store.keys, case, action, status, reason)
    if as_json:
        _echo(updated)
    else:
        _print(followup.action_lines(None, [updated]))


@actions_app.command("list")
@handled
def actions_list(
    url: Url,
    keystore: KeystoreOpt,
    user: User,
    role: Role,
    case: str,
    convenant_dir: TreeOpt = DEFAULT_TREE,
    as_json: JsonOpt = False,
) -> None:
    """The case's action points, overdue ones marked, owners by name."""
    c, _ = _client(url, keystore, user, role)
    found = followup.actions(c, case)
    if as_json:
        _echo(found)
        return
    _print(followup.action_lines(_case_covenant(c, convenant_dir, case), found))


@findings_app.command("add")
@handled
def findings_add(
    url: Url,
    keystore: KeystoreOpt,
    user: User,
    role: Role,
    case: str,
    finding: Annotated[
        list[str] | None,
        typer.Option(help="CATEGORY:CODE=COUNT, e.g. uitkering-status:onrechtmatige-uitkering=2; repeat."),
    ] = None,
    none: Annotated[
        bool, typer.Option("--none", help="Withdraw your party's findings for the case.")
    ] = False,
    convenant_dir: TreeOpt = DEFAULT_TREE,
    as_json: JsonOpt = False,
) -> None:
    """Register your party's findings for a case (employee or coordinator); they replace the ones it
    registered before. Checked against the covenant files before anything is sent."""
    if bool(finding) == none:
        raise InvalidInputError("give one or more --finding CATEGORY:CODE=COUNT, or --none to withdraw")
    rows = [followup.parse_finding(f) for f in finding or []]
    c, _ = _client(url, keystore, user, role)
    covenant = _case_covenant(c, convenant_dir, case)
    mine = followup.register_findings(c, covenant, case, rows)
    if as_json:
        _echo(mine)
    else:
        _print(followup.finding_lines(covenant, mine))


@findings_app.command("list")
@handled
def findings_list(
    url: Url,
    keystore: KeystoreOpt,
    user: User,
    role: Role,
    case: str,
    convenant_dir: TreeOpt = DEFAULT_TREE,
    as_json: JsonOpt = False,
) -> None:
    """Every party's findings for the case, with the covenant's names."""
    c, _ = _client(url, keystore, user, role)
    found = followup.findings(c, case)
    if as_json:
        _echo(found)
        return
    covenant = _case_covenant(c, convenant_dir, case)
    _print(followup.finding_lines(covenant, found))


@feedback_app.command("give")
@handled
def feedback_give(
    url: Url,
    keystore: KeystoreOpt,
    user: User,
    role: Role,
    case: str,
    outcome: Annotated[str, typer.Option(help=f"One of: {', '.join(followup.OUTCOME_NAMES)}.")],
    convenant_dir: TreeOpt = DEFAULT_TREE,
    as_json: JsonOpt = False,
) -> None:
    """Record the case's outcome (coordinator, in phase feedback); every party that contributed an
    item or answered a hit is told."""
    c, _ = _client(url, keystore, user, role)
    answer = followup.give_feedback(c, case, outcome)
    if as_json:
        _echo(answer)
        return
    covenant = _case_covenant(c, convenant_dir, case)
    _print(followup.feedback_lines(covenant, answer))


@feedback_app.command("show")
@handled
def feedback_show(
    url: Url,
    keystore: KeystoreOpt,
    user: User,
    role: Role,
    case: str,
    as_json: JsonOpt = False,
) -> None:
    """The case's outcome, for a party that takes part or was told it."""
    c, _ = _client(url, keystore, user, role)
    answer = followup.feedback(c, case)
    if as_json:
        _echo(answer)
    else:
        _print(followup.feedback_lines(None, answer))


@handled
def close(
    url: Url,
    keystore: KeystoreOpt,
    user: User,
    role: Role,
    case: str,
    reason: Annotated[str, typer.Option(help="Why the case is closed; sealed here for the case's readers.")],
    as_json: JsonOpt = False,
) -> None:
    """Close a case from any phase (coordinator), with a sealed closing reason."""
    c, store = _client(url, keystore, user, role)
    closed: Any = followup.close(c, store.keys, case, reason)
    if as_json:
        _echo(closed)
    else:
        typer.echo(
            f"Casus {closed['id']} is gesloten (fase {closed['phase']}); de reden is verzegeld opgeslagen."
        )


def install(app: typer.Typer) -> None:
    """Add these commands to ``exchange client``."""
    app.add_typer(actions_app, name="actions")
    app.add_typer(findings_app, name="findings")
    app.add_typer(feedback_app, name="feedback")
    app.command()(close)
