"""Flask, Django, Litestar and plain WSGI under real servers: each framework's bare endpoint,
``/api/auth/session`` and a protected view, on the same server, side by side (issue 13).

Run: ``.venv/bin/python bench/frameworks_servers.py [--rounds R] [--seconds S] [--only NAME]``
(``make bench-frameworks``). Prints numbers; never asserts them.

Method (``bench/session_bench.py``'s, whose helpers it imports): every server is its own
process pinned to CPU 0 (``taskset``-style affinity), the load generator (``wrk -t1 -c16``,
or the Python keep-alive loop without wrk) runs pinned to CPU 1; every target is checked
once, warmed up for one second, then measured in interleaved rounds (A, B, C, ..., A, B, C),
and the median of the rounds is reported. Every request carries a browser's cookies: the
session token plus the CSRF and callback-URL cookies the server's first ``/session`` set.

Servers (one worker each: the ratio is per core):

- ``wsgi``, ``flask``, ``django``: gunicorn, sync worker (one request at a time; it closes the
  connection after each answer, for the bare endpoint too), the sync bridge in the worker;
- ``flask gthread``, ``django gthread``: gunicorn's gthread worker, 4 threads, keep-alive;
- ``litestar``, ``django asgi``: uvicorn (uvloop/httptools when installed), no bridge: the
  session is read on the server's loop.

For each: ``session/bare`` and ``protected/bare`` (req/s), each next to its target (>= 0.5).
A second table gives the server's CPU time per request (its processes' user + system time over
each round, divided by the requests answered) and the same ratios from it (bare's CPU per
request over the path's): on a shared machine other processes change the req/s a server gets,
much less the CPU one request costs it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import psutil

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

import frameworks_bench as fb  # noqa: E402
from session_bench import (  # noqa: E402
    HTTP,
    LOADGEN_CPU,
    LOOP,
    RoundResult,
    Server,
    Target,
    browser_cookie,
    choose_loadgen,
    free_port,
    interleaved,
    pin,
    running,
)

if TYPE_CHECKING:
    from collections.abc import Callable

COOKIE_NAME = "next-auth.session-token"
TOKEN = fb.SESSION_COOKIE.split("=", 1)[1]
THREADS = 4  # gunicorn gthread


@dataclass(frozen=True)
class Served:
    """One framework under one server: how to start it."""

    name: str
    server: str  # "gunicorn" or "uvicorn"
    app: str  # gunicorn's "module:callable" or uvicorn's
    worker: str = "sync"
    factory: bool = False  # uvicorn --factory
    env: tuple[tuple[str, str], ...] = ()


DJANGO_ENV = (
    ("DJANGO_SETTINGS_MODULE", "examples.django_project.settings"),
    ("AUTHGATE_DJANGO_DB", ":memory:"),  # the JWT session paths make no query
)
SERVED = (
    Served("wsgi", "gunicorn", "frameworks_bench:wsgi_app()"),
    Served("flask", "gunicorn", "examples.flask_app:create_app()"),
    Served("django", "gunicorn", "examples.django_project.wsgi:application", env=DJANGO_ENV),
    Served("flask gthread", "gunicorn", "examples.flask_app:create_app()", worker="gthread"),
    Served(
        "django gthread",
        "gunicorn",
        "examples.django_project.wsgi:application",
        worker="gthread",
        env=DJANGO_ENV,
    ),
    Served("litestar", "uvicorn", "examples.litestar_app:create_app", factory=True),
    Served("django asgi", "uvicorn", "examples.django_project.asgi:application", env=DJANGO_ENV),
)


def server_for(served: Served) -> Server:
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    env = {
        "AUTH_SECRET": fb.SECRET,
        "AUTH_URL": f"{origin}/api/auth",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(BENCH_DIR)]),
        **dict(served.env),
    }
    if served.server == "gunicorn":
        command = [
            sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
            "--worker-class", served.worker, "--threads", str(THREADS if served.worker ==
            "gthread" else 1), "--log-level", "warning", served.app,
        ]  # fmt: skip
    else:
        command = [
            sys.executable, "-m", "uvicorn", *(["--factory"] if served.factory else []),
            "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--no-access-log",
            "--loop", LOOP, "--http", HTTP, "--lifespan", "off", "--log-level", "warning",
            served.app,
        ]  # fmt: skip
    return Server(served.name, command, port, env, cwd=ROOT)


def targets_for(name: str, server: Server) -> list[Target]:
    cookie = browser_cookie(server.url + fb.PATHS["session"], COOKIE_NAME, TOKEN)
    email = "demo@example.com"
    return [
        Target(f"{name}|bare", server, fb.PATHS["bare"], cookie),
        Target(f"{name}|session", server, fb.PATHS["session"], cookie, email, COOKIE_NAME),
        Target(f"{name}|protected", server, fb.PATHS["protected"], cookie, email),
    ]


def server_cpu(server: Server) -> float:
    """CPU seconds the server's processes (gunicorn's master and worker) have used so far."""
    assert server.process is not None
    root = psutil.Process(server.process.pid)
    total = 0.0
    for process in (root, *root.children(recursive=True)):
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            total += times.user + times.system
    return total


def with_cpu(
    loadgen: Callable[[Target, float], RoundResult], cpu: dict[str, list[float]]
) -> Callable[[Target, float], RoundResult]:
    """``loadgen`` that also records the server's CPU microseconds per request of each call."""

    def measured(target: Target, seconds: float) -> RoundResult:
        before = server_cpu(target.server)
        result = loadgen(target, seconds)
        used = server_cpu(target.server) - before
        cpu.setdefault(target.name, []).append(used / max(result.requests, 1) * 1e6)
        return result

    return measured


def median_rps(rounds: list[RoundResult]) -> float:
    return statistics.median(r.rps for r in rounds)


def report(
    results: dict[str, list[RoundResult]], cpu: dict[str, list[float]], names: list[str]
) -> None:
    kinds = ("bare", "session", "protected")
    tables = (
        ("req/s, median", lambda name: median_rps(results[name]), False),
        # The first call of each target was its warm-up.
        ("server CPU us per request, median", lambda name: statistics.median(cpu[name][1:]), True),
    )
    for unit, value, inverse in tables:
        print(f"\n{'server':15} {'bare':>9} {'session':>9} {'protected':>9}   session/bare"
              f"  protected/bare   ({unit}; target >= {fb.TARGET_RATIO})")  # fmt: skip
        for name in names:
            bare, session, protected = (value(f"{name}|{kind}") for kind in kinds)
            s, p = (
                (bare / session, bare / protected)
                if inverse
                else (session / bare, protected / bare)
            )
            print(
                f"{name:15} {bare:9,.0f} {session:9,.0f} {protected:9,.0f}   "
                f"{s:.2f} {fb.verdict(s >= fb.TARGET_RATIO):15}  "
                f"{p:.2f} {fb.verdict(p >= fb.TARGET_RATIO)}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=1.0, help="per target and round")
    parser.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--only", action="append", help="a server name (repeatable)")
    args = parser.parse_args(argv)
    chosen = [s for s in SERVED if not args.only or s.name in args.only]
    load = os.getloadavg()[0]
    print(f"load average {load:.2f} on {os.cpu_count()} CPUs (shared machine: compare ratios)")
    pinned = pin(LOADGEN_CPU)
    loadgen_name, loadgen = choose_loadgen(args.loadgen)
    where = "servers on CPU 0, load generator on CPU 1" if pinned else "not available"
    print(f"  pinning: {where}; load: {loadgen_name}, 16 connections, "
          f"{args.rounds} rounds x {args.seconds:g} s per target, interleaved")  # fmt: skip
    servers = {s.name: server_for(s) for s in chosen}
    with contextlib.ExitStack() as stack:
        stack.enter_context(running(list(servers.values()), pinned))
        targets = [t for name, server in servers.items() for t in targets_for(name, server)]
        cpu: dict[str, list[float]] = {}
        results = interleaved(targets, with_cpu(loadgen, cpu), args.rounds, args.seconds)
    report(results, cpu, list(servers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
