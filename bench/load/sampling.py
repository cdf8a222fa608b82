"""CPU and RSS of every app worker (and the shared components) over time, with psutil."""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import psutil

if TYPE_CHECKING:
    import subprocess
    from collections.abc import Callable, Mapping


@dataclass
class Sample:
    t: float
    name: str  # "app1/w<pid>" for a worker, or a component's name
    cpu: float  # percent of one core since the previous sample
    rss: int  # bytes (a component: summed over its process tree)


@dataclass
class Sampler:
    """Samples every ``interval`` seconds in a thread until stopped."""

    instances: list[subprocess.Popen[bytes]]
    others: Callable[[], Mapping[str, int]]  # asked each time: a restart changes the PID
    interval: float = 0.5
    samples: list[Sample] = field(default_factory=list)
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _known: dict[int, psutil.Process] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def workers(self) -> dict[str, psutil.Process]:
        """The serving processes: each instance's children (``--workers N``) or itself."""
        found = {}
        for index, instance in enumerate(self.instances, 1):
            with contextlib.suppress(psutil.Error):
                parent = psutil.Process(instance.pid)
                children = [c for c in parent.children() if is_worker(c)]
                for process in children or [parent]:
                    found[f"app{index}/w{process.pid}"] = self._cached(process)
        return found

    def _cached(self, process: psutil.Process) -> psutil.Process:
        known = self._known.get(process.pid)
        if known is None:
            known = self._known[process.pid] = process
            known.cpu_percent(None)  # the first call starts the measurement
        return known

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            now = time.time()
            for name, process in self.workers().items():
                with contextlib.suppress(psutil.Error):
                    self.samples.append(
                        Sample(now, name, process.cpu_percent(None), process.memory_info().rss)
                    )
                    times = process.cpu_times()
                    self.cpu_seconds[name] = times.user + times.system
            for name, pid in self.others().items():
                with contextlib.suppress(psutil.Error):
                    root = psutil.Process(pid)
                    tree = [root, *root.children(recursive=True)]
                    cpu = rss = 0.0
                    for process in tree:
                        with contextlib.suppress(psutil.Error):
                            cpu += self._cached(process).cpu_percent(None)
                            rss += process.memory_info().rss
                    self.samples.append(Sample(now, name, cpu, int(rss)))


def is_worker(process: psutil.Process) -> bool:
    """A uvicorn worker: a Python child that is not multiprocessing's resource tracker."""
    with contextlib.suppress(psutil.Error):
        command = " ".join(process.cmdline())
        return process.name().startswith("python") and "resource_tracker" not in command
    return False
