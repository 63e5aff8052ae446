"""``exchange demo``: one PIT case through everything exchange has, on a fresh SQLite database.

It uses the real covenant files, real keys, real envelopes and the real log; nothing is simulated.
The parties run in this one process here; in production each runs its own client (see README).
"""

from __future__ import annotations

import base64
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from exchange.audit.checkpoint import NoteSigner
from exchange.audit.events import Action, Actor, Event, Outcome
from exchange.audit.witness import witness
from exchange.crypto import sodium
from exchange.crypto.envelope import (
    InvalidEnvelope,
    ItemMetadata,
    Recipient,
    SealedItem,
    format_created,
    open_item,
    seal,
    verify,
)
from exchange.crypto.keys import PartyKeys
from exchange.crypto.pseudonym import PseudonymKey, pseudonymise
from exchange.crypto.subjects import normalise_address
from exchange.policies.compiler import compile_covenant
from exchange.policies.decision import Decision, DecisionRequest
from exchange.policies.engine import DecisionEngine
from exchange.policies.files import load_tree
from exchange.storage import audit_queries
from exchange.storage.audit_store import AuditLog
from exchange.storage.db import make_engine, session_factory
from exchange.storage.schema import upgrade
from exchange.storage.unit_of_work import GroupCommitter

PARTIES = ("helmond", "politie-oost-brabant", "vrbzo", "senzer", "wijkteam-zonder-rol")
ROLES = {"helmond": "coordinator"}
CASE = "pit-2026-0042"
ADDRESS = "5701 ab 12-a"  # typed as a user would; normalised and pseudonymised before anything leaves


@dataclass
class Item:
    name: str
    provider: str
    category: str
    purpose: str
    sealed: SealedItem
    payload: str


def run_demo(
    workdir: Path, say: Callable[[str], None] = print, now: datetime | None = None
) -> dict[str, object]:
    """Play the demo in ``workdir`` (wiped first). Returns facts the integration test checks."""
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    moment = now or datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    versions = load_tree(Path("convenant"))
    engine = DecisionEngine(compile_covenant(v.covenant) for v in versions)
    pit = next(v.covenant for v in versions if str(v.covenant.ref) == "pit/2021")
    db = make_engine(f"sqlite:///{workdir / 'demo.db'}")
    upgrade(db)
    sessions = session_factory(db)
    log = AuditLog("exchange.demo/log")
    writer = GroupCommitter(sessions)
    signer = NoteSigner.from_seed("exchange.demo/log", sodium.random_bytes(32))
    trace = f"demo-{uuid.uuid4().hex[:12]}"
    facts: dict[str, object] = {}

    def record(event: Event) -> None:
        writer.run(lambda s: log.append(s, event))

    say(f"== exchange demo: case {CASE} under {pit.label} ({pit.title}) ==")
    say(f"   covenants checked: {', '.join(v.covenant.label for v in versions)}")
    keys = {p: PartyKeys.create(p, moment) for p in PARTIES}
    pkey = PseudonymKey.generate("pit")
    subject = str(pseudonymise(normalise_address(ADDRESS), pkey))
    say("\n1. Signal. Helmond reports an address; its client normalises and pseudonymises it locally:")
    say(f"   {ADDRESS!r} -> {normalise_address(ADDRESS).canonical.replace('|', ' ').strip()} -> {subject}")
    say("   The hub only ever sees the pseudonym.")
    record(
        Event(
            moment,
            trace,
            Action.CASE_CREATED,
            Actor("helmond", "coord-1", "coordinator"),
            Outcome.DONE,
            case=CASE,
            subject=subject,
            purpose="onrechtmatige-bewoning",
            covenant=str(pit.ref),
            phase="signal",
        )
    )

    def decide(requester: str, provider: str, category: str, purpose: str, phase: str) -> Decision:
        d = engine.decide(
            DecisionRequest(
                requester, ROLES.get(requester, "employee"), provider, category, purpose, phase, "pit", moment
            )
        )
        record(
            Event(
                moment,
                trace,
                Action.DECISION,
                Actor(requester, "u-" + requester[:8], ROLES.get(requester, "employee")),
                Outcome.ALLOWED if d.allowed else Outcome.DENIED,
                case=CASE,
                subject=subject,
                counterparty=provider,
                category=category,
                purpose=purpose,
                phase=phase,
                covenant=str(d.covenant) if d.covenant else None,
                policy_digest=d.policy_digest,
                articles=d.articles,
                legal_grounds=d.legal_grounds,
                reason=d.reason,
                reason_code=d.code,
            )
        )
        return d

    say("\n2. Selection. Before selection the coordinator may only ask whether partners know the address:")
    for provider, category in (
        ("senzer", "bijstand-status"),
        ("politie-oost-brabant", "politie-incidenten"),
        ("vrbzo", "brandveiligheid-bevinding"),
    ):
        d = decide("helmond", provider, category, "onrechtmatige-bewoning", "selection")
        say(
            f"   {provider:<22} {category:<26} {'hit/no-hit' if d.allowed else 'denied':<10} "
            f"art. {', '.join(d.articles) or '-'}  {d.reason if not d.allowed else ''}"
        )
    d = decide("helmond", "senzer", "bijstand-status", "uitkeringsfraude", "selection")
    say(
        f"   ...for another purpose (benefit fraud) in selection: {'allowed' if d.allowed else 'DENIED'}"
        f" - {d.reason}"
    )

    say("\n3. Enrichment (phase: preparation). Each provider asks the covenant who may receive each item,")
    say("   seals the item for exactly those parties, and the disclosure is logged:")
    wanted = [
        (
            "police incidents",
            "politie-oost-brabant",
            "politie-incidenten",
            "onrechtmatige-bewoning",
            "2 meldingen overlast 2026; geen wapens bekend",
        ),
        (
            "BRP registrations",
            "helmond",
            "brp-inschrijving",
            "onrechtmatige-bewoning",
            "7 personen ingeschreven op 62 m2",
        ),
        (
            "fire-safety findings",
            "vrbzo",
            "brandveiligheid-bevinding",
            "brandveiligheid",
            "geen tweede vluchtweg; rookmelders ontbreken",
        ),
    ]
    items: list[Item] = []
    for name, provider, category, purpose, payload in wanted:
        recipients = []
        allowed: dict[str, Decision] = {}
        for r in PARTIES:
            if r == provider:
                continue
            decision = decide(r, provider, category, purpose, "preparation")
            if decision.allowed:
                allowed[r] = decision
                recipients.append(Recipient(r, keys[r].current.box_kid, keys[r].current.box_public))
        item_id = f"item-{len(items) + 1}"
        sealed = seal(
            payload.encode(),
            ItemMetadata(CASE, item_id, provider, category, purpose, format_created(moment)),
            recipients,
            keys[provider].current,
        )
        items.append(Item(name, provider, category, purpose, sealed, payload))
        for r, decision in allowed.items():  # one disclosure event per recipient, citing its authority
            record(
                Event(
                    moment,
                    trace,
                    Action.DISCLOSURE,
                    Actor(provider, "u-" + provider[:8], "employee"),
                    Outcome.ALLOWED,
                    case=CASE,
                    subject=subject,
                    counterparty=r,
                    category=category,
                    purpose=purpose,
                    item=item_id,
                    phase="preparation",
                    covenant=str(decision.covenant),
                    policy_digest=decision.policy_digest,
                    articles=decision.articles,
                    legal_grounds=decision.legal_grounds,
                )
            )
        say(
            f"   {name:<22} from {provider:<21} sealed for: "
            f"{', '.join(rc.party for rc in recipients) or 'nobody'}"
        )

    say("\n4. Each party's view of the dossier (opened on its own side with its own key):")
    header = "   " + f"{'item':<22}" + "".join(f"{p[:14]:<16}" for p in PARTIES)
    say(header)
    views: dict[str, list[str]] = {p: [] for p in PARTIES}
    for it in items:
        provider_keys = {keys[it.provider].current.sign_kid: keys[it.provider].current.sign_public}
        view_line = f"   {it.name:<22}"
        for p in PARTIES:
            try:
                open_item(it.sealed, keys[p], provider_keys)
                cell = "reads it"
                views[p].append(it.name)
            except InvalidEnvelope:
                cell = "(own item)" if p == it.provider else "-"
            view_line += f"{cell:<16}"
        say(view_line)
    facts["views"] = views

    say(
        "\n5. Crypto-shredding: the fire-safety item's key is deleted for Helmond; only Helmond loses access."
    )
    shredded = items[2].sealed.without_wrap(keys["helmond"].current.box_kid)
    vkeys = {keys["vrbzo"].current.sign_kid: keys["vrbzo"].current.sign_public}
    try:
        open_item(shredded, keys["helmond"], vkeys)
        facts["shred_works"] = False
    except InvalidEnvelope:
        facts["shred_works"] = True
    still_signed = verify(shredded, vkeys).metadata == items[2].sealed.header.metadata
    facts["shred_metadata_verifies"] = still_signed
    say(
        f"   Helmond can open it: {not facts['shred_works']}; "
        f"the signed metadata still verifies: {still_signed}"
    )
    record(
        Event(
            moment,
            trace,
            Action.SHRED,
            Actor("helmond", "coord-1", "coordinator"),
            Outcome.DONE,
            case=CASE,
            item="item-3",
            category="brandveiligheid-bevinding",
        )
    )
    writer.close()

    say("\n6. Accountability. The log signs a checkpoint; two parties witness it; the log is verified:")
    with sessions.begin() as s:
        cp = log.sign_checkpoint(s, signer, moment)
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
                int(moment.timestamp()),
            )
            log.register_witness(s, name, party, v.sign_public)
            log.add_cosignature(s, cp.size, line.render())
    with sessions.begin() as s:
        report = log.verify(s, signer.verifier)
        rows = audit_queries.access_report(s, subject)
        witnessed = log.witnessed(s)
    for line_text in cp.note.splitlines():
        say("   " + line_text)
    for name, party, size in witnessed:
        say(f"   witnessed by {party} ({name}) up to size {size}")
    say(f"   exchange log verify: ok, {report.size} events, root {base64.b64encode(report.root).decode()}")
    say("\n7. Access request (AVG art. 15) for the address, answered from the log by its pseudonym:")
    for row in rows:
        say(
            f"   #{row['idx']:<3} {row['action']:<11} {row['actor_party']:<21} "
            f"-> {row['counterparty'] or '-':<21} {row['category'] or '':<26} art. {row['articles'] or '-'}"
        )
    facts.update({"events": report.size, "report_rows": len(rows), "witnesses": len(witnessed)})
    say("\nNot in this demo yet: the HTTP service with signed requests, the case workflow and the hit/no-hit")
    say("index (issue 5). Database: " + str(workdir / "demo.db"))
    db.dispose()
    return facts
