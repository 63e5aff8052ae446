"""Inputs the coverage-guided fuzzer (tests/fuzz/harness.py) found crashing parsers; each now gets
its documented error."""

from __future__ import annotations

import pytest

from exchange.audit.checkpoint import NoteSigner, open_checkpoint, parse_note
from exchange.crypto.subjects import SubjectError, normalise_address
from exchange.errors import ExchangeError
from exchange.policies.reader import read_covenant, read_scenarios
from exchange.policies.yamlsource import CovenantFileError

SIGNER = NoteSigner.from_seed("exchange.fuzz/log", b"\x11" * 32)


@pytest.mark.parametrize(
    "note",
    [
        "exchange.fuzz/log\n1\nAAAA\n\n\u2014 exchange.fuzz/log \u00e9\u00e9\u00e9\u00e9\n",  # non-ASCII signature
        "exchange.fuzz/log\n1\n\u00e9\u00e9\u00e9\u00e9\n\n\u2014 exchange.fuzz/log AAAA\n",  # non-ASCII root
    ],
)
def test_non_ascii_base64_in_a_note_is_a_documented_error(note: str) -> None:
    with pytest.raises(ExchangeError):
        parse_note(note)
    with pytest.raises(ExchangeError):
        open_checkpoint(note, SIGNER.verifier, "exchange.fuzz/log")


@pytest.mark.parametrize("char", ["\x00", "\x17", "\ufffe"])
def test_control_characters_in_covenant_files_name_file_and_line(char: str) -> None:
    with pytest.raises(CovenantFileError) as err:
        read_covenant({"covenant.yaml": f"id: pit\nname: x{char}\n", "flows.yaml": "flows: []\n"}, "pit/2021")
    assert "pit/2021/covenant.yaml:2: not valid YAML: a control" in str(err.value.diagnostics())
    with pytest.raises(CovenantFileError):
        read_scenarios(f"scenarios:{char}\n", "scenarios.yaml")


def test_a_newline_inside_an_address_is_named() -> None:
    with pytest.raises(SubjectError, match="U\\+000A"):
        normalise_address("1234AB\n5")


def test_an_escape_naming_no_character_names_file_and_line() -> None:
    """PyYAML's scanner calls chr() on "\\U99999999" and raises OverflowError."""
    for escape in ("\\U99999999", "\\UFFFFFFFF", "\\U00110000"):
        with pytest.raises(CovenantFileError) as err:
            read_covenant(
                {"covenant.yaml": f'id: pit\nname: "{escape}"\n', "flows.yaml": "flows: []\n"}, "pit"
            )
        assert "pit/covenant.yaml:2: not valid YAML" in str(err.value.diagnostics()), escape
