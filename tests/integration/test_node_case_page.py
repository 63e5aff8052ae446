"""The case page with 12 subjects and 30 answers, as ``make bench`` renders it: hits come first,
the partners without an index are folded away in one line per partner, and the benchmark's two
sides render the same page."""

from __future__ import annotations

import re

from bench.node_pages import case_page, measure


def test_hits_come_first_and_partners_without_an_index_are_folded_per_partner() -> None:
    """The answer table precedes a closed <details> whose list names each partner once."""
    with case_page() as page:
        html = page.node()
        assert page.render() == html  # the raw render is the very page the node serves
    assert html.index('id="hit-tabel"') < html.index('<details class="node-details" id="geen-index">')
    folded = html.split('id="geen-index">', 1)[1].split("</details>", 1)[0]
    assert "Onbekend: geen index gepubliceerd" in folded and " open" not in folded.split(">", 1)[0]
    partners = re.findall(r"<li class=\"utrecht-unordered-list__item\"><strong>([^<]+)</strong>:", folded)
    assert partners and len(partners) == len(set(partners)) and partners == sorted(partners, key=str.lower)
    assert f"(partners: {len(partners)}," in folded


def test_the_benchmark_measures_both_sides() -> None:
    """One short round: a time per page for the node and for the raw render."""
    node, raw = measure(rounds=1, calls=2)
    assert len(node) == len(raw) == 1 and node[0] > 0 and raw[0] > 0
