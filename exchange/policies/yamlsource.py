"""Read YAML while keeping the line of every value, so covenant errors can name file and line.

PyYAML's ``safe_load`` forgets where values came from and silently keeps the last of two equal keys.
A jurist editing a covenant needs both: "flows.yaml:42: unknown category 'uitkering'" and a refusal of
a duplicated key. We compose the node tree ourselves and construct scalars with the safe constructor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from exchange.errors import InvalidInputError


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a covenant file: where, and what."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class CovenantFileError(InvalidInputError):
    """One or more covenant files are wrong; every problem names its file and line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    def diagnostics(self) -> str:
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the covenant files:"
        return "\n".join([head, *(f"  {p}" for p in self.problems)])


class Node:
    """A YAML value with the file and line it came from."""

    __slots__ = ("file", "line", "value")

    def __init__(self, value: Any, file: str, line: int) -> None:
        self.value = value
        self.file = file
        self.line = line

    def problem(self, message: str) -> Problem:
        return Problem(self.file, self.line, message)

    # Convenience accessors used by the covenant reader. They raise ``_Shape`` for a wrong shape;
    # the reader turns that into a Problem at this node's line.
    def mapping(self) -> dict[str, Node]:
        if not isinstance(self.value, dict):
            raise ShapeError(self, "expected a mapping (key: value)")
        return self.value

    def sequence(self) -> list[Node]:
        if not isinstance(self.value, list):
            raise ShapeError(self, "expected a list")
        return self.value

    def text(self) -> str:
        if isinstance(self.value, dict | list) or self.value is None:
            raise ShapeError(self, "expected a text value")
        return str(self.value)

    def plain(self) -> Any:
        """The value without line information (lists and mappings converted recursively)."""
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value


class ShapeError(Exception):
    """A value has the wrong shape; carries the node so the caller can report its line."""

    def __init__(self, node: Node, message: str) -> None:
        super().__init__(message)
        self.node = node
        self.message = message


def parse_yaml(text: str, file: str) -> Node:
    """Parse one YAML document into :class:`Node` values. Raises :class:`CovenantFileError`."""
    try:
        loader = yaml.SafeLoader(text)  # checks every character already: inside the try
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        what = f"character U+{exc.character:04X}" if isinstance(exc.character, int) else "byte"
        raise CovenantFileError(
            [Problem(file, line, f"not valid YAML: a control {what} is not allowed")]
        ) from None
    try:
        root = loader.get_single_node()
        if root is None:
            raise CovenantFileError([Problem(file, 1, "the file is empty")])
        return _convert(loader, root, file)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise CovenantFileError([Problem(file, line, f"not valid YAML: {exc.problem}")]) from None
    except yaml.YAMLError as exc:
        raise CovenantFileError([Problem(file, 1, f"not valid YAML: {exc}")]) from None
    except (OverflowError, ValueError):  # PyYAML's chr() on an escape like "\U99999999"
        line = loader.get_mark().line + 1
        raise CovenantFileError(
            [Problem(file, line, "not valid YAML: an escape sequence names no Unicode character")]
        ) from None
    finally:
        loader.dispose()


def _convert(loader: yaml.SafeLoader, node: yaml.Node, file: str) -> Node:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                key = str(key)
            if key in out:
                raise CovenantFileError(
                    [Problem(file, key_node.start_mark.line + 1, f"duplicate key '{key}'")]
                )
            out[key] = _convert(loader, value_node, file)
        return Node(out, file, line)
    if isinstance(node, yaml.SequenceNode):
        return Node([_convert(loader, item, file) for item in node.value], file, line)
    return Node(loader.construct_object(node, deep=True), file, line)
