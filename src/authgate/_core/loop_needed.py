"""The engine's one marker for "what follows needs an event loop" (I/O, threads, timers).

The sync bridge (``authgate.integrations._sync``) drives an engine coroutine on the caller's
thread with ``coroutine.send(None)``, without any loop: a JWT session read with sync (or no)
callbacks completes in that one step. Before anything that needs a loop (an adapter, a
revocation store other than the in-memory one, a user's async callback or one run in a worker
thread, any route but ``/session``, ``/csrf`` and ``/providers``) the engine awaits
:func:`needs_loop`. Under a running loop (ASGI, Litestar, Django under ASGI, the bridge's own
loop) that returns at once; without one it yields :data:`LOOP_NEEDED`, and the bridge hands
the suspended coroutine to its loop thread, where it resumes right after the marker.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Generator

__all__ = ["LOOP_NEEDED", "LoopNeeded", "needs_loop"]


class LoopNeeded:
    """The awaitable :func:`needs_loop` returns; also the value it yields without a loop."""

    __slots__ = ()

    def __await__(self) -> Generator[LoopNeeded, None, None]:
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # driven by hand (the sync bridge): ask for the loop
            yield self

    def __repr__(self) -> str:
        return "LOOP_NEEDED"


LOOP_NEEDED = LoopNeeded()
"""The one instance: what a coroutine yields when it needs the loop and none is running."""


def needs_loop() -> LoopNeeded:
    """Await it before the first step that needs an event loop (see the module docstring)."""
    return LOOP_NEEDED
