"""Instructions per session check, counted by valgrind's callgrind: repeatable on a loaded machine.

Run with ``make bench-instructions`` (``.venv/bin/python bench/session_instructions.py``).
See bench/README.md section 3. Wall-clock timings on a shared machine are noise; the number of
instructions the CPU executes per call is not (hash seed fixed, the garbage collector frozen),
so before/after comparisons of a change hold to a fraction of a percent.

How: this script re-runs itself under ``valgrind --tool=callgrind --dump-before=getppid``. The
child runs each path a few times (warm-up: caches, memoised values), calls ``os.getppid()`` (the
marker: callgrind writes a dump of the counts since the previous one), runs the path ``N`` times,
calls ``os.getppid()`` again. The parent reads the instruction total of each measured dump and
divides by ``N``. Never asserts anything: it prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import session_bench as sb

# --otel absent|api|sdk (passed to the child in the environment): what OpenTelemetry costs.
OTEL = os.environ.get("AUTHGATE_BENCH_OTEL", "")
PG_ENV = "AUTHGATE_INSTR_PG"  # the parent's throw-away PostgreSQL, for the db postgres paths

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, MutableMapping

    from authgate import AuthGate, AuthRequest

RAW = "raw bound (b64 + AESGCM.decrypt + json.loads)"
TARGETS = {  # name -> (target ratio to the raw bound, what the target is), from issue 10
    "gate.get_session": (sb.TARGET_GET_SESSION, "<= 1.5x raw"),
    "gate.handle GET /session": (sb.TARGET_HANDLE, "<= 4x raw"),
}
_TOTALS = re.compile(rb"^(?:summary|totals):\s*(\d+)", re.MULTILINE)


def marker() -> None:
    """The dump point: callgrind writes the counts so far whenever ``getppid`` is entered."""
    os.getppid()


def _run(fn: Callable[[], object], n: int) -> None:
    for _ in range(n):
        fn()


async def _arun(fn: Callable[[], Awaitable[object]], n: int) -> None:
    for _ in range(n):
        await fn()


async def paths(token: str) -> list[tuple[str, Callable[[int], Awaitable[None]]]]:
    """The measured paths, each a coroutine function running the path ``n`` times."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from authgate import AuthRequest

    url = "http://127.0.0.1:8000"
    gate = sb.make_gate(url)
    app = sb.AuthApp(gate)
    plain = f"{sb.COOKIE_NAME}={token}"
    first = await gate.handle(
        AuthRequest.build(method="GET", path=sb.SESSION_PATH, headers=[("cookie", plain)])
    )
    extra = [f"{c.name}={c.serialize().split('=', 1)[1].split(';')[0]}" for c in first.cookies]
    browser = "; ".join([plain, *(c for c in extra if not c.startswith(sb.COOKIE_NAME + "="))])
    browser_scope = sb.asgi_scope(browser, url)
    request = AuthRequest.build(
        method="GET",
        path=sb.SESSION_PATH,
        headers=[(k.decode(), v.decode()) for k, v in browser_scope["headers"]],
    )
    key = sb.derive_key()
    raw = sb.raw_decoder(key)
    aead = AESGCM(key)
    iv, plaintext = os.urandom(12), json.dumps(raw(token)).encode()

    def seal() -> bytes:
        return aead.encrypt(iv, plaintext, b"hdr")

    async def rcv() -> MutableMapping[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def snd(message: MutableMapping[str, Any]) -> None:
        return None

    fastapi = sb.fastapi_app_for(gate)
    guarded = sb.asgi_scope(browser, url, sb.GUARDED_PATH)
    open_scope = sb.asgi_scope(browser, url, sb.OPEN_PATH)
    sent: list[MutableMapping[str, Any]] = []

    async def fsnd(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    await fastapi(dict(guarded), rcv, fsnd)  # a copy: the original stays without a session
    if sent[0]["status"] != 200:
        raise RuntimeError(f"the guarded FastAPI route answered {sent[0]['status']}")

    async def raw_n(n: int) -> None:
        _run(lambda: raw(token), n)

    async def seal_n(n: int) -> None:
        _run(seal, n)

    async def get_session_n(n: int) -> None:
        await _arun(lambda: gate.get_session(request), n)

    async def handle_n(n: int) -> None:
        await _arun(lambda: gate.handle(request), n)

    async def asgi_n(n: int) -> None:
        await _arun(lambda: app(browser_scope, rcv, snd), n)

    # A fresh scope per call, as a server makes: the session read is kept in the scope, so
    # reusing one would measure only the first read.
    async def open_n(n: int) -> None:
        await _arun(lambda: fastapi(dict(open_scope), rcv, snd), n)

    async def guarded_n(n: int) -> None:
        await _arun(lambda: fastapi(dict(guarded), rcv, snd), n)

    servers = await server_paths(app, token, url, browser)
    return [
        (RAW, raw_n),
        ("AESGCM.encrypt (the re-seal)", seal_n),
        ("gate.get_session", get_session_n),
        ("gate.handle GET /session", handle_n),
        *cold_paths(gate, request),
        ("AuthApp ASGI call, browser cookies", asgi_n),
        ("FastAPI open route (ASGI)", open_n),
        ("FastAPI guarded route (session_dependency)", guarded_n),
        *servers,
    ]


def cold_paths(
    gate: AuthGate, request: AuthRequest
) -> list[tuple[str, Callable[[int], Awaitable[None]]]]:
    """``get_session`` and ``handle`` of a token the session codec has not seen before.

    The codec remembers the tokens it read or sealed, and a load generator sends one cookie
    again and again: these rows make it forget them before every call.
    """
    forget = gate._options.session_codec(sb.COOKIE_NAME).forget

    async def get_session_cold_n(n: int) -> None:
        for _ in range(n):
            forget()
            await gate.get_session(request)

    async def handle_cold_n(n: int) -> None:
        for _ in range(n):
            forget()
            await gate.handle(request)

    return [
        ("gate.get_session, token not remembered", get_session_cold_n),
        ("gate.handle GET /session, token not remembered", handle_cold_n),
    ]


async def server_paths(
    app: sb.AuthApp, token: str, url: str, browser: str
) -> list[tuple[str, Callable[[int], Awaitable[None]]]]:
    """``make bench``'s server targets: the app alone, then through uvicorn (no socket)."""
    from uvicorn_path import Connection

    os.environ.setdefault(sb.URL_ENV, url)
    plain = f"{sb.COOKIE_NAME}={token}"
    plain_scope = sb.asgi_scope(plain, url)
    bare = sb.bare_app()
    bare_scope = sb.asgi_scope(browser, url, sb.BARE_PATH)

    async def rcv() -> MutableMapping[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def snd(message: MutableMapping[str, Any]) -> None:
        return None

    async def first_visit_n(n: int) -> None:
        await _arun(lambda: app(plain_scope, rcv, snd), n)

    async def bare_n(n: int) -> None:
        await _arun(lambda: bare(dict(bare_scope), rcv, snd), n)

    measured: list[tuple[str, Callable[[int], Awaitable[None]]]] = [
        ("AuthApp ASGI call, session cookie only", first_visit_n),
        ("Starlette bare route (ASGI)", bare_n),
    ]
    fastapi = sb.fastapi_app()
    targets = [  # name, app, path, cookie, what the answer must hold
        ("uvicorn: bare Starlette", sb.bare_app(), sb.BARE_PATH, None, b"Ada"),
        ("uvicorn: session (AuthApp, session cookie only)", sb.session_app(), sb.SESSION_PATH,
         plain, b"ada@example.com"),
        ("uvicorn: session answer replayed (no authgate work)", sb.replay_app(),
         sb.SESSION_PATH, plain, b"ada@example.com"),
        ("uvicorn: starlette (mounted, browser cookies)", sb.starlette_app(), sb.SESSION_PATH,
         browser, b"ada@example.com"),
        ("uvicorn: fastapi session", fastapi, sb.SESSION_PATH, browser, b"ada@example.com"),
        ("uvicorn: fastapi open", fastapi, sb.OPEN_PATH, browser, b"Ada"),
        ("uvicorn: fastapi guarded", fastapi, sb.GUARDED_PATH, browser, b"Ada"),
    ]  # fmt: skip
    for name, target_app, path, cookie, expect in targets:
        connection = Connection(target_app)
        raw = sb.raw_request(path, 8000, cookie)
        answer = await connection.request(raw)
        if not answer.startswith(b"HTTP/1.1 200 ") or expect not in answer:
            raise RuntimeError(f"{name}: unexpected answer {answer[:300]!r}")

        async def run_n(n: int, connection: Connection = connection, raw: bytes = raw) -> None:
            for _ in range(n):
                await connection.request(raw)

        measured.append((name, run_n))
    return measured


async def database_paths(n_rows: int) -> list[tuple[str, Callable[[int], Awaitable[None]]]]:
    """``gate.get_session`` and ``gate.handle`` with a database session on a SQLite file, and
    on PostgreSQL when the parent started one (``$AUTHGATE_INSTR_PG``)."""
    folder = tempfile.mkdtemp(prefix="authgate-instr-")
    paths = await database_gate_paths("sqlite", f"sqlite+aiosqlite:///{folder}/bench.db", n_rows)
    if os.environ.get(PG_ENV):
        paths += await database_gate_paths("postgres", os.environ[PG_ENV], n_rows)
    return paths


async def database_gate_paths(
    label: str, db_url: str, n_rows: int
) -> list[tuple[str, Callable[[int], Awaitable[None]]]]:
    from authgate import AuthRequest
    from authgate.adapters.sqlalchemy import SQLAlchemyAdapter

    await asyncio.to_thread(sb.seed_database, db_url, n_rows)
    adapter = SQLAlchemyAdapter(db_url, create=False)
    gate = sb.make_gate("http://127.0.0.1:8000", adapter=adapter)
    cookie = f"{sb.COOKIE_NAME}={sb.DB_TOKEN}"
    request = AuthRequest.build(method="GET", path=sb.SESSION_PATH, headers=[("cookie", cookie)])
    if await gate.get_session(request) is None:
        raise RuntimeError("the database session was not found")

    async def get_session_n(n: int) -> None:
        await _arun(lambda: gate.get_session(request), n)

    async def handle_n(n: int) -> None:
        await _arun(lambda: gate.handle(request), n)

    return [
        (f"db {label}: gate.get_session", get_session_n),
        (f"db {label}: gate.handle", handle_n),
    ]


async def child(n: int, warmup: int, database: bool, only: str) -> None:
    """Under callgrind: warm up, marker, ``n`` calls, marker; one path after the other."""
    if OTEL == "sdk":
        install_sdk()
    elif OTEL == "absent":
        # authgate's path without the package (FastAPI >= 0.165 itself needs opentelemetry-api,
        # so the bench cannot uninstall it): the gates are built as if the import had failed.
        from authgate._core import telemetry

        telemetry._AVAILABLE = telemetry._SDK_INSTALLED = False
    token, _ = sb.nextauth_token()
    measured = await paths(token)
    if database:
        measured += await database_paths(1)
    names = []
    for name, run in measured:
        if only not in name and name != RAW:
            continue
        await run(warmup)
        gc.collect()
        gc.freeze()  # no collection mid-run: the counts repeat
        gc.disable()
        marker()
        await run(n)
        marker()
        gc.enable()
        names.append(name)
    print(json.dumps(names))


def install_sdk() -> None:
    """The OpenTelemetry SDK as an application would set it up (metrics read on demand)."""
    from opentelemetry import metrics, trace
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider

    trace.set_tracer_provider(TracerProvider())
    metrics.set_meter_provider(MeterProvider(metric_readers=[InMemoryMetricReader()]))


def totals(folder: Path, prefix: str) -> list[int]:
    """Instruction totals of the dumps, in order (part 1 = up to the first marker, and so on)."""
    parts = sorted(folder.glob(prefix + ".*"), key=lambda p: int(p.name.rsplit(".", 1)[1] or 0))
    out = []
    for part in parts:
        if not part.name.rsplit(".", 1)[1].isdigit():
            continue
        match = _TOTALS.search(part.read_bytes())
        out.append(int(match.group(1)) if match else 0)
    return out


def callgrind(
    script: str,
    child_args: list[str],
    calls: int,
    report: Callable[[dict[str, float]], None],
    extra_env: dict[str, str] | None = None,
) -> int:
    """Run ``script --child ...`` under callgrind; ``report`` the instructions per call by path.

    The child prints the JSON list of the names it measured, in order, as its last line.
    Returns the exit status (a failure is reported on stderr).
    """
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="authgate-callgrind-") as tmp:
        folder = Path(tmp)
        cmd = [
            valgrind, "--tool=callgrind", "--dump-before=getppid", "--dump-instr=no",
            f"--callgrind-out-file={folder}/cg.out", sys.executable, script, "--child",
            f"--calls={calls}", *child_args,
        ]  # fmt: skip
        env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1"}
        env.update(extra_env or {})
        print(f"callgrind: {calls} calls per path (a minute or more) ...", flush=True)
        done = subprocess.run(cmd, capture_output=True, env=env, check=False)
        if done.returncode != 0:
            sys.stderr.write(done.stderr.decode(errors="replace")[-4000:])
            return done.returncode
        names = json.loads(done.stdout.decode().strip().splitlines()[-1])
        counts = totals(folder, "cg.out")
    # Dumps: [startup+setup+warm-up of path 1, path 1, warm-up of path 2, path 2, ...]
    report({name: counts[2 * i + 1] / calls for i, name in enumerate(names)})
    return 0


def parent(args: argparse.Namespace) -> int:
    child_args = [f"--warmup={args.warmup}", f"--only={args.only}"]
    child_args += ["--skip-database"] if args.skip_database else []
    extra_env = {"AUTHGATE_BENCH_OTEL": args.otel} if args.otel else {}
    with contextlib.ExitStack() as stack:
        postgres_paths = ("db postgres: gate.get_session", "db postgres: gate.handle")
        if not args.skip_database and any(args.only in name for name in postgres_paths):
            pg_url = stack.enter_context(sb.postgres())  # PostgreSQL runs outside callgrind
            if pg_url is not None:
                extra_env[PG_ENV] = pg_url
        return callgrind(__file__, child_args, args.calls, report, extra_env)


def report(per_call: dict[str, float]) -> None:
    raw = per_call[RAW]
    print(f"\n{'path':48} {'instructions/call':>18} {'x raw':>8}  target")
    for name, count in per_call.items():
        target = TARGETS.get(name)
        verdict = ""
        if target is not None:
            verdict = f"{target[1]}: {'met' if count / raw <= target[0] else 'not met'}"
        print(f"{name:48} {count:18,.0f} {count / raw:8.2f}  {verdict}")
    guarded = per_call.get("FastAPI guarded route (session_dependency)")
    opened = per_call.get("FastAPI open route (ASGI)")
    if guarded and opened:
        print(f"\nFastAPI guarded - open: {guarded - opened:,.0f} instructions "
              f"(open/guarded = {opened / guarded:.2f}, target >= 0.80 as throughput)")  # fmt: skip
    report_servers(per_call)


SERVER_RATIOS = [  # numerator, denominator, the throughput target of issue 10 (make bench)
    ("uvicorn: bare Starlette", "uvicorn: session (AuthApp, session cookie only)", 0.60),
    ("uvicorn: bare Starlette", "uvicorn: starlette (mounted, browser cookies)", 0.60),
    ("uvicorn: fastapi open", "uvicorn: fastapi session", 0.80),
    ("uvicorn: fastapi open", "uvicorn: fastapi guarded", 0.80),
]


def report_servers(per_call: dict[str, float]) -> None:
    """Instruction ratios of the server targets (user space only: the kernel is not counted)."""
    rows = [(a, b, t) for a, b, t in SERVER_RATIOS if a in per_call and b in per_call]
    if rows:
        print("\nServer targets in instructions (no kernel; make bench's ratio is throughput):")
    for fast, slow, target in rows:
        ratio = per_call[fast] / per_call[slow]
        print(f"  {fast.removeprefix('uvicorn: ')} / {slow.removeprefix('uvicorn: ')}: "
              f"{ratio:.2f} (target >= {target:.2f} as throughput)")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="measured calls per path")
    parser.add_argument("--warmup", type=int, default=50, help="unmeasured calls before")
    parser.add_argument("--skip-database", action="store_true", help="JWT paths only")
    parser.add_argument("--only", default="", help="measure only paths whose name contains this")
    parser.add_argument(
        "--otel",
        choices=["absent", "api", "sdk"],
        help="OpenTelemetry not importable / the API only (no-op providers) / the SDK installed",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        asyncio.run(child(args.calls, args.warmup, not args.skip_database, args.only))
        return 0
    return parent(args)


if __name__ == "__main__":
    sys.exit(main())
