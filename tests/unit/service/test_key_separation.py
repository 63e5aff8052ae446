"""The API processes never hold the log's checkpoint key (docs/threat-model.md): no module the
service imports reads EXCHANGE_LOG_KEY_FILE or builds a checkpoint signer. Only the command line
(``exchange log checkpoint``, the sequencer) does."""

from __future__ import annotations

import ast
from pathlib import Path

import exchange

PACKAGE = Path(exchange.__file__).parent
#: What would give a process the checkpoint key: the setting, the CLI's loader, the signer class.
FORBIDDEN = {"log_key_file", "log_signer", "NoteSigner", "sign_checkpoint"}


def _names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
        elif isinstance(node, ast.alias):
            found.add(node.name.split(".")[-1])
    return found


def test_the_service_never_touches_the_checkpoint_key() -> None:
    """exchange.api, exchange.console, the use cases and the client name none of the checkpoint
    key's loaders; the receipt key is the only key the service signs with."""
    offenders = {}
    for folder in ("api", "console", "cases", "client"):
        for path in sorted((PACKAGE / folder).rglob("*.py")):
            hit = _names(path) & FORBIDDEN
            if hit:
                offenders[str(path.relative_to(PACKAGE))] = sorted(hit)
    assert offenders == {}


def test_the_scan_would_see_a_use_of_the_key() -> None:
    """The check above is not vacuous: the command line that signs checkpoints is found by it."""
    assert {"log_signer", "sign_checkpoint"} <= _names(PACKAGE / "cli" / "log.py") | _names(
        PACKAGE / "cli" / "common.py"
    )
