"""What a party may ask a provider for, read from the covenant as the hub will decide it, and the
hub's answers to a request kept as it wrote them."""

from __future__ import annotations

from exchange.client.enrichment import AskOutcome, askable, raw_outcomes
from exchange.policies.files import LoadedVersion
from exchange.policies.model import Covenant


def pit_2021(shipped: list[LoadedVersion]) -> Covenant:
    return next(v.covenant for v in shipped if str(v.covenant.ref) == "pit/2021")


def test_a_coordinator_may_ask_senzer_and_uwv_for_benefits_in_preparation(
    shipped: list[LoadedVersion],
) -> None:
    """Content flows only, for the purpose and phase, with the asking party as recipient."""
    offer = askable(pit_2021(shipped), "helmond", "coordinator", "uitkeringsfraude", "preparation")
    assert offer["senzer"] == ["bijstand-status"]
    assert "uwv" in offer and "helmond" not in offer


def test_nothing_is_offered_where_the_covenant_allows_only_hit_no_hit(shipped: list[LoadedVersion]) -> None:
    """Senzer's benefit status is hit/no-hit only for unlawful occupancy: no content to ask for."""
    offer = askable(pit_2021(shipped), "helmond", "coordinator", "onrechtmatige-bewoning", "preparation")
    assert "bijstand-status" not in offer.get("senzer", [])
    assert askable(pit_2021(shipped), "helmond", "coordinator", "uitkeringsfraude", "signal") == {}


def test_a_flow_limited_to_roles_is_offered_only_to_those_roles(shipped: list[LoadedVersion]) -> None:
    """A signal forwarded to Senzer is for its employees only."""
    covenant = pit_2021(shipped)
    assert "signaal" in askable(covenant, "senzer", "employee", "uitkeringsfraude", "signal").get(
        "helmond", []
    )
    assert "signaal" not in askable(covenant, "senzer", "jurist", "uitkeringsfraude", "signal").get(
        "helmond", []
    )


def test_outcomes_print_as_the_hub_wrote_them() -> None:
    outcomes = [AskOutcome("a", True, "enr-1", None, ("7",)), AskOutcome("b", False, None, "no flow")]
    assert raw_outcomes(outcomes) == [
        {"category": "a", "requested": True, "id": "enr-1", "articles": ["7"]},
        {"category": "b", "requested": False, "reason": "no flow"},
    ]
