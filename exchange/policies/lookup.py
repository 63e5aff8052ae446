"""Looking names up in a covenant the way a person types them: what a party provides, and which
known name a mistyped one was probably meant to be."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from exchange.policies.model import Covenant
from exchange.vocabulary import Category


def provided_categories(covenant: Covenant, party: str) -> frozenset[Category]:
    """The categories ``party`` provides in some flow of ``covenant``, itself or through a group."""
    return frozenset(
        category
        for flow in covenant.flows
        if any(party in covenant.members(end) for end in flow.providers)
        for category in flow.categories
    )


def close_names(name: str, known: Iterable[str], limit: int = 3) -> list[str]:
    """The known names most like ``name`` (a typo, another spelling), best first."""
    return difflib.get_close_matches(name, sorted(set(known)), n=limit, cutoff=0.6)


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` (or ``'x' or 'y'``) when a known name is close, else ``""``."""
    close = close_names(name, known)
    if not close:
        return ""
    return "; did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
