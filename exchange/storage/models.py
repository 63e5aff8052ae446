"""ORM rows of the disclosure log. Storage types only; the domain types live in exchange.audit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from exchange.storage.db import Base


class LogHead(Base):
    """One row: the log's size. Locked for every append so indexes never fork or repeat."""

    __tablename__ = "log_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # The root at ``size``; lets an appender check its cached frontier is this log's, not a stale one.
    root: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)


class LogEntry(Base):
    """One event: its canonical bytes, its leaf hash, and columns for the privacy officer's queries.

    The columns are derived from the event bytes; ``exchange log verify`` checks they still match.
    """

    __tablename__ = "log_entries"
    # INTEGER on SQLite makes idx the rowid itself (no second index); BIGINT on PostgreSQL.
    idx: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)
    event: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    time: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    trace_id: Mapped[str] = mapped_column(String(128), nullable=False)
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)
    actor_party: Mapped[str] = mapped_column(String(128), nullable=False)
    actor_user: Mapped[str | None] = mapped_column(String(128))
    actor_role: Mapped[str | None] = mapped_column(String(128))
    counterparty: Mapped[str | None] = mapped_column(String(128))
    case_id: Mapped[str | None] = mapped_column(String(128))
    subject: Mapped[str | None] = mapped_column(String(64))
    purpose: Mapped[str | None] = mapped_column(String(128))
    category: Mapped[str | None] = mapped_column(String(128))
    phase: Mapped[str | None] = mapped_column(String(32))
    covenant: Mapped[str | None] = mapped_column(String(128))
    articles: Mapped[str] = mapped_column(String(512), nullable=False, default="")  # ",4,7,"
    reason_code: Mapped[str | None] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)

    __table_args__ = (
        Index("ix_log_subject", "subject"),
        Index("ix_log_case", "case_id"),
        Index("ix_log_actor_time", "actor_party", "time"),
        Index("ix_log_counterparty", "counterparty"),
        Index("ix_log_time", "time"),
    )


class LogTile(Base):
    """A hash tile of the tree in the C2SP tlog-tiles layout (docs/specs/disclosure-log.md, "Tiles").

    ``hashes`` is the tile's concatenated 32-byte hashes at tree level ``8 * level``, indexes
    ``256 * idx`` onwards: 256 in a full tile, which never changes; fewer in the one partial tile per
    level at the right edge, rewritten as the tree grows.
    """

    __tablename__ = "log_tiles"
    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hashes: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    #: The tile's inner nodes: the hashes of its complete subtrees of 2, 4, ... 128 of its hashes,
    #: by height, left to right (254 in a full tile). Not served; proofs read them instead of hashing.
    nodes: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)


class LogNode(Base):
    """Before migration 0019: the hash of the complete subtree covering leaves
    [idx * 2^level, (idx + 1) * 2^level), level >= 1. ``exchange log migrate-tiles`` converts them to
    :class:`LogTile` rows and empties this table; nothing reads or writes it afterwards.
    """

    __tablename__ = "log_nodes"
    level: Mapped[int] = mapped_column(Integer, primary_key=True)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)


class LogCheckpoint(Base):
    __tablename__ = "log_checkpoints"
    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class LogWitness(Base):
    """A party's registered cosigning key for witnessing checkpoints."""

    __tablename__ = "log_witnesses"
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    party: Mapped[str] = mapped_column(String(128), nullable=False)
    public: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)


class LogCosignature(Base):
    __tablename__ = "log_cosignatures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    size: Mapped[int] = mapped_column(BigInteger, ForeignKey("log_checkpoints.size"), nullable=False)
    witness: Mapped[str] = mapped_column(String(200), ForeignKey("log_witnesses.name"), nullable=False)
    line: Mapped[str] = mapped_column(Text, nullable=False)
    timestamp: Mapped[int] = mapped_column(BigInteger, nullable=False)
    __table_args__ = (UniqueConstraint("size", "witness"),)


class PartyRow(Base):
    """A party registered by the operator. Parties act through signed requests with their keys."""

    __tablename__ = "parties"
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    name: Mapped[str] = mapped_column(String(256), nullable=False)
    registered: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class PartyKeyRow(Base):
    """A registered public key. The operator never registers or holds a private key."""

    __tablename__ = "party_keys"
    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    party: Mapped[str] = mapped_column(String(128), ForeignKey("parties.id"), nullable=False)
    algorithm: Mapped[str] = mapped_column(String(16), nullable=False)  # x25519 | ed25519
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # current | retired | destroyed
    public: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)
    registered: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    #: When the hub (its own clock) saw the key leave 'current'; nothing signed with it after that
    #: is accepted, and it authenticates no request.
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (Index("ix_party_keys_party", "party"),)


class RequestNonce(Base):
    """Signatures already seen (key id, nonce), kept for the validity window: a replay is refused."""

    __tablename__ = "request_nonces"
    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(128), primary_key=True)
    created: Mapped[int] = mapped_column(BigInteger, nullable=False)
    __table_args__ = (Index("ix_request_nonces_created", "created"),)


class KeyGeneration(Base):
    """One row: a counter that a trigger on ``party_keys`` bumps in the transaction of every key
    change, so a process that caches keys sees that its cache is out of date (ADR 0022)."""

    __tablename__ = "key_generation"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger, nullable=False)


class IdempotentResponse(Base):
    """The response to a POST with an Idempotency-Key, replayed for a retry by the same party."""

    __tablename__ = "idempotent_responses"
    party: Mapped[str] = mapped_column(String(128), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)
    status: Mapped[int] = mapped_column(Integer, nullable=False)
    body: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    #: The signed bytes of the first answer's receipt (docs/specs/disclosure-log.md); None when
    #: it logged nothing, or was stored before receipts existed.
    receipt: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)


class CaseRow(Base):
    """A case: metadata only. Subjects are pseudonyms; the hub never holds an address."""

    __tablename__ = "cases"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    covenant: Mapped[str] = mapped_column(String(128), nullable=False)  # id/version
    purpose: Mapped[str] = mapped_column(String(128), nullable=False)
    phase: Mapped[str] = mapped_column(String(32), nullable=False)
    coordinator: Mapped[str] = mapped_column(String(128), nullable=False)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    #: The sealed selection reason's id in ``case_texts``; the hub never holds the text.
    selection_text: Mapped[str | None] = mapped_column(Text)
    closed: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CaseSubject(Base):
    __tablename__ = "case_subjects"
    case_id: Mapped[str] = mapped_column(String(64), ForeignKey("cases.id"), primary_key=True)
    subject: Mapped[str] = mapped_column(String(64), primary_key=True)


class CaseParty(Base):
    __tablename__ = "case_parties"
    case_id: Mapped[str] = mapped_column(String(64), ForeignKey("cases.id"), primary_key=True)
    party: Mapped[str] = mapped_column(String(128), primary_key=True)
    # The console lists a party's cases: party first.
    __table_args__ = (Index("ix_case_parties_party", "party", "case_id"),)


class HitIndexEntry(Base):
    """One party holds information of one category on one subject pseudonym."""

    __tablename__ = "hit_index"
    party: Mapped[str] = mapped_column(String(128), primary_key=True)
    category: Mapped[str] = mapped_column(String(128), primary_key=True)
    subject: Mapped[str] = mapped_column(String(64), primary_key=True)
    # A case's query looks subjects up across providers: subject first.
    __table_args__ = (Index("ix_hit_subject", "subject", "party", "category"),)


class HitIndexPublication(Base):
    """A party has published an index for a category (its first ``POST /v1/index/{category}``, even
    an empty one): from then on its answers for that category are hit or no-hit, before it never
    published one they are no-index (docs/specs/hit-states.md). Kept when every entry is removed: an
    empty index still answers no-hit."""

    __tablename__ = "hit_index_published"
    party: Mapped[str] = mapped_column(String(128), primary_key=True)
    category: Mapped[str] = mapped_column(String(128), primary_key=True)
    first: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class EnrichmentRequestRow(Base):
    """The case table asks a provider for one category on the case's subjects."""

    __tablename__ = "enrichment_requests"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(64), ForeignKey("cases.id"), nullable=False)
    requested_by: Mapped[str] = mapped_column(String(128), nullable=False)
    provider: Mapped[str] = mapped_column(String(128), nullable=False)
    category: Mapped[str] = mapped_column(String(128), nullable=False)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    answered: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (Index("ix_enrichment_provider", "provider", "answered"),)


class DossierItemRow(Base):
    """One sealed item: signed header and ciphertext only. The hub cannot open it."""

    __tablename__ = "dossier_items"
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(64), ForeignKey("cases.id"), nullable=False)
    provider: Mapped[str] = mapped_column(String(128), nullable=False)
    category: Mapped[str] = mapped_column(String(128), nullable=False)
    header: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    signature: Mapped[bytes] = mapped_column(LargeBinary(64), nullable=False)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    __table_args__ = (Index("ix_dossier_case", "case_id"),)


class DossierWrap(Base):
    """A recipient's sealed copy of an item key. Deleting it shreds the item for that recipient."""

    __tablename__ = "dossier_wraps"
    item_id: Mapped[str] = mapped_column(String(128), ForeignKey("dossier_items.id"), primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    party: Mapped[str] = mapped_column(String(128), nullable=False)
    wrap: Mapped[bytes] = mapped_column(LargeBinary(80), nullable=False)
    __table_args__ = (Index("ix_wrap_party", "party", "item_id"),)


class ActionPoint(Base):
    """A follow-up action point (opvolging): owner, deadline, status; a reason once overdue."""

    __tablename__ = "action_points"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(64), ForeignKey("cases.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    owner: Mapped[str] = mapped_column(String(128), nullable=False)
    deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # open | done | cancelled
    reason_text: Mapped[str | None] = mapped_column(String(64))  # a sealed reason's id in case_texts
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    __table_args__ = (Index("ix_action_case", "case_id"),)


class CaseOutcome(Base):
    """The abstracted outcome fed back to every contributor (terugkoppeling): a code, no personal data."""

    __tablename__ = "case_outcomes"
    case_id: Mapped[str] = mapped_column(String(64), ForeignKey("cases.id"), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(64), nullable=False)
    decided: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class CaseFinding(Base):
    """What one party found at a case's action: a count per (category, violation code) of the
    covenant. Counts and codes only: no people, no addresses, no free text. A party's later
    registration for the case replaces all of its earlier rows."""

    __tablename__ = "case_findings"
    case_id: Mapped[str] = mapped_column(String(64), ForeignKey("cases.id"), primary_key=True)
    party: Mapped[str] = mapped_column(String(128), primary_key=True)
    category: Mapped[str] = mapped_column(String(128), primary_key=True)
    code: Mapped[str] = mapped_column(String(128), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False)
    registered: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    # The annual report counts findings registered in a year.
    __table_args__ = (Index("ix_case_findings_registered", "registered"),)


class ItemRetention(Base):
    """When an item's category retention ends (set at case closure); then its wraps are deleted."""

    __tablename__ = "item_retention"
    item_id: Mapped[str] = mapped_column(String(128), ForeignKey("dossier_items.id"), primary_key=True)
    until: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    shredded: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (Index("ix_retention_until", "until"),)


class SelectionReview(Base):
    """A jurist's review of a case's selection decision, where one was asked for."""

    __tablename__ = "selection_reviews"
    case_id: Mapped[str] = mapped_column(String(64), ForeignKey("cases.id"), primary_key=True)
    reviewer_party: Mapped[str] = mapped_column(String(128), primary_key=True)
    reviewer: Mapped[str] = mapped_column(String(128), nullable=False)
    verdict: Mapped[str] = mapped_column(String(16), nullable=False)  # approved | concerns
    #: The sealed note's id in case_texts (null only for reviews made before notes were sealed).
    note_text: Mapped[str | None] = mapped_column(String(64))
    reviewed: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class CaseTextRow(Base):
    """A free text a user wrote in a case (a selection or closing reason, a review note, an action
    point's reason), sealed by the writer's client as a dossier envelope for the case's parties that
    may read it. Signed header and ciphertext only; the log holds the SHA-256 of the envelope
    without wraps (``digest``), never the text."""

    __tablename__ = "case_texts"
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(64), ForeignKey("cases.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)  # selection-reason | closing-reason | …
    author_party: Mapped[str] = mapped_column(String(128), nullable=False)
    author_user: Mapped[str] = mapped_column(String(128), nullable=False)
    header: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    signature: Mapped[bytes] = mapped_column(LargeBinary(64), nullable=False)
    digest: Mapped[str] = mapped_column(String(71), nullable=False)  # sha256:<64 hex>
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # set at closure
    shredded: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (Index("ix_case_texts_case", "case_id"), Index("ix_case_texts_until", "until"))


class CaseTextWrap(Base):
    """A reader's sealed copy of a text's key. Deleting every wrap shreds the text."""

    __tablename__ = "case_text_wraps"
    text_id: Mapped[str] = mapped_column(String(128), ForeignKey("case_texts.id"), primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    party: Mapped[str] = mapped_column(String(128), nullable=False)
    wrap: Mapped[bytes] = mapped_column(LargeBinary(80), nullable=False)
    __table_args__ = (Index("ix_case_text_wraps_party", "party", "text_id"),)


class ConsoleTicket(Base):
    """A one-time sign-in for the browser console, asked for by a party's signed request. Only the
    SHA-256 of the ticket is stored; it is used once and expires within minutes."""

    __tablename__ = "console_tickets"
    ticket_hash: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    party: Mapped[str] = mapped_column(String(128), nullable=False)
    user: Mapped[str] = mapped_column(String(128), nullable=False)
    role: Mapped[str] = mapped_column(String(128), nullable=False)
    expires: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    used: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ConsoleSession(Base):
    """A signed-in browser: the cookie carries the token, the table only its SHA-256."""

    __tablename__ = "console_sessions"
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    party: Mapped[str] = mapped_column(String(128), nullable=False)
    user: Mapped[str] = mapped_column(String(128), nullable=False)
    role: Mapped[str] = mapped_column(String(128), nullable=False)
    csrf: Mapped[str] = mapped_column(String(64), nullable=False)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    expires: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    __table_args__ = (Index("ix_console_sessions_expires", "expires"),)


class AnomalyAcknowledgement(Base):
    """A privacy officer's acknowledgement of an anomaly flag, with the officer's note. The log holds
    the acknowledgement as a ``log-view`` event (flag id and reason code, never the note)."""

    __tablename__ = "anomaly_acknowledgements"
    flag_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    party: Mapped[str] = mapped_column(String(128), nullable=False)
    user: Mapped[str] = mapped_column(String(128), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False)
    acknowledged: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    log_index: Mapped[int] = mapped_column(BigInteger, nullable=False)
    __table_args__ = (Index("ix_anomaly_acknowledgements_party", "party"),)


class PseudonymKeyVersionRow(Base):
    """A pseudonym key version the custodian distributed through the hub, and until when it stays
    accepted once a newer version superseded it (None while it is the newest). No key material."""

    __tablename__ = "pseudonym_key_versions"
    covenant: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    custodian: Mapped[str] = mapped_column(String(128), nullable=False)
    distributed: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    accepted_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PseudonymKeyCopyRow(Base):
    """One party's sealed copy of a pseudonym key version, sealed to one of its X25519 keys and signed
    by the custodian (docs/specs/pseudonym-keys.md). The hub cannot open it."""

    __tablename__ = "pseudonym_key_copies"
    covenant: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    party: Mapped[str] = mapped_column(String(128), primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    custodian_kid: Mapped[str] = mapped_column(String(64), nullable=False)
    stored: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    __table_args__ = (
        ForeignKeyConstraint(
            ["covenant", "version"], ["pseudonym_key_versions.covenant", "pseudonym_key_versions.version"]
        ),
        Index("ix_pseudonym_key_copies_party", "covenant", "party"),
    )


class ForwardRow(Base):
    """A signal a coordinator forwarded to the partner it belongs to, without a case: sealed by the
    sender's client for the recipient's keys (a dossier envelope); the hub holds ciphertext, the
    digest the log records, and when the recipient first opened it. Spec: docs/specs/forwards.md."""

    __tablename__ = "forwards"
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    sender_party: Mapped[str] = mapped_column(String(128), nullable=False)
    sender_user: Mapped[str] = mapped_column(String(128), nullable=False)
    recipient: Mapped[str] = mapped_column(String(128), nullable=False)
    purpose: Mapped[str] = mapped_column(String(128), nullable=False)
    covenant: Mapped[str] = mapped_column(String(128), nullable=False)  # id/version
    header: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    signature: Mapped[bytes] = mapped_column(LargeBinary(64), nullable=False)
    digest: Mapped[str] = mapped_column(String(71), nullable=False)  # sha256:<64 hex>
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    opened: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    until: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    shredded: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (
        Index("ix_forwards_recipient", "recipient", "opened"),
        Index("ix_forwards_until", "until"),
    )


class ForwardWrap(Base):
    """The recipient's sealed copy of a forward's key, one per key. Deleting them shreds the forward."""

    __tablename__ = "forward_wraps"
    forward_id: Mapped[str] = mapped_column(String(128), ForeignKey("forwards.id"), primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    party: Mapped[str] = mapped_column(String(128), nullable=False)
    wrap: Mapped[bytes] = mapped_column(LargeBinary(80), nullable=False)
