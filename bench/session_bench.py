"""Benchmark the session check: server throughput against bare Starlette, then per-call costs.

Run with ``make bench`` (``.venv/bin/python bench/session_bench.py``). See bench/README.md.
Never asserts timings: it prints numbers and how they compare with the targets.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import functools
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from authgate import AuthConfig, AuthGate, AuthRequest
from authgate import jwt as authgate_jwt
from authgate.integrations.asgi import AuthApp
from authgate.providers.credentials import Credentials

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator, MutableMapping, Sequence

    from starlette.applications import Starlette

SECRET = "authgate-bench-secret-0123456789abcdef0123456789"
CLAIMS = {  # next-auth v4's default token shape (name, email, picture, sub)
    "name": "Ada Lovelace",
    "email": "ada@example.com",
    "picture": "https://example.com/ada.png",
    "sub": "42",
}
AUTH_PATH = "/api/auth"
SESSION_PATH = "/api/auth/session"
BARE_PATH = "/bare"
OPEN_PATH = "/open"
GUARDED_PATH = "/guarded"
TOKEN_PATH = "/token"  # resource-server mode: behind token_dependency (a Next.js app's token)
COOKIE_NAME = "next-auth.session-token"
V5_COOKIE_NAME = "authjs.session-token"
URL_ENV = "AUTHGATE_BENCH_URL"
DB_ENV = "AUTHGATE_BENCH_DB"
DB_TOKEN = "b" * 64  # the benchmarked database session
DISTINCT_SESSIONS = 256  # "db postgres, 256 sessions": each request another session's cookie


def distinct_token(index: int) -> str:
    """The token of the ``index``-th of the :data:`DISTINCT_SESSIONS` sessions (never DB_TOKEN)."""
    return f"{index:064x}"


BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
INTEROP_NODE = ROOT / "tests" / "interop" / "node"
EXPRESS_NODE = BENCH_DIR / "node"

CONCURRENCY = 16
SERVER_CPU, LOADGEN_CPU = 0, 1
LOOP = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
HTTP = "httptools" if importlib.util.find_spec("httptools") else "h11"
TARGET_GET_SESSION, TARGET_HANDLE, TARGET_ASGI_US = 1.5, 4.0, 70.0
RAW_BOUND = "raw bound (AESGCM + json.loads)"
COLD_GET_SESSION = "gate.get_session, not remembered"
COLD_HANDLE = "gate.handle, not remembered"


# --------------------------------------------------------------------------------------------
# The apps (uvicorn imports this module with --factory)


async def _authorize(credentials: dict[str, Any], request: AuthRequest) -> None:
    return None


def make_gate(url: str, **config: Any) -> AuthGate:
    """The benchmarked configuration: one Credentials provider, a fixed secret and URL."""
    provider = Credentials(authorize=_authorize, database_session="adapter" in config)
    config = {"providers": [provider], "secret": SECRET, "url": url + AUTH_PATH, **config}
    return AuthGate(AuthConfig(**config), env={})


def session_app() -> AuthApp:
    """``GET /api/auth/session`` through ``AuthApp(AuthGate(...))`` as the whole ASGI app."""
    return AuthApp(make_gate(os.environ[URL_ENV]))


def replay_app() -> Callable[..., Awaitable[None]]:
    """The ``session`` target's answer without authgate's work: the floor of that answer.

    The first request goes to ``AuthApp`` (session cookie only, as ``session``); its messages
    are kept and every later request gets the same bytes back (the same status, headers and
    body), so what is left is what any server pays for an answer of that shape: uvicorn's
    checks of its ten headers, the ~1 KB of cookies through the kernel.
    """
    inner = session_app()
    recorded: list[MutableMapping[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if not recorded:

            async def record(message: MutableMapping[str, Any]) -> None:
                recorded.append(message)
                await send(message)

            await inner(scope, receive, record)
            return
        for message in recorded:
            await send(message)

    return app


def _user() -> dict[str, Any]:
    return {"ok": True, "user": {"name": "Ada Lovelace"}}


def bare_app() -> Starlette:
    """A bare Starlette app with one small JSON endpoint."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def endpoint(request: object) -> JSONResponse:
        return JSONResponse(_user())

    return Starlette(routes=[Route(BARE_PATH, endpoint)])


def starlette_app() -> Starlette:
    """What a Starlette user runs: ``AuthApp`` mounted at ``/api/auth`` next to the app's routes."""
    from starlette.routing import Mount

    app = bare_app()
    app.router.routes.append(Mount(AUTH_PATH, app=AuthApp(make_gate(os.environ[URL_ENV]))))
    return app


def fastapi_app() -> Any:
    """FastAPI: ``AuthApp`` mounted, an open JSON route and the same route behind the session."""
    return fastapi_app_for(make_gate(os.environ[URL_ENV]))


def fastapi_app_for(gate: AuthGate) -> Any:
    """The FastAPI app of :func:`fastapi_app` around ``gate``."""
    from fastapi import Depends, FastAPI

    from authgate.integrations.fastapi import session_dependency, token_dependency
    from authgate.resource import NextAuthSession

    current_session = session_dependency(gate)
    app = FastAPI()
    app.mount(AUTH_PATH, AuthApp(gate))

    @app.get(OPEN_PATH)
    async def open_route() -> dict[str, Any]:
        return _user()

    @app.get(GUARDED_PATH, dependencies=[Depends(current_session)])
    async def guarded_route() -> dict[str, Any]:
        return _user()

    @app.get(TOKEN_PATH, dependencies=[Depends(token_dependency(NextAuthSession(secret=SECRET)))])
    async def token_route() -> dict[str, Any]:
        return _user()

    return app


def database_app() -> AuthApp:
    """Database sessions (``Credentials(database_session=True)``) on ``$AUTHGATE_BENCH_DB``."""
    from authgate.adapters.sqlalchemy import SQLAlchemyAdapter

    adapter = SQLAlchemyAdapter(os.environ[DB_ENV], create=False)
    return AuthApp(make_gate(os.environ[URL_ENV], adapter=adapter))


# --------------------------------------------------------------------------------------------
# Helpers


def mint_token() -> str:
    """A valid session token (30 days) in next-auth v4's format, made by authgate."""
    return authgate_jwt.encode(CLAIMS, SECRET)


def node_json(
    folder: Path, args: list[str], stdin: str = "", env: dict[str, str] | None = None
) -> str:
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not installed")
    done = subprocess.run(
        [node, *args], input=stdin, capture_output=True, text=True, cwd=folder, timeout=60,
        env={**os.environ, **(env or {})}, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip() or f"node exited {done.returncode}")
    return done.stdout.strip()


def nextauth_token() -> tuple[str, str]:
    """A session token made by next-auth's own ``encode`` (tests/interop/node), and its origin."""
    try:
        request = json.dumps({"op": "encode", "token": CLAIMS, "secret": SECRET})
        answer = json.loads(node_json(INTEROP_NODE, ["jwt.mjs"], request))
        return str(answer["jwt"]), "next-auth 4.24.15 encode (node)"
    except (RuntimeError, OSError, KeyError, ValueError) as exc:
        return mint_token(), f"authgate encode (next-auth unavailable: {exc})"


def pin(cpu: int) -> bool:
    """Pin the calling process to ``cpu``; ``False`` when that is not possible here."""
    if not hasattr(os, "sched_setaffinity") or cpu not in os.sched_getaffinity(0):
        return False
    os.sched_setaffinity(0, {cpu})
    return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def percentile(sorted_values: Sequence[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, round(q * (len(sorted_values) - 1)))]


def fmt_us(ns: float) -> str:
    return f"{ns / 1000:,.1f}"


def fmt_ms(ns: float) -> str:
    return f"{ns / 1e6:,.2f}"


# --------------------------------------------------------------------------------------------
# Servers


@dataclass
class Server:
    """One server process (uvicorn with a factory of this module, or node)."""

    name: str
    command: list[str]
    port: int
    env: dict[str, str]
    cwd: Path = BENCH_DIR
    process: subprocess.Popen[bytes] | None = None
    log: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, pinned: bool) -> None:
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        env = {**os.environ, URL_ENV: self.url, **self.env}
        preexec = (lambda: pin(SERVER_CPU) and None) if pinned else None
        self.process = subprocess.Popen(
            self.command, env=env, cwd=self.cwd, stdout=self.log, stderr=subprocess.STDOUT,
            preexec_fn=preexec,
        )  # fmt: skip

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.name} server exited early:\n{self.output()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} server did not start in {timeout:.0f} s")

    def output(self) -> str:
        if self.log is None:
            return ""
        self.log.seek(0)
        return str(self.log.read().decode(errors="replace"))

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self.log is not None:
            self.log.close()
            self.log = None


def uvicorn_server(name: str, factory: str, **env: str) -> Server:
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", "--factory", f"session_bench:{factory}",
        "--app-dir", str(BENCH_DIR), "--host", "127.0.0.1", "--port", str(port),
        "--workers", "1", "--no-access-log", "--loop", LOOP, "--http", HTTP,
        "--lifespan", "off", "--log-level", "warning",
    ]  # fmt: skip
    return Server(name, command, port, env)


@contextlib.contextmanager
def running(servers: list[Server], pinned: bool) -> Iterator[None]:
    """Start ``servers`` and always terminate them (on success, error or Ctrl-C)."""
    try:
        for server in servers:
            server.start(pinned)
        for server in servers:
            server.wait_ready()
        yield
    finally:
        for server in servers:
            server.stop()


@dataclass
class Target:
    """One URL under load, with the ``Cookie`` header a browser would send it."""

    name: str
    server: Server
    path: str
    cookie: str | None = None
    expect: str = ""  # the body must contain it
    reissue: str | None = None  # the answer must set this cookie
    cookies: tuple[str, ...] = ()  # several: the requests take them in turn (``cookie`` first)

    @property
    def url(self) -> str:
        return self.server.url + self.path


def fetch(url: str, cookie: str | None) -> tuple[int, list[str], bytes]:
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    conn.request("GET", parts.path, headers={"Cookie": cookie} if cookie else {})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, response.headers.get_all("set-cookie") or [], body


def browser_cookie(url: str, session_name: str, token: str) -> str:
    """The session cookie plus the CSRF and callback-url cookies a first answer sets."""
    _, set_cookies, _ = fetch(url, f"{session_name}={token}")
    others = [c.split(";", 1)[0] for c in set_cookies if not c.startswith(session_name + "=")]
    return "; ".join([f"{session_name}={token}", *others])


def raw_request(path: str, port: int, cookie: str | None) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Accept: */*"]
    if cookie:
        lines.append(f"Cookie: {cookie}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def check(target: Target) -> None:
    """One request, so the load measures what we think (a session and its re-issue)."""
    status, set_cookies, body = fetch(target.url, target.cookie)
    if status != 200 or target.expect.encode() not in body:
        log = target.server.output()[-3000:]
        raise RuntimeError(f"{target.name}: unexpected answer {status} {body[:200]!r}\n{log}")
    if target.reissue and not any(c.startswith(target.reissue + "=") for c in set_cookies):
        raise RuntimeError(f"{target.name}: the session cookie was not re-issued")


# --------------------------------------------------------------------------------------------
# Load generators


@dataclass
class RoundResult:
    requests: int
    seconds: float
    p50_ns: float
    p99_ns: float
    errors: int = 0
    client_cpu: float | None = None  # fraction of the load generator's core it used

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


_WRK_UNITS = {"us": 1e3, "ms": 1e6, "s": 1e9}


def _wrk_latency(text: str, label: str) -> float:
    match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", text, re.MULTILINE)
    return float(match.group(1)) * _WRK_UNITS[match.group(2)] if match else float("nan")


def _rotating_cookies(cookies: Sequence[str]) -> str:
    """A wrk script: each request carries the next of ``cookies``.

    The requests are formatted once, in ``init`` (as wrk's own pipeline example does): wrk
    shares CPU 1 with PostgreSQL, so a ``wrk.format`` per request would slow the database.
    """
    listed = ", ".join(json.dumps(cookie) for cookie in cookies)
    return (
        f"local cookies = {{{listed}}}\nlocal requests = {{}}\nlocal n = 0\n"
        "init = function(args)\n  for i, cookie in ipairs(cookies) do\n"
        '    requests[i] = wrk.format(nil, nil, {["Cookie"] = cookie})\n  end\nend\n'
        "request = function()\n  n = n % #requests + 1\n  return requests[n]\nend\n"
    )


def run_wrk(target: Target, seconds: float) -> RoundResult:
    """One round with wrk (one thread, CONCURRENCY keep-alive connections)."""
    wrk = shutil.which("wrk")
    assert wrk is not None
    duration = max(1, round(seconds))  # wrk takes whole seconds
    cmd = [wrk, "-t1", f"-c{CONCURRENCY}", f"-d{duration}s", "--latency"]
    with tempfile.TemporaryDirectory() as folder:
        if target.cookies:
            script = Path(folder) / "cookies.lua"
            script.write_text(_rotating_cookies(target.cookies))
            cmd += ["-s", str(script)]
        elif target.cookie:
            cmd += ["-H", f"Cookie: {target.cookie}"]
        cmd.append(target.url)
        out = subprocess.run(
            cmd, capture_output=True, text=True, timeout=duration + 15, check=False
        )
    text = out.stdout
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s)", text)
    if done is None:
        raise RuntimeError(f"cannot parse wrk output:\n{text}\n{out.stderr}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    socket_errors = re.search(r"connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    errors += sum(int(g) for g in socket_errors.groups()) if socket_errors else 0
    return RoundResult(
        requests=int(done.group(1)),
        seconds=float(done.group(2)) * _WRK_UNITS[done.group(3)] / 1e9,
        p50_ns=_wrk_latency(text, "50"),
        p99_ns=_wrk_latency(text, "99"),
        errors=errors,
    )


_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.IGNORECASE)


class _KeepAlive(asyncio.Protocol):
    """One keep-alive connection sending the same request back to back until the deadline."""

    def __init__(self, request: bytes, deadline: int, samples: list[int]) -> None:
        self.request, self.deadline, self.samples = request, deadline, samples
        self.buffer = b""
        self.started = 0
        self.errors = 0
        self.transport: asyncio.Transport | None = None
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self._send()

    def _send(self) -> None:
        assert self.transport is not None
        self.started = time.perf_counter_ns()
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        length = _CONTENT_LENGTH.search(self.buffer, 0, end + 2)
        if length is None:
            self._finish(RuntimeError("response without Content-Length"))
            return
        total = end + 4 + int(length.group(1))
        if len(self.buffer) < total:
            return
        now = time.perf_counter_ns()
        if not self.buffer.startswith((b"HTTP/1.1 200", b"HTTP/1.0 200")):
            self.errors += 1
        self.samples.append(now - self.started)
        self.buffer = self.buffer[total:]
        if now < self.deadline:
            self._send()
        else:
            self._finish(None)

    def connection_lost(self, exc: Exception | None) -> None:
        self._finish(
            exc or RuntimeError("server closed the connection") if not self.done.done() else None
        )

    def _finish(self, exc: BaseException | None) -> None:
        if not self.done.done():
            if exc is None:
                self.done.set_result(None)
            else:
                self.done.set_exception(exc)
        if self.transport is not None:
            self.transport.close()


async def _python_round(target: Target, seconds: float) -> RoundResult:
    loop = asyncio.get_running_loop()
    server = target.server
    cookies = target.cookies or (target.cookie,)
    requests = [raw_request(target.path, server.port, cookie) for cookie in cookies]
    samples: list[int] = []
    start = time.perf_counter_ns()
    deadline = start + int(seconds * 1e9)
    cpu_start = time.process_time()
    conns: list[_KeepAlive] = []
    for index in range(CONCURRENCY):  # several cookies: each connection its own
        request = requests[index % len(requests)]
        _, proto = await loop.create_connection(
            functools.partial(_KeepAlive, request, deadline, samples),
            "127.0.0.1",
            server.port,
        )
        conns.append(proto)
    await asyncio.gather(*(c.done for c in conns))
    elapsed = (time.perf_counter_ns() - start) / 1e9
    ordered = sorted(samples)
    return RoundResult(
        requests=len(samples),
        seconds=elapsed,
        p50_ns=percentile(ordered, 0.50),
        p99_ns=percentile(ordered, 0.99),
        errors=sum(c.errors for c in conns),
        client_cpu=(time.process_time() - cpu_start) / elapsed,
    )


def run_python(target: Target, seconds: float) -> RoundResult:
    """One round with the asyncio keep-alive loop (CONCURRENCY connections)."""
    return asyncio.run(_python_round(target, seconds))


# --------------------------------------------------------------------------------------------
# Part 1: server throughput


@dataclass
class ServerSummary:
    name: str
    rounds: list[RoundResult]

    @property
    def rps(self) -> float:
        return statistics.median(r.rps for r in self.rounds)

    @property
    def p50_ns(self) -> float:
        return statistics.median(r.p50_ns for r in self.rounds)

    @property
    def p99_ns(self) -> float:
        return statistics.median(r.p99_ns for r in self.rounds)


def choose_loadgen(requested: str) -> tuple[str, Callable[[Target, float], RoundResult]]:
    if requested in ("auto", "wrk") and shutil.which("wrk"):
        return "wrk", run_wrk
    if requested == "wrk":
        print("  wrk not found; install it with `apt-get install wrk`.")
    elif requested == "auto":
        print("  wrk not found (`apt-get install wrk` gives steadier numbers); using the")
        print("  Python asyncio keep-alive loop, which may itself saturate its core.")
    return "python", run_python


@dataclass(frozen=True)
class Ratio:
    """``numerator`` req/s over ``denominator`` req/s, against the issue's target."""

    label: str
    numerator: str
    denominator: str
    target: float
    measured_before: str


RATIOS = (
    Ratio("AuthApp /session / bare Starlette", "session", "bare", 0.60, "0.32"),
    Ratio("mounted in Starlette, browser cookies / bare", "starlette", "bare", 0.60, "0.29-0.36"),
    Ratio("FastAPI mounted /session / open route", "fastapi session", "fastapi open", 0.80, "0.55"),
    Ratio("FastAPI guarded / open route", "fastapi guarded", "fastapi open", 0.80, "0.62-0.67"),
    Ratio("ours (Starlette mount) / @auth/express", "starlette", "express", 8.0, "5.4-6.4"),
    Ratio("database SQLite / JWT (AuthApp)", "db sqlite", "session", 0.35, "0.18"),
    Ratio("database SQLite, big table / 1 row", "db sqlite big", "db sqlite", 0.95, "0.91"),
    Ratio("database PostgreSQL / JWT (AuthApp)", "db postgres", "session", 0.50, "-"),
    Ratio("PostgreSQL, 256 sessions in turn / JWT", "db postgres 256", "session", 0.50, "-"),
)


def seed_database(url: str, rows: int) -> None:
    """The tables, one user and ``rows`` sessions (the benchmarked one is :data:`DB_TOKEN`)."""
    import secrets
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import insert, text

    from authgate.adapters.sqlalchemy import SQLAlchemyAdapter

    async def seed() -> None:
        adapter = SQLAlchemyAdapter(url)
        await adapter.create_tables()
        user = await adapter.create_user(
            {"name": "Ada Lovelace", "email": CLAIMS["email"], "image": CLAIMS["picture"],
             "emailVerified": None}
        )  # fmt: skip
        # 30 days ahead: the sliding window does not move, so reads never write.
        expires = datetime.now(UTC) + timedelta(days=30)
        await adapter.create_session(
            {"sessionToken": DB_TOKEN, "userId": user["id"], "expires": expires}
        )
        batch = 20_000
        distinct = min(DISTINCT_SESSIONS, rows - 1)  # the big tables hold the 256
        async with adapter.engine.begin() as conn:
            if distinct > 0:
                await conn.execute(
                    insert(adapter.tables.sessions),
                    [
                        {"sessionToken": distinct_token(i), "userId": int(user["id"]),
                         "expires": expires}
                        for i in range(distinct)
                    ],
                )  # fmt: skip
            for start in range(1 + distinct, rows, batch):
                await conn.execute(
                    insert(adapter.tables.sessions),
                    [
                        {"sessionToken": secrets.token_hex(32), "userId": int(user["id"]),
                         "expires": expires}
                        for _ in range(min(batch, rows - start))
                    ],
                )  # fmt: skip
        if adapter.engine.dialect.name == "postgresql":
            # What autovacuum would do after 200,000 inserts, done now: run later, beside the
            # load generator on CPU 1, it slowed whichever targets ran meanwhile.
            async with adapter.engine.connect() as conn:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text("VACUUM (ANALYZE)"))
                await conn.execute(text("CHECKPOINT"))
        await adapter.close()

    asyncio.run(seed())


@contextlib.contextmanager
def postgres() -> Iterator[str | None]:
    """A throw-away PostgreSQL (tests/_support), or ``None`` when it is not installed."""
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from _support.postgres_server import PostgresServer  # type: ignore[import-not-found]

        server = PostgresServer()
        server.start()
    except BaseException as exc:  # pytest.skip (missing PostgreSQL) is a BaseException
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        print(f"  PostgreSQL: skipped ({str(exc).splitlines()[0] if str(exc) else exc!r})")
        yield None
        return
    try:
        yield server.url
    finally:
        server.stop()


def express_server() -> tuple[Server, str] | None:
    """Auth.js's ``@auth/express`` (bench/node, committed lockfile) and a token it made."""
    npm = shutil.which("npm")
    if shutil.which("node") is None or npm is None:
        print("  @auth/express: skipped (node/npm not installed)")
        return None
    if not (EXPRESS_NODE / "node_modules" / "@auth" / "express").is_dir():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=EXPRESS_NODE,
            check=True, timeout=300,
        )  # fmt: skip
    env = {"AUTH_SECRET": SECRET, "NODE_ENV": "production"}
    token = node_json(EXPRESS_NODE, ["server.mjs", "mint"], env=env)
    port = free_port()
    server = Server("express", ["node", "server.mjs", "serve", str(port)], port, env, EXPRESS_NODE)
    return server, token


def server_throughput(args: argparse.Namespace, token: str) -> dict[str, ServerSummary]:
    """Interleaved rounds over every target: A, B, C, ..., then ..., C, B, A, and so on."""
    print("== 1. Server throughput " + "=" * 70)
    pinned = pin(LOADGEN_CPU)
    loadgen_name, loadgen = choose_loadgen(args.loadgen)
    workdir = Path(tempfile.mkdtemp(prefix="authgate-bench-"))
    small, big = workdir / "small.db", workdir / "big.db"
    seed_database(str(small), 1)
    seed_database(str(big), args.db_rows)
    with contextlib.ExitStack() as stack:
        pg_url = stack.enter_context(postgres()) if not args.skip_postgres else None
        if pg_url is not None:
            seed_database(pg_url, args.db_rows)
        servers = {
            "session": uvicorn_server("session", "session_app"),
            "bare": uvicorn_server("bare", "bare_app"),
            "replay": uvicorn_server("replay", "replay_app"),
            "starlette": uvicorn_server("starlette", "starlette_app"),
            "fastapi": uvicorn_server("fastapi", "fastapi_app"),
            "db sqlite": uvicorn_server("db sqlite", "database_app", **{DB_ENV: str(small)}),
            "db sqlite big": uvicorn_server("db sqlite big", "database_app", **{DB_ENV: str(big)}),
        }
        if pg_url is not None:
            servers["db postgres"] = uvicorn_server(
                "db postgres", "database_app", **{DB_ENV: pg_url}
            )
        express = None if args.skip_express else express_server()
        if express is not None:
            servers["express"] = express[0]
        print(f"  uvicorn: --workers 1 --no-access-log --loop {LOOP} --http {HTTP}")
        where = "servers on CPU 0, load generator on CPU 1" if pinned else "not available"
        print(f"  pinning: {where}")
        print(f"  load: {loadgen_name}, {CONCURRENCY} keep-alive connections, "
              f"{args.rounds} rounds x {args.seconds:g} s per target, interleaved")  # fmt: skip
        print(f"  database tables: 1 session and {args.db_rows:,} sessions")
        stack.enter_context(running(list(servers.values()), pinned))
        targets = make_targets(servers, token, express[1] if express else None)
        results = interleaved(targets, loadgen, args.rounds, args.seconds)
    shutil.rmtree(workdir, ignore_errors=True)
    return {name: ServerSummary(name, rounds) for name, rounds in results.items()}


def interleaved(
    targets: list[Target],
    loadgen: Callable[[Target, float], RoundResult],
    rounds: int,
    seconds: float,
) -> dict[str, list[RoundResult]]:
    """Check each target once, warm each up (1 s, discarded), then A, B, C, ..., C, B, A, ...

    Every other round runs the targets in reverse order, so a target does not always follow
    the same one (a neighbour's after-effects and a drift of the machine weigh on both sides
    of a ratio alike).
    """
    for target in targets:
        check(target)
    for target in targets:
        loadgen(target, 1.0)
    results: dict[str, list[RoundResult]] = {t.name: [] for t in targets}
    for index in range(rounds):
        for target in targets if index % 2 == 0 else reversed(targets):
            result = loadgen(target, seconds)
            results[target.name].append(result)
            print_round(index + 1, target.name, result)
    return results


def make_targets(servers: dict[str, Server], token: str, express_token: str | None) -> list[Target]:
    plain = f"{COOKIE_NAME}={token}"
    starlette = servers["starlette"].url + SESSION_PATH
    fastapi = servers["fastapi"]
    browser = browser_cookie(starlette, COOKIE_NAME, token)
    email = CLAIMS["email"]
    targets = [
        Target("session", servers["session"], SESSION_PATH, plain, email, COOKIE_NAME),
        Target("bare", servers["bare"], BARE_PATH, None, "Ada"),
        Target("replay", servers["replay"], SESSION_PATH, plain, email, COOKIE_NAME),
        Target("starlette", servers["starlette"], SESSION_PATH, browser, email, COOKIE_NAME),
        Target("fastapi session", fastapi, SESSION_PATH, browser, email, COOKIE_NAME),
        Target("fastapi open", fastapi, OPEN_PATH, browser, "Ada"),
        Target("fastapi guarded", fastapi, GUARDED_PATH, browser, "Ada"),
        Target("fastapi token", fastapi, TOKEN_PATH, browser, "Ada"),
    ]
    for name in ("db sqlite", "db sqlite big", "db postgres"):
        if name in servers:
            cookie = f"{COOKIE_NAME}={DB_TOKEN}"
            targets.append(Target(name, servers[name], SESSION_PATH, cookie, email, COOKIE_NAME))
    if "db postgres" in servers:  # concurrent reads of different sessions, as real users send
        cookies = tuple(f"{COOKIE_NAME}={distinct_token(i)}" for i in range(DISTINCT_SESSIONS))
        targets.append(
            Target("db postgres 256", servers["db postgres"], SESSION_PATH, cookies[0], email,
                   COOKIE_NAME, cookies)
        )  # fmt: skip
    if express_token is not None:
        url = servers["express"].url + "/auth/session"
        cookie = browser_cookie(url, V5_COOKIE_NAME, express_token)
        express = servers["express"]
        targets.append(Target("express", express, "/auth/session", cookie, email, V5_COOKIE_NAME))
    return targets


def print_round(index: int, name: str, r: RoundResult) -> None:
    extra = f"  errors {r.errors}" if r.errors else ""
    if r.client_cpu is not None:
        extra += f"  client cpu {r.client_cpu:.0%}"
    print(f"  round {index} {name:<8} {r.rps:>9,.0f} req/s  "
          f"p50 {fmt_ms(r.p50_ns):>6} ms  p99 {fmt_ms(r.p99_ns):>6} ms{extra}")  # fmt: skip


# --------------------------------------------------------------------------------------------
# Part 2: in-process micro-benchmarks


@dataclass
class Micro:
    name: str
    ns_per_op: float | None
    iterations: int = 0
    note: str = ""


def _iterations(per_op_ns: float, budget_s: float, most: int) -> int:
    return max(500, min(most, int(budget_s * 1e9 / max(per_op_ns, 1.0))))


REPEATS = 15  # best of: the minimum filters out other processes on a shared machine
REPEAT_BUDGET_S = 0.12


@dataclass
class Case:
    """One micro-benchmark row: a call to time, sync or async."""

    name: str
    call: Callable[[], Any]  # an awaitable when ``is_async``
    is_async: bool = False


async def _run(case: Case, n: int) -> int:
    """Nanoseconds for ``n`` calls of ``case``."""
    call = case.call
    if case.is_async:
        start = time.perf_counter_ns()
        for _ in range(n):
            await call()
        return time.perf_counter_ns() - start
    start = time.perf_counter_ns()
    for _ in range(n):
        call()
    return time.perf_counter_ns() - start


async def time_interleaved(
    cases: Sequence[Case], *, most: int = 20_000, repeats: int = REPEATS
) -> list[Micro]:
    """Best of ``repeats`` runs of ``n`` calls for each case, the cases taking turns.

    Run after run, every case is timed once (in reverse order every other run), so a drift
    of the machine (another process, a slower phase of a shared VM) weighs on every row of a
    ratio alike instead of on whichever rows ran while it lasted.
    """
    sizes = []
    for case in cases:
        await _run(case, 200)  # warm-up
        per_call = await _run(case, 200) / 200
        sizes.append(_iterations(per_call, REPEAT_BUDGET_S, most))
    best = [float("inf")] * len(cases)
    order = list(range(len(cases)))
    for index in range(repeats):
        for i in order if index % 2 == 0 else reversed(order):
            best[i] = min(best[i], await _run(cases[i], sizes[i]))
    return [Micro(case.name, best[i] / sizes[i], sizes[i]) for i, case in enumerate(cases)]


def derive_key() -> bytes:
    """next-auth v4's session key, derived here with ``cryptography`` (not through authgate)."""
    from cryptography.hazmat.primitives.hashes import SHA256
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    info = b"NextAuth.js Generated Encryption Key"
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=info).derive(SECRET.encode())


def raw_decoder(key: bytes) -> Callable[[str], dict[str, Any]]:
    """The lower bound: split, base64url-decode, AES-GCM decrypt, ``json.loads``."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    aead = AESGCM(key)
    b64 = base64.urlsafe_b64decode

    def decode(token: str) -> dict[str, Any]:
        header, _, iv, ciphertext, tag = token.split(".")
        plain = aead.decrypt(
            b64(iv + "=" * (-len(iv) % 4)),
            b64(ciphertext + "=" * (-len(ciphertext) % 4)) + b64(tag + "=" * (-len(tag) % 4)),
            header.encode("ascii"),
        )
        claims: dict[str, Any] = json.loads(plain)
        return claims

    return decode


def joserfc_decoder(key: bytes) -> Callable[[str], dict[str, Any]] | None:
    try:
        from joserfc import jwe
        from joserfc.jwk import OctKey
    except ImportError:
        return None
    oct_key = OctKey.import_key(key)

    def decode(token: str) -> dict[str, Any]:
        plain = jwe.decrypt_compact(token, oct_key, algorithms=["dir", "A256GCM"]).plaintext
        claims: dict[str, Any] = json.loads(plain or b"")
        return claims

    return decode


def asgi_scope(cookie: str, url: str, path: str = SESSION_PATH) -> dict[str, Any]:
    host = url.removeprefix("http://").encode()
    headers = [
        (b"host", host),
        (b"user-agent", b"session-bench"),
        (b"accept", b"*/*"),
        (b"cookie", cookie.encode()),
    ]
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(),
        "root_path": "", "query_string": b"", "headers": headers,
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
    }  # fmt: skip


async def micro_benchmarks(token: str) -> list[Micro]:
    """Per-call costs of the session check, in this process."""
    print("\n== 2. In-process micro-benchmarks " + "=" * 60)
    url = "http://127.0.0.1:8000"
    gate = make_gate(url)
    app = AuthApp(gate)
    plain = f"{COOKIE_NAME}={token}"
    first = await gate.handle(
        AuthRequest.build(method="GET", path=SESSION_PATH, headers=[("cookie", plain)])
    )
    # A browser's second request: the session plus the CSRF and callback-url cookies.
    extra = [f"{c.name}={c.serialize().split('=', 1)[1].split(';')[0]}" for c in first.cookies]
    browser = "; ".join([plain, *(c for c in extra if not c.startswith(COOKIE_NAME + "="))])
    scope, browser_scope = asgi_scope(plain, url), asgi_scope(browser, url)
    request = AuthRequest.build(
        method="GET",
        path=SESSION_PATH,
        headers=[(k.decode(), v.decode()) for k, v in browser_scope["headers"]],
    )
    key = derive_key()
    raw = raw_decoder(key)
    codec = authgate_jwt.JWTCodec(SECRET)
    if raw(token) != codec.decode(token) or await gate.get_session(request) is None:
        raise RuntimeError("the decoders disagree on the benchmark token")
    response = await gate.handle(request)
    if [c.name for c in response.cookies] != [COOKIE_NAME]:
        raise RuntimeError("GET /session should re-issue only the session cookie here")

    async def rcv() -> MutableMapping[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def snd(message: MutableMapping[str, Any]) -> None:
        return None

    # The gate remembers the tokens it read or sealed, and these loops send one token again
    # and again: the "not remembered" rows make it forget them before every call.
    forget = gate._options.session_codec(COOKIE_NAME).forget

    async def get_session_cold() -> object:
        forget()
        return await gate.get_session(request)

    async def handle_cold() -> object:
        forget()
        return await gate.handle(request)

    cases = [
        Case(RAW_BOUND, lambda: raw(token)),
        Case("JWTCodec.decode", lambda: codec.decode(token)),
        Case("gate.get_session", lambda: gate.get_session(request), is_async=True),
        Case(COLD_GET_SESSION, get_session_cold, is_async=True),
        Case("gate.handle GET /session", lambda: gate.handle(request), is_async=True),
        Case(COLD_HANDLE, handle_cold, is_async=True),
        Case("AuthApp ASGI call", lambda: app(browser_scope, rcv, snd), is_async=True),
        Case("AuthApp ASGI, session cookie only", lambda: app(scope, rcv, snd), is_async=True),
    ]
    jose = joserfc_decoder(key)
    if jose is not None:
        if jose(token) != raw(token):
            raise RuntimeError("joserfc disagrees on the benchmark token")
        cases.append(Case("joserfc decode", lambda: jose(token)))
    rows = await time_interleaved(cases)
    if jose is None:
        rows.append(Micro("joserfc decode", None, note="skipped: joserfc is not installed"))
    print_micro(rows)
    return rows


def print_micro(rows: list[Micro]) -> None:
    raw = rows[0].ns_per_op or 1.0
    runs = f"(best of {REPEATS} runs, rows in turn)"
    print(f"  {'':<34} {'µs/op':>9} {'x raw':>7} {'iterations':>11}   {runs}")
    for row in rows:
        if row.ns_per_op is None:
            print(f"  {row.name:<34} {'-':>9} {'-':>7}  {row.note}")
            continue
        ratio = row.ns_per_op / raw
        print(f"  {row.name:<34} {fmt_us(row.ns_per_op):>9} {ratio:>6.2f}x {row.iterations:>11,}")


# --------------------------------------------------------------------------------------------
# Part 3: summary


def summary(servers: dict[str, ServerSummary] | None, micro: list[Micro] | None) -> None:
    print("\n== Summary " + "=" * 83)
    print("  (a shared machine gives noisy numbers: compare ratios of the same run)")
    if servers is not None:
        for s in servers.values():
            us = 1e6 / s.rps if s.rps else float("nan")
            print(f"  {s.name + ' req/s':<44} {s.rps:>9,.0f}   {us:>7,.1f} µs/req, "
                  f"p50 {fmt_ms(s.p50_ns)} ms, p99 {fmt_ms(s.p99_ns)} ms")  # fmt: skip
        print(f"\n  {'ratio (median of the rounds)':<44} {'this run':>9}   {'target':>8}   "
              f"{'issue 10 measured':>17}")  # fmt: skip
        for ratio in RATIOS:
            per_round = paired(servers, ratio.numerator, ratio.denominator)
            if not per_round:
                print(f"  {ratio.label:<44} {'-':>9}   >= {ratio.target:<5g}   skipped")
                continue
            value = statistics.median(per_round)
            verdict = "met" if value >= ratio.target else "below"
            spread = f"rounds {min(per_round):.2f}-{max(per_round):.2f}"
            print(f"  {ratio.label:<44} {value:>9.2f}   >= {ratio.target:<5g}   "
                  f"{ratio.measured_before:>17}  {verdict}  ({spread})")  # fmt: skip
        print_replay_floor(servers)
        print_resource_mode(servers)
    if micro is not None:
        by_name = {m.name: m.ns_per_op for m in micro}
        raw = by_name[RAW_BOUND] or 1.0
        print()
        for name, limit in (("gate.get_session", TARGET_GET_SESSION),
                            (COLD_GET_SESSION, TARGET_GET_SESSION),
                            ("gate.handle GET /session", TARGET_HANDLE),
                            (COLD_HANDLE, TARGET_HANDLE)):  # fmt: skip
            value = (by_name[name] or 0.0) / raw
            verdict = "met" if value <= limit else "above"
            print(f"  {name + ' / raw bound':<44} {value:>8.2f}x   <= {limit:g}x   "
                  f"{fmt_us(by_name[name] or 0.0)} vs {fmt_us(raw)} µs  {verdict}")  # fmt: skip
        asgi = (by_name["AuthApp ASGI call"] or 0.0) / 1000
        verdict = "met" if asgi <= TARGET_ASGI_US else "above"
        print(f"  {'AuthApp ASGI call, no server':<44} {asgi:>7.1f} µs   <= {TARGET_ASGI_US:g} µs  "
              f"{verdict}")  # fmt: skip
        jose = by_name.get("joserfc decode")
        if jose:
            print(f"  {'joserfc decode / raw bound':<44} {jose / raw:>8.2f}x   {fmt_us(jose)} µs")


def paired(servers: dict[str, ServerSummary], top: str, bottom: str) -> list[float]:
    """``top`` over ``bottom`` in each round (both ran in it, seconds apart); ``[]``: not run.

    Their median is the run's ratio: a slow phase of the machine during one round moves one
    pair, where a ratio of medians may divide a target's fast round by another's slow one.
    """
    a, b = servers.get(top), servers.get(bottom)
    if a is None or b is None:
        return []
    return [x.rps / y.rps for x, y in zip(a.rounds, b.rounds, strict=True) if y.rps]


def print_replay_floor(servers: dict[str, ServerSummary]) -> None:
    """What the ``session`` target's answer costs by itself, and what authgate adds to it."""
    session, replay, bare = (servers.get(name) for name in ("session", "replay", "bare"))
    per_round = paired(servers, "replay", "bare")
    if session is None or replay is None or bare is None or not per_round or not session.rps:
        return
    own = 1e6 / session.rps - 1e6 / replay.rps
    print(
        f"\n  {'the session answer replayed / bare':<44} {statistics.median(per_round):>9.2f}   "
        "(the answer's own cost: uvicorn, its ten headers, the kernel)"
    )
    print(f"  {'authgate per /session request':<44} {own:>7.1f} µs   "
          f"(session - replay; {own * bare.rps / 1e6:.2f} x a whole bare request)")  # fmt: skip


def print_resource_mode(servers: dict[str, ServerSummary]) -> None:
    """Resource-server mode (no target in issue 10): a route behind ``token_dependency``."""
    per_round = paired(servers, "fastapi token", "fastapi open")
    if per_round:
        spread = f"rounds {min(per_round):.2f}-{max(per_round):.2f}"
        print(f"  {'FastAPI token_dependency / open route':<44} "
              f"{statistics.median(per_round):>9.2f}   (resource-server mode: the claims of "
              f"a Next.js session token; {spread})")  # fmt: skip


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--rounds", type=int, default=4, help="rounds per app (default 4)")
    parser.add_argument("--seconds", type=float, default=2.0, help="seconds per round")
    parser.add_argument("--skip-server", action="store_true", help="micro-benchmarks only")
    parser.add_argument("--skip-micro", action="store_true", help="server throughput only")
    parser.add_argument("--skip-express", action="store_true", help="no @auth/express server")
    parser.add_argument("--skip-postgres", action="store_true", help="no PostgreSQL")
    parser.add_argument(
        "--db-rows", type=int, default=200_000, help="sessions in the big table (default 200,000)"
    )
    return parser.parse_args(argv)


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through running(), which stops the servers


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    started = time.monotonic()
    token, origin = nextauth_token()
    print(f"authgate session benchmark: Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs, token {len(token)} chars from {origin}")  # fmt: skip
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    if load > 0.5:
        print(f"  note: load average {load:.1f} before start; other processes compete for the "
              "CPUs, expect noise (the interleaved rounds keep the ratio fair)")  # fmt: skip
    servers = None if args.skip_server else server_throughput(args, token)
    micro = None if args.skip_micro else asyncio.run(micro_benchmarks(token))
    summary(servers, micro)
    print(f"\n  total time {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
