"""GET|POST /sessions: the signed-in user's sessions, and ending them.

authgate's own page (NextAuth has none). Database sessions (with an adapter that lists them):
every live session of the user, "this device" marked, each one can be ended, or all the others.
JWT sessions with ``AuthConfig(revocation=...)``: the store keeps no list, so the page shows
this session and offers "sign out everywhere". Without either the route answers v4's plain 400.

A change is a CSRF-protected POST (``op=end&id=...``, ``op=end-others``, ``op=end-all``) that
may only touch the signed-in user's own sessions: an id that is not one of them is a 404, the
same as one that does not exist.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from authgate._core import devices, pages, session_admin, session_reader
from authgate._core.cookies import clear_session
from authgate._core.redirects import append_query, csrf_refused
from authgate.http import AuthResponse
from authgate.i18n import N_

if TYPE_CHECKING:
    from authgate._core.context import RequestContext

logger = logging.getLogger("authgate")

PAGE = "sessions"
_NOT_FOUND = N_("That session was not found.")
_NOT_UNDERSTOOD = N_("That request was not understood.")


class _Me:
    """Who is asking: the user, this session's id, the strategy."""

    __slots__ = ("current", "database", "started", "user_id")

    def __init__(
        self, user_id: str, current: str | None, database: bool, started: float | None
    ) -> None:
        self.user_id = user_id
        self.current = current
        self.database = database
        self.started = started


def _available(ctx: RequestContext) -> bool:
    options = ctx.options
    if options.session_strategy == "database":
        return callable(getattr(options.adapter, "get_sessions_by_user", None))
    return options.revocation is not None


def _not_ours(ctx: RequestContext) -> AuthResponse:
    return AuthResponse.text(
        f"Error: This action with HTTP {ctx.request.method} is not supported by NextAuth.js",
        status=400,
    )


def _wants_json(ctx: RequestContext) -> bool:
    return ctx.json_mode or "application/json" in ctx.request.headers.get("accept", "")


def _unavailable() -> AuthResponse:
    return AuthResponse.text("Service unavailable", status=503)


async def _who(ctx: RequestContext) -> _Me | AuthResponse | None:
    options = ctx.options
    found = await session_reader.read(
        options, ctx.request.cookies, ctx.cookies.session_token.name, ctx.now
    )
    if found.unavailable:
        return _unavailable()
    if found.stored is not None and found.token is not None:
        user_id = str(found.stored[1]["id"])
        return _Me(user_id, session_admin.session_id_of(found.token), True, None)
    claims = found.claims
    subject = None if claims is None else claims.get("sub")
    if claims is None or not isinstance(subject, str) or not subject:
        return None
    sid, iat = claims.get("sid"), claims.get("iat")
    started = float(iat) if isinstance(iat, int | float) and not isinstance(iat, bool) else None
    return _Me(subject, sid if isinstance(sid, str) else None, False, started)


def _sign_in_first(ctx: RequestContext) -> AuthResponse:
    if _wants_json(ctx) and ctx.request.method == "GET":
        return AuthResponse.json({"error": "SessionRequired"}, status=401)
    custom = ctx.options.pages.sign_in
    target = custom if custom else f"{ctx.url}/signin"
    return AuthResponse.to(append_query(target, {"callbackUrl": f"{ctx.url}/{PAGE}"}))


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _view(info: session_admin.SessionInfo, current: str | None) -> pages.SessionView:
    browser, system = devices.summary(info.user_agent)
    return pages.SessionView(
        id=info.id,
        current=info.id == current,
        browser=browser,
        system=system,
        ip_prefix=info.ip_prefix,
        created=_iso(info.created),
        last_seen=_iso(info.last_seen),
        expires=_iso(info.expires),
    )


async def _views(ctx: RequestContext, me: _Me) -> list[pages.SessionView]:
    if not me.database:
        started = None if me.started is None else datetime.fromtimestamp(me.started, UTC)
        browser, system = devices.summary(ctx.request.headers.get("user-agent"))
        return [
            pages.SessionView(
                id=me.current or "",
                current=True,
                browser=browser,
                system=system,
                ip_prefix=None,
                created=_iso(started),
                last_seen=None,
                expires=None,
            )
        ]
    listed = await session_admin.list_user(ctx.options, me.user_id, now=ctx.now)
    views = [_view(info, me.current) for info in listed]
    return sorted(views, key=lambda v: (not v.current, v.created or "", v.id))


async def _render(
    ctx: RequestContext, me: _Me, notice: str | None = None, status: int = 200
) -> AuthResponse:
    try:
        views = await _views(ctx, me)
    except Exception as exc:  # noqa: BLE001 - storage failed: logged, a plain 503
        logger.error("SESSIONS_ERROR: the adapter failed (%s)", type(exc).__name__)
        return _unavailable()
    if _wants_json(ctx):
        body: dict[str, Any] = {
            "strategy": "database" if me.database else "jwt",
            "sessions": [view.as_json() for view in views],
        }
        if notice is not None:
            body["error"] = ctx.language.gettext(notice)
        response = AuthResponse.json(body, status=status)
        response.headers.append(("cache-control", "no-store"))
        return response
    return pages.render_sessions(
        theme=ctx.options.theme,
        url=ctx.url,
        csrf_token=ctx.csrf.token,
        sessions=views,
        database=me.database,
        notice=notice,
        status=status,
        lang=ctx.language,
    )


async def get(ctx: RequestContext) -> AuthResponse:
    if ctx.provider_id is not None or not _available(ctx):
        return _not_ours(ctx)
    me = await _who(ctx)
    if isinstance(me, AuthResponse):
        return me
    if me is None:
        return _sign_in_first(ctx)
    return await _render(ctx, me)


def _signed_out_here(ctx: RequestContext) -> AuthResponse:
    response = AuthResponse.to(f"{ctx.url}/signin")
    response.cookies = clear_session(ctx.cookies.session_token, ctx.request.cookies)
    return response


async def post(ctx: RequestContext) -> AuthResponse:
    if ctx.provider_id is not None or not _available(ctx):
        return _not_ours(ctx)
    if not ctx.csrf.verified:
        return csrf_refused(ctx.url, page=PAGE)
    me = await _who(ctx)
    if isinstance(me, AuthResponse):
        return me
    if me is None:
        return _sign_in_first(ctx)
    op, target = ctx.body.get("op"), ctx.body.get("id")
    try:
        if op == "end-all":
            await session_admin.end_user(ctx.options, me.user_id, now=ctx.now)
            if not me.database and me.current:  # a token of this very second is not "before"
                await session_admin.end_one(ctx.options, me.user_id, me.current)
            return _signed_out_here(ctx)
        if op == "end-others" and me.database:
            for view in await _views(ctx, me):
                if not view.current:
                    await session_admin.end_one(ctx.options, me.user_id, view.id)
            return AuthResponse.to(f"{ctx.url}/{PAGE}")
        if op != "end" or not isinstance(target, str):
            return await _render(ctx, me, _NOT_UNDERSTOOD, 400)
        mine = {view.id for view in await _views(ctx, me)}
        if target not in mine or not target:  # never another user's: the same 404
            return await _render(ctx, me, _NOT_FOUND, 404)
        await session_admin.end_one(ctx.options, me.user_id, target)
    except Exception as exc:  # noqa: BLE001 - storage failed: logged, try again
        logger.error("SESSIONS_ERROR: ending a session failed (%s)", type(exc).__name__)
        return _unavailable()
    if target == me.current:
        return _signed_out_here(ctx)
    return AuthResponse.to(f"{ctx.url}/{PAGE}")
