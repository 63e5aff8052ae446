"""The log gate finds what it must find, and lets ordinary log lines through."""

from __future__ import annotations

import base64
import os

import pytest

from tests.logscan import scan


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ('{"message": "lookup for 5701 AB 12a"}', "postcode"),
        ('{"message": "lookup for 5701ab12"}', "postcode"),
        ('{"message": "bsn 111222333"}', "BSN"),
        pytest.param('{"message": "seed ' + os.urandom(32).hex() + '"}', "key material", id="hex-seed"),
        pytest.param(
            '{"message": "key ' + base64.b64encode(b"\x8f" * 11 + os.urandom(21)).decode() + '"}',
            "base64",
            id="base64-key",
        ),
        ('{"message": "subject v1:KXfsiYLC-_oXZ-l23DKAUBL4dKMb-hnpXBSvJEO8CXs"}', "base64"),
        ("-----BEGIN PRIVATE KEY-----", "key material"),
    ],
)
def test_finds_personal_data_and_keys(line: str, kind: str) -> None:
    found = scan("ok line\n" + line)
    assert found and found[0].line == 2 and kind in found[0].kind
    assert line.split()[-1].strip('"}') not in str(found[0])  # a finding never repeats the value


@pytest.mark.parametrize(
    "line",
    [
        '{"time": "2026-11-24T10:56:52.123+00:00", "level": "error", "message": "request failed: StorageError"}',
        '{"message": "group commit failed: OperationalError"}',
        "GET /v1/cases/case-11f5b50ea4804f61 200 in 12 ms",
        '{"message": "bsn-shaped but not 11-proof: 123456789"}',
        "trace tr-3f0b2c9a4d5e6f708192a3b4c5d6e7f8",
        "POST /v1/cases/case-5701ab12e4804f61/hits",  # an id whose hex looks like a postcode
        "case case-f111222333ae4804 and act-111222333abc",  # ... or like a BSN
    ],
)
def test_ordinary_lines_pass(line: str) -> None:
    assert scan(line) == []
