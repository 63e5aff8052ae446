"""Bad covenant files are refused with the file, the line and what is wrong."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from exchange.policies.files import LoadedVersion, load_tree, load_version
from exchange.policies.yamlsource import CovenantFileError
from tests.conftest import CONVENANT


@pytest.fixture
def pit(tmp_path: Path) -> Path:
    target = tmp_path / "pit" / "2021"
    shutil.copytree(CONVENANT / "pit" / "2021", target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"fixture text not found: {old!r}"
    path.write_text(text.replace(old, new, 1))


def line_of(path: Path, needle: str) -> int:
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if needle in line:
            return n
    raise AssertionError(needle)


def problems(directory: Path) -> list[str]:
    with pytest.raises(CovenantFileError) as info:
        load_tree(directory)
    return [str(p) for p in info.value.problems]


def test_shipped_covenants_load(pit: Path) -> None:
    """The shipped PIT 2021 copy loads without problems."""
    assert load_version(pit).covenant.label == "PIT 2021"


def test_unknown_category_names_file_and_line(pit: Path) -> None:
    """A flow citing an unknown category is reported at that category's line."""
    flows = pit / "flows.yaml"
    edit(
        flows,
        "categories: [politie-incidenten]\n    purpose: onrechtmatige-bewoning\n    phases: [selection]",
        "categories: [politie-incidentjes]\n    purpose: onrechtmatige-bewoning\n    phases: [selection]",
    )
    line = line_of(flows, "politie-incidentjes")
    assert problems(pit) == [
        f"{flows}:{line}: flow 'hit-politie-selectie': unknown category 'politie-incidentjes'"
    ]


def test_unknown_purpose(pit: Path) -> None:
    """A flow citing an unknown purpose is refused."""
    flows = pit / "flows.yaml"
    edit(flows, "purpose: ondermijning\n", "purpose: profilering\n")
    assert any("unknown purpose 'profilering'" in p for p in problems(pit))


def test_party_not_in_covenant(pit: Path) -> None:
    """A flow naming a party or group the covenant does not have is refused, with the covenant named."""
    flows = pit / "flows.yaml"
    edit(flows, "to: riec-ob", "to: riec-zwb")
    line = line_of(flows, "riec-zwb")
    assert (
        f"{flows}:{line}: flow 'ondermijning-naar-riec': 'riec-zwb' is not a party or group of PIT 2021"
        in problems(pit)
    )


def test_unknown_group_member(pit: Path) -> None:
    """A group that lists a non-party is refused."""
    edit(
        pit / "covenant.yaml",
        "members: [asten, deurne, gemert-bakel, helmond, laarbeek, someren]\n",
        "members: [asten, deurne, eindhoven, helmond, laarbeek, someren]\n",
    )
    assert any("group 'gemeenten' lists 'eindhoven', which is not a party" in p for p in problems(pit))


def test_flow_without_article(pit: Path) -> None:
    """A flow that cites no covenant article is refused at the flow's line."""
    flows = pit / "flows.yaml"
    edit(flows, '    article: "10"\n', "")
    line = line_of(flows, "id: ondermijning-naar-riec")
    assert (
        f"{flows}:{line}: flow 'ondermijning-naar-riec' cites no covenant article (key 'article')"
        in problems(pit)
    )


def test_flow_citing_unknown_article(pit: Path) -> None:
    """A flow citing an article the covenant does not have is refused."""
    edit(pit / "flows.yaml", 'article: "10"', 'article: "99"')
    assert any("article 99 is not an article of PIT 2021" in p for p in problems(pit))


def test_flow_without_legal_ground(pit: Path) -> None:
    """A flow that cites no legal ground is refused."""
    edit(pit / "flows.yaml", "    ground: Elektriciteitswet 1998 art. 79\n", "")
    assert any("flow 'enexis-afwijking' cites no legal ground" in p for p in problems(pit))


def test_legal_ground_without_article(pit: Path) -> None:
    """A legal ground must name a statute article, not just a statute."""
    edit(pit / "flows.yaml", "ground: Elektriciteitswet 1998 art. 79", "ground: Elektriciteitswet 1998")
    assert any("legal ground 'Elektriciteitswet 1998' names no statute article" in p for p in problems(pit))


def test_special_or_criminal_flow_needs_exception(pit: Path) -> None:
    """Criminal-law data (AVG art. 10) flowing without an explicit legal exception is refused."""
    flows = pit / "flows.yaml"
    text = flows.read_text()
    start = text.index("  - id: politie-incidenten-naar-gemeente")
    end = text.index("  - id: bijstand-naar-gemeenten")
    flows.write_text(
        text[:start]
        + text[start:end].replace("    exception: Besluit politiegegevens art. 4:3\n", "")
        + text[end:]
    )
    line = line_of(flows, "id: politie-incidenten-naar-gemeente")
    assert (
        f"{flows}:{line}: flow 'politie-incidenten-naar-gemeente': category 'politie-incidenten' is "
        "criminal-law data (AVG art. 10); the flow must cite an explicit legal exception (key 'exception')"
    ) in problems(pit)


def test_bsn_flow_needs_exception(pit: Path) -> None:
    """A BSN flow without an exception (UAVG art. 46) is refused."""
    edit(pit / "flows.yaml", "    exception: Wabb art. 10\n", "")
    assert any("citizen service number (UAVG art. 46)" in p for p in problems(pit))


def test_overlapping_versions(tmp_path: Path) -> None:
    """Two versions of one covenant in force on the same day are refused."""
    shutil.copytree(CONVENANT / "pit", tmp_path / "pit")
    edit(
        tmp_path / "pit" / "2016" / "covenant.yaml",
        "effective_until: 2021-07-01",
        "effective_until: 2022-01-01",
    )
    found = problems(tmp_path)
    assert any("PIT 2021 (from 2021-07-01) overlaps PIT 2016 (2016-10-01 to 2022-01-01)" in p for p in found)


def test_open_ended_version_overlaps_later(tmp_path: Path) -> None:
    """A version without an end date overlaps every later version."""
    shutil.copytree(CONVENANT / "pit", tmp_path / "pit")
    edit(tmp_path / "pit" / "2016" / "covenant.yaml", "effective_until: 2021-07-01\n", "")
    assert any("overlaps PIT 2016 (2016-10-01 to open-ended)" in p for p in problems(tmp_path))


def test_duplicate_yaml_key(pit: Path) -> None:
    """A key written twice is refused instead of silently keeping the last."""
    cov = pit / "covenant.yaml"
    edit(cov, "query_limit: 12\n", "query_limit: 12\nquery_limit: 500\n")
    assert problems(pit) == [f"{cov}:{line_of(cov, 'query_limit: 500')}: duplicate key 'query_limit'"]


def test_invalid_yaml(pit: Path) -> None:
    """Broken YAML is reported with its line."""
    cov = pit / "covenant.yaml"
    edit(cov, "title: Convenant", "title: [Convenant")
    found = problems(pit)
    assert len(found) == 1
    assert found[0].startswith(f"{cov}:") and "not valid YAML" in found[0]


def test_comma_in_ground_refused(pit: Path) -> None:
    """Policy text may not contain a comma, which would split a Casbin row."""
    edit(pit / "flows.yaml", "ground: Wet SUWI art. 54", "ground: Wet SUWI art. 54, eerste lid")
    assert any("may not contain a comma" in p for p in problems(pit))


def test_unbalanced_brackets_refused(pit: Path) -> None:
    """Policy text with unbalanced brackets would confuse Casbin's tokeniser and is refused."""
    edit(pit / "flows.yaml", "ground: Wet SUWI art. 54", "ground: Wet SUWI art. 54 (lid 1")
    assert any("unbalanced brackets" in p for p in problems(pit))


def test_missing_required_keys_and_bad_values(pit: Path) -> None:
    """Several problems are reported together, each at its own line."""
    cov = pit / "covenant.yaml"
    edit(cov, "effective_from: 2021-07-01", "effective_from: 1 juli 2021")
    edit(cov, "sensitivity: ordinary, retention: P2Y}", "sensitivity: gewoon, retention: 2 jaar}")
    found = problems(pit)
    assert any("'1 juli 2021' is not a date" in p for p in found)


def test_bad_sensitivity_and_retention(pit: Path) -> None:
    """A wrong sensitivity and a wrong retention are both named."""
    cov = pit / "covenant.yaml"
    edit(
        cov,
        "{id: brp-inschrijving, name: Inschrijvingen in de BRP op het adres, sensitivity: ordinary, retention: P2Y}",
        "{id: brp-inschrijving, name: Inschrijvingen, sensitivity: gewoon, retention: P2Y}",
    )
    edit(
        cov,
        "{id: bag-gebruik, name: Gebruiksdoel en oppervlakte volgens de BAG, sensitivity: ordinary, retention: P2Y}",
        "{id: bag-gebruik, name: BAG, sensitivity: ordinary, retention: 2 jaar}",
    )
    found = problems(pit)
    assert any("sensitivity 'gewoon' must be one of" in p for p in found)
    assert any("retention '2 jaar' must look like P5Y" in p for p in found)


def test_missing_flows_file(pit: Path) -> None:
    """A version without flows.yaml is refused."""
    (pit / "flows.yaml").unlink()
    assert problems(pit) == [f"{pit}/flows.yaml:1: file is missing"]


def test_no_covenant_here(tmp_path: Path) -> None:
    """A directory without any covenant is an error, not an empty success."""
    assert problems(tmp_path) == [f"{tmp_path}:0: no covenant.yaml found here or below"]


def test_not_utf8(pit: Path) -> None:
    """A file that is not UTF-8 is refused with the byte offset."""
    (pit / "flows.yaml").write_bytes(b"flows:\n  - id: \xff\n")
    assert any("not UTF-8" in p for p in problems(pit))


def test_invalid_party_role_and_ids(pit: Path) -> None:
    """Party roles and ids are checked."""
    edit(
        pit / "covenant.yaml",
        "{id: asten, name: Gemeente Asten, kind: municipality, role: signatory",
        "{id: Asten!, name: Gemeente Asten, kind: municipality, role: partner",
    )
    found = problems(pit)
    assert any("party role must be 'signatory' or 'case-by-case'" in p for p in found)


def test_unknown_phase_and_role_in_flow(pit: Path) -> None:
    """Flows may only use the covenant's phases and roles."""
    edit(pit / "flows.yaml", "phases: [signal, selection]", "phases: [signal, triage]")
    edit(pit / "flows.yaml", "roles: [coordinator]", "roles: [burgemeester]")
    found = problems(pit)
    assert any("unknown phase 'triage'" in p for p in found)
    assert any("unknown role 'burgemeester'" in p for p in found)


# -- roles bound to parties ---------------------------------------------------------------------------

PRODUCT_ROLES = ("coordinator", "employee", "privacy-officer", "jurist", "team-lead")


def test_every_shipped_covenant_declares_every_role_and_who_may_hold_it(shipped: list[LoadedVersion]) -> None:
    """Each shipped version declares all roles the product uses and binds coordination to named parties."""
    for v in shipped:
        c = v.covenant
        assert set(PRODUCT_ROLES) <= set(c.roles), c.label
        assert "coordinator" in c.role_holders, c.label
        assert set(c.holders("coordinator")) < set(c.parties), c.label


def test_role_holders_expand_groups_and_refuse_others(shipped: list[LoadedVersion]) -> None:
    """In PIT 2021 the six municipalities coordinate; the police and case-by-case partners do not."""
    pit = next(v.covenant for v in shipped if str(v.covenant.ref) == "pit/2021")
    assert pit.may_hold("helmond", "coordinator") and pit.may_hold("asten", "coordinator")
    assert not pit.may_hold("politie-oost-brabant", "coordinator")
    assert not pit.may_hold("uwv", "coordinator")
    assert pit.may_hold("uwv", "employee")
    assert not pit.may_hold("helmond", "burgemeester")  # not a role at all


def test_a_role_held_by_an_unknown_party_is_a_file_error(pit: Path) -> None:
    """A role mapped to a party or group the covenant does not have is reported with its line."""
    covenant = pit / "covenant.yaml"
    edit(covenant, "coordinator: [gemeenten]", "coordinator: [gemeente-x]")
    edit(covenant, "jurist: [all]", "jurist: []")
    found = problems(pit.parent.parent)
    assert any("role 'coordinator': 'gemeente-x' is not a party or group" in p for p in found), found
    assert any("role 'jurist' names no party or group" in p for p in found), found
