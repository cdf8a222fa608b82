"""Protect views: ``@session_required`` and ``SessionRequiredMixin`` (sync and async)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from asgiref.sync import iscoroutinefunction

from authgate.integrations.django._session import aget_session, get_session, refuse

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

__all__ = ["SessionRequiredMixin", "session_required"]

View = Callable[..., Any]


def session_required(view: View) -> View:
    """Without a session, redirect pages to sign-in (``callbackUrl``) and answer API paths 401.

    Works on sync and async function views; the session is then ``get_session(request)``.
    """
    if iscoroutinefunction(view):

        @functools.wraps(view)
        async def async_wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if await aget_session(request) is None:
                return refuse(request)
            return await view(request, *args, **kwargs)

        return async_wrapper

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if get_session(request) is None:
            return refuse(request)
        return view(request, *args, **kwargs)

    return wrapper


class SessionRequiredMixin:
    """:func:`session_required` for class-based views (put it before ``View`` in the bases)."""

    view_is_async: bool

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        """Refuse without a session, else dispatch as usual."""
        parent = super().dispatch  # type: ignore[misc]
        if self.view_is_async:

            async def checked() -> HttpResponse:
                if await aget_session(request) is None:
                    return refuse(request)
                return await parent(request, *args, **kwargs)  # type: ignore[no-any-return]

            return checked()
        if get_session(request) is None:
            return refuse(request)
        return parent(request, *args, **kwargs)
