"""The sync bridge: run the async core from synchronous code (WSGI, Flask, Django).

One event loop per process runs in a daemon thread; a synchronous caller hands it a coroutine
and gets the result. The loop is started on first use, never per request, and is shared by
every thread of the process, so adapters (SQLAlchemy's async engine, Redis) and the OAuth HTTP
client always live on the same loop. A process forked after the loop started (gunicorn's
``--preload``) starts its own on first use: a loop thread does not survive ``fork``.

The caller runs the coroutine itself (no thread hop): while the loop thread waits for I/O in
its selector it holds no lock, so a caller that takes the loop's lock owns the loop as if it
were the loop thread. It makes the task as the loop would (asyncio's own Task, the bridge loop
as the running loop, the caller's context copied) and runs its first step. A JWT session read
never waits for anything: the task is done and the result is returned at once. A coroutine
that awaits I/O, a timer or a worker thread suspends; the loop thread (woken when something
was scheduled) watches what it waits for and, when that is done, tells the caller, which runs
the next step, again owning the loop. Every step runs on the caller's thread, so state bound
to a thread across an ``await`` (SQLAlchemy's greenlets) stays valid. In asyncio debug mode
(which checks that only the loop thread touches the loop) every call is handed to the loop
thread instead.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import queue
import selectors
import threading
from typing import TYPE_CHECKING, Any, TypeVar, cast

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
        if _CallerTask is None or loop.get_debug():
            return self._hand_off(loop, coroutine)
        return self._drive(loop, coroutine)

    def _drive(self, loop: asyncio.AbstractEventLoop, coroutine: Coroutine[Any, Any, T]) -> T:
        """Make the task and run each of its steps here, owning the loop for each step."""
        base: Any = loop  # asyncio.BaseEventLoop: its ready queue and timer heap
        inbox: queue.SimpleQueue[BaseException | None] = queue.SimpleQueue()
        task: Any = None
        error: BaseException | None = None
        while True:
            with self._owner:
                outer = asyncio._get_running_loop()
                asyncio._set_running_loop(loop)
                self._driving.on = True
                timers = len(base._scheduled)
                try:
                    if task is None:
                        task = _CallerTask(coroutine, loop=loop, inbox=inbox)
                        _unqueue_first_step(base._ready, task)  # it runs here, now
                    task._context.run(_STEP, task, error)  # as the loop runs a step
                finally:
                    self._driving.on = False
                    asyncio._set_running_loop(outer)
                    # Something for the loop thread to do now, or a new timer to wait for.
                    wake = bool(base._ready) or len(base._scheduled) != timers
            if wake:
                loop.call_soon_threadsafe(_nothing)
            if task.done():
                return cast("T", task.result())
            error = inbox.get()  # the loop thread says the awaited thing is done

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


def _unqueue_first_step(ready: Any, task: Any) -> None:
    """Drop the step the task's ``__init__`` queued (others may have queued after it)."""
    for handle in reversed(ready):
        if getattr(handle._callback, "__self__", None) is task:
            ready.remove(handle)
            return


_PyTask: Any = getattr(asyncio.tasks, "_PyTask", None)
_STEP: Any = getattr(_PyTask, "_Task__step", None)
_CallerTask: Any = None
if _STEP is not None and hasattr(_PyTask, "_Task__wakeup"):

    class _CallerTask(_PyTask):  # type: ignore[no-redef,misc]
        """asyncio's own Task (its pure-Python twin), whose steps run on the calling thread.

        asyncio asks for a step by scheduling ``__step`` on the loop or by calling it when an
        awaited future is done (``__wakeup``, on the loop thread); here that request is posted
        to the caller, which runs the step itself. A suspended coroutine therefore never
        moves between threads: thread-bound state held across an ``await`` (SQLAlchemy's
        greenlets, thread-locals) stays valid.
        """

        def __init__(self, coroutine: Any, *, loop: Any, inbox: Any) -> None:
            self._authgate_inbox = inbox
            super().__init__(coroutine, loop=loop)

        def _Task__step(self, exc: BaseException | None = None) -> None:  # noqa: N802
            self._authgate_inbox.put(exc)


bridge = SyncBridge()
"""The process-wide bridge every sync integration uses."""


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` on the process-wide bridge loop and return its result."""
    return bridge.run(coroutine)
