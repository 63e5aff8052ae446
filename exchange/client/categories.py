"""Checking, before anything is sent, that a party may fill a category's hit/no-hit index.

A party keeps an index only for what it provides under the covenant (docs/specs/covenant-format.md,
flows). A typo or a category that is not the party's would otherwise be stored silently under a
name nobody asks about, and every later question would answer no-hit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from exchange.errors import InvalidInputError
from exchange.policies.lookup import did_you_mean, provided_categories
from exchange.policies.model import Covenant


def version_for(versions: Sequence[Covenant], today: date) -> Covenant:
    """The one version of ``versions`` (one covenant's) to check against: the only one given, else
    the one in force ``today``."""
    if len(versions) == 1:
        return versions[0]
    in_force = [c for c in versions if c.in_force_on(today)]
    if not in_force:
        labels = ", ".join(f"{c.ref.id}/{c.ref.version}" for c in versions)
        raise InvalidInputError(
            f"no version of {versions[0].ref.id.upper()} is in force on {today}; "
            f"name the version with --covenant (one of {labels})"
        )
    return in_force[0]


def check_provided(covenant: Covenant, party: str, category: str) -> None:
    """Raise unless ``party`` provides ``category`` under ``covenant``, suggesting close names."""
    if category not in covenant.categories:
        raise InvalidInputError(
            f"'{category}' is not a category of {covenant.label}"
            f"{did_you_mean(category, covenant.categories)}; nothing was sent"
        )
    provided = provided_categories(covenant, party)
    if category not in provided:
        listed = ", ".join(sorted(provided)) or "nothing"
        raise InvalidInputError(
            f"{party} does not provide '{category}' under {covenant.label}"
            f"{did_you_mean(category, provided)} (it provides: {listed}); nothing was sent"
        )
