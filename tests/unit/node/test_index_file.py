"""Reading an index file: subjects by line number, problems by line number, the difference with
what the node holds; and which categories and grounds the covenant files give a provider."""

from __future__ import annotations

from datetime import date

from exchange.crypto.subjects import SubjectKind
from exchange.node.index_file import Line, Problem, difference, parse
from exchange.node.provided import grounds_for, in_force, provided_categories
from exchange.policies.files import load_tree
from tests.conftest import CONVENANT


def test_a_text_file_gives_each_subject_with_its_line_and_reports_bad_and_repeated_lines() -> None:
    parsed = parse(b"5701 AB 12a\n\nKerkstraat 5\n5701ab 12 A\n5702 CD 3\n", SubjectKind.ADDRESS, False)
    assert [(x.number, x.text, x.canonical) for x in parsed.lines] == [
        (1, "5701 AB 12a", "5701AB|12|A|"),
        (5, "5702 CD 3", "5702CD|3||"),
    ]
    assert parsed.problems == (Problem(3, "invalid"), Problem(4, "duplicate", 1))
    assert parsed.problem_count == 2


def test_a_csv_file_takes_the_first_column_after_an_optional_header() -> None:
    data = b"bsn;naam\n111222333;Jansen\n123456789;De Vries\n"
    parsed = parse(data, SubjectKind.PERSON, True)
    assert [x.canonical for x in parsed.lines] == ["111222333"]
    assert parsed.problems == (Problem(3, "invalid"),)  # 123456789 fails the eleven test
    comma = parse(b"kvk,naam\n12345678,Bakkerij\n", SubjectKind.COMPANY, True)
    assert [x.canonical for x in comma.lines] == ["12345678"] and comma.problems == ()


def test_a_file_that_is_not_utf8_is_one_problem_of_the_whole_file() -> None:
    parsed = parse("5701 AB 12\n".encode("utf-16"), SubjectKind.ADDRESS, False)
    assert (parsed.lines, parsed.problems) == ((), (Problem(0, "not-utf8"),))


def test_only_the_first_fifty_problems_are_listed_but_all_are_counted() -> None:
    parsed = parse(b"x\n" * 80, SubjectKind.ADDRESS, False)
    assert len(parsed.problems) == 50 and parsed.problem_count == 80


def test_the_difference_adds_what_is_new_and_removes_what_is_gone() -> None:
    a, b = Line(1, "5701 AB 1", "5701AB|1||"), Line(2, "5701 AB 2", "5701AB|2||")
    diff = difference(["v1:old", "v1:b"], {"v1:a": a, "v1:b": b})
    assert diff.additions == (("v1:a", a),)
    assert diff.removals == ("v1:old",)
    assert diff.unchanged == 1


def test_the_police_provide_incidents_under_pit_with_article_6_in_preparation() -> None:
    covenants = in_force([v.covenant for v in load_tree(CONVENANT)], date(2026, 12, 1))
    provided = {p.value: p for p in provided_categories(covenants, "politie-oost-brabant")}
    assert provided["pit:politie-incidenten"].name == "Incidenten en mutaties op het adres"
    g = grounds_for(
        covenants,
        "politie-oost-brabant",
        "pit",
        "politie-incidenten",
        "onrechtmatige-bewoning",
        "helmond",
        "preparation",
    )
    assert [n for n, _ in g.articles] == ["6"] and g.covenant_label == "PIT 2021"
    none = grounds_for(
        covenants,
        "politie-oost-brabant",
        "pit",
        "politie-incidenten",
        "onrechtmatige-bewoning",
        "senzer",
        "preparation",
    )
    assert none.articles == ()
