"""Mirroring the hub's log tree over HTTP from the command line: ``exchange client log mirror DIR``
and ``exchange log verify --from URL``. Both run :func:`exchange.client.mirror.mirror` with the log's
public key alone and print progress to stderr and a one-line verdict; a hub that contradicts itself
or the mirror exits 1 (``FAILED: ...``) and the mirror keeps its last verified state."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path

import typer

from exchange.audit.checkpoint import NoteVerifier
from exchange.cli.errors import EXIT_FAILED
from exchange.cli.keys import passphrase
from exchange.client.http import ExchangeClient, Retry
from exchange.client.mirror import mirror
from exchange.crypto.keystore import read_keystore
from exchange.errors import InvalidInputError, VerificationError


def run_mirror(
    client: ExchangeClient,
    directory: Path,
    log_key: NoteVerifier,
    check: Iterable[int] = (),
    quiet: bool = False,
    recheck: bool = False,
) -> None:
    """Mirror into ``directory``, print the verdict; exit 1 when a check fails."""

    def progress(line: str) -> None:
        if not quiet:
            typer.echo(line, err=True)

    try:
        report = mirror(client, directory, log_key, check, progress, recheck)
    except VerificationError as exc:
        typer.echo(f"FAILED: {exc.diagnostics()}", err=True)
        raise typer.Exit(EXIT_FAILED) from None
    since = f" (was {report.old_size})" if report.old_size else ""
    own = f"; entries {', '.join(map(str, report.checked))} proved" if report.checked else ""
    typer.echo(
        f"OK: the log of {report.size} entries{since} only grew; "
        f"{report.fetched} tiles fetched, {report.held} full tiles held{own}"
    )


def verify_from(
    url: str,
    directory: Path | None,
    keystore: Path | None,
    user: str,
    role: str,
    log_key: NoteVerifier,
    quiet: bool,
) -> None:
    """``exchange log verify --from URL``: the hub's tree checked from its tiles and checkpoint, signed
    as a registered party (any role), in ``directory`` or, without one, a fresh temporary mirror."""
    if keystore is None:
        raise InvalidInputError(
            "--from signs its requests as a registered party: give --keystore (or EXCHANGE_KEYSTORE)"
        )
    key = read_keystore(keystore, passphrase()).keys.current
    client = ExchangeClient(url, key, user, role, retry=Retry())
    try:
        if directory is not None:
            run_mirror(client, directory, log_key, quiet=quiet)
            return
        with tempfile.TemporaryDirectory(prefix="exchange-mirror-") as tmp:
            run_mirror(client, Path(tmp), log_key, quiet=quiet)
    finally:
        client.close()
