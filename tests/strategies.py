"""Hypothesis strategies shared by the property tests."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import strategies as st

from exchange.policies.decision import DecisionRequest
from exchange.policies.model import Covenant
from exchange.vocabulary import Phase


def requests_for(c: Covenant) -> st.SearchStrategy[DecisionRequest]:
    """Requests over a covenant's own vocabulary, plus a few names it does not know."""
    parties = sorted(c.parties)
    return st.builds(
        DecisionRequest,
        requester=st.sampled_from([*parties, "onbekend"]),
        role=st.sampled_from([*c.roles, "burgemeester"]),
        provider=st.sampled_from([*parties, *sorted(c.groups)]),
        category=st.sampled_from(sorted(c.categories)),
        purpose=st.sampled_from(sorted(c.purposes)),
        phase=st.sampled_from([str(p) for p in Phase]),
        covenant=st.just(str(c.ref)),
        moment=st.just(moment_in_force(c)),
    )


def moment_in_force(c: Covenant) -> datetime:
    """Noon (UTC) on the covenant's first day in force."""
    return datetime.combine(c.effective_from, datetime.min.time(), UTC).replace(hour=12)
