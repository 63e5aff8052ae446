"""Reading hit/no-hit answers on the party's side: the states, older hubs, and the header."""

from __future__ import annotations

from exchange.client.hits import not_in_phase, state_of


def test_a_known_state_is_read_as_sent() -> None:
    """hit, no-hit and no-index are taken from ``state``, whatever ``hit`` says."""
    for state in ("hit", "no-hit", "no-index"):
        assert state_of({"hit": state == "hit", "state": state}) == state


def test_an_answer_from_an_older_hub_reads_its_boolean() -> None:
    """Without ``state`` (a hub from before the three states) ``hit`` decides."""
    assert state_of({"hit": True}) == "hit" and state_of({"hit": False}) == "no-hit"


def test_an_unknown_state_claims_nothing() -> None:
    """A state this client does not know reads as no-index, never as a hit or a no-hit."""
    assert state_of({"hit": False, "state": "maybe"}) == "no-index"


def test_the_header_lists_pairs() -> None:
    """provider/category pairs separated by commas; empty, absent or malformed entries give nothing."""
    assert not_in_phase("senzer/bijstand-status, uwv/uitkering-status") == [
        ("senzer", "bijstand-status"),
        ("uwv", "uitkering-status"),
    ]
    assert not_in_phase("") == [] and not_in_phase(None) == [] and not_in_phase("senzer, /x") == []
