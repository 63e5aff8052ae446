"""The one place the CLI turns an :class:`ExchangeError` into a message and an exit code."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer

from exchange.errors import ExchangeError

P = ParamSpec("P")
R = TypeVar("R")

EXIT_FAILED = 1  # the command ran and found a problem (a failed check, a bad signature)
EXIT_ERROR = 2  # the command could not run (bad input, missing file)


def handled(func: Callable[P, R]) -> Callable[P, R]:
    """Run a command; print any ExchangeError's diagnostics to stderr and exit 2."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except ExchangeError as exc:
            print(f"error: {exc.diagnostics()}", file=sys.stderr)
            raise typer.Exit(EXIT_ERROR) from None

    return wrapper
