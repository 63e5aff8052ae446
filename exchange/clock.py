"""Times read back from the database, as aware UTC datetimes.

SQLite hands back the stored UTC wall-clock time without a zone; PostgreSQL hands back an aware
value in the session's zone. Both are made aware UTC here, so they compare with ``now`` and print
alike. A naive time is taken to be UTC (the store writes only UTC).
"""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
