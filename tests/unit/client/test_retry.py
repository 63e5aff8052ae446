"""When the client tries a request again: a 503 that says when (RFC 9110 section 10.2.3), a few
times, never waiting longer than the cap."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from exchange.client.http import Retry, retry_after

NOW = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("3", 3.0),
        (" 0 ", 0.0),
        ("Mon, 30 Nov 2026 12:00:05 GMT", 5.0),
        ("Mon, 30 Nov 2026 11:59:00 GMT", 0.0),  # a date in the past: retry now
        (None, None),
        ("soon", None),
        ("-1", None),
        ("1.5", None),
    ],
)
def test_retry_after_reads_seconds_and_http_dates(value: str | None, seconds: float | None) -> None:
    """delay-seconds and HTTP-dates are read; anything else means no retry."""
    assert retry_after(value, NOW) == seconds


def _answer(status: int, after: str | None) -> httpx.Response:
    return httpx.Response(status, headers={"Retry-After": after} if after is not None else {})


def test_only_a_503_with_a_short_retry_after_is_retried_and_only_a_few_times() -> None:
    """A 503 with Retry-After within the cap is retried until the attempts run out; others are final."""
    retry = Retry(attempts=3, max_wait=10)
    assert retry.wait_before_next(_answer(503, "2"), 1, NOW) == 2.0
    assert retry.wait_before_next(_answer(503, "2"), 2, NOW) == 2.0
    assert retry.wait_before_next(_answer(503, "2"), 3, NOW) is None
    assert retry.wait_before_next(_answer(503, "11"), 1, NOW) is None
    assert retry.wait_before_next(_answer(503, None), 1, NOW) is None
    assert retry.wait_before_next(_answer(500, "1"), 1, NOW) is None
    assert retry.wait_before_next(_answer(429, "1"), 1, NOW) is None
