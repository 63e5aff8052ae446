"""Findings as a covenant allows them: a count per data category and violation code the covenant
version declares (docs/specs/covenant-format.md, ``violations``). Counts and codes only, never
people or free text. The hub checks a registration with :func:`check_findings`, and a party's
client checks it the same way before anything is sent."""

from __future__ import annotations

from collections.abc import Sequence

from exchange.errors import InvalidInputError
from exchange.policies.lookup import did_you_mean
from exchange.policies.model import Covenant

#: The largest count one finding may hold (a case concerns a handful of addresses).
MAX_COUNT = 100_000


def check_findings(covenant: Covenant, findings: Sequence[tuple[str, str, int]]) -> None:
    """Each finding names a category and a violation code of ``covenant`` and a count from 1 to
    :data:`MAX_COUNT`, each (category, code) once. Raises :class:`InvalidInputError` naming the
    known names otherwise. Shared by the hub and the client, which checks before it sends."""
    categories = {str(c) for c in covenant.categories}
    codes = set(covenant.violations)
    seen: set[tuple[str, str]] = set()
    for category, code, count in findings:
        if category not in categories:
            raise InvalidInputError(
                f"'{category}' is not a data category of {covenant.label}{did_you_mean(category, categories)}"
                f" (known: {', '.join(sorted(categories))})"
            )
        if code not in codes:
            known = ", ".join(sorted(codes)) or "none: this version declares no violations"
            raise InvalidInputError(
                f"'{code}' is not a violation code of {covenant.label}{did_you_mean(code, codes)}"
                f" (known: {known})"
            )
        if isinstance(count, bool) or not 1 <= count <= MAX_COUNT:
            raise InvalidInputError(f"a count is a whole number from 1 to {MAX_COUNT}, not {count!r}")
        if (category, code) in seen:
            raise InvalidInputError(f"'{code}' in '{category}' is listed twice; give one count for each")
        seen.add((category, code))
