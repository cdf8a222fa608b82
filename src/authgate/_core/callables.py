"""Normalise user callbacks once: always awaitable, called with only the keywords they declare."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import anyio.to_thread

from authgate._core.loop_needed import needs_loop
from authgate.errors import ConfigurationError

AsyncHook = Callable[..., Awaitable[Any]]


def normalise(
    fn: Callable[..., Any], *, label: str, known: frozenset[str], threaded: bool = False
) -> AsyncHook:
    """Wrap ``fn`` so the engine can ``await hook(**the_keywords_of_this_call)``.

    Parameters the callback does not declare are not passed, so ``def jwt(token, user)`` works.
    A declared parameter that this call does not provide (``token`` for the ``session``
    callback of database sessions, ``user`` for ``jwt`` on ``/session``) is ``None``, as v4
    passes ``undefined``; one with a default keeps its default. A parameter we would never pass
    is a configuration error, caught at start-up. A sync function runs inline, or in a worker
    thread with ``threaded=True`` (``authorize`` often hashes passwords or does blocking I/O).
    An async function, a worker thread or an awaitable result first awaits ``needs_loop()``:
    only a sync callback runs on the sync bridge's caller thread.
    """
    if not callable(fn):
        raise ConfigurationError(f"{label} must be callable")
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # builtins without a signature: give them everything
        accepts_all, wanted, needed = True, known, frozenset[str]()
    else:
        params = signature.parameters.values()
        accepts_all = any(p.kind is p.VAR_KEYWORD for p in params)
        named = [p for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        wanted = frozenset(p.name for p in named)
        needed = frozenset(p.name for p in named if p.default is p.empty)
        unknown = wanted - known
        if unknown:
            raise ConfigurationError(
                f"{label} declares unknown parameter(s) {sorted(unknown)}; "
                f"it can receive {sorted(known)}"
            )
    selected = known if accepts_all else wanted
    is_async = inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__call__", None)  # noqa: B004 - callable objects with async __call__
    )

    async def hook(**kwargs: Any) -> Any:
        args = {k: v for k, v in kwargs.items() if k in selected}
        for name in needed - args.keys():  # declared, not provided by this call: v4 undefined
            args[name] = None
        if is_async:
            await needs_loop()  # it may do I/O: the sync bridge hands it to its loop
            return await fn(**args)
        if threaded:
            await needs_loop()
            result = await anyio.to_thread.run_sync(lambda: fn(**args))
        else:
            result = fn(**args)
        if inspect.isawaitable(result):
            await needs_loop()
            result = await result
        return result

    return hook


def positional(fn: Callable[..., Any], *, label: str, arity: int, threaded: bool) -> AsyncHook:
    """Wrap a positional callback such as ``authorize(credentials, request)``."""
    if not callable(fn):
        raise ConfigurationError(f"{label} must be callable")
    is_async = inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__call__", None)  # noqa: B004
    )
    try:
        inspect.signature(fn).bind(*([None] * arity))
    except TypeError as exc:
        raise ConfigurationError(f"{label} must accept {arity} positional arguments") from exc
    except ValueError:
        pass

    async def hook(*args: Any) -> Any:
        if is_async:
            await needs_loop()
            return await fn(*args)
        if threaded:
            await needs_loop()
            result = await anyio.to_thread.run_sync(lambda: fn(*args))
        else:
            result = fn(*args)
        if inspect.isawaitable(result):
            await needs_loop()
            result = await result
        return result

    return hook
