"""The sync bridge: run the async core from synchronous code (WSGI, Flask, Django).

Two ways in, both public asyncio and language features only:

- :func:`run_engine` for the engine's own coroutines (``gate.handle``, ``gate.get_session``):
  the coroutine is driven on the caller's thread with ``coroutine.send(None)``, in a copy of
  the caller's context, with no event loop at all. A JWT session read with sync (or no)
  callbacks and no revocation store (or the in-memory one) finishes in that one step: no
  thread hop, no loop. Before anything that needs a loop the engine awaits
  :func:`authgate._core.loop_needed.needs_loop`, which yields a marker when no loop runs; the
  bridge then hands the suspended coroutine to the process loop, where it resumes after the
  marker. Anything else a coroutine yields here is a bug, raised loudly.
- :func:`run_sync` for any coroutine: it always runs on the process loop.

The process loop runs in a daemon thread, started on the first call that needs it, never per
request, and shared by every thread of the process, so adapters (SQLAlchemy's async engine,
Redis and its pub/sub listener) and the OAuth HTTP client always live on the same loop, which
keeps running between calls. A caller waits for its coroutine with a lock released by the
task's done callback (two thread wake-ups per call). A process forked after the loop started
(gunicorn's ``--preload``) starts its own on first use: a loop thread does not survive ``fork``.

Cost (``bench/README.md`` §4c, callgrind): 8,000 instructions per call that needs no loop,
94,000 and two thread wake-ups for the hand-off. Why not the alternatives: a caller that
drives the process loop itself while nobody else does ("leader/follower") still pays a task
and a loop iteration per call (73,600 instructions uncontended), and the Redis listener would
need a keeper thread whenever nobody drives; deciding "loop-free" from the configuration alone
costs the same per call but is all-or-nothing per gate, where the marker decides per call at
the point of I/O. asyncio is the only event loop supported.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading
from typing import TYPE_CHECKING, TypeVar

from authgate._core.loop_needed import LOOP_NEEDED

if TYPE_CHECKING:
    from collections.abc import Coroutine, Generator
    from typing import Any

__all__ = ["SyncBridge", "bridge", "run_engine", "run_sync"]

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
        return self._on_loop(coroutine, None)

    def drive(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run an engine coroutine: on this thread while it needs no loop, then on the loop.

        Called from a thread that runs an event loop (a sync helper inside an async view),
        the coroutine goes to the bridge's loop from its start, as :meth:`run` does.

        Raises:
            RuntimeError: When called from the bridge's own thread, or when the coroutine
                suspends on something other than ``needs_loop()`` without a loop (a bug).
        """
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            return self._on_loop(coroutine, None)
        context = contextvars.copy_context()
        try:
            yielded = context.run(coroutine.send, None)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        if yielded is not LOOP_NEEDED:
            coroutine.close()
            raise RuntimeError(
                f"an engine coroutine suspended on {yielded!r} without an event loop; "
                "it must await needs_loop() before anything that needs one"
            )
        return self._on_loop(_resume(coroutine), context)

    def _on_loop(self, coroutine: Coroutine[Any, Any, T], context: contextvars.Context | None) -> T:
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

        def start() -> None:
            loop.create_task(coroutine, context=context).add_done_callback(on_done)

        loop.call_soon_threadsafe(start)
        done.acquire()
        return finished[0].result()


class _Suspended:
    """A coroutine suspended at ``needs_loop()``, as an awaitable a task can drive on."""

    __slots__ = ("_coroutine",)

    def __init__(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        self._coroutine = coroutine

    def __await__(self) -> Generator[Any, Any, Any]:
        coroutine = self._coroutine
        value: Any = None
        error: BaseException | None = None
        while True:
            try:
                yielded = coroutine.send(value) if error is None else coroutine.throw(error)
            except StopIteration as done:
                return done.value
            value, error = None, None
            try:
                value = yield yielded
            except BaseException as exc:  # noqa: BLE001 - cancellation included: passed on
                error = exc


async def _resume(coroutine: Coroutine[Any, Any, T]) -> T:
    result: T = await _Suspended(coroutine)
    return result


bridge = SyncBridge()
"""The process-wide bridge every sync integration uses."""


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` on the process-wide bridge loop and return its result."""
    return bridge.run(coroutine)


def run_engine(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run an engine coroutine (``gate.handle``, ``gate.get_session``) through the bridge.

    It runs on the calling thread until it needs a loop (never, for a JWT session read with
    sync callbacks), then on the process loop. See :meth:`SyncBridge.drive`.
    """
    return bridge.drive(coroutine)
