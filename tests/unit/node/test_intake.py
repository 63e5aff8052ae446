"""Checking the meldpunt's and the case form's input: one error per field or per wrong line, in
the form's order, with the covenant's per-case limit."""

from __future__ import annotations

import pytest

from exchange.i18n import translations
from exchange.node.intake import check_case, check_signal, choices
from exchange.policies.files import load_tree
from tests.conftest import CONVENANT

PIT = next(v.covenant for v in load_tree(CONVENANT) if v.covenant.label == "PIT 2021")
OFFERED = choices([PIT])
REASON = "Drie signalen van overbewoning"


def _dutch(message: str, **params: object) -> str:
    return translations().gettext(message) % params


def test_a_good_signal_is_folded_and_returned() -> None:
    """Whitespace is folded; nothing is refused."""
    signal, errors = check_signal(
        "address", " 5701 AB 12a ", " Buurt\nbewoner ", "Wonen", "Zes matrassen op zolder"
    )
    assert errors == [] and signal is not None
    assert signal.subject == "5701 AB 12a" and signal.source == "Buurt bewoner"


@pytest.mark.parametrize(
    ("kind", "subject", "field", "text"),
    [
        ("address", "", "subject", "Vul het adres in"),
        ("address", "Dorpsstraat 1", "subject", "Dit is geen adres"),
        ("person", "123456789", "subject", "Dit is geen geldig BSN"),
        ("company", "1234", "subject", "Dit is geen KvK-nummer"),
        ("car", "AB-12-CD", "kind", "Kies waar het signaal over gaat"),
    ],
)
def test_a_bad_subject_names_its_field_in_dutch(kind: str, subject: str, field: str, text: str) -> None:
    signal, errors = check_signal(kind, subject, "Buurtbewoner", "Wonen", "Zes matrassen op zolder")
    assert signal is None
    assert [e.field for e in errors] == [field]
    assert _dutch(errors[0].message, **errors[0].params).startswith(text)


def test_every_empty_field_of_a_signal_gets_its_own_error_in_form_order() -> None:
    _, errors = check_signal("address", "", "", "", "kort")
    assert [e.field for e in errors] == ["subject", "source", "theme", "description"]


def test_the_case_form_names_each_wrong_line_and_skips_empty_ones() -> None:
    """Line numbers count the empty lines too, as the user sees them."""
    _, errors = check_case(
        OFFERED, "pit:onrechtmatige-bewoning", "address", "5701 AB 12a\n\nnee\n5701AB 7\nook niet", REASON
    )
    assert [(e.field, e.params.get("line")) for e in errors] == [("subjects", 3), ("subjects", 5)]
    assert _dutch(errors[0].message, **errors[0].params).startswith("Regel 3 is geen adres")


def test_repeats_count_once_and_the_limit_is_the_covenants() -> None:
    """Twelve different addresses (one typed twice) pass PIT's limit of 12; thirteen do not."""
    twelve = "\n".join(f"5701 AB {n}" for n in range(1, 13)) + "\n5701ab1"
    case, errors = check_case(OFFERED, "pit:onrechtmatige-bewoning", "address", twelve, REASON)
    assert errors == [] and case is not None and len(case.subjects) == 12
    _, errors = check_case(OFFERED, "pit:onrechtmatige-bewoning", "address", twelve + "\n5701 AB 13", REASON)
    assert _dutch(errors[0].message, **errors[0].params) == (
        "PIT 2021 staat ten hoogste 12 onderwerpen per casus toe; u vulde er 13 in."
    )


def test_an_unknown_purpose_and_a_missing_reason_are_refused() -> None:
    _, errors = check_case(OFFERED, "pit:verzonnen", "address", "5701 AB 12a", " ")
    assert [e.field for e in errors] == ["purpose", "reason"]


def test_the_choices_are_the_covenants_purposes_by_name() -> None:
    assert {c.value for c in OFFERED} == {f"pit:{p}" for p in PIT.purposes}
    names = [c.purpose_name for c in OFFERED]
    assert names == sorted(names)
