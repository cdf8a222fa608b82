"""FastAPI dependencies: ``Depends(session_dependency(auth))`` gives the session or a 401."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import HTTPException, Request

from authgate.integrations.starlette import get_session

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from authgate.gate import AuthGate
    from authgate.types import Session

__all__ = ["optional_session_dependency", "session_dependency"]


def session_dependency(gate: AuthGate) -> Callable[[Request], Awaitable[Session]]:
    """A dependency that returns the session, or answers ``401`` when there is none."""

    async def current_session(request: Request) -> Session:
        session = await get_session(request, gate)
        if session is None:
            raise HTTPException(
                status_code=401,
                detail="SessionRequired",
                headers={"WWW-Authenticate": 'Cookie realm="authgate"'},
            )
        return session

    return current_session


def optional_session_dependency(gate: AuthGate) -> Callable[[Request], Awaitable[Session | None]]:
    """A dependency that returns the session or ``None``."""

    async def maybe_session(request: Request) -> Session | None:
        return await get_session(request, gate)

    return maybe_session
