"""`make load`: the deployment under a realistic mix for a fixed time, faults on a schedule.

    .venv/bin/python bench/load/run.py [--duration 60] [--workers 2] [--users 24]
        [--faults all|postgres,redis,smtp,idp] [--out test-artifacts/load]

Starts PostgreSQL, Redis, SMTP (aiosmtpd), the OpenID provider (oidc-provider) and, for each
``--workers`` count, nginx in front of two app instances of ``uvicorn --workers N``; runs the
locust users of ``locustfile.py`` for ``--duration`` seconds; samples CPU and RSS per worker;
stops and restarts the components of ``--faults`` at fixed times. Then checks the database
(``consistency.py``) and writes ``report.html``, ``report.md``, ``report.json`` and the plots
to ``--out``. Exits 1 when an operation failed outside a fault window, failed inside one with
an answer that is not the documented one, the database check found something, or (with
``--check-rss``) a worker's RSS left its budget (its resting level x 1.25 plus 64 MiB per
argon2 run the process allows at once) or its resting level grew by half. Exit 3: a component
is missing (run scripts/install).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from consistency import check  # noqa: E402
from deployment import Components, app_instances, free_port  # noqa: E402
from report import analyse, write_report  # noqa: E402
from sampling import Sampler  # noqa: E402

COMPONENTS = ("postgres", "redis", "smtp", "idp")


@dataclass
class Window:
    """One outage: the component stopped at ``start``, was answering again at ``back``."""

    component: str
    start: float
    back: float = 0.0


@dataclass
class Run:
    """What one run at one worker count produced."""

    workers: int
    started: float
    ended: float
    records: list[dict[str, Any]]
    facts: list[dict[str, Any]]
    samples: list[Any]
    windows: list[Window] = field(default_factory=list)


def schedule(duration: float, faults: list[str], length: float) -> list[tuple[float, str]]:
    """Fault start times: after a fifth of the run, evenly spread, ending before its last fifth."""
    if not faults:
        return []
    span = duration * 0.6
    slot = span / len(faults)
    return [(duration * 0.2 + i * slot, name) for i, name in enumerate(faults)]


def inject(
    components: Components,
    plan: list[tuple[float, str]],
    length: float,
    origin: float,
    windows: list[Window],
    done: threading.Event,
) -> None:
    for at, name in plan:
        if done.wait(max(0.0, origin + at - time.time())):
            return
        window = Window(name, time.time())
        windows.append(window)
        components.stop(name)
        done.wait(length)
        components.start(name)
        window.back = time.time()


def start_locust(public: str, options: argparse.Namespace, work: Path, mix: str) -> Any:
    env = {
        **os.environ,
        "LOAD_RECORDS": str(work / "records.jsonl"),
        "LOAD_SPOOL": str(work / "spool"),
        "LOAD_MIX": mix,
    }
    command = [sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py")]
    command += ["--headless", "--host", public, "-u", str(options.users)]
    command += ["-r", str(max(1, options.users // 2)), "--stop-timeout", "15"]
    command += ["--only-summary", "--loglevel", "WARNING", "--csv", str(work / "locust")]
    # No -t: the run is timed from the first operation (locust takes seconds to start) and
    # ended with SIGTERM. locust exits 1 when any operation failed: the harness judges them.
    return subprocess.Popen(command, env=env)


def first_record(records: Path, locust: Any) -> float:
    """When the first operation ended: the load's time zero."""
    deadline = time.monotonic() + 120
    while locust.poll() is None and time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if records.stat().st_size > 0:
                return time.time()
        time.sleep(0.05)
    raise RuntimeError("locust recorded no operation (is the deployment answering?)")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def one_run(
    components: Components, workers: int, options: argparse.Namespace, work: Path, mix: str
) -> Run:
    with contextlib.suppress(FileNotFoundError):
        (work / "records.jsonl").unlink()
    port = int(components.public.rsplit(":", 1)[1])
    pool = (options.pool_size, options.max_overflow)
    with app_instances(components, workers, port, pool, options.sessions) as instances:
        sampler = Sampler(instances, components.pids)
        windows: list[Window] = []
        done = threading.Event()
        plan = schedule(options.duration, options.faults, options.fault_length)
        with sampler:
            locust = start_locust(components.public, options, work, mix)
            try:
                started = first_record(work / "records.jsonl", locust)
                injector = threading.Thread(
                    target=inject,
                    args=(components, plan, options.fault_length, started, windows, done),
                    daemon=True,
                )
                injector.start()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    locust.wait(timeout=options.duration)
                done.set()
                injector.join(timeout=120)
            finally:
                locust.terminate()
                locust.wait(timeout=60)
        ended = time.time()
    shutil.copy(work / "records.jsonl", options.out / f"records-{workers}w.jsonl")
    everything = read_jsonl(work / "records.jsonl")
    records = [r for r in everything if "op" in r]
    facts = [r for r in everything if "kind" in r]
    return Run(workers, started, ended, records, facts, sampler.samples, windows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load per run")
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[2], help="uvicorn workers per instance"
    )
    parser.add_argument("--users", type=int, default=24, help="simultaneous locust users")
    parser.add_argument("--faults", default="", help="all, or some of " + ",".join(COMPONENTS))
    parser.add_argument("--fault-length", type=float, default=5.0, help="seconds of each outage")
    parser.add_argument("--mix", choices=["full", "reads"], default="full")
    parser.add_argument(
        "--sessions",
        choices=["database", "jwt"],
        default="database",
        help="database sessions in PostgreSQL, or JWT sessions revocable through Redis",
    )
    parser.add_argument("--pool-size", type=int, default=5, help="SQLAlchemy pool per worker")
    parser.add_argument("--max-overflow", type=int, default=5)
    parser.add_argument(
        "--check-rss", action="store_true", help="fail if a worker's RSS leaves its budget"
    )
    parser.add_argument("--out", type=Path, default=Path("test-artifacts/load"))
    options = parser.parse_args(argv)
    options.faults = (
        list(COMPONENTS)
        if options.faults in ("all", "1")
        else [f for f in options.faults.split(",") if f]
    )
    unknown = set(options.faults) - set(COMPONENTS)
    if unknown:
        parser.error(f"unknown --faults {sorted(unknown)}")

    options.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="authgate-load-"))
    public = f"http://127.0.0.1:{free_port()}"
    runs = []
    broken = None
    try:
        components = Components(work, public)
        with components.running(accounts=options.users + 8):
            for workers in options.workers:
                print(f"[load] {workers} worker(s) per instance, {options.duration:.0f} s ...")
                run = one_run(components, workers, options, work, options.mix)
                consistency = asyncio.run(
                    check(components.postgres.url, run.facts, options.sessions)
                )
                runs.append((run, consistency))
    except BaseException as failed:  # a missing component: pytest's skip/fail outside pytest
        if type(failed).__module__.startswith("_pytest"):
            print(f"[load] missing component: {failed}", file=sys.stderr)
            return 3
        if not isinstance(failed, Exception) or not runs:
            raise
        broken = failed  # report the runs that finished
    finally:
        shutil.rmtree(work, ignore_errors=True)

    results = [analyse(run, consistency, options) for run, consistency in runs]
    summary = write_report(results, runs, options)
    print(summary)
    if broken is not None:
        print(f"[load] stopped early: {broken!r}", file=sys.stderr)
        return 1
    return 0 if all(r["passed"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
