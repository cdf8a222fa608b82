"""The sync bridge: one loop per process, shared by threads, re-made after fork."""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from authgate.integrations._sync import SyncBridge, bridge, run_sync


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


def _child(queue: multiprocessing.Queue[str]) -> None:
    # Reusing the parent's loop would hang here: its thread did not survive the fork.
    loop = run_sync(running_loop())
    queue.put(f"{loop.is_running()} {threading.active_count()}")


# gunicorn --preload forks after the app (and maybe the bridge) started; so does this test.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_child_starts_its_own_loop() -> None:
    parent_loop = run_sync(running_loop())
    context = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue[str] = context.Queue()
    child = context.Process(target=_child, args=(queue,))
    child.start()
    answer = queue.get(timeout=30)
    child.join(timeout=30)
    assert child.exitcode == 0
    assert answer == "True 2"  # the child's main thread and its own bridge thread
    assert bridge.loop is parent_loop
