"""One sync pass of the party's index: re-pseudonymise under a new key version, then take each
category's newest complete export from its drop folder and send what it adds and removes.

**Complete files only.** The register writes its export under a name the node skips (starting with
``.``, or ending in anything but ``.csv`` / ``.txt``, e.g. ``.export.csv.tmp``) and renames it into
place when it is written whole; a rename within one file system is atomic. The node takes the newest
``*.csv`` or ``*.txt`` in the folder and checks that its size, modification time and inode did not
change while it read it; if they did (a file written in place), the pass refuses it for this time.

Each change set goes through :mod:`exchange.node.index_runs` (batches, resumable, idempotent). The
export is checked with the same report as an upload (:func:`exchange.node.index_file.parse`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

from sqlalchemy import select

from exchange.crypto.pseudonym import PseudonymKey, pseudonymise_all
from exchange.crypto.subjects import SubjectError, SubjectKind, normaliser
from exchange.errors import ConfigurationError, ConflictError, InvalidInputError
from exchange.node import fetched_keys, index_runs, index_store, index_sync
from exchange.node.index_file import Line, ParsedFile, difference, parse
from exchange.node.index_runs import ChangeSet, Progress, no_progress
from exchange.node.provided import ProvidedCategory, in_force, provided_categories
from exchange.node.records import IndexEntryRow, IndexUploadRow, UploadState
from exchange.node.runtime import NodeRuntime
from exchange.node.sealing import opener
from exchange.node.settings import SyncFolder
from exchange.node.store import AuditKind, AuditRow
from exchange.node.sync_records import RunReason, RunState, SyncRunRow
from exchange.policies.files import load_tree

#: An export may be this large (a million addresses take about 15 MB).
MAX_EXPORT_BYTES = 256 * 1024 * 1024
EXPORT_SUFFIXES = (".csv", ".txt")
#: Progress is reported every this many lines while pseudonymising.
PROGRESS_EVERY = 100_000


class ExportNotReady(ConflictError):
    """The export changed while the node read it: it is still being written."""


class IndexHub(Protocol):
    """What a sync pass needs from the hub."""

    def send(self, category: str, add: list[str], remove: list[str], key: str) -> None:
        """Apply one batch (see :data:`~exchange.node.index_runs.Send`)."""
        ...

    def keys(self, covenant: str) -> list[PseudonymKey]:
        """This party's pseudonym keys for the covenant, as the custodian distributed them."""
        ...


@dataclass(frozen=True, slots=True)
class Outcome:
    category: str  # covenant:category
    #: sent (a change set went to the hub), unchanged (the export is the one synced last),
    #: no-file (nothing in the folder yet), invalid (the export has bad lines: nothing sent).
    state: str
    reason: RunReason = RunReason.FOLDER
    additions: int = 0
    removals: int = 0
    unchanged: int = 0
    parsed: ParsedFile | None = None


def newest_export(folder: Path) -> Path | None:
    """The newest complete export in ``folder`` (see the module's docstring), or None."""
    if not folder.is_dir():
        raise ConfigurationError(
            f"the drop folder {folder} does not exist or is no folder; check EXCHANGE_NODE_SYNC_FOLDERS"
        )
    found = [
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in EXPORT_SUFFIXES
    ]
    return max(found, key=lambda p: (p.stat().st_mtime_ns, p.name)) if found else None


def read_export(path: Path) -> bytes:
    """The export's bytes, refused when it changed while it was read."""
    before = path.stat()
    if before.st_size > MAX_EXPORT_BYTES:
        raise InvalidInputError(f"{path.name} is larger than {MAX_EXPORT_BYTES // 2**20} MiB")
    data = path.read_bytes()
    after = path.stat()
    same = (before.st_size, before.st_mtime_ns, before.st_ino) == (
        after.st_size,
        after.st_mtime_ns,
        after.st_ino,
    )
    if not same or len(data) != after.st_size:
        raise ExportNotReady(
            f"{path.name} changed while it was read: it is still being written. Write the export under "
            "a name starting with '.' and rename it into place when it is complete"
        )
    return data


def provided(rt: NodeRuntime, today: date) -> dict[str, ProvidedCategory]:
    versions = [v.covenant for v in load_tree(rt.settings.convenant_dir)]
    return {c.value: c for c in provided_categories(in_force(versions, today), rt.party.id)}


def configured(rt: NodeRuntime, known: dict[str, ProvidedCategory]) -> dict[str, SyncFolder]:
    """The configured drop folders; a category this party does not provide is a configuration error."""
    wrong = sorted(set(rt.settings.sync_folders) - set(known))
    if wrong:
        raise ConfigurationError(
            f"EXCHANGE_NODE_SYNC_FOLDERS names {', '.join(wrong)}, which this party does not provide; "
            f"it provides: {', '.join(sorted(known)) or 'nothing'}"
        )
    return dict(rt.settings.sync_folders)


def newest_key(rt: NodeRuntime, hub: IndexHub, covenant: str) -> PseudonymKey:
    """The newest key version of the covenant: the hub's copies added to the keystore in memory,
    and the ones new to the node kept sealed in its store (:mod:`exchange.node.fetched_keys`)."""
    fetched = hub.keys(covenant)
    new = [
        k
        for k in fetched
        if not any(h.covenant == k.covenant and h.version == k.version for h in rt.keystore.pseudonym_keys)
    ]
    if new:
        with rt.sessions.begin() as s:
            fetched_keys.remember(s, rt.data_key, new, rt.clock())
        rt.keystore = fetched_keys.with_keys(rt.keystore, new)
    try:
        return rt.keystore.pseudonym_key(covenant)
    except InvalidInputError:
        raise ConfigurationError(
            f"no pseudonym key for '{covenant}': the custodian has distributed none to this party yet, "
            "and the keystore holds none"
        ) from None


def pseudonymised(
    kind: SubjectKind, lines: Sequence[Line], key: PseudonymKey, category: str, progress: Progress
) -> dict[str, Line]:
    """Each line by its pseudonym under ``key``, with progress every :data:`PROGRESS_EVERY` lines."""
    out: dict[str, Line] = {}
    total = len(lines)
    for start in range(0, total, PROGRESS_EVERY):
        chunk = lines[start : start + PROGRESS_EVERY]
        out.update(zip(pseudonymise_all(kind, (line.canonical for line in chunk), key), chunk, strict=True))
        progress(category, "pseudonymise", start + len(chunk), total)
    if not total:
        progress(category, "pseudonymise", 0, 0)
    return out


def _fallback_kind(rt: NodeRuntime, category: str, value: str) -> SubjectKind:
    """The kind of entries stored before kinds were kept: the category's last sent upload's."""
    folder = rt.settings.sync_folders.get(value)
    with rt.sessions.begin() as s:
        kind = s.scalar(
            select(IndexUploadRow.kind)
            .where(IndexUploadRow.category == category, IndexUploadRow.state == UploadState.SENT)
            .order_by(IndexUploadRow.created.desc())
            .limit(1)
        )
    return SubjectKind(kind) if kind else folder.kind if folder else SubjectKind.ADDRESS


def plan_rotation(
    rt: NodeRuntime, cat: ProvidedCategory, key: PseudonymKey, progress: Progress
) -> str | None:
    """Record a run that re-pseudonymises every entry of an older version under ``key``; its id,
    or None when every entry is under ``key`` already. Each new entry will take its old entry's
    sealed text (:func:`exchange.node.index_store.copy`): texts are opened here, never sealed again."""
    normalisers = {k: normaliser(k) for k in SubjectKind}
    with rt.sessions.begin() as s:
        rows = index_store.entries(s, cat.category)
    held = {p for p, _, _ in rows}
    current = f"v{key.version}:"  # a pseudonym starts with its key version (parse_pseudonym)
    old = [r for r in rows if not r[0].startswith(current)]
    if not old:
        return None
    open_one = opener(rt.data_key)
    by_kind: dict[SubjectKind, list[tuple[str, str]]] = {}  # old pseudonym, canonical form
    kinds: dict[str | None, SubjectKind] = {k.value: k for k in SubjectKind}
    for pseudonym, sealed, kind in old:
        if kind is None and None not in kinds:
            kinds[None] = _fallback_kind(rt, cat.category, cat.value)
        k = kinds.get(kind, SubjectKind.ADDRESS)
        try:
            canonical = normalisers[k](open_one(sealed).decode("utf-8")).canonical
        except SubjectError:
            continue  # cannot happen for a checked entry; never send what cannot be re-made
        by_kind.setdefault(k, []).append((pseudonym, canonical))
    moves: list[tuple[str, str]] = []  # new pseudonym, old pseudonym
    remove: list[str] = []
    done = 0
    for k, entries in by_kind.items():
        for start in range(0, len(entries), PROGRESS_EVERY):
            chunk = entries[start : start + PROGRESS_EVERY]
            fresh = pseudonymise_all(k, (c for _, c in chunk), key)
            for (pseudonym, _), new in zip(chunk, fresh, strict=True):
                if new not in held:
                    moves.append((new, pseudonym))
                remove.append(pseudonym)
            done += len(chunk)
            progress(cat.value, "pseudonymise", done, len(old))
    # A category's entries are of one kind (the upload and the folder name it).
    kind_name = str(next(iter(by_kind), SubjectKind.ADDRESS))
    with rt.sessions.begin() as s:
        row = index_runs.plan(
            s,
            rt.data_key,
            cat.category,
            cat.covenant,
            RunReason.ROTATION,
            key.version,
            ChangeSet(kind_name, moves, remove, moved=True),
            len(rows) - len(old),
            rt.clock(),
        )
        return row.id


def plan_folder(
    rt: NodeRuntime, cat: ProvidedCategory, folder: SyncFolder, key: PseudonymKey, progress: Progress
) -> str | Outcome:
    """Record a run for the folder's newest export; its id, or an :class:`Outcome` when there is
    nothing to send (no file, the same file as last time, or bad lines)."""
    path = newest_export(folder.folder)
    if path is None:
        return Outcome(cat.value, "no-file")
    data = read_export(path)
    digest = hashlib.sha256(data).hexdigest()
    with rt.sessions.begin() as s:
        last = s.scalar(
            select(SyncRunRow)
            .where(SyncRunRow.category == cat.category, SyncRunRow.reason == RunReason.FOLDER)
            .where(SyncRunRow.state == RunState.DONE)
            .order_by(SyncRunRow.started.desc())
            .limit(1)
        )
        if last is not None and last.file_digest == digest and last.key_version == key.version:
            return Outcome(cat.value, "unchanged", unchanged=last.unchanged + last.additions)
    parsed = parse(data, folder.kind, path.suffix.lower() == ".csv")
    if parsed.problems:
        return Outcome(cat.value, "invalid", parsed=parsed)
    lines = pseudonymised(folder.kind, parsed.lines, key, cat.value, progress)
    with rt.sessions.begin() as s:
        diff = difference(index_sync.held(s, cat.category), lines)
        changes = ChangeSet(
            str(folder.kind), [(p, line.text) for p, line in diff.additions], list(diff.removals)
        )
        row = index_runs.plan(
            s,
            rt.data_key,
            cat.category,
            cat.covenant,
            RunReason.FOLDER,
            key.version,
            changes,
            diff.unchanged,
            rt.clock(),
            digest,
        )
        return row.id


def _outcome(row: SyncRunRow, value: str) -> Outcome:
    return Outcome(value, "sent", RunReason(row.reason), row.additions, row.removals, row.unchanged)


def sync_pass(
    rt: NodeRuntime,
    hub: IndexHub,
    progress: Progress = no_progress,
    folders: bool = True,
    today: Callable[[], date] = date.today,
) -> list[Outcome]:
    """Finish unfinished runs, re-pseudonymise what a new key version left behind, then (with
    ``folders``) sync every configured drop folder. Raises
    :class:`~exchange.node.index_runs.SyncInterrupted` when the hub stops accepting batches."""
    known = provided(rt, today())
    drops = configured(rt, known) if folders else {}
    with rt.sessions.begin() as s:
        with_entries = set(s.scalars(select(IndexEntryRow.category).distinct()))
    todo = [c for v, c in known.items() if v in drops or c.category in with_entries]
    out: list[Outcome] = []
    for cat in todo:
        # One writer of the category's entries at a time: an upload confirmed meanwhile waits.
        with index_store.category_lock(cat.category):
            out.extend(_sync_category(rt, hub, cat, drops.get(cat.value), progress))
    return out


def _sync_category(
    rt: NodeRuntime, hub: IndexHub, cat: ProvidedCategory, folder: SyncFolder | None, progress: Progress
) -> list[Outcome]:
    out: list[Outcome] = []
    with rt.sessions.begin() as s:
        unfinished = index_runs.running(s, cat.category)
        unfinished_id = unfinished.id if unfinished is not None else None
    if unfinished_id is not None:
        row = index_runs.send_run(rt.sessions, rt.data_key, unfinished_id, hub.send, rt.clock, progress)
        out.append(_outcome(row, cat.value))
    key = newest_key(rt, hub, cat.covenant)
    rotation = plan_rotation(rt, cat, key, progress)
    if rotation is not None:
        row = index_runs.send_run(rt.sessions, rt.data_key, rotation, hub.send, rt.clock, progress)
        out.append(_outcome(row, cat.value))
    if folder is None:
        return out
    planned = plan_folder(rt, cat, folder, key, progress)
    if isinstance(planned, Outcome):
        if planned.parsed is not None:
            with rt.sessions.begin() as s:
                problems = json.dumps({"problems": planned.parsed.problem_count})
                s.add(AuditRow(at=rt.clock(), kind=str(AuditKind.INDEX_SYNC_FAILED), counts=problems))
        out.append(planned)
        return out
    row = index_runs.send_run(rt.sessions, rt.data_key, planned, hub.send, rt.clock, progress)
    out.append(_outcome(row, cat.value))
    return out
