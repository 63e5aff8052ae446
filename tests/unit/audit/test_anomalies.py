"""Anomaly rules count requests (trace ids) and distinct subjects, never log events; flag ids are stable."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from exchange.audit.anomalies import FLAG_ID_PATTERN, Flag, Kind, Row, Thresholds, find, flag_id

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
LIMITS = Thresholds()
PAIRS = 78  # the answers of one KIT selection query: one log event each


class Log:
    """Rows as the log holds them: consecutive indexes, one trace per request."""

    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.traces = 0

    def request(
        self,
        at: float,
        answers: int = 1,
        subjects: list[str] | None = None,
        user: str = "u-1",
        party: str = "helmond",
        **kw: object,
    ) -> str:
        """One request at ``at`` seconds after T0, logging ``answers`` events (about ``subjects``)."""
        self.traces += 1
        trace = f"tr-{self.traces}"
        names = subjects or ["v1:" + "S" * 43]
        base: dict[str, object] = {"action": "hit-query", "outcome": "no-hit", "case": "case-1"}
        base.update(kw)
        for i in range(answers):
            self.rows.append(
                Row(
                    len(self.rows),
                    T0 + timedelta(seconds=at),
                    trace,
                    party=party,
                    user=user,
                    subject=names[i % len(names)],
                    **base,  # type: ignore[arg-type]  # Row's keyword fields
                )
            )
        return trace


def kinds(flags: list[Flag]) -> list[str]:
    return [str(f.kind) for f in flags]


def test_two_ordinary_kit_queries_are_no_burst() -> None:
    """Two hit/no-hit queries of 78 answers each are two requests, far below the burst threshold."""
    log = Log()
    log.request(0, PAIRS)
    log.request(30, PAIRS)
    assert find(log.rows, LIMITS) == []


def test_many_requests_within_the_window_are_a_burst() -> None:
    """More than ``burst_requests`` requests within the window raise one flag that counts requests,
    subjects and events apart; exactly the threshold does not."""
    log = Log()
    for i in range(50):
        log.request(i * 5, PAIRS)
    assert find(log.rows, LIMITS) == []
    log.request(250, PAIRS)
    (flag,) = find(log.rows, LIMITS)
    assert (flag.kind, flag.party, flag.user) == (Kind.BURST, "helmond", "u-1")
    assert (flag.requests, flag.subjects, flag.events) == (51, 1, 51 * PAIRS)
    assert (flag.first_index, flag.last_index) == (0, 51 * PAIRS - 1)
    assert (flag.start, flag.end) == (T0, T0 + timedelta(seconds=250))
    assert flag.detail == "51 requests about 1 subject in 0:04:10 (more than 50 requests within 0:10:00)"
    assert re.match(FLAG_ID_PATTERN, flag.id)


def test_the_thresholds_are_settings() -> None:
    """A lower request threshold, or a shorter window, changes what is a burst."""
    log = Log()
    log.request(0, PAIRS)
    log.request(30, PAIRS)
    assert kinds(find(log.rows, Thresholds(burst_requests=1))) == ["burst"]
    assert find(log.rows, Thresholds(burst_requests=1, burst_window=timedelta(seconds=10))) == []


def test_requests_spread_beyond_the_window_are_no_burst() -> None:
    """The window slides: 100 requests twenty seconds apart never have more than 31 in ten minutes."""
    log = Log()
    for i in range(100):
        log.request(i * 20)
    assert find(log.rows, LIMITS) == []


def test_many_distinct_subjects_are_a_burst() -> None:
    """Requests about more than ``burst_subjects`` distinct subjects within the window are a burst,
    even as one request; subjects that left the window no longer count."""
    many = [f"v1:{i:043d}" for i in range(201)]
    log = Log()
    log.request(0, 201, subjects=many)
    (flag,) = find(log.rows, LIMITS)
    assert (flag.requests, flag.subjects) == (1, 201)
    assert "requests about more than 200 subjects within 0:10:00" in flag.detail
    spread = Log()
    for i in range(0, 201, 50):  # 50 subjects every seven minutes: at most 100 in a window
        spread.request(i * 8.4, 50, subjects=many[i : i + 50])
    assert find(spread.rows, LIMITS) == []


def test_one_long_burst_is_one_flag_and_a_later_one_another() -> None:
    """A burst lasts while the window stays over the threshold; a quiet request ends it, and the
    next burst is a new flag that shares no request with the first."""
    log = Log()
    for i in range(80):
        log.request(i * 5)  # 400 s, 80 requests
    log.request(5000)  # quiet: ends the first burst
    for i in range(60):
        log.request(9000 + i)
    first, second = find(log.rows, LIMITS)
    assert (first.requests, second.requests) == (80, 60)
    assert first.last_index < second.first_index
    assert first.id != second.id


def test_flag_ids_are_stable_as_the_log_grows() -> None:
    """The same flag has the same id when the log is scanned again after more entries were added."""
    log = Log()
    for i in range(55):
        log.request(i)
    before = find(log.rows, LIMITS)
    for i in range(20):
        log.request(60 + i)
    log.request(40_000, action="decision", case=None)
    after = find(log.rows, LIMITS)
    assert before[0].id == after[0].id
    assert (before[0].requests, after[0].requests) == (55, 75)
    assert kinds(after) == ["burst", "outside-case"]


def test_flag_ids_differ_by_rule_party_and_user() -> None:
    """The id is a digest of rule, party, user and the request that opens the window."""
    ids = {
        flag_id(Kind.BURST, "helmond", "u-1", "tr-1"),
        flag_id(Kind.REPEATED_DENIALS, "helmond", "u-1", "tr-1"),
        flag_id(Kind.BURST, "senzer", "u-1", "tr-1"),
        flag_id(Kind.BURST, "helmond", "u-2", "tr-1"),
        flag_id(Kind.BURST, "helmond", None, "tr-1"),
        flag_id(Kind.BURST, "helmond", "u-1", "tr-2"),
    }
    assert len(ids) == 6
    assert all(re.match(FLAG_ID_PATTERN, i) for i in ids)


def test_users_are_counted_apart() -> None:
    """Two users of a party, and two parties, each stay below the threshold."""
    log = Log()
    for i in range(40):
        log.request(i, user="u-1")
        log.request(i, user="u-2")
        log.request(i, party="senzer")
    assert find(log.rows, LIMITS) == []


def test_outside_case_is_one_flag_per_request() -> None:
    """A request whose decisions name no case is one flag, however many events it wrote."""
    log = Log()
    log.request(0, 3, action="decision", outcome="allowed", case=None)
    log.request(1, 3, action="case-view", outcome="done", case=None)  # no case needed
    (flag,) = find(log.rows, LIMITS)
    assert (flag.kind, flag.requests, flag.events) == (Kind.OUTSIDE_CASE, 1, 3)
    assert flag.detail == "decision without a case"


def test_phase_not_covered_is_one_flag_per_request() -> None:
    """A request denied for an uncovered phase is one flag listing what was asked."""
    log = Log()
    for category in ("a", "b", "c", "d"):
        log.rows.append(
            Row(
                len(log.rows),
                T0,
                "tr-x",
                "decision",
                "denied",
                "helmond",
                "u-1",
                "case-1",
                reason_code="phase-not-covered",
                category=category,
                phase="signal",
            )
        )
    (flag,) = find(log.rows, LIMITS)
    assert (flag.kind, flag.requests, flag.events) == (Kind.PHASE_NOT_COVERED, 1, 4)
    assert flag.detail == "a, b, c and 1 more asked in phase signal, which the flow does not cover"


def test_repeated_denials_count_requests() -> None:
    """Five requests with a denial within the hour are a flag; one request with ten denials is not."""
    log = Log()
    log.request(0, 10, action="dossier-read", outcome="denied")
    assert find(log.rows, LIMITS) == []
    for i in range(1, 5):
        log.request(i * 60, action="decision", outcome="denied")
    (flag,) = find(log.rows, LIMITS)
    assert (flag.kind, flag.requests, flag.events) == (Kind.REPEATED_DENIALS, 5, 14)
    assert flag.detail == "5 requests with a denial in 0:04:00 (5 or more within 1:00:00)"
    log.request(7200, action="decision", outcome="denied")  # an hour later: ends the episode
    assert [f.requests for f in find(log.rows, LIMITS)] == [5]


def test_events_of_one_request_need_not_be_adjacent() -> None:
    """Events are grouped by trace id, even when another request's events come between them."""
    a = Row(0, T0, "tr-a", "hit-query", "hit", "helmond", "u-1", "case-1", "v1:" + "A" * 43)
    b = Row(1, T0, "tr-b", "hit-query", "hit", "helmond", "u-1", "case-1", "v1:" + "B" * 43)
    a2 = Row(2, T0, "tr-a", "hit-query", "hit", "helmond", "u-1", "case-1", "v1:" + "C" * 43)
    (flag,) = find([a, b, a2], Thresholds(burst_requests=1))
    assert (flag.requests, flag.subjects, flag.events) == (2, 3, 3)


def test_forwards_count_towards_a_burst_but_need_no_case() -> None:
    """A forwarded signal discloses to another party, so many of them are a burst; one has no case
    by design, so it is never an outside-case flag."""
    log = Log()
    for i in range(51):
        log.request(i * 5, 1, action="forward", outcome="done", case=None)
    (flag,) = find(log.rows, LIMITS)
    assert (flag.kind, flag.requests) == (Kind.BURST, 51)
