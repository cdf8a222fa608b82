"""FastAPI dependencies: ``Depends(session_dependency(auth))`` gives the session or a 401."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import HTTPException, Request

from authgate.integrations.asgi import request_from_scope, session_of_scope

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from authgate.gate import AuthGate
    from authgate.resource import NextAuthSession
    from authgate.types import JWT, Session

__all__ = [
    "optional_session_dependency",
    "optional_token_dependency",
    "session_dependency",
    "token_dependency",
]


def session_dependency(
    gate: AuthGate, *, require_two_factor: bool = False
) -> Callable[[Request], Awaitable[Session]]:
    """A dependency that returns the session, or answers ``401`` when there is none.

    ``require_two_factor``: a session that has not proved a second factor answers ``403``
    ``TwoFactorRequired`` (the client sends the user to ``<base path>/two-factor``).
    """

    async def current_session(request: Request) -> Session:
        # starlette.get_session without its frame: read once per request, kept in the scope
        session = await session_of_scope(request.scope, gate)
        if session is None:
            raise HTTPException(
                status_code=401,
                detail="SessionRequired",
                headers={"WWW-Authenticate": 'Cookie realm="authgate"'},
            )
        if require_two_factor and not await gate.has_second_factor(
            request_from_scope(request.scope)
        ):
            raise HTTPException(status_code=403, detail="TwoFactorRequired")
        return session

    return current_session


def optional_session_dependency(gate: AuthGate) -> Callable[[Request], Awaitable[Session | None]]:
    """A dependency that returns the session or ``None``."""

    async def maybe_session(request: Request) -> Session | None:
        return await session_of_scope(request.scope, gate)

    return maybe_session


def token_dependency(reader: NextAuthSession) -> Callable[[Request], Awaitable[JWT]]:
    """Resource-server mode: the claims of a Next.js session token, or ``401``.

    >>> nextjs_session = token_dependency(NextAuthSession(profile="authjs-v5"))
    >>> @app.get("/api/me")
    ... def me(claims: Annotated[JWT, Depends(nextjs_session)]): ...
    """

    # async, though it awaits nothing: FastAPI runs a plain ``def`` dependency in its thread
    # pool, a hop that costs several times the decode (the read does no I/O).
    async def current_token(request: Request) -> JWT:
        claims = reader.read(request_from_scope(request.scope))
        if claims is None:
            raise HTTPException(
                status_code=401,
                detail="SessionRequired",
                headers={"WWW-Authenticate": 'Bearer realm="authgate"'},
            )
        return claims

    return current_token


def optional_token_dependency(
    reader: NextAuthSession,
) -> Callable[[Request], Awaitable[JWT | None]]:
    """Resource-server mode: the claims of a Next.js session token, or ``None``."""

    async def maybe_token(request: Request) -> JWT | None:
        return reader.read(request_from_scope(request.scope))

    return maybe_token
