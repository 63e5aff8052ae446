"""The key custodian, confidential categories and violation codes: read, checked and kept through
compilation."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from exchange.policies.files import load_version
from exchange.policies.serial import covenant_from_data, covenant_to_data
from exchange.vocabulary import Category
from tests.conftest import CONVENANT
from tests.unit.policies.test_reader import edit, line_of, problems


@pytest.fixture
def pit(tmp_path: Path) -> Path:
    target = tmp_path / "pit" / "2021"
    shutil.copytree(CONVENANT / "pit" / "2021", target)
    return target


def test_shipped_pit_names_custodian_confidential_and_violations(pit: Path) -> None:
    covenant = load_version(pit).covenant
    assert covenant.custodian == "helmond"
    assert covenant.categories[Category("politie-incidenten")].confidential
    assert not covenant.categories[Category("bijstand-status")].confidential
    assert covenant.violations["onrechtmatige-uitkering"].article == "11"
    assert covenant_from_data(covenant_to_data(covenant)) == covenant
    again = covenant_from_data(covenant_to_data(covenant))
    assert again.custodian == "helmond" and again.violations == covenant.violations


def test_custodian_must_be_a_signatory_party(pit: Path) -> None:
    path = pit / "covenant.yaml"
    edit(path, "custodian: helmond", "custodian: enexis")
    line = line_of(path, "custodian: enexis")
    assert problems(pit) == [
        f"{path}:{line}: custodian 'enexis' must be a signatory, not a case-by-case partner"
    ]
    edit(path, "custodian: enexis", "custodian: nobody")
    assert problems(pit) == [f"{path}:{line}: custodian 'nobody' is not a party of this covenant version"]


def test_custodian_is_optional(pit: Path) -> None:
    path = pit / "covenant.yaml"
    edit(path, "custodian: helmond\n", "")
    assert load_version(pit).covenant.custodian is None


def test_confidential_must_be_a_boolean(pit: Path) -> None:
    path = pit / "covenant.yaml"
    edit(path, "confidential: true}", "confidential: ja}")
    line = line_of(path, "confidential: ja")
    assert problems(pit) == [f"{path}:{line}: confidential must be true or false"]


def test_violation_with_unknown_article_or_twice(pit: Path) -> None:
    path = pit / "covenant.yaml"
    edit(path, 'name: Brandonveilige situatie, article: "11"', 'name: Brandonveilige situatie, article: "99"')
    line = line_of(path, 'article: "99"')
    assert problems(pit) == [f"{path}:{line}: violation 'brandonveilig': unknown article '99'"]
    edit(path, 'article: "99"', 'article: "11"')
    edit(path, "{id: ondermijning, name:", "{id: brandonveilig, name:")
    line = line_of(path, "{id: brandonveilig, name: Aanwijzing")
    assert problems(pit) == [f"{path}:{line}: violation 'brandonveilig' is listed twice"]
