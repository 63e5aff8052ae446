"""``exchange demo``: start the service on SQLite and play a PIT case through it over HTTP.

Everything is real: the covenant rules, keys, RFC 9421-signed requests, sealed envelopes, the
database and the disclosure log. Each party is a separate client with its own keys; the address is
pseudonymised and every item sealed and opened on the party's side, never on the hub.

Only the covenants' dates are not: the shipped versions end (PIT 2021 on 2027-07-01), so the demo
always runs on a copy of ``convenant/`` in its working directory with every date moved so that the
versions in force on :data:`~exchange.policies.rebase.DEMO_REFERENCE_DATE` are in force today. The
hub's clock stays real (docs/adr/0011-demo-covenant-copies.md).
"""

from __future__ import annotations

import base64
import shutil
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import uvicorn
from sqlalchemy import Engine

from exchange.api.app import create_app
from exchange.audit.checkpoint import NoteSigner
from exchange.audit.witness import witness
from exchange.client.http import ExchangeClient
from exchange.client.pseudonym_keys import distribute, fetch
from exchange.client.texts import open_texts, seal_text
from exchange.config import Settings
from exchange.crypto import sodium
from exchange.crypto.envelope import (
    InvalidEnvelope,
    ItemMetadata,
    Recipient,
    decode,
    encode,
    format_created,
    open_item,
    seal,
)
from exchange.crypto.keys import PartyKeys, unb64
from exchange.crypto.keystore import Keystore
from exchange.crypto.pseudonym import pseudonymise
from exchange.crypto.subjects import normalise_address
from exchange.errors import ConfigurationError
from exchange.policies.engine import LEGAL_TIMEZONE
from exchange.policies.rebase import DEMO_REFERENCE_DATE, shift_days, write_rebased_tree
from exchange.storage import audit_queries
from exchange.storage.audit_store import AuditLog
from exchange.storage.db import make_engine, session_factory
from exchange.storage.parties import register_party
from exchange.storage.schema import upgrade

PARTIES = ("helmond", "politie-oost-brabant", "vrbzo", "senzer", "wijkteam-zonder-rol")
ADDRESS = "5701 ab 12-a"  # typed as a user would; normalised and pseudonymised on the client
ORIGIN = "exchange.demo/log"
SHIPPED_COVENANTS = Path("convenant")  # relative to where the demo runs: the repository's root


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # run in a thread; the CLI keeps Ctrl-C
        pass


def demo_hub(workdir: Path, covenants: Path, database: str) -> tuple[Settings, Engine]:
    """The demo hub's settings (SQLite file ``database`` in ``workdir``, the date-moved covenant copies)
    and its engine, migrated to the newest schema."""
    settings = Settings(
        mode="dev",
        database_url=f"sqlite:///{workdir / database}",
        convenant_dir=covenants,
        log_origin=ORIGIN,
        log_key_file=workdir / "log-key",
        console_link_seconds=1800,  # the links the demo prints are opened after reading its output
    )
    engine = make_engine(settings.database_url)
    upgrade(engine)
    return settings, engine


def run_demo(
    workdir: Path, say: Callable[[str], None] = print, keep_serving: bool = False, port: int | None = None
) -> dict[str, Any]:
    """Play the demo in ``workdir`` (wiped first). Returns facts the integration test checks."""
    if not SHIPPED_COVENANTS.is_dir():
        # Without it the service would start with no covenant and every step would be denied.
        raise ConfigurationError(
            f"the demo plays the covenants in {Path.cwd() / SHIPPED_COVENANTS}, which does not exist; "
            "run it from the project directory"
        )
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    now = datetime.now(UTC)
    today = now.astimezone(LEGAL_TIMEZONE).date()  # versions start and end at midnight, Amsterdam time
    covenants = workdir / "convenant"
    write_rebased_tree(SHIPPED_COVENANTS, covenants, reference=DEMO_REFERENCE_DATE, today=today)
    say("== exchange demo: a PIT 2021 case over HTTP, every request signed by its party ==")
    say(
        f"(demo covenants: copies of {SHIPPED_COVENANTS}/ with dates moved to today, "
        f"{shift_days(DEMO_REFERENCE_DATE, today):+d} days, in {covenants})"
    )
    settings, engine = demo_hub(workdir, covenants, "exchange.db")
    sessions = session_factory(engine)
    keys = {p: PartyKeys.create(p, now) for p in PARTIES}
    with sessions.begin() as s:  # the operator registers public keys only (exchange admin register-party)
        for p, k in keys.items():
            register_party(s, p, p, [v.to_data(p) for v in k.public()], now)
    app = create_app(settings, engine)
    port = port or _free_port()
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    facts: dict[str, Any] = {}
    try:
        facts = _play(base, keys, say, now)
        _accountability(sessions, keys, say, facts)
        say(
            f"\nThe service keeps running at {base} (OpenAPI: {base}/openapi.json)."
            if keep_serving
            else f"\nDatabase: {workdir / 'exchange.db'}"
        )
        if keep_serving:
            _console_links(base, keys, say)
            say("Press Ctrl-C to stop.")
            while thread.is_alive():
                thread.join(0.5)
    finally:
        server.should_exit = True
        thread.join(10)
        engine.dispose()
    return facts


CONSOLE_USERS = (
    ("privacy officer", "po-1", "privacy-officer"),
    ("jurist", "jur-1", "jurist"),
    ("case table", "coord-1", "coordinator"),
    ("team lead", "lead-1", "team-lead"),
)


def _console_links(base: str, keys: dict[str, PartyKeys], say: Callable[[str], None]) -> None:
    """One-time console sign-in links for Helmond's users, as ``exchange client console`` makes them."""
    say("\nThe console, for Helmond (each link signs in once, within two minutes; run the demo again")
    say("for new ones; with your own keystore, 'exchange client console' makes them):")
    base_local = base.replace("127.0.0.1", "localhost")  # Secure cookies over HTTP: localhost only
    for label, user, role in CONSOLE_USERS:
        client = ExchangeClient(base, keys["helmond"].current, user, role)
        try:
            r = client.post("/v1/console/tickets", {})
        finally:
            client.close()
        if r.status_code == 201:
            say(f"   {label:<16} {base_local}{r.json()['url']}")


def _play(base: str, keys: dict[str, PartyKeys], say: Callable[[str], None], now: datetime) -> dict[str, Any]:
    coord = ExchangeClient(base, keys["helmond"].current, "coord-1", "coordinator")
    client = {p: ExchangeClient(base, keys[p].current, f"u-{p[:6]}", "employee") for p in PARTIES}
    stores = _pseudonym_keys(coord, client, keys, say)
    pkey = stores["helmond"].pseudonym_key("pit")  # the covenant's pseudonym key, held by the parties only

    def ok(r: Any, status: int = 200) -> Any:
        if r.status_code != status:
            raise RuntimeError(f"{r.request.method} {r.request.url.path}: {r.status_code} {r.text}")
        return r.json()

    subject = str(pseudonymise(normalise_address(ADDRESS), pkey))
    say(f"\n1. Signal. Helmond's client turns the address {ADDRESS!r} into {subject}")
    say("   and opens a case; the hub never sees the address.")
    case = ok(
        coord.post(
            "/v1/cases", {"covenant": "pit", "purpose": "onrechtmatige-bewoning", "subjects": [subject]}
        ),
        201,
    )
    cid = case["id"]
    say(f"   case {cid}, phase {case['phase']}, under {case['covenant']}")
    for party, category in (
        ("senzer", "bijstand-status"),
        ("politie-oost-brabant", "politie-incidenten"),
        ("vrbzo", "brandveiligheid-bevinding"),
    ):
        own = stores[party].pseudonym_key("pit")  # the key this party fetched, not Helmond's copy
        held = [str(pseudonymise(normalise_address(a), own)) for a in ("5701 AB 12a", "5701 AB 99")]
        ok(client[party].post(f"/v1/index/{category}", {"add": held}))
    say("   Senzer, the police and VRBZO keep their hit/no-hit indexes up to date (pseudonyms only),")
    say("   each made with the key it fetched: the same address gives the same pseudonym.")

    def hits(label: str) -> list[Any]:
        answers: list[Any] = ok(coord.post(f"/v1/cases/{cid}/hits", {}))
        found = sorted({f"{a['provider']}/{a['category']}" for a in answers if a["hit"]})
        say(f"   {label}: {len(answers)} answers the covenant allows, hits: {', '.join(found) or 'none'}")
        return answers

    say(
        "\n2. Hit/no-hit. The coordinator asks; the covenant decides which parties and categories may answer:"
    )
    signal_answers = hits("in 'signal'")
    ok(coord.post(f"/v1/cases/{cid}/transitions", {"to": "selection"}))
    selection_answers = hits("in 'selection'")
    # The reason is free text a user typed: Helmond's client seals it for the case's readers; the
    # hub stores the envelope and logs its digest, never the text.
    reason = seal_text(
        coord, keys["helmond"], cid, "selection-reason", "Three independent signals of overcrowding."
    )
    ok(coord.post(f"/v1/cases/{cid}/transitions", {"to": "preparation", "reason_sealed": reason}))
    say("   Selected; the reason is sealed for the case's readers, the log holds only its digest.")

    say(
        "\n3. Enrichment. The case table asks; each provider seals for exactly the recipients the hub allows:"
    )
    for party in ("politie-oost-brabant", "vrbzo", "senzer", "wijkteam-zonder-rol"):
        ok(coord.post(f"/v1/cases/{cid}/parties", {"party": party}))
    ok(
        coord.post(
            f"/v1/cases/{cid}/enrichment-requests",
            {"provider": "politie-oost-brabant", "categories": ["politie-incidenten"]},
        )
    )
    for party in ("politie-oost-brabant", "vrbzo", "senzer", "wijkteam-zonder-rol"):
        asked = ok(
            client[party].post(
                f"/v1/cases/{cid}/enrichment-requests",
                {"provider": "helmond", "categories": ["brp-inschrijving"]},
            )
        )
        if not asked[0]["requested"]:
            say(f"   {party} may not ask Helmond for registrations: {asked[0]['reason']}")

    def answer(provider: ExchangeClient, party: str, category: str, item: str, text: str) -> list[str]:
        rcpts = ok(provider.get(f"/v1/cases/{cid}/recipients?category={category}"))
        to = [Recipient(r["party"], r["kid"], unb64(r["public"], "key")) for r in rcpts]
        meta = ItemMetadata(
            cid, item, party, category, "onrechtmatige-bewoning", format_created(datetime.now(UTC))
        )
        envelope = base64.b64encode(encode(seal(text.encode(), meta, to, keys[party].current))).decode()
        stored = ok(provider.post(f"/v1/cases/{cid}/items", {"envelope": envelope}), 201)
        say(f"   {party:<21} {category:<20} sealed for: {', '.join(stored['recipients'])}")
        return list(stored["recipients"])

    answer(
        client["politie-oost-brabant"],
        "politie-oost-brabant",
        "politie-incidenten",
        "item-incidents",
        "2 meldingen overlast in 2026; geen wapens bekend",
    )
    answer(coord, "helmond", "brp-inschrijving", "item-brp", "7 personen ingeschreven op 62 m2")

    say("\n4. Each party fetches its own dossier view and opens it with its own key:")
    views = _views(base, cid, keys, say)
    facts: dict[str, Any] = {
        "views": views,
        "case": cid,
        "subject": subject,
        "signal_hits": len(signal_answers),
        "selection_hits": len(selection_answers),
    }

    say("\n5. Action, findings and follow-up:")
    ok(coord.post(f"/v1/cases/{cid}/transitions", {"to": "action"}))
    answer(
        client["vrbzo"], "vrbzo", "bevinding", "item-finding", "geen tweede vluchtweg; rookmelders ontbreken"
    )
    action = ok(
        coord.post(
            f"/v1/cases/{cid}/actions",
            {"kind": "reinspection", "owner": "vrbzo", "deadline": (now + timedelta(days=21)).isoformat()},
        ),
        201,
    )
    ok(client["vrbzo"].post(f"/v1/cases/{cid}/actions/{action['id']}", {"status": "done"}))
    say(f"   action point {action['kind']} for vrbzo, deadline {action['deadline'][:10]}: done")
    for party, category, code in (
        ("vrbzo", "brandveiligheid-bevinding", "brandonveilig"),
        ("helmond", "brp-inschrijving", "onjuiste-inschrijving"),
    ):
        found = {"findings": [{"category": category, "code": code, "count": 1}]}
        ok((coord if party == "helmond" else client[party]).post(f"/v1/cases/{cid}/findings", found))
        say(f"   {party:<21} registers a finding: 1 x {code} in {category} (a count, never a person)")
    ok(coord.post(f"/v1/cases/{cid}/transitions", {"to": "follow-up"}))
    ok(coord.post(f"/v1/cases/{cid}/transitions", {"to": "feedback"}))
    told = ok(coord.post(f"/v1/cases/{cid}/feedback", {"outcome": "violation-found"}))
    say(
        f"\n6. Feedback: outcome '{told['outcome']}' told to every party that contributed or answered a"
        f" hit: {', '.join(told['told'])}"
    )
    closing = seal_text(
        coord, keys["helmond"], cid, "closing-reason", "Enforcement started; follow-up completed."
    )
    closed = ok(coord.post(f"/v1/cases/{cid}/transitions", {"to": "closed", "reason_sealed": closing}))
    say(f"   Case closed: {closed['closed']}; each item now has its category's retention deadline.")
    denied = ok(client["wijkteam-zonder-rol"].get(f"/v1/cases/{cid}/items"))["items"]
    facts["observer_items"] = len(denied)
    signers = {k.current.sign_kid: k.current.sign_public for k in keys.values()}
    texts = open_texts(client["politie-oost-brabant"], keys["politie-oost-brabant"], cid, signers)
    # A text is sealed for the readers taking part when it is written: the police joined after
    # the selection, so it reads the closing reason only.
    say(
        "   The police, a party since enrichment, opens the reasons sealed for it: "
        f"{len(texts)} ({texts[0].text!r});"
    )
    observed = ok(client["wijkteam-zonder-rol"].get(f"/v1/cases/{cid}/texts"))["texts"]
    say(f"   the observer gets {len(observed)}: it reads no free text.")
    facts["observer_texts"] = len(observed)
    for c in (coord, *client.values()):
        c.close()
    return facts


def _pseudonym_keys(
    coord: ExchangeClient,
    client: dict[str, ExchangeClient],
    keys: dict[str, PartyKeys],
    say: Callable[[str], None],
) -> dict[str, Keystore]:
    """Helmond, PIT's key custodian, makes the covenant's pseudonym key and seals a copy to each party
    through the hub; every other party fetches and opens its own copy (docs/specs/pseudonym-keys.md)."""
    stores = {p: Keystore(keys[p]) for p in PARTIES}

    def keep(store: Keystore) -> None:  # a real custodian writes its keystore file here
        stores["helmond"] = store

    report = distribute(coord, stores["helmond"], "pit", keep)
    for party in PARTIES:
        if party != "helmond":
            stores[party], _ = fetch(client[party], stores[party], "pit")
    say(f"\n0. Pseudonym key. Helmond, PIT's key custodian, makes key v{report.new_version} and seals a copy")
    say("   to each party's sealing key through the hub, which cannot open one; each party fetches its")
    say(f"   own copy and checks Helmond signed it: {', '.join(p for p in PARTIES if p != 'helmond')}.")
    return stores


def _views(
    base: str, cid: str, keys: dict[str, PartyKeys], say: Callable[[str], None]
) -> dict[str, list[str]]:
    signers = {k.party: {k.current.sign_kid: k.current.sign_public} for k in keys.values()}
    views: dict[str, list[str]] = {}
    say("   " + "".join(f"{p[:18]:<20}" for p in PARTIES))
    columns = []
    for party in PARTIES:
        role = "coordinator" if party == "helmond" else "employee"
        c = ExchangeClient(base, keys[party].current, f"u-{party[:6]}", role)
        texts = []
        for raw in c.get(f"/v1/cases/{cid}/items").json()["items"]:
            item = decode(base64.b64decode(raw))
            try:
                texts.append(item.header.metadata.category)
                open_item(item, keys[party], signers[item.header.metadata.provider])
            except InvalidEnvelope:  # pragma: no cover - the hub only serves items sealed for us
                texts[-1] += " (unreadable)"
        c.close()
        views[party] = texts
        columns.append(texts)
    for row in range(max(len(c) for c in columns)):
        say("   " + "".join(f"{(c[row] if row < len(c) else '-'):<20}" for c in columns))
    return views


def _accountability(
    sessions: Any, keys: dict[str, PartyKeys], say: Callable[[str], None], facts: dict[str, Any]
) -> None:
    log = AuditLog(ORIGIN)
    signer = NoteSigner.from_seed(ORIGIN, sodium.random_bytes(32))
    say("\n7. Accountability: the log signs a checkpoint, two parties witness it, and it is verified:")
    with sessions.begin() as s:
        cp = log.sign_checkpoint(s, signer, datetime.now(UTC))
        for party in ("helmond", "politie-oost-brabant"):
            v = keys[party].current
            name = f"{party}.demo/witness"
            _, line = witness(
                cp.note,
                [],
                None,
                signer.verifier,
                name,
                v.sign_public,
                v.sign_secret or b"",
                int(time.time()),
            )
            log.register_witness(s, name, party, v.sign_public)
            log.add_cosignature(s, cp.size, line.render())
    with sessions.begin() as s:
        report = log.verify(s, signer.verifier)
        rows = audit_queries.access_report(s, facts["subject"])
        facts["witnesses"] = len(log.witnessed(s))
    for text in cp.note.splitlines()[:3]:
        say("   " + text)
    say(f"   witnessed by helmond and politie-oost-brabant; verify: ok, {report.size} events")
    say("\n8. Access request (AVG art. 15) for the address, answered from the log by its pseudonym:")
    hit_rows = [r for r in rows if r["action"] == "hit-query"]
    say(
        f"   {len(hit_rows)} hit/no-hit answers to helmond (art. 4), "
        f"{sum(r['outcome'] == 'hit' for r in hit_rows)} of them hits; and:"
    )
    for row in (r for r in rows if r["action"] != "hit-query"):
        say(
            f"   #{row['idx']:<4} {row['action']:<13} {row['actor_party']:<21} "
            f"-> {row['counterparty'] or '-':<21} {row['category'] or '':<22} art. {row['articles'] or '-'}"
        )
    facts.update({"events": report.size, "report_rows": len(rows)})
