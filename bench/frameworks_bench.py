"""Flask, Django, Litestar and plain WSGI: what authgate adds to a request, and the sync bridge.

Run: ``.venv/bin/python bench/frameworks_bench.py [--requests N]``. Prints numbers; never
asserts them (the machine may be shared: it prints the load average).

For each framework, the example app is called in-process (its WSGI or ASGI callable, no
network, no server: what is measured is the framework plus authgate) with three requests,
alternating over rounds so they share the background noise:

- **bare**: the example's ``/bare`` view, a small JSON answer: the framework's own floor.
- **session**: ``GET /api/auth/session`` with a browser's cookies (a valid session token and
  the CSRF and callback-URL cookies its first call set): decode, callbacks, re-issued cookie,
  the whole v4 answer.
- **protected**: ``GET /api/me``, a view behind the framework's protect helper that reads the
  session and answers it as JSON.

The ratio bare/session is the share of the framework's bare throughput the session endpoint
keeps (target >= 0.5); each ratio is printed next to its target. The sync bridge is measured
alone: ``run_engine`` (the integrations' path: on the caller's thread while no loop is needed)
and ``run_sync`` (always on the loop thread) of a coroutine that returns at once, from one
thread and from 8 at a time (target <= 50 us per call). In-process, a bare WSGI app is a few
microseconds: the issue's ratios are measured under real servers by
``bench/frameworks_servers.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SECRET = "frameworks-bench-secret-0123456789abcdef"
ORIGIN = "http://127.0.0.1:8000"
os.environ.setdefault("AUTH_SECRET", SECRET)  # a server started by frameworks_servers.py
os.environ.setdefault("AUTH_URL", f"{ORIGIN}/api/auth")  # sets both to its own

from authgate import jwt  # noqa: E402
from authgate.integrations._sync import run_engine, run_sync  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Callable

SESSION_COOKIE = "next-auth.session-token=" + jwt.encode(
    {"name": "Demo User", "email": "demo@example.com", "sub": "1"}, SECRET
)
TARGET_RATIO = 0.5  # issue 13: the session endpoint keeps half the bare endpoint's throughput
TARGET_BRIDGE_US = 50.0  # issue 13: the sync bridge's cost per call
PATHS = {"bare": "/bare", "session": "/api/auth/session", "protected": "/api/me"}


def browser_cookies() -> str:
    """The Cookie header of a browser after its first ``/session`` call: the session token plus
    the CSRF and callback-URL cookies that call set (without them every request would pay
    for a new CSRF token, which a browser does not)."""
    from examples.shared import auth_config

    from authgate import AuthGate, AuthRequest

    first = asyncio.run(
        AuthGate(auth_config()).handle(
            AuthRequest.build(
                method="GET",
                path="/api/auth/session",
                headers=[("host", "127.0.0.1:8000"), ("cookie", SESSION_COOKIE)],
            )
        )
    )
    pairs = [c.serialize().split(";", 1)[0] for c in first.cookies]
    return "; ".join([SESSION_COOKIE, *(p for p in pairs if not p.startswith("next-auth.session"))])


COOKIE = browser_cookies()


def wsgi_caller(app: Callable[..., Any], path: str) -> Callable[[], int]:
    def call() -> int:
        environ = {
            "REQUEST_METHOD": "GET",
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1:8000",
            "HTTP_COOKIE": COOKIE,
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr,
        }
        status: list[str] = []
        body = b"".join(app(environ, lambda s, h, e=None: status.append(s)))
        assert body
        return int(status[0][:3])

    return call


def asgi_caller(app: Callable[..., Any], path: str) -> Callable[[], int]:
    loop = asyncio.new_event_loop()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1:8000"), (b"cookie", COOKIE.encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }

    async def once() -> int:
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app({**scope, "state": {}}, receive, send)
        return int(sent[0]["status"])

    return lambda: loop.run_until_complete(once())


def flask_app() -> Callable[..., Any]:
    from examples.flask_app import create_app

    return create_app().wsgi_app


def django_app() -> Callable[..., Any]:
    os.environ["AUTHGATE_DJANGO_DB"] = ":memory:"
    os.environ["DJANGO_SETTINGS_MODULE"] = "examples.django_project.settings"
    from examples.django_project.wsgi import application

    return application


def litestar_app() -> Callable[..., Any]:
    from examples.litestar_app import create_app

    app = create_app()
    app.logging_config = None
    return app


def wsgi_app() -> Callable[..., Any]:
    """Plain WSGI: AuthWSGIApp around a hello app, and get_session(environ) as protection."""
    import json

    from examples.shared import auth_config

    from authgate import AuthGate
    from authgate.integrations.wsgi import AuthWSGIApp, get_session

    gate = AuthGate(auth_config())

    def inner(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ["PATH_INFO"] == "/api/me":
            session = get_session(environ, gate)
            if session is None:
                start_response("401 Unauthorized", [("content-type", "application/json")])
                return [b'{"error":"SessionRequired"}']
            payload = dict(session)
        else:
            payload = {"ok": True}
        start_response("200 OK", [("content-type", "application/json")])
        return [json.dumps(payload).encode()]

    return AuthWSGIApp(gate, app=inner)


FRAMEWORKS: dict[str, tuple[Callable[[], Callable[..., Any]], Callable[..., Any]]] = {
    "wsgi": (wsgi_app, wsgi_caller),
    "flask": (flask_app, wsgi_caller),
    "django": (django_app, wsgi_caller),
    "litestar": (litestar_app, asgi_caller),
}


def per_call(fn: Callable[[], object], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n * 1e6


def bench_framework(name: str, requests: int, rounds: int) -> None:
    build, caller = FRAMEWORKS[name]
    app = build()
    calls = {kind: caller(app, path) for kind, path in PATHS.items()}
    for kind, call in calls.items():
        status = call()
        assert status == 200, f"{name} {kind}: {status}"
        per_call(call, requests // 10)  # warm-up
    samples: dict[str, list[float]] = {kind: [] for kind in calls}
    for _ in range(rounds):
        for kind, call in calls.items():
            samples[kind].append(per_call(call, requests))
    median = {kind: statistics.median(values) for kind, values in samples.items()}
    session, protected = median["bare"] / median["session"], median["bare"] / median["protected"]
    print(
        f"{name:9} bare {median['bare']:7.1f} us   session {median['session']:7.1f} us"
        f" (bare/session {session:.2f}, {verdict(session >= TARGET_RATIO)})"
        f"   protected {median['protected']:7.1f} us"
        f" (bare/protected {protected:.2f}, {verdict(protected >= TARGET_RATIO)})"
    )


def verdict(met: bool) -> str:
    return "target met" if met else "target not met"


async def nothing() -> None:
    return None


def bench_core(n: int) -> None:
    """The engine alone (``gate.handle``, ``gate.get_session`` on a local loop): the floor."""
    from examples.shared import auth_config

    from authgate import AuthGate, AuthRequest

    gate = AuthGate(auth_config())
    request = AuthRequest.build(
        method="GET",
        path="/api/auth/session",
        headers=[("host", "127.0.0.1:8000"), ("cookie", COOKIE)],
    )
    loop = asyncio.new_event_loop()
    handle = per_call(lambda: loop.run_until_complete(gate.handle(request)), n)
    session = per_call(lambda: loop.run_until_complete(gate.get_session(request)), n)
    hopped = per_call(lambda: run_sync(gate.get_session(request)), n)
    driven = per_call(lambda: run_engine(gate.get_session(request)), n)
    print(
        f"core      /session {handle:7.1f} us   get_session {session:7.1f} us"
        f"   via run_sync (loop thread) {hopped:7.1f} us   via run_engine {driven:7.1f} us"
    )


def bridge_cost(run: Callable[[Any], object], n: int) -> tuple[float, float]:
    """Microseconds per ``run(nothing())``: from one thread, and from 8 at once (each thread
    makes n/8 calls in a loop, so no executor hand-off is counted)."""
    run(nothing())
    one = per_call(lambda: run(nothing()), n)
    each = n // 8
    with ThreadPoolExecutor(8) as pool:
        start = time.perf_counter()
        list(pool.map(lambda _: per_call(lambda: run(nothing()), each), range(8)))
        eight = (time.perf_counter() - start) / (each * 8) * 1e6
    return one, eight


def bench_bridge(n: int) -> None:
    for label, run in (
        ("run_engine, no loop needed", run_engine),
        ("run_sync, loop thread", run_sync),
    ):
        one, eight = bridge_cost(run, n)
        print(
            f"sync bridge ({label}): {one:.1f} us per call"
            f" (1 thread, {verdict(one <= TARGET_BRIDGE_US)}), {eight:.1f} us per call (8 threads)"
        )
    print(f"  threads now: {threading.active_count()} (the bridge adds one per process)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(f"load average {load:.2f} on {os.cpu_count()} CPUs (shared machine: compare ratios)")
    bench_bridge(args.requests * 5)
    bench_core(args.requests)
    for name in FRAMEWORKS:
        bench_framework(name, args.requests, args.rounds)


if __name__ == "__main__":
    main()
