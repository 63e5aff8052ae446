"""Reading the fields of a covenant's YAML files: identifiers, texts, dates, retention periods, and a
collector that records every problem with its file and line instead of stopping at the first."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import date
from typing import TypeVar

from exchange.policies.yamlsource import Node, Problem, ShapeError

_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_RETENTION = re.compile(r"^P(\d+)([YMD])$")
_DAYS_PER_UNIT = {"Y": 365, "M": 30, "D": 1}

T = TypeVar("T")


class Collector:
    """Accumulates problems; ``guard`` runs a step and records a shape error instead of stopping."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, node: Node, message: str) -> None:
        self.problems.append(node.problem(message))

    def guard(self, step: Callable[[], T]) -> T | None:
        try:
            return step()
        except ShapeError as exc:
            self.problems.append(exc.node.problem(exc.message))
            return None


def require(mapping: dict[str, Node], key: str, where: Node) -> Node:
    node = mapping.get(key)
    if node is None or node.value is None:
        raise ShapeError(where, f"missing required key '{key}'")
    return node


def ident(node: Node, what: str) -> str:
    value = node.text()
    if not _ID.match(value):
        raise ShapeError(node, f"{what} '{value}' is not a valid id (lowercase letters, digits and '-')")
    return value


def texts(node: Node | None) -> list[Node]:
    """A value that may be written as one text or as a list of texts."""
    if node is None or node.value is None:
        return []
    if isinstance(node.value, list):
        return node.value
    return [node]


def policy_text(node: Node, what: str) -> str:
    """Text that ends up inside a Casbin policy row: no bare commas, balanced brackets."""
    value = node.text().strip()
    if not value:
        raise ShapeError(node, f"{what} is empty")
    if "," in value or "\n" in value:
        raise ShapeError(node, f"{what} '{value}' may not contain a comma or a line break")
    depth = 0
    for ch in value:
        depth += ch in "(["
        depth -= ch in ")]"
        if depth < 0:
            break
    if depth != 0:
        raise ShapeError(node, f"{what} '{value}' has unbalanced brackets")
    return value


def read_date(node: Node) -> date:
    if isinstance(node.value, date):
        return node.value
    try:
        return date.fromisoformat(node.text())
    except ValueError:
        raise ShapeError(node, f"'{node.value}' is not a date (YYYY-MM-DD)") from None


def retention_days(node: Node) -> int:
    match = _RETENTION.match(node.text())
    if not match:
        raise ShapeError(node, f"retention '{node.value}' must look like P5Y, P6M or P30D")
    return int(match.group(1)) * _DAYS_PER_UNIT[match.group(2)]


def read_list(out: Collector, node: Node | None, what: str) -> list[str]:
    """A text or a list of texts, each an identifier; problems are collected."""
    values: list[str] = []
    for item in texts(node):
        value = out.guard(functools.partial(ident, item, what))
        if value is not None:
            values.append(value)
    return values
