"""``exchange client`` commands for what waits for a party at the hub: hit/no-hit answers with their
three states, the inbox, and signals forwarded by a coordinator (sealed here, opened here).

:mod:`exchange.cli.main` adds them to ``exchange client`` with :func:`install`.
"""

from __future__ import annotations

import typer

from exchange.cli.client import Role, Url, User, _client
from exchange.cli.errors import handled
from exchange.cli.keys import KeystoreOpt
from exchange.client.hits import query_hits, state_of

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


def install(app: typer.Typer) -> None:
    """Add these commands to ``exchange client``."""
    app.command()(hits)
