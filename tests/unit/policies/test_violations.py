"""Checking findings against a covenant: known categories and violation codes, counts from 1, each
pair once; every refusal names what is known."""

from __future__ import annotations

import dataclasses

import pytest

from exchange.errors import InvalidInputError
from exchange.policies.files import load_version
from exchange.policies.violations import MAX_COUNT, check_findings
from tests.conftest import CONVENANT

PIT = load_version(CONVENANT / "pit" / "2021").covenant


def test_known_categories_codes_and_counts_pass() -> None:
    """Counts of declared codes in the covenant's categories pass, as does an empty registration."""
    check_findings(
        PIT, [("uitkering-status", "onrechtmatige-uitkering", 2), ("bag-gebruik", "brandonveilig", 1)]
    )
    check_findings(PIT, [("bevinding", "ondermijning", MAX_COUNT)])
    check_findings(PIT, [])


@pytest.mark.parametrize(
    ("finding", "message"),
    [
        (
            ("uitkeringstatus", "onrechtmatige-uitkering", 1),
            "'uitkeringstatus' is not a data category of PIT 2021; did you mean 'uitkering-status'?",
        ),
        (
            ("zzz", "onrechtmatige-uitkering", 1),
            r"'zzz' is not a data category of PIT 2021 \(known: bag-gebruik,",
        ),
        (
            ("uitkering-status", "onrechtmatige-uitkeringg", 1),
            "did you mean 'onrechtmatige-uitkering'\\? \\(known: brandonveilig, illegale-bewoning,",
        ),
        (
            ("uitkering-status", "onrechtmatige-uitkering", 0),
            "a count is a whole number from 1 to 100000, not 0",
        ),
        (("uitkering-status", "onrechtmatige-uitkering", MAX_COUNT + 1), "not 100001"),
        (("uitkering-status", "onrechtmatige-uitkering", True), "not True"),
    ],
)
def test_an_unknown_name_or_a_bad_count_is_refused(finding: tuple[str, str, int], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        check_findings(PIT, [finding])


def test_a_pair_given_twice_is_refused() -> None:
    """One count per (category, code): two would leave it unclear which holds."""
    twice = [("bag-gebruik", "brandonveilig", 1), ("bag-gebruik", "brandonveilig", 2)]
    with pytest.raises(InvalidInputError, match="'brandonveilig' in 'bag-gebruik' is listed twice"):
        check_findings(PIT, twice)


def test_a_version_without_violations_says_so() -> None:
    """A covenant version that declares no violation codes takes no findings, and says why."""
    bare = dataclasses.replace(PIT, violations={})
    with pytest.raises(InvalidInputError, match="known: none: this version declares no violations"):
        check_findings(bare, [("bag-gebruik", "brandonveilig", 1)])
