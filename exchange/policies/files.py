"""Reading covenant directories from disk, and checks that span versions (overlapping validity).

This is the file-system edge of the covenant code; everything it reads goes through the pure reader.
A covenant version is a directory with ``covenant.yaml``, ``flows.yaml`` and optionally
``scenarios.yaml`` and ``README.md`` (docs/specs/covenant-format.md).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from exchange.policies.model import Covenant, Scenario
from exchange.policies.reader import (
    COVENANT_FILE,
    FLOWS_FILE,
    SCENARIOS_FILE,
    read_covenant,
    read_scenarios,
)
from exchange.policies.yamlsource import CovenantFileError, Problem

MAX_FILE_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class LoadedVersion:
    directory: Path
    covenant: Covenant
    scenarios: tuple[Scenario, ...]


def version_dirs(root: Path) -> list[Path]:
    """Every covenant version directory at or below ``root``, sorted."""
    if (root / COVENANT_FILE).is_file():
        return [root]
    return sorted(p.parent for p in root.rglob(COVENANT_FILE))


def _read_text(path: Path) -> str:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise CovenantFileError([Problem(str(path), 1, "file is larger than 2 MiB")])
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CovenantFileError(
            [Problem(str(path), 1, f"file is not UTF-8 text (byte {exc.start})")]
        ) from None


def load_version(directory: Path) -> LoadedVersion:
    """Read one version directory. Raises :class:`CovenantFileError` listing every problem."""
    files = {
        name: _read_text(directory / name)
        for name in (COVENANT_FILE, FLOWS_FILE)
        if (directory / name).is_file()
    }
    covenant = read_covenant(files, str(directory))
    scenarios: tuple[Scenario, ...] = ()
    if (directory / SCENARIOS_FILE).is_file():
        path = directory / SCENARIOS_FILE
        scenarios = tuple(read_scenarios(_read_text(path), str(path)))
    return LoadedVersion(directory, covenant, scenarios)


def load_tree(root: Path) -> list[LoadedVersion]:
    """Read every version below ``root`` and check versions of one covenant do not overlap.

    Raises :class:`CovenantFileError` with the problems of all files together.
    """
    if not root.exists():
        raise CovenantFileError([Problem(str(root), 0, "no such file or directory")])
    dirs = version_dirs(root)
    if not dirs:
        raise CovenantFileError([Problem(str(root), 0, f"no {COVENANT_FILE} found here or below")])
    problems: list[Problem] = []
    loaded: list[LoadedVersion] = []
    for d in dirs:
        try:
            loaded.append(load_version(d))
        except CovenantFileError as exc:
            problems.extend(exc.problems)
    problems.extend(overlap_problems([v.covenant for v in loaded]))
    if problems:
        raise CovenantFileError(problems)
    return loaded


def overlap_problems(covenants: list[Covenant]) -> list[Problem]:
    """Two versions of one covenant may not be in force on the same day, nor share a label."""
    by_id: dict[str, list[Covenant]] = defaultdict(list)
    for c in covenants:
        by_id[c.ref.id].append(c)
    problems: list[Problem] = []
    for versions in by_id.values():
        versions.sort(key=lambda c: c.effective_from)
        for i, a in enumerate(versions):
            for b in versions[i + 1 :]:
                where = f"{b.source}/{COVENANT_FILE}"
                if a.ref.version == b.ref.version:
                    problems.append(
                        Problem(
                            where,
                            1,
                            f"version '{b.ref.version}' of {b.ref.id} is defined twice (also in {a.source})",
                        )
                    )
                elif a.effective_until is None or b.effective_from < a.effective_until:
                    until = a.effective_until.isoformat() if a.effective_until else "open-ended"
                    problems.append(
                        Problem(
                            where,
                            1,
                            f"{b.label} (from {b.effective_from}) overlaps {a.label} "
                            f"({a.effective_from} to {until}); set effective_until on {a.label}",
                        )
                    )
    return problems


def bundle_files(directory: Path) -> dict[str, str]:
    """The files of one version directory as a bundle (``exchange convenant publish``): every file
    :data:`~exchange.policies.bundle.BUNDLE_FILES` names that is present."""
    from exchange.policies.bundle import BUNDLE_FILES

    if not (directory / COVENANT_FILE).is_file():
        raise CovenantFileError([Problem(str(directory), 0, f"no {COVENANT_FILE} in this directory")])
    return {name: _read_text(directory / name) for name in BUNDLE_FILES if (directory / name).is_file()}
