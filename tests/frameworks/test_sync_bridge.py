"""The sync bridge: one loop per process, shared by threads, re-made after fork."""

from __future__ import annotations

import asyncio
import contextvars
import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import pytest

from authgate._core.loop_needed import needs_loop
from authgate.integrations._sync import SyncBridge, bridge, run_engine, run_sync

if TYPE_CHECKING:
    from collections.abc import Callable


async def running_loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


def test_every_call_runs_on_the_same_loop_in_one_extra_thread() -> None:
    first = run_sync(running_loop())
    before = set(threading.enumerate())
    for _ in range(50):
        assert run_sync(running_loop()) is first
    # No new thread (threads other tests left behind may end meanwhile: not counted).
    assert set(threading.enumerate()) <= before
    assert first is bridge.loop


def test_threads_share_the_loop_and_run_concurrently() -> None:
    barrier = asyncio.Event()

    async def wait_for_all(n: int) -> asyncio.AbstractEventLoop:
        if n == 7:
            barrier.set()  # the last caller releases the others: they were waiting together
        await asyncio.wait_for(barrier.wait(), timeout=10)
        return asyncio.get_running_loop()

    with ThreadPoolExecutor(8) as pool:
        loops = list(pool.map(lambda n: run_sync(wait_for_all(n)), range(8)))
    assert len(set(map(id, loops))) == 1


def test_exceptions_reach_the_caller() -> None:
    async def fail() -> None:
        raise LookupError("nope")

    with pytest.raises(LookupError, match="nope"):
        run_sync(fail())


def test_calling_from_the_bridge_thread_is_refused_not_a_deadlock() -> None:
    own = SyncBridge()

    async def nested() -> str:
        inner = running_loop()
        try:
            own.run(inner)
        except RuntimeError as error:
            return str(error)
        return "no error"

    assert own.run(nested()) == "the sync bridge cannot be called from its own event loop"


async def hand_over() -> str:
    before = threading.current_thread().name
    await needs_loop()
    return f"{before}>{threading.current_thread().name}"


def _child(queue: multiprocessing.Queue[str]) -> None:
    # Reusing the parent's loop would hang here: its thread did not survive the fork.
    loop = run_sync(running_loop())
    moved = run_engine(hand_over())  # the engine path hands over to the child's loop too
    queue.put(f"{loop.is_running()} {threading.active_count()} {moved}")


# gunicorn --preload forks after the app (and maybe the bridge) started; so does this test.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_child_starts_its_own_loop() -> None:
    parent_loop = run_sync(running_loop())
    assert run_engine(hand_over()) == "MainThread>authgate-sync-bridge"
    context = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue[str] = context.Queue()
    child = context.Process(target=_child, args=(queue,))
    child.start()
    answer = queue.get(timeout=30)
    child.join(timeout=30)
    assert child.exitcode == 0
    # The child's main thread and its own bridge thread.
    assert answer == "True 2 MainThread>authgate-sync-bridge"
    assert bridge.loop is parent_loop


# -- the first step runs on the caller's thread; what suspends continues on the loop ---------


async def where() -> tuple[threading.Thread, asyncio.AbstractEventLoop, bool]:
    task = asyncio.current_task()
    return threading.current_thread(), asyncio.get_running_loop(), task is not None


def test_a_greenlet_suspended_across_an_await_stays_on_its_thread() -> None:
    """SQLAlchemy's async engine runs sync code in a greenlet that awaits through its parent:
    a greenlet cannot be resumed on another thread (the database-session adapter's case)."""
    from sqlalchemy.util import await_only, greenlet_spawn

    def sync_code() -> str:
        await_only(asyncio.sleep(0.001))
        return threading.current_thread().name

    async def through_a_greenlet() -> str:
        return await greenlet_spawn(sync_code)

    assert run_sync(through_a_greenlet()) == "authgate-sync-bridge"


def test_a_worker_thread_of_a_bridged_coroutine_can_use_the_bridge() -> None:
    async def outer() -> str:
        return await asyncio.to_thread(run_sync, inner())

    async def inner() -> str:
        await asyncio.sleep(0)
        return "inner"

    assert run_sync(outer()) == "inner"


def test_a_timeout_set_in_the_first_step_cancels_after_the_hop() -> None:
    async def never() -> None:
        async with asyncio.timeout(0.01):
            await asyncio.Event().wait()

    with pytest.raises(TimeoutError):
        run_sync(never())


def test_a_task_started_in_the_first_step_runs_after_the_call_returned() -> None:
    finished = threading.Event()

    async def background() -> None:
        await asyncio.sleep(0)
        finished.set()

    async def fire_and_forget() -> str:
        tasks.add(asyncio.create_task(background()))
        return "returned"

    tasks: set[asyncio.Task[None]] = set()
    assert run_sync(fire_and_forget()) == "returned"
    assert finished.wait(10)


def test_anyio_and_httpx_detect_asyncio_in_the_first_step() -> None:
    import anyio.to_thread
    import sniffio

    async def detect() -> str:
        library = sniffio.current_async_library()
        return library + ":" + await anyio.to_thread.run_sync(lambda: "worker")

    assert run_sync(detect()) == "asyncio:worker"


VAR: contextvars.ContextVar[str] = contextvars.ContextVar("VAR", default="unset")


@pytest.mark.parametrize("run", [run_sync, run_engine])
def test_the_callers_context_is_copied_not_shared(run: Callable[[Any], str]) -> None:
    async def read_and_set() -> str:
        seen = VAR.get()
        VAR.set("inside")
        await needs_loop()  # run_engine: the rest runs on the loop, in the same context
        await asyncio.sleep(0)
        return seen + "/" + VAR.get()

    token = VAR.set("caller")
    try:
        assert run(read_and_set()) == "caller/inside"
        assert VAR.get() == "caller"
    finally:
        VAR.reset(token)


def test_many_threads_mixing_immediate_and_suspending_calls() -> None:
    async def work(n: int) -> int:
        if n % 3 == 0:
            await asyncio.sleep(0.001 * (n % 5))
        if n % 7 == 0:
            raise ValueError(str(n))
        return n * 2

    def call(n: int) -> int | str:
        try:
            return run_sync(work(n))
        except ValueError as error:
            return str(error)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(call, range(400)))
    assert results == [str(n) if n % 7 == 0 else n * 2 for n in range(400)]
