"""What the workspace's page modules share with :mod:`exchange.node.web`: the runtime, the page
renderer, the signed-in user and the CSRF refusal, and reading a size-limited form."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from exchange.node.provider_hub import acting_role
from exchange.node.runtime import NodeRuntime
from exchange.node.signin import SignedIn, csrf_matches

#: Room for the form's other fields around an uploaded file.
FORM_OVERHEAD = 64 * 1024


@dataclass(frozen=True, slots=True)
class Web:
    rt: NodeRuntime
    page: Callable[..., HTMLResponse]
    who_is: Callable[[Session, Request], SignedIn | None]
    refused: Callable[..., HTMLResponse]

    def signed_in(self, request: Request) -> SignedIn | None:
        with self.rt.sessions.begin() as s:
            return self.who_is(s, request)

    def role(self, who: SignedIn) -> str | None:
        return acting_role(who.account.roles, self.rt.party.roles)

    async def button(self, request: Request) -> SignedIn | Response:
        """The signed-in user behind a form that is only a button and its CSRF token; otherwise the
        answer to give (to the sign-in page, or the refusal of a wrong token)."""
        who = self.signed_in(request)
        if who is None:
            return RedirectResponse("/aanmelden", 303)
        form = await request.form(max_files=0, max_fields=5)
        if not csrf_ok(who, form):
            return self.refused(who)
        return who


class TooLarge(Exception):
    """The request body is larger than the form allows."""


async def limited_form(request: Request, limit: int) -> FormData:
    """The form, refused with :class:`TooLarge` when its body is longer than ``limit`` plus room for
    the other fields (by its Content-Length, before anything is parsed)."""
    length = request.headers.get("content-length")
    if length is None or not length.isdigit() or int(length) > limit + FORM_OVERHEAD:
        raise TooLarge()
    return await request.form(max_files=1, max_fields=20)


async def file_bytes(form: FormData, name: str, limit: int) -> tuple[bytes, str] | None:
    """The uploaded file's bytes and name, None when no file was chosen; :class:`TooLarge` above
    ``limit``."""
    got = form.get(name)
    if not isinstance(got, UploadFile) or not got.filename:
        return None
    data = await got.read(limit + 1)
    if len(data) > limit:
        raise TooLarge()
    return data, got.filename


def field(form: FormData, name: str, max_length: int = 200) -> str:
    value = form.get(name)
    return value[:max_length] if isinstance(value, str) else ""


def csrf_ok(who: SignedIn, form: FormData) -> bool:
    return csrf_matches(who.csrf, field(form, "csrf", 100))
