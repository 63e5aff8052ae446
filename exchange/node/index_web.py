"""The party's own index in the workspace: upload a file per category, see what it adds and removes,
then send the difference to the hub (pseudonyms only). Forms without script; POST-redirect-GET."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from exchange.crypto.subjects import SubjectKind
from exchange.errors import InvalidInputError, NotFoundError
from exchange.node import index_runs, index_store, index_sync
from exchange.node.index_file import ParsedFile, parse
from exchange.node.provided import ProvidedCategory, in_force, provided_categories
from exchange.node.provider_hub import HubTrouble, connected, update_index
from exchange.node.records import IndexUploadRow, UploadState
from exchange.node.signin import SignedIn
from exchange.node.webkit import TooLarge, Web, csrf_ok, field, file_bytes, limited_form
from exchange.policies.files import load_tree

#: An index file may be at most this large.
MAX_FILE_BYTES = 2 * 1024 * 1024
KINDS = tuple(str(k) for k in SubjectKind)
#: How long confirming an upload waits while a sync writes the same category's entries.
LOCK_WAIT_SECONDS = 10.0


def install(app: FastAPI, web: Web) -> None:
    rt = web.rt
    router = APIRouter()

    def categories() -> list[ProvidedCategory]:
        versions = [v.covenant for v in load_tree(rt.settings.convenant_dir)]
        return provided_categories(in_force(versions, date.today()), rt.party.id)

    def form_page(who: SignedIn, status: int = 200, **extra: object) -> Response:
        with rt.sessions.begin() as s:
            counts = index_sync.held_counts(s)
            syncs = index_runs.latest(s)
            waiting = list(
                s.scalars(
                    select(IndexUploadRow)
                    .where(IndexUploadRow.state == UploadState.PREVIEW)
                    .order_by(IndexUploadRow.created.desc())
                )
            )
        extra.setdefault("parsed", None)
        extra.setdefault("error", None)
        extra.setdefault("chosen", "")
        extra.setdefault("kind", "address")
        return web.page(
            "index.html",
            status,
            who=who,
            categories=categories(),
            counts=counts,
            kinds=KINDS,
            waiting=waiting,
            syncs=syncs,
            max_mb=MAX_FILE_BYTES // (1024 * 1024),
            **extra,
        )

    @router.get("/index")
    def index_page(request: Request) -> Response:
        who = web.signed_in(request)
        if who is None:
            return RedirectResponse("/aanmelden", 303)
        return form_page(who)

    @router.post("/index")
    async def index_upload(request: Request) -> Response:
        who = web.signed_in(request)
        if who is None:
            return RedirectResponse("/aanmelden", 303)
        try:
            form = await limited_form(request, MAX_FILE_BYTES)
        except TooLarge:
            return form_page(who, 413, error="too-large")
        if not csrf_ok(who, form):
            return web.refused(who)
        chosen, kind = field(form, "category"), field(form, "kind")
        known = {c.value: c for c in categories()}
        if chosen not in known:
            return form_page(who, 400, error="no-category", chosen=chosen, kind=kind)
        if kind not in KINDS:
            kind = "address"
        try:
            got = await file_bytes(form, "file", MAX_FILE_BYTES)
        except TooLarge:
            return form_page(who, 413, error="too-large", chosen=chosen, kind=kind)
        if got is None:
            return form_page(who, 400, error="no-file", chosen=chosen, kind=kind)
        data, filename = got
        category = known[chosen]
        result = await run_in_threadpool(prepare, who, category, SubjectKind(kind), data, filename)
        if isinstance(result, ParsedFile):
            return form_page(who, 400, error="lines", parsed=result, chosen=chosen, kind=kind)
        if result is None:
            return form_page(who, 400, error="too-many", chosen=chosen, kind=kind)
        return RedirectResponse(f"/index/{result}", 303)

    def prepare(
        who: SignedIn, category: ProvidedCategory, kind: SubjectKind, data: bytes, filename: str
    ) -> str | ParsedFile | None:
        parsed = parse(data, kind, filename.lower().endswith(".csv"))
        if parsed.problems:
            return parsed
        with rt.sessions.begin() as s:
            try:
                return index_sync.prepare(
                    s,
                    rt.data_key,
                    rt.keystore,
                    category.covenant,
                    category.category,
                    kind,
                    parsed,
                    who.account.id,
                    rt.clock(),
                )
            except InvalidInputError:
                return None

    @router.get("/index/{upload_id}")
    def preview(request: Request, upload_id: str) -> Response:
        who = web.signed_in(request)
        if who is None:
            return RedirectResponse("/aanmelden", 303)
        with rt.sessions.begin() as s:
            try:
                row = index_sync.upload(s, upload_id[:40])
            except NotFoundError:
                return web.page("message.html", 404, kind="not-found", who=who)
            c = index_sync.changes(rt.data_key, row)
            removed = index_sync.removed_texts(s, rt.data_key, row.category, c.remove)
        names = {p.category: p for p in categories()}
        return web.page(
            "index_preview.html",
            who=who,
            upload=row,
            category=names.get(row.category),
            added=[t for _, t in c.add[: index_sync.PREVIEW_ROWS]],
            removed=removed,
            shown=index_sync.PREVIEW_ROWS,
        )

    @router.post("/index/{upload_id}/verzenden")
    async def confirm(request: Request, upload_id: str) -> Response:
        who = await web.button(request)
        if not isinstance(who, SignedIn):
            return who
        await run_in_threadpool(send, who, upload_id[:40])
        return RedirectResponse(f"/index/{upload_id[:40]}", 303)

    def send(who: SignedIn, upload_id: str) -> None:
        with rt.sessions.begin() as s:
            row = s.get(IndexUploadRow, upload_id)
            if row is None or row.state != UploadState.PREVIEW:
                return
            category = row.category
        # A sync of the same category writes its entries meanwhile: wait for it, briefly; a long
        # run (a first load, a re-pseudonymisation) leaves the upload to be sent again.
        with index_store.category_lock(category, LOCK_WAIT_SECONDS) as held:
            if not held:
                with rt.sessions.begin() as s:
                    row = s.get(IndexUploadRow, upload_id)
                    if row is not None and row.state == UploadState.PREVIEW:
                        row.problem = "syncing"
                return
            send_locked(who, upload_id)

    def send_locked(who: SignedIn, upload_id: str) -> None:
        with rt.sessions.begin() as s:
            row = s.get(IndexUploadRow, upload_id)
            if row is None or row.state != UploadState.PREVIEW:
                return
            c = index_sync.changes(rt.data_key, row)
            if index_sync.is_stale(s, row, c):
                row.problem = "stale"
                return
            category, key = row.category, index_sync.idempotency_key(row)
        role = web.role(who)
        problem: str | None = "no-role" if role is None else None
        if role is not None:
            try:
                with connected(rt, who.account.name, role) as client:
                    update_index(client, category, [p for p, _ in c.add], c.remove, key)
            except HubTrouble as exc:
                problem = exc.problem
        with rt.sessions.begin() as s:
            row = s.get(IndexUploadRow, upload_id)
            if row is None or row.state != UploadState.PREVIEW:
                return
            if problem is None:
                index_sync.apply(s, rt.data_key, row, c, rt.clock())
            else:
                row.problem = problem

    @router.post("/index/{upload_id}/annuleren")
    async def cancel(request: Request, upload_id: str) -> Response:
        who = await web.button(request)
        if not isinstance(who, SignedIn):
            return who
        with rt.sessions.begin() as s:
            row = s.get(IndexUploadRow, upload_id[:40])
            if row is not None and row.state == UploadState.PREVIEW:
                row.state = UploadState.CANCELLED
        return RedirectResponse("/index", 303)

    app.include_router(router)
