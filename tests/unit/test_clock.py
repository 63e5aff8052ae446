"""Stored times come back as aware UTC, whichever database returned them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from exchange.clock import as_utc


def test_naive_is_utc_and_aware_is_converted() -> None:
    naive = datetime(2026, 11, 30, 10, 0)  # as SQLite hands it back
    assert as_utc(naive) == datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    amsterdam = datetime(2026, 11, 30, 11, 0, tzinfo=timezone(timedelta(hours=1)))  # PostgreSQL, CET
    assert as_utc(amsterdam).tzinfo is UTC
    assert as_utc(amsterdam).isoformat() == "2026-11-30T10:00:00+00:00"


@given(st.datetimes(timezones=st.timezones()))
def test_same_instant_in_utc(moment: datetime) -> None:
    converted = as_utc(moment)
    assert converted.tzinfo is UTC
    assert converted.timestamp() == moment.timestamp()  # (== is never true across zones with fold=1)
