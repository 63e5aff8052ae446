"""``exchange client log``: a party checks the hub's disclosure log over HTTP, with the log's
public key it got from the operator (never from the hub alone).

- ``checkpoint``: the newest signed checkpoint, its signature verified, and who cosigned it;
- ``prove INDEX``: one event the party took part in, proved to be in the signed tree;
- ``receipt VALUE``: an ``Exchange-Receipt`` header checked with the receipt key, against the
  response body it came with (``--body``) and, with ``--prove``, against the log itself;
- ``mirror DIR``: the log's tree mirrored as hash tiles in DIR and checked to have only grown since
  the last run, with the party's own entries (``--check-index``) proved against it.

The logic is in :mod:`exchange.client.log`; :mod:`exchange.cli.main` adds these with :func:`install`.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Annotated

import typer

from exchange.audit.checkpoint import NoteVerifier, parse_note
from exchange.audit.receipt import check_indexes, check_origin, log_indexes, open_receipt
from exchange.cli.client import Role, Url, User, _client, _echo
from exchange.cli.errors import handled
from exchange.cli.keys import KeystoreOpt
from exchange.cli.log_mirror import run_mirror
from exchange.client.log import check_receipt_in_log, fetch_checkpoint, fetch_keys, prove_entry, public_key
from exchange.errors import InvalidInputError

log_app = typer.Typer(
    help="Check the hub's disclosure log: checkpoints, proofs, receipts.", no_args_is_help=True
)

Origin = Annotated[
    str,
    typer.Option(
        "--origin", envvar="EXCHANGE_LOG_ORIGIN", help="The log's origin line (env EXCHANGE_LOG_ORIGIN)."
    ),
]
LogPublic = Annotated[
    str,
    typer.Option(
        "--log-public",
        envvar="EXCHANGE_LOG_PUBLIC_KEY",
        help="The log's checkpoint key as the operator published it (base64 or a file holding it).",
    ),
]


def _key_text(value: str) -> str:
    path = Path(value)
    try:
        return path.read_text(encoding="utf-8") if path.is_file() else value
    except (OSError, UnicodeError):
        raise InvalidInputError(f"cannot read the key from {path}") from None


def _verifier(origin: str, log_public: str) -> NoteVerifier:
    return NoteVerifier(origin, public_key(_key_text(log_public), "--log-public"))


@handled
def checkpoint(
    url: Url, keystore: KeystoreOpt, user: User, role: Role, origin: Origin, log_public: LogPublic
) -> None:
    """Show the newest signed checkpoint, verified with the log's key, and who cosigned it."""
    c, _ = _client(url, keystore, user, role)
    cp, note = fetch_checkpoint(c, _verifier(origin, log_public))
    names = [s.name for s in parse_note(note).signatures if s.name != origin]
    _echo(
        {
            "origin": cp.origin,
            "size": cp.size,
            "root": base64.b64encode(cp.root).decode(),
            "cosigned_by": names,
        }
    )


@handled
def prove(
    url: Url, keystore: KeystoreOpt, user: User, role: Role, origin: Origin, log_public: LogPublic, index: int
) -> None:
    """Prove that log entry INDEX (one your party took part in) is in the newest signed checkpoint."""
    c, _ = _client(url, keystore, user, role)
    cp, _ = fetch_checkpoint(c, _verifier(origin, log_public))
    entry = prove_entry(c, index, cp)
    _echo({"index": entry.index, "size": entry.size, "verified": True, "event": json.loads(entry.event)})


@handled
def receipt(
    url: Url,
    keystore: KeystoreOpt,
    user: User,
    role: Role,
    origin: Origin,
    value: Annotated[str, typer.Argument(help="The Exchange-Receipt header value (v1.<...>.<...>).")],
    body: Annotated[Path | None, typer.Option(help="The response body it came with (JSON file).")] = None,
    receipt_key: Annotated[
        str | None,
        typer.Option(help="The receipt key (base64 or file); default: as GET /v1/log/keys publishes it."),
    ] = None,
    log_public: Annotated[
        str | None,
        typer.Option(
            "--log-public",
            envvar="EXCHANGE_LOG_PUBLIC_KEY",
            help="With this, also prove every entry of the receipt in the newest signed checkpoint.",
        ),
    ] = None,
) -> None:
    """Verify a receipt: its signature, that the body's log indexes lie in its range, and (with
    --log-public) that the signed log holds exactly the entries it names."""
    c, _ = _client(url, keystore, user, role)
    key = public_key(_key_text(receipt_key), "--receipt-key") if receipt_key else fetch_keys(c).receipt
    r = open_receipt(value, key)
    check_origin(r, origin)
    if body is not None:
        check_indexes(r, log_indexes(json.loads(body.read_text(encoding="utf-8"))))
    result = {
        "first": r.first,
        "last": r.last,
        "count": r.count,
        "time": r.time.isoformat(),
        "signature": "ok",
    }
    if log_public is not None:
        cp, _ = fetch_checkpoint(c, _verifier(origin, log_public))
        check_receipt_in_log(c, r, cp)
        result["in_log"] = f"ok at size {cp.size}"
    _echo(result)


@handled
def mirror(
    url: Url,
    keystore: KeystoreOpt,
    user: User,
    role: Role,
    origin: Origin,
    log_public: LogPublic,
    directory: Annotated[Path, typer.Argument(help="The mirror's directory (made on the first run).")],
    check_index: Annotated[
        list[int] | None,
        typer.Option("--check-index", help="An entry your party took part in: prove it too (repeatable)."),
    ] = None,
    recheck: Annotated[
        bool, typer.Option(help="Also fetch every held tile again and check it is byte-identical.")
    ] = False,
) -> None:
    """Mirror the log's tree as hash tiles in DIRECTORY and check that the hub's newest checkpoint
    extends the one mirrored before, with the log's public key alone. Exits 1 when the hub contradicts
    itself or the mirror; the mirror then keeps its last verified state."""
    c, _ = _client(url, keystore, user, role)
    run_mirror(c, directory, _verifier(origin, log_public), check_index or (), recheck=recheck)


def install(app: typer.Typer) -> None:
    """Add ``exchange client log`` to ``exchange client``."""
    log_app.command()(checkpoint)
    log_app.command()(prove)
    log_app.command()(receipt)
    log_app.command()(mirror)
    app.add_typer(log_app, name="log")


__all__ = ["install"]
