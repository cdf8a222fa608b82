"""Benchmark the session check: server throughput against bare Starlette, then per-call costs.

Run with ``make bench`` (``.venv/bin/python bench/session_bench.py``). See bench/README.md.
Never asserts timings: it prints numbers and how they compare with the targets.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
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
SESSION_PATH = "/api/auth/session"
BARE_PATH = "/bare"
COOKIE_NAME = "next-auth.session-token"
URL_ENV = "AUTHGATE_BENCH_URL"

CONCURRENCY = 16
SERVER_CPU, LOADGEN_CPU = 0, 1
LOOP = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
HTTP = "httptools" if importlib.util.find_spec("httptools") else "h11"
TARGET_RATIO, GOAL_RATIO, TARGET_GET_SESSION = 0.50, 0.60, 1.5


# --------------------------------------------------------------------------------------------
# The two apps (uvicorn imports this module with --factory)


async def _authorize(credentials: dict[str, Any], request: AuthRequest) -> None:
    return None


def make_gate(url: str) -> AuthGate:
    """The benchmarked configuration: one Credentials provider, a fixed secret and URL."""
    config = AuthConfig(providers=[Credentials(authorize=_authorize)], secret=SECRET, url=url)
    return AuthGate(config, env={})


def session_app() -> AuthApp:
    """App (a): ``GET /api/auth/session`` through ``AuthApp(AuthGate(...))``."""
    return AuthApp(make_gate(os.environ[URL_ENV]))


def bare_app() -> Starlette:
    """App (b): a bare Starlette app with one small JSON endpoint."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def endpoint(request: object) -> JSONResponse:
        return JSONResponse({"ok": True, "user": {"name": "Ada Lovelace"}})

    return Starlette(routes=[Route(BARE_PATH, endpoint)])


# --------------------------------------------------------------------------------------------
# Helpers


def mint_token() -> str:
    """A valid session token (30 days) in next-auth v4's format."""
    return authgate_jwt.encode(CLAIMS, SECRET)


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
    name: str
    factory: str
    path: str
    port: int
    process: subprocess.Popen[bytes] | None = None
    log: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "uvicorn", "--factory", f"session_bench:{self.factory}",
            "--app-dir", str(Path(__file__).resolve().parent),
            "--host", "127.0.0.1", "--port", str(self.port),
            "--workers", "1", "--no-access-log", "--loop", LOOP, "--http", HTTP,
            "--lifespan", "off", "--log-level", "warning",
        ]  # fmt: skip

    def start(self, pinned: bool) -> None:
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        env = {**os.environ, URL_ENV: self.url}
        preexec = (lambda: pin(SERVER_CPU) and None) if pinned else None
        self.process = subprocess.Popen(
            self.command(), env=env, stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=preexec
        )

    def wait_ready(self, timeout: float = 15.0) -> None:
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


def raw_request(path: str, port: int, cookie: str | None) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Accept: */*"]
    if cookie:
        lines.append(f"Cookie: {COOKIE_NAME}={cookie}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def check_responses(session: Server, bare: Server, token: str) -> None:
    """One request each, so the load measures what we think (a session and its re-issue)."""
    import http.client

    def fetch(server: Server, cookie: str | None) -> tuple[http.client.HTTPResponse, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        conn.request("GET", server.path, headers={"Cookie": f"{COOKIE_NAME}={cookie or ''}"})
        response = conn.getresponse()
        body = response.read()
        conn.close()
        return response, body

    response, body = fetch(session, token)
    user = json.loads(body).get("user", {}) if response.status == 200 else {}
    if user.get("email") != CLAIMS["email"]:
        raise RuntimeError(
            f"session endpoint did not return the session: {response.status} {body!r}"
        )
    cookies = response.headers.get_all("set-cookie") or []
    if not any(c.startswith(COOKIE_NAME + "=") for c in cookies):
        raise RuntimeError("session endpoint did not re-issue the session cookie")
    if fetch(bare, None)[0].status != 200:
        raise RuntimeError("bare endpoint did not answer 200")


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


def run_wrk(server: Server, cookie: str | None, seconds: float) -> RoundResult:
    """One round with wrk (one thread, CONCURRENCY keep-alive connections)."""
    wrk = shutil.which("wrk")
    assert wrk is not None
    duration = max(1, round(seconds))  # wrk takes whole seconds
    cmd = [wrk, "-t1", f"-c{CONCURRENCY}", f"-d{duration}s", "--latency"]
    if cookie:
        cmd += ["-H", f"Cookie: {COOKIE_NAME}={cookie}"]
    cmd.append(server.url + server.path)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 15, check=False)
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


async def _python_round(server: Server, cookie: str | None, seconds: float) -> RoundResult:
    loop = asyncio.get_running_loop()
    request = raw_request(server.path, server.port, cookie)
    samples: list[int] = []
    start = time.perf_counter_ns()
    deadline = start + int(seconds * 1e9)
    cpu_start = time.process_time()
    conns: list[_KeepAlive] = []
    for _ in range(CONCURRENCY):
        _, proto = await loop.create_connection(
            lambda: _KeepAlive(request, deadline, samples), "127.0.0.1", server.port
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


def run_python(server: Server, cookie: str | None, seconds: float) -> RoundResult:
    """One round with the asyncio keep-alive loop (CONCURRENCY connections)."""
    return asyncio.run(_python_round(server, cookie, seconds))


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


def choose_loadgen(
    requested: str,
) -> tuple[str, Callable[[Server, str | None, float], RoundResult]]:
    if requested in ("auto", "wrk") and shutil.which("wrk"):
        return "wrk", run_wrk
    if requested == "wrk":
        print("  wrk not found; install it with `apt-get install wrk`.")
    elif requested == "auto":
        print("  wrk not found (`apt-get install wrk` gives steadier numbers); using the")
        print("  Python asyncio keep-alive loop, which may itself saturate its core.")
    return "python", run_python


def server_throughput(args: argparse.Namespace, token: str) -> tuple[ServerSummary, ...]:
    """Interleaved rounds A, B, A, B, ... against the session app and the bare app."""
    print("== 1. Server throughput " + "=" * 70)
    pinned = pin(LOADGEN_CPU)
    loadgen_name, loadgen = choose_loadgen(args.loadgen)
    session = Server("session", "session_app", SESSION_PATH, free_port())
    bare = Server("bare", "bare_app", BARE_PATH, free_port())
    print(f"  uvicorn: --workers 1 --no-access-log --loop {LOOP} --http {HTTP}")
    print(
        f"  pinning: {'servers on CPU 0, load generator on CPU 1' if pinned else 'not available'}"
    )
    print(f"  load: {loadgen_name}, {CONCURRENCY} keep-alive connections, "
          f"{args.rounds} rounds x {args.seconds:g} s per app, interleaved")  # fmt: skip
    results: dict[str, list[RoundResult]] = {"session": [], "bare": []}
    with running([session, bare], pinned):
        check_responses(session, bare, token)
        for server in (session, bare):  # warm-up, discarded
            loadgen(server, token if server is session else None, 1.0)
        for index in range(args.rounds):
            for server in (session, bare):
                result = loadgen(server, token if server is session else None, args.seconds)
                results[server.name].append(result)
                print_round(index + 1, server.name, result)
    return ServerSummary("session", results["session"]), ServerSummary("bare", results["bare"])


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


def time_sync(fn: Callable[[], object], *, most: int = 20_000, repeats: int = REPEATS) -> Micro:
    """Best of ``repeats`` runs of ``n`` calls (``n`` sized to keep each run short)."""
    for _ in range(200):  # warm-up
        fn()
    start = time.perf_counter_ns()
    for _ in range(200):
        fn()
    n = _iterations((time.perf_counter_ns() - start) / 200, REPEAT_BUDGET_S, most)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter_ns()
        for _ in range(n):
            fn()
        best = min(best, time.perf_counter_ns() - start)
    return Micro("", best / n, n)


async def time_async(
    fn: Callable[[], Awaitable[object]], *, most: int = 20_000, repeats: int = REPEATS
) -> Micro:
    for _ in range(200):  # warm-up
        await fn()
    start = time.perf_counter_ns()
    for _ in range(200):
        await fn()
    n = _iterations((time.perf_counter_ns() - start) / 200, REPEAT_BUDGET_S, most)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter_ns()
        for _ in range(n):
            await fn()
        best = min(best, time.perf_counter_ns() - start)
    return Micro("", best / n, n)


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


def asgi_scope(token: str, url: str) -> dict[str, Any]:
    host = url.removeprefix("http://").encode()
    headers = [
        (b"host", host),
        (b"user-agent", b"session-bench"),
        (b"accept", b"*/*"),
        (b"cookie", f"{COOKIE_NAME}={token}".encode()),
    ]
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": SESSION_PATH, "raw_path": SESSION_PATH.encode(),
        "root_path": "", "query_string": b"", "headers": headers,
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
    }  # fmt: skip


async def micro_benchmarks(token: str) -> list[Micro]:
    """Per-call costs of the session check, in this process."""
    print("\n== 2. In-process micro-benchmarks " + "=" * 60)
    url = "http://127.0.0.1:8000"
    gate = make_gate(url)
    app = AuthApp(gate)
    scope = asgi_scope(token, url)
    request = AuthRequest.build(
        method="GET",
        path=SESSION_PATH,
        headers=[(k.decode(), v.decode()) for k, v in scope["headers"]],
    )
    key = derive_key()
    raw = raw_decoder(key)
    codec = authgate_jwt.JWTCodec(SECRET)
    if raw(token) != codec.decode(token) or await gate.get_session(request) is None:
        raise RuntimeError("the decoders disagree on the benchmark token")
    response = await gate.handle(request)
    if response.status != 200 or not any(c.name == COOKIE_NAME for c in response.cookies):
        raise RuntimeError("GET /session did not re-issue the session cookie")

    async def rcv() -> MutableMapping[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def snd(message: MutableMapping[str, Any]) -> None:
        return None

    rows = [
        _named("raw bound (AESGCM + json.loads)", time_sync(lambda: raw(token))),
        _named("JWTCodec.decode", time_sync(lambda: codec.decode(token))),
        _named("gate.get_session", await time_async(lambda: gate.get_session(request))),
        _named("gate.handle GET /session", await time_async(lambda: gate.handle(request))),
        _named("AuthApp ASGI call (no server)", await time_async(lambda: app(scope, rcv, snd))),
    ]  # fmt: skip
    jose = joserfc_decoder(key)
    if jose is None:
        rows.append(Micro("joserfc decode", None, note="skipped: joserfc is not installed"))
    else:
        if jose(token) != raw(token):
            raise RuntimeError("joserfc disagrees on the benchmark token")
        rows.append(_named("joserfc decode", time_sync(lambda: jose(token))))
    print_micro(rows)
    return rows


def _named(name: str, micro: Micro) -> Micro:
    micro.name = name
    return micro


def print_micro(rows: list[Micro]) -> None:
    raw = rows[0].ns_per_op or 1.0
    print(f"  {'':<34} {'µs/op':>9} {'x raw':>7} {'iterations':>11}   (best of {REPEATS} runs)")
    for row in rows:
        if row.ns_per_op is None:
            print(f"  {row.name:<34} {'-':>9} {'-':>7}  {row.note}")
            continue
        ratio = row.ns_per_op / raw
        print(f"  {row.name:<34} {fmt_us(row.ns_per_op):>9} {ratio:>6.2f}x {row.iterations:>11,}")


# --------------------------------------------------------------------------------------------
# Part 3: summary


def summary(servers: tuple[ServerSummary, ...] | None, micro: list[Micro] | None) -> None:
    print("\n== Summary " + "=" * 83)
    if servers is not None:
        session, bare = servers
        ratio = session.rps / bare.rps if bare.rps else float("nan")
        for s in servers:
            print(f"  {s.name + ' req/s (median of rounds)':<40} {s.rps:>10,.0f}   "
                  f"p50 {fmt_ms(s.p50_ns)} ms, p99 {fmt_ms(s.p99_ns)} ms")  # fmt: skip
        verdict = (
            "goal met"
            if ratio >= GOAL_RATIO
            else "target met"
            if ratio >= TARGET_RATIO
            else "below target"
        )
        print(f"  {'session / bare throughput':<40} {ratio:>10.2f}   "
              f"target >= {TARGET_RATIO:.2f}, goal {GOAL_RATIO:.2f}: {verdict}")  # fmt: skip
    if micro is not None:
        by_name = {m.name: m.ns_per_op for m in micro}
        raw = by_name["raw bound (AESGCM + json.loads)"] or 1.0
        get_session = by_name["gate.get_session"] or 0.0
        ratio = get_session / raw
        verdict = "met" if ratio <= TARGET_GET_SESSION else "above target"
        detail = f"{fmt_us(get_session)} vs {fmt_us(raw)} µs"
        print(f"  {'get_session / raw bound':<40} {ratio:>9.2f}x   "
              f"{detail}; target <= {TARGET_GET_SESSION}x: {verdict}")  # fmt: skip
        handle = by_name["gate.handle GET /session"] or 0.0
        print(
            f"  {'handle GET /session / raw bound':<40} {handle / raw:>9.2f}x   {fmt_us(handle)} µs"
        )
        jose = by_name.get("joserfc decode")
        if jose:
            print(f"  {'joserfc decode / raw bound':<40} {jose / raw:>9.2f}x   {fmt_us(jose)} µs")


# --------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--rounds", type=int, default=4, help="rounds per app (default 4)")
    parser.add_argument("--seconds", type=float, default=2.0, help="seconds per round")
    parser.add_argument("--skip-server", action="store_true", help="micro-benchmarks only")
    parser.add_argument("--skip-micro", action="store_true", help="server throughput only")
    return parser.parse_args(argv)


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through running(), which stops the servers


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    started = time.monotonic()
    token = mint_token()
    print(f"authgate session benchmark: Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs, token {len(token)} chars")  # fmt: skip
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
