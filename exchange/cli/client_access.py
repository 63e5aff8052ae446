"""``exchange client access-request``: a privacy officer's access request (AVG art. 15) for one address,
BSN or KvK number. The subject is pseudonymised here under every pseudonym key version of the
covenant in the keystore; it never leaves the party. The logic is in :mod:`exchange.client.access`.

:mod:`exchange.cli.main` adds it to ``exchange client`` with :func:`install`.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from exchange.cli.client import Role, Url, User, _client
from exchange.cli.errors import handled
from exchange.cli.keys import KeystoreOpt
from exchange.client.access import request_access, subject_pseudonyms, summary_nl
from exchange.errors import InvalidInputError


@handled
def access_request(
    url: Url,
    keystore: KeystoreOpt,
    user: User,
    role: Role,
    covenant: Annotated[str, typer.Option(help="The covenant, e.g. pit; every version is searched.")],
    address: Annotated[str | None, typer.Option(help="The subject's address, e.g. '5701 AB 12a'.")] = None,
    bsn: Annotated[str | None, typer.Option(help="The subject's BSN.")] = None,
    kvk: Annotated[str | None, typer.Option(help="The subject's KvK number.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the hub's answer as JSON.")] = False,
) -> None:
    """Answer an access request (AVG art. 15, privacy officer): what every party of the covenant
    received or learned about the subject, in Dutch. Only pseudonyms are sent; the request is logged."""
    given = [
        (kind, v) for kind, v in (("address", address), ("person", bsn), ("company", kvk)) if v is not None
    ]
    if len(given) != 1:
        raise InvalidInputError("give exactly one of --address, --bsn and --kvk")
    ((kind, value),) = given
    c, store = _client(url, keystore, user, role)
    answer = request_access(c, covenant, subject_pseudonyms(store, covenant, kind, value))
    typer.echo(json.dumps(answer, indent=2, ensure_ascii=False) if as_json else summary_nl(answer))


def install(app: typer.Typer) -> None:
    """Add this command to ``exchange client``."""
    app.command("access-request")(access_request)
