"""A privacy officer's oversight of the own party's use of the exchange: the anomaly flags, and
acknowledging one with a note.

Seeing flags is a view of log data and is logged as such. An acknowledgement is logged too, as a
``log-view`` event with the flag's id and the reason code ``anomaly-acknowledged``; the note is
free text, so it stays in its table and never enters the log (docs/specs/disclosure-log.md).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from exchange.audit.anomalies import FLAG_ID_PATTERN, Flag, Thresholds
from exchange.audit.events import Action, Outcome
from exchange.cases.unit import Unit
from exchange.errors import ConflictError, DeniedError, InvalidInputError, NotFoundError
from exchange.storage import audit_queries
from exchange.storage.acknowledgements import AcknowledgementRepository
from exchange.storage.readmodels import AcknowledgementView

OFFICER = "privacy-officer"
MAX_NOTE = 1000
ACKNOWLEDGED = "anomaly-acknowledged"  # the reason code of the acknowledgement's log event
_FLAG_ID = re.compile(FLAG_ID_PATTERN)
#: Characters that reorder the text around them when shown (bidirectional embeddings, overrides and
#: isolates): a note must read as written.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


@dataclass(frozen=True, slots=True)
class FlagView:
    """A flag and, once a privacy officer of its party acknowledged it, who did, when and why."""

    flag: Flag
    acknowledged: AcknowledgementView | None


def clean_note(note: str) -> str:
    """The note as stored: line ends as ``\\n``, surrounding white space removed. Refused when empty,
    longer than :data:`MAX_NOTE` characters, or holding a control character other than a line end or
    tab (a NUL cannot be stored in PostgreSQL text, and no viewer shows the others faithfully)."""
    text = note.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise InvalidInputError("the acknowledgement needs a note: what was checked, and what was found")
    if len(text) > MAX_NOTE:
        raise InvalidInputError(f"the note has {len(text)} characters; shorten it to at most {MAX_NOTE}")
    for ch in text:
        if ch in _BIDI_CONTROLS or (unicodedata.category(ch) in ("Cc", "Cs") and ch not in "\n\t"):
            raise InvalidInputError(
                f"the note contains the control character U+{ord(ch):04X}; remove it and send plain text"
            )
    return text


class OversightService:
    """The anomaly flags of the unit's caller's party, for its privacy officers."""

    def __init__(self, unit: Unit, limits: Thresholds) -> None:
        self.unit = unit
        self.limits = limits
        self.acks = AcknowledgementRepository(unit.session)

    def _officer(self) -> None:
        if self.unit.caller.role != OFFICER:
            raise DeniedError(
                f"anomaly flags are for the role '{OFFICER}', not '{self.unit.caller.role}'",
                code="not-privacy-officer",
            )

    def _flags(self, party: str | None, since: datetime | None) -> list[FlagView]:
        acks = self.acks.by_flag(party)
        found = audit_queries.anomalies(self.unit.session, self.limits, since, party)
        return [FlagView(f, acks.get(f.id)) for f in found]

    def flags(self, since: datetime | None = None, every_party: bool = False) -> list[FlagView]:
        """The flags of the caller's party (of every party for the command line, which holds the
        database anyway), each with its acknowledgement if any. Reads only: the edge shows them
        after :meth:`viewed` recorded the view, so a long scan never holds up the log's writer."""
        self._officer()
        return self._flags(None if every_party else self.unit.caller.party, since)

    def viewed(self, rows: int) -> None:
        """Record that the caller saw ``rows`` flags (a view of log data)."""
        self._officer()
        self.unit.record(Action.LOG_VIEW, Outcome.DONE, details={"view": "anomalies", "rows": rows})

    def find(self, flag_id: str) -> Flag:
        """One of the caller's party's flags. Another party's flag is answered like an unknown one.
        Reads only; a flag, once raised, keeps its id as the log grows."""
        self._officer()
        if not _FLAG_ID.match(flag_id):
            raise InvalidInputError(
                "a flag id is 'an-' and 32 lower-case hex digits, as the list of flags shows"
            )
        party = self.unit.caller.party
        found = audit_queries.anomalies(self.unit.session, self.limits, None, party)
        flag = next((f for f in found if f.id == flag_id), None)
        if flag is None:
            raise NotFoundError(f"no anomaly flag {flag_id} of your party")
        return flag

    def acknowledge(self, flag: Flag, note: str) -> FlagView:
        """Acknowledge ``flag`` (from :meth:`find`) with a note, once, and log it without the note."""
        self._officer()
        text = clean_note(note)
        earlier = self.acks.get(flag.id)
        if earlier is not None:
            when = f"{earlier.acknowledged:%Y-%m-%d %H:%M} UTC"
            raise ConflictError(f"flag {flag.id} was acknowledged already, by {earlier.user} at {when}")
        index = self.unit.record(
            Action.LOG_VIEW,
            Outcome.DONE,
            reason_code=ACKNOWLEDGED,
            details={"view": "anomaly-acknowledgement", "flag": flag.id, "kind": str(flag.kind)},
        )
        c = self.unit.caller
        return FlagView(flag, self.acks.add(flag.id, c.party, c.user, text, self.unit.now, index))
