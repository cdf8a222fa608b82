"""JWT-strategy sessions: what goes into the token and what comes out of ``/session``."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from authgate._core import session_reader
from authgate._core.cookies import expires_in, write_session
from authgate._core.session_reader import default_session
from authgate.revocation import SESSION_ID_CLAIM, new_session_id

if TYPE_CHECKING:
    from collections.abc import Mapping

    from authgate._core.context import RequestContext
    from authgate._core.options import InternalOptions
    from authgate.http import Cookie
    from authgate.types import JWT

logger = logging.getLogger("authgate")


def default_token(user: Mapping[str, Any]) -> JWT:
    """v4's token at sign-in: ``name``, ``email``, ``picture``, ``sub`` (absent keys stay out)."""
    token: JWT = {}
    for source, target in (("name", "name"), ("email", "email"), ("image", "picture")):
        if source in user:
            token[target] = user[source]
    if user.get("id") is not None:
        token["sub"] = str(user["id"])
    return token


def read(ctx: RequestContext) -> tuple[str | None, JWT | None]:
    """The raw session token of the request and its claims (``None`` if it does not decode).

    Sign-out and account linking use it; ``/session`` and ``get_session`` go through
    :func:`authgate._core.session_reader.read`.
    """
    name = ctx.cookies.session_token.name
    found = session_reader.find_token(
        ctx.request.cookies, {}, session_reader.source_of(ctx.options, name)
    )
    if found is None:
        return None, None
    return found[1], session_reader.decode(ctx.options.session_codec(name), found[1], ctx.now)


def issue(ctx: RequestContext, token: Mapping[str, Any], *, max_age: int) -> list[Cookie]:
    """Encode ``token`` and return the cookies that store it (chunked, stale chunks deleted)."""
    spec = ctx.cookies.session_token
    encoded = ctx.options.codecs[spec.name].encode(token, max_age=max_age, now=ctx.now)
    expires = expires_in(ctx.options.session_max_age, ctx.now)
    return write_session(
        spec,
        encoded,
        expires=expires,
        present=ctx.request.cookies,
        chunk_size=ctx.options.profile.chunk_size,
    )


def young(options: InternalOptions, claims: JWT, now: float) -> bool:
    """Whether ``JWTConfig(reissue_after)`` lets ``/session`` keep this token as it is."""
    after = options.reissue_after
    issued = claims.get("iat")
    return after is not None and type(issued) is int and 0 <= now - issued < after


def with_session_id(options: InternalOptions, token: Any, now: float) -> Any:
    """The token of a new sign-in with its ``sid`` when sessions are revocable."""
    if options.revocation is None or not isinstance(token, dict):
        return token
    return {**token, SESSION_ID_CLAIM: new_session_id(now)}


def revocation_ttl(options: InternalOptions) -> float:
    """How long a revocation entry must live: the longest a token issued before it stays valid.

    A session started before the entry cannot be re-issued after it (the read that would
    re-issue it is refused), so its last token expires ``jwt_max_age`` later; a minute more
    covers the clock tolerance of token checks.
    """
    return float(options.jwt_max_age) + 60.0


async def derive(
    options: InternalOptions, claims: JWT, *, now: float, update: bool = False, data: Any = None
) -> tuple[dict[str, Any], JWT] | None:
    """Run the ``jwt`` then ``session`` callbacks; ``None`` when ``jwt`` ends the session.

    Exceptions from the callbacks propagate: callers treat them as "no session".
    """
    session = default_session(options, claims, now)
    token: Any = claims
    if options.jwt_callback is not None:
        if update:
            token = await options.jwt_callback(token=claims, trigger="update", session=data)
        else:
            token = await options.jwt_callback(token=claims, session=None)
        if not token:
            return None
        sid = claims.get(SESSION_ID_CLAIM)
        if options.revocation is not None and sid is not None and isinstance(token, dict):
            token = {**token, SESSION_ID_CLAIM: sid}  # the session keeps its id over re-issues
    if options.session_callback is not None:
        params: dict[str, Any] = {"session": session, "token": token}
        if update:
            params.update(trigger="update", new_session=data)
        session = await options.session_callback(**params)
    return session, token
