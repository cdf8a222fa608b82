"""The auth app of ``_support/revocation_app.py`` in uvicorn processes of their own."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from _support.processes import Drain, stop
from _support.redis_server import RedisServer, free_port

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

SECRET = "revocation-workers-secret-0123456789abcdef"
SUPPORT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def uvicorn_instance(
    app: str,
    env: Mapping[str, str],
    *,
    app_dir: Path = SUPPORT,
    port: int | None = None,
    workers: int = 1,
    ready_within: float = 30,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``uvicorn <app> --workers <workers>`` in a process of its own (proxy headers off: the app
    decides); yields its origin and the process (with ``workers > 1``, the supervisor whose
    children serve). ``env`` is added to this process's environment."""
    port = port or free_port()
    origin = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "uvicorn", app, "--app-dir", str(app_dir)]
    command += ["--port", str(port), "--log-level", "warning", "--no-proxy-headers"]
    if workers > 1:
        command += ["--workers", str(workers)]
    process = subprocess.Popen(command, env={**os.environ, **env}, stderr=subprocess.PIPE)
    stderr = Drain(process.stderr)
    try:
        deadline = time.monotonic() + ready_within
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"uvicorn exited: {stderr.tail()!r}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{origin}/api/auth/providers", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not answer within {ready_within} s")
            time.sleep(0.05)  # waiting for a process to listen, not for time to pass in a test
        yield origin, process
    finally:
        stop(process)


@contextlib.contextmanager
def worker(
    redis: RedisServer,
    prefix: str,
    *,
    public_url: str | None = None,
    trusted_proxies: int = 0,
    port: int | None = None,
) -> Iterator[str]:
    """One uvicorn process serving ``_support/revocation_app.py``; yields its origin."""
    port = port or free_port()
    env = {
        "AUTHGATE_TEST_REDIS": redis.url,
        "AUTHGATE_TEST_PREFIX": prefix,
        "AUTHGATE_TEST_SECRET": SECRET,
        "AUTHGATE_TEST_URL": f"{public_url or f'http://127.0.0.1:{port}'}/api/auth",
        "AUTHGATE_TEST_TRUSTED_PROXIES": str(trusted_proxies),
    }
    with uvicorn_instance("_support.revocation_app:app", env, port=port) as (origin, _):
        yield origin
