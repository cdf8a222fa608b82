"""The sync bridge: run the async core from synchronous code (WSGI, Flask, Django).

One event loop per process runs in a daemon thread; a synchronous caller hands it a coroutine
and gets the result. The loop is started on first use, never per request, and is shared by
every thread of the process, so adapters (SQLAlchemy's async engine, Redis) and the OAuth HTTP
client always live on the same loop. A process forked after the loop started (gunicorn's
``--preload``) starts its own on first use: a loop thread does not survive ``fork``.

The caller runs the coroutine's first step itself (no thread hop): while the loop thread waits
for I/O in its selector it holds no lock, so a caller that takes the loop's lock owns the loop
as if it were the loop thread. It makes the task exactly as the loop would (a real
``asyncio.Task``, the bridge loop as the running loop, the caller's context copied) and runs
the task's first step. A JWT session read never waits for anything: the task is done and the
result is returned at once. A coroutine that awaits I/O, a timer or a worker thread stops at
its first suspension; the loop thread (woken when something was scheduled) runs the rest as it
runs any task, and the caller blocks until it is done. In asyncio debug mode (which checks
that only the loop thread touches the loop) every call is handed to the loop thread instead.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import selectors
import threading
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from collections.abc import Coroutine

__all__ = ["SyncBridge", "bridge", "run_sync"]

T = TypeVar("T")

_NESTED = "the sync bridge cannot be called from its own event loop"


class _ReleasingPoll:
    """The selector's ``epoll``/``poll`` object, releasing the loop's lock while it waits."""

    def __init__(self, poller: Any, lock: threading.Lock) -> None:
        self._poller = poller
        self._lock = lock

    def poll(self, *args: Any) -> Any:
        self._lock.release()
        try:
            return self._poller.poll(*args)
        finally:
            self._lock.acquire()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._poller, name)


class _ParkingSelector(selectors.DefaultSelector):
    """The loop's selector: the loop's lock is free only while the loop thread waits in it."""

    def __init__(self, lock: threading.Lock) -> None:
        super().__init__()
        self._lock = lock
        poller = getattr(self, "_selector", None)
        # epoll/poll: release only around the system call (the fd -> key map stays guarded).
        self._wrapped = poller is not None and hasattr(poller, "poll")
        if self._wrapped:
            self._selector = _ReleasingPoll(poller, lock)

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if self._wrapped:
            return super().select(timeout)
        self._lock.release()  # pragma: no cover - kqueue/select platforms
        try:  # pragma: no cover
            return super().select(timeout)
        finally:  # pragma: no cover
            self._lock.acquire()


class SyncBridge:
    """An event loop in a daemon thread that runs coroutines for synchronous callers."""

    def __init__(self, *, debug: bool | None = None) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._owner = threading.Lock()  # held by the loop thread except while it waits for I/O
        self._pid = 0
        self._debug = debug
        self._driving = threading.local()

    def _start(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is not None and self._pid == os.getpid():
                return self._loop
            owner = threading.Lock()  # a new one: after fork the old may be held by no thread
            loop = asyncio.SelectorEventLoop(_ParkingSelector(owner))
            if self._debug is not None:
                loop.set_debug(self._debug)
            ready = threading.Event()

            def run() -> None:
                owner.acquire()
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()

            thread = threading.Thread(target=run, name="authgate-sync-bridge", daemon=True)
            thread.start()
            ready.wait()
            self._owner, self._driving = owner, threading.local()
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
            RuntimeError: When called from the bridge's own thread or from a coroutine the
                bridge is running (it would wait for itself).
        """
        loop = self.loop
        if threading.current_thread() is self._thread or getattr(self._driving, "on", False):
            coroutine.close()
            raise RuntimeError(_NESTED)
        if loop.get_debug():
            return self._hand_off(loop, coroutine)
        task, done = self._first_step(loop, coroutine)
        if done is not None:
            done.acquire()  # released by the task's done callback, on the loop thread
        return task.result()

    def _first_step(
        self, loop: asyncio.AbstractEventLoop, coroutine: Coroutine[Any, Any, T]
    ) -> tuple[asyncio.Task[T], threading.Lock | None]:
        """Make the task and run its first step here, owning the loop; the lock to wait on."""
        base: Any = loop  # asyncio.BaseEventLoop: its ready queue and timer heap
        done: threading.Lock | None = None
        with self._owner:
            outer = asyncio._get_running_loop()
            asyncio._set_running_loop(loop)
            self._driving.on = True
            timers = len(base._scheduled)
            try:
                task = loop.create_task(coroutine, context=contextvars.copy_context())
                ready = base._ready
                step = ready.pop()  # the task's first step, just queued (we own the loop)
                if getattr(step._callback, "__self__", None) is not task:  # pragma: no cover
                    ready.append(step)  # not ours (never seen): let the loop thread run it
                else:
                    step._run()
                if not task.done():
                    done = waiter = threading.Lock()
                    waiter.acquire()
                    task.add_done_callback(lambda _: waiter.release())
            finally:
                self._driving.on = False
                asyncio._set_running_loop(outer)
                # Something for the loop thread to do now, or a new timer to wait for.
                wake = bool(base._ready) or len(base._scheduled) != timers
        if wake:
            loop.call_soon_threadsafe(_nothing)
        return task, done

    def _hand_off(self, loop: asyncio.AbstractEventLoop, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run the whole coroutine on the loop thread (asyncio debug mode)."""
        done = threading.Lock()
        done.acquire()
        context = contextvars.copy_context()
        finished: list[asyncio.Task[T]] = []

        def on_done(task: asyncio.Task[T]) -> None:
            finished.append(task)
            done.release()

        def start() -> None:
            loop.create_task(coroutine, context=context).add_done_callback(on_done)

        loop.call_soon_threadsafe(start)
        done.acquire()
        return finished[0].result()


def _nothing() -> None:
    """A callback that only wakes the loop thread."""


bridge = SyncBridge()
"""The process-wide bridge every sync integration uses."""


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` on the process-wide bridge loop and return its result."""
    return bridge.run(coroutine)
