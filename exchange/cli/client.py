"""``exchange client``: a party's own commands against the service. Keys stay in the keystore;
addresses are pseudonymised and items sealed and opened here, never on the hub."""

from __future__ import annotations

import base64
import json
import os
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from exchange.cli.convenant import DEFAULT_TREE, TreeOpt, load_covenants, require_covenant
from exchange.cli.errors import handled
from exchange.cli.keys import KeystoreOpt, passphrase
from exchange.client.categories import check_provided, version_for
from exchange.client.directory import signer_source
from exchange.client.dossier import open_dossier, printable, require_opened
from exchange.client.dossier_html import render
from exchange.client.dossier_pdf import render_pdf
from exchange.client.enrichment import ask_enrichment, raw_outcomes
from exchange.client.http import ExchangeClient, Retry
from exchange.client.log import ReceiptChecker, fetch_keys
from exchange.client.texts import seal_text
from exchange.crypto.envelope import (
    ItemMetadata,
    Recipient,
    encode,
    format_created,
    seal,
)
from exchange.crypto.keys import unb64
from exchange.crypto.keystore import Keystore, read_keystore
from exchange.crypto.pseudonym import pseudonymise
from exchange.crypto.subjects import SubjectError, normalise
from exchange.errors import ExchangeError, InvalidInputError
from exchange.policies.engine import LEGAL_TIMEZONE

app = typer.Typer(help="A party's commands against the exchange service.", no_args_is_help=True)

Url = Annotated[str, typer.Option("--url", envvar="EXCHANGE_URL", help="The service (env EXCHANGE_URL).")]
User = Annotated[str, typer.Option("--user", envvar="EXCHANGE_USER", help="Acting user (env EXCHANGE_USER).")]
Role = Annotated[str, typer.Option("--role", envvar="EXCHANGE_ROLE", help="Acting role (env EXCHANGE_ROLE).")]
BATCH = 10_000


class ServiceError(ExchangeError):
    """The service answered with a problem."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        super().__init__(f"the service answered {status}: {problem.get('detail') or problem.get('title')}")


def _client(url: str, keystore: Path, user: str, role: str) -> tuple[ExchangeClient, Keystore]:
    store = read_keystore(keystore, passphrase())
    # A 503 that says when to come back (the hub at capacity) is tried again a few times.
    client = ExchangeClient(url, store.keys.current, user, role, retry=Retry())
    if os.environ.get("EXCHANGE_VERIFY_RECEIPTS") == "1":  # every answer's receipt, checked
        keys = fetch_keys(client)
        ReceiptChecker(keys.origin, keys.receipt).install(client)
    return client, store


def _ok(response: Any, *expected: int) -> Any:
    if response.status_code not in (expected or (200,)):
        try:
            problem = response.json()
        except ValueError:
            problem = {"detail": response.text[:200]}
        raise ServiceError(response.status_code, problem)
    try:
        return response.json()
    except ValueError:
        raise InvalidInputError(
            f"the answer from {response.url} is not JSON; is --url the address of the exchange hub?"
        ) from None


def _echo(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _pseudonyms(store: Keystore, covenant: str, kind: str, values: list[str]) -> list[str]:
    key = store.pseudonym_key(covenant.split("/")[0])
    return [str(pseudonymise(normalise(kind, v), key)) for v in values]


@app.command()
@handled
def whoami(url: Url, keystore: KeystoreOpt, user: User, role: Role) -> None:
    """Who the service takes you for."""
    c, _ = _client(url, keystore, user, role)
    _echo(_ok(c.get("/v1/whoami")))


@app.command()
@handled
def console(url: Url, keystore: KeystoreOpt, user: User, role: Role) -> None:
    """A one-time sign-in link for the browser console (privacy officer, jurist, case table, team
    lead); valid two minutes, once."""
    c, _ = _client(url, keystore, user, role)
    ticket = _ok(c.post("/v1/console/tickets", {}), 201)
    typer.echo(url.rstrip("/") + ticket["url"])


@app.command()
@handled
def pseudonym(
    keystore: KeystoreOpt,
    covenant: Annotated[str, typer.Option(help="The covenant whose pseudonym key to use, e.g. pit.")],
    address: Annotated[str | None, typer.Option(help="An address, e.g. '5701 AB 12a'.")] = None,
    bsn: Annotated[str | None, typer.Option(help="A BSN.")] = None,
    kvk: Annotated[str | None, typer.Option(help="A KvK number.")] = None,
) -> None:
    """Print a subject's pseudonym, made here with your keystore (for the console's report and search)."""
    given = [(kind, v) for kind, v in (("address", address), ("bsn", bsn), ("kvk", kvk)) if v is not None]
    if len(given) != 1:
        raise InvalidInputError("give exactly one of --address, --bsn and --kvk")
    store = read_keystore(keystore, passphrase())
    ((kind, value),) = given
    typer.echo(_pseudonyms(store, covenant, kind, [value])[0])


@app.command("open-case")
@handled
def open_case(
    url: Url,
    keystore: KeystoreOpt,
    user: User,
    role: Role,
    covenant: Annotated[str, typer.Option(help="e.g. pit")],
    purpose: Annotated[str, typer.Option(help="A purpose of the covenant.")],
    address: Annotated[list[str] | None, typer.Option(help="An address; repeat for more.")] = None,
    bsn: Annotated[list[str] | None, typer.Option(help="A BSN; repeat for more.")] = None,
    kvk: Annotated[list[str] | None, typer.Option(help="A KvK number; repeat for more.")] = None,
) -> None:
    """Open a case from a signal; subjects are pseudonymised here before they are sent."""
    c, store = _client(url, keystore, user, role)
    subjects = (
        _pseudonyms(store, covenant, "address", address or [])
        + _pseudonyms(store, covenant, "person", bsn or [])
        + _pseudonyms(store, covenant, "company", kvk or [])
    )
    _echo(
        _ok(
            c.post(
                "/v1/cases",
                {"covenant": covenant, "purpose": purpose, "subjects": subjects},
                idempotency_key=f"open-{uuid.uuid4().hex}",
            ),
            201,
        )
    )


@app.command()
@handled
def transition(
    url: Url,
    keystore: KeystoreOpt,
    user: User,
    role: Role,
    case: str,
    to: Annotated[str, typer.Option(help="The next phase, or closed.")],
    reason: Annotated[
        str | None,
        typer.Option(
            help="Required with --to preparation (the selection decision) and --to closed, refused "
            "with any other phase; sealed here for the case's readers."
        ),
    ] = None,
) -> None:
    """Move a case on (coordinator). A reason is sealed before it is sent: the hub never reads it."""
    c, store = _client(url, keystore, user, role)
    body: dict[str, Any] = {"to": to}
    if reason is not None:
        kind = "closing-reason" if to == "closed" else "selection-reason"
        body["reason_sealed"] = seal_text(c, store.keys, case, kind, reason)
    _echo(_ok(c.post(f"/v1/cases/{case}/transitions", body)))


@app.command("add-party")
@handled
def add_party(
    url: Url, keystore: KeystoreOpt, user: User, role: Role, case: str, party: Annotated[str, typer.Option()]
) -> None:
    """Let a covenant party take part in a case (coordinator)."""
    c, _ = _client(url, keystore, user, role)
    _echo(_ok(c.post(f"/v1/cases/{case}/parties", {"party": party})))


@app.command()
@handled
def index(
    url: Url,
    keystore: KeystoreOpt,
    user: User,
    role: Role,
    covenant: Annotated[str, typer.Option(help="Whose pseudonym key to use.")],
    category: Annotated[str, typer.Option(help="The data category this index is for.")],
    add_file: Annotated[Path | None, typer.Option(help="Subjects to add, one per line.")] = None,
    remove_file: Annotated[Path | None, typer.Option(help="Subjects to remove, one per line.")] = None,
    kind: Annotated[str, typer.Option(help="address, person or company")] = "address",
    convenant_dir: TreeOpt = DEFAULT_TREE,
) -> None:
    """Bulk-update your hit/no-hit index from files. The category is checked against the covenant
    files (one you provide) and every line is checked before anything is sent."""
    c, store = _client(url, keystore, user, role)
    versions = [v.covenant for v in require_covenant(load_covenants(convenant_dir), covenant, convenant_dir)]
    check_provided(version_for(versions, datetime.now(LEGAL_TIMEZONE).date()), store.party, category)
    lists: dict[str, list[str]] = {}
    for name, path in (("add", add_file), ("remove", remove_file)):
        lines = path.read_text(encoding="utf-8").splitlines() if path else []
        values, errors = [], []
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                values.append(normalise(kind, line))
            except SubjectError as exc:
                errors.append(f"{path}:{n}: {exc}")
        if errors:
            raise InvalidInputError(
                "nothing was sent; fix these lines first:\n  "
                + "\n  ".join(errors[:20])
                + (f"\n  ... and {len(errors) - 20} more" if len(errors) > 20 else "")
            )
        key = store.pseudonym_key(covenant.split("/")[0])
        lists[name] = [str(pseudonymise(v, key)) for v in values]
    total = len(lists["add"]) + len(lists["remove"])
    sent = 0
    for name in ("add", "remove"):
        for i in range(0, len(lists[name]), BATCH):
            chunk = lists[name][i : i + BATCH]
            _ok(c.post(f"/v1/index/{category}", {name: chunk}, idempotency_key=f"idx-{uuid.uuid4().hex}"))
            sent += len(chunk)
            print(f"\r  {sent:,} of {total:,} subjects sent", end="", file=sys.stderr, flush=True)
    if total:
        print(file=sys.stderr)
    typer.echo(f"{len(lists['add'])} added, {len(lists['remove'])} removed in '{category}'")


@app.command()
@handled
def request(
    url: Url,
    keystore: KeystoreOpt,
    user: User,
    role: Role,
    case: str,
    provider: Annotated[str, typer.Option()],
    category: Annotated[list[str], typer.Option()],
) -> None:
    """Ask a provider for categories in a case (each is decided by the covenant)."""
    c, _ = _client(url, keystore, user, role)
    _echo(raw_outcomes(ask_enrichment(c, case, provider, category)))


@app.command()
@handled
def pending(url: Url, keystore: KeystoreOpt, user: User, role: Role) -> None:
    """Open enrichment requests addressed to you."""
    c, _ = _client(url, keystore, user, role)
    _echo(_ok(c.get("/v1/enrichment-requests")))


@app.command()
@handled
def send(
    url: Url,
    keystore: KeystoreOpt,
    user: User,
    role: Role,
    case: str,
    category: Annotated[str, typer.Option()],
    file: Annotated[Path, typer.Option(help="The item's content (text or bytes).")],
    item: Annotated[str | None, typer.Option(help="Item id (default: generated).")] = None,
) -> None:
    """Seal a file for exactly the recipients the covenant allows, and send it."""
    c, store = _client(url, keystore, user, role)
    info = _ok(c.get(f"/v1/cases/{case}"))
    recipients = [
        Recipient(r["party"], r["kid"], unb64(r["public"], "key"))
        for r in _ok(c.get(f"/v1/cases/{case}/recipients?category={category}"))
    ]
    if not recipients:
        raise InvalidInputError(f"nobody in this case may receive '{category}' from you now")
    meta = ItemMetadata(
        case,
        item or f"item-{uuid.uuid4().hex[:16]}",
        store.party,
        category,
        info["purpose"],
        format_created(datetime.now(UTC)),
    )
    envelope = encode(seal(file.read_bytes(), meta, recipients, store.keys.current))
    _echo(
        _ok(
            c.post(
                f"/v1/cases/{case}/items",
                {"envelope": base64.b64encode(envelope).decode()},
                idempotency_key=f"item-{meta.item}",
            ),
            201,
        )
    )


@app.command()
@handled
def dossier(
    url: Url,
    keystore: KeystoreOpt,
    user: User,
    role: Role,
    case: str,
    signers: Annotated[
        Path | None, typer.Option(help="Providers' export-public files merged; default: the key directory.")
    ] = None,
    html: Annotated[Path | None, typer.Option(help="Write a printable HTML page here.")] = None,
    pdf: Annotated[Path | None, typer.Option(help="Write a PDF here (needs a Unicode TTF font).")] = None,
) -> None:
    """Fetch your items in a case, verify and open them here; print them or write HTML and/or PDF."""
    c, store = _client(url, keystore, user, role)
    info = _ok(c.get(f"/v1/cases/{case}"))
    opened = printable(require_opened(open_dossier(c, store.keys, case, signer_source(c, signers))))
    printed = datetime.now(UTC)
    if pdf is not None:
        document = render_pdf(info, store.party, opened, printed)  # before writing: no half file
        _write_private(pdf, document)
        typer.echo(f"wrote {pdf} ({len(opened)} items)")
    if html is not None:
        _write_private(html, render(info, store.party, opened, printed).encode("utf-8"))
        typer.echo(f"wrote {html} ({len(opened)} items)")
    if html is None and pdf is None:
        for o in opened:
            typer.echo(f"--- {o.category} from {o.provider} ({o.created})\n{o.text}")


def _write_private(path: Path, data: bytes) -> None:
    """Write a decrypted document readable by its owner only (mode 0600), replacing it whole."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)
