"""Instructions per request for Flask, Django, Litestar and plain WSGI, and per sync-bridge call.

Run with ``make bench-frameworks-instructions`` (``.venv/bin/python
bench/frameworks_instructions.py``). The wall-clock companion is ``bench/frameworks_bench.py``;
on a shared machine its microseconds are noise, these counts are not (callgrind counts every
thread, so the bridge's loop thread is included; it runs the threads one at a time, so the
time a thread waits to be woken is not). Same method as ``bench/session_instructions.py``:
this script re-runs itself under ``valgrind --tool=callgrind --dump-before=getppid`` and
divides the instructions between two markers by the number of calls. It prints a table with
each ratio next to its target (issue 13); it never asserts.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent))

import frameworks_bench as fb
from session_instructions import callgrind, marker

if TYPE_CHECKING:
    from collections.abc import Callable

TARGET_RATIO = 0.5  # bare/session: the session endpoint keeps half the bare throughput
CPU_GHZ = 3.0  # to show instructions as microseconds: ~1 instruction per cycle for CPython


def measured(framework: str) -> list[tuple[str, Callable[[], object]]]:
    """The calls to count: the bridge alone, or one framework's three requests."""
    if framework == "bridge":
        from examples.shared import auth_config

        from authgate import AuthGate, AuthRequest

        gate = AuthGate(auth_config())
        request = AuthRequest.build(
            method="GET",
            path="/api/auth/session",
            headers=[("host", "127.0.0.1:8000"), ("cookie", fb.COOKIE)],
        )
        return [
            ("bridge: run_sync(nothing())", lambda: fb.run_sync(fb.nothing())),
            ("bridge: run_engine(nothing())", lambda: fb.run_engine(fb.nothing())),
            ("bridge: run_sync(gate.get_session)", lambda: fb.run_sync(gate.get_session(request))),
            (
                "bridge: run_engine(gate.get_session)",
                lambda: fb.run_engine(gate.get_session(request)),
            ),
            ("core: gate.get_session, own loop", _on_loop(lambda: gate.get_session(request))),
            # Design (a), "leader/follower": a caller that finds the loop idle drives it itself;
            # even uncontended that is a task and a loop iteration per call.
            ("design (a) floor: run_until_complete(nothing())", _on_loop(fb.nothing)),
        ]
    build, caller = fb.FRAMEWORKS[framework]
    app = build()
    return [(f"{framework}: {kind}", caller(app, path)) for kind, path in fb.PATHS.items()]


def _on_loop(make: Callable[[], object]) -> Callable[[], object]:
    import asyncio

    loop = asyncio.new_event_loop()
    return lambda: loop.run_until_complete(make())  # type: ignore[arg-type]


def child(n: int, warmup: int, frameworks: list[str]) -> None:
    """Under callgrind: warm up, marker, ``n`` calls, marker; one call after the other."""
    names = []
    for framework in frameworks:
        for name, call in measured(framework):
            for _ in range(warmup):
                call()
            gc.collect()
            gc.freeze()
            gc.disable()
            marker()
            for _ in range(n):
                call()
            marker()
            gc.enable()
            names.append(name)
    print(json.dumps(names))


def parent(args: argparse.Namespace) -> int:
    return callgrind(__file__, [f"--warmup={args.warmup}", *args.frameworks], args.calls, report)


def report(per_call: dict[str, float]) -> None:
    print(f"\n{'path':40} {'instructions/call':>18} {f'~us @{CPU_GHZ:g} GHz':>12}  ratio")
    for name, count in per_call.items():
        framework, _, kind = name.partition(": ")
        bare = per_call.get(f"{framework}: bare")
        ratio = ""
        if bare and kind in ("session", "protected"):
            met = "met" if bare / count >= TARGET_RATIO else "not met"
            ratio = f"bare/{kind} {bare / count:.2f} (target >= {TARGET_RATIO}: {met})"
        elif kind.startswith(("run_sync(nothing", "run_engine(nothing")):
            us = count / CPU_GHZ / 1000
            ratio = f"bridge cost (target <= 50 us: {'met' if us <= 50 else 'not met'})"
        print(f"{name:40} {count:18,.0f} {count / CPU_GHZ / 1000:12.1f}  {ratio}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="measured calls per path")
    parser.add_argument("--warmup", type=int, default=50, help="unmeasured calls before")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "frameworks", nargs="*", default=["bridge", *fb.FRAMEWORKS], help="what to measure"
    )
    args = parser.parse_args(argv)
    if args.child:
        child(args.calls, args.warmup, args.frameworks)
        return 0
    return parent(args)


if __name__ == "__main__":
    sys.exit(main())
