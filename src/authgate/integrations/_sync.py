"""The sync bridge: run the async core from synchronous code (WSGI, Flask, Django).

One event loop per process runs in a daemon thread; a synchronous caller hands it a coroutine
and waits for the result. The loop is started on first use, never per request, and is shared
by every thread of the process, so adapters (SQLAlchemy's async engine, Redis) and the OAuth
HTTP client always live on the same loop. A process forked after the loop started (gunicorn's
``--preload``) starts its own on first use: a loop thread does not survive ``fork``.
"""

from __future__ import annotations

import asyncio
import os
import threading
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Coroutine
    from typing import Any

__all__ = ["SyncBridge", "bridge", "run_sync"]

T = TypeVar("T")


class SyncBridge:
    """An event loop in a daemon thread that runs coroutines for synchronous callers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._pid = 0

    def _start(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is not None and self._pid == os.getpid():
                return self._loop
            loop = asyncio.new_event_loop()
            ready = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()

            thread = threading.Thread(target=run, name="authgate-sync-bridge", daemon=True)
            thread.start()
            ready.wait()
            self._loop, self._thread, self._pid = loop, thread, os.getpid()
            return loop

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The bridge's loop (started on first use in this process)."""
        loop = self._loop
        if loop is None or self._pid != os.getpid():
            loop = self._start()
        return loop

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the bridge's loop and block until it returns (or raises).

        Raises:
            RuntimeError: When called from the bridge's own thread (it would wait for itself).
        """
        loop = self.loop
        if threading.current_thread() is self._thread:
            coroutine.close()
            raise RuntimeError("the sync bridge cannot be called from its own event loop")
        # A lock handed back by the task's done callback: about half the cost of
        # run_coroutine_threadsafe's concurrent.futures.Future chaining (see bench/).
        done = threading.Lock()
        done.acquire()
        finished: list[asyncio.Task[T]] = []

        def on_done(task: asyncio.Task[T]) -> None:
            finished.append(task)
            done.release()

        loop.call_soon_threadsafe(lambda: loop.create_task(coroutine).add_done_callback(on_done))
        done.acquire()
        return finished[0].result()


bridge = SyncBridge()
"""The process-wide bridge every sync integration uses."""


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` on the process-wide bridge loop and return its result."""
    return bridge.run(coroutine)
