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

from _support.processes import stop
from _support.redis_server import RedisServer, free_port

if TYPE_CHECKING:
    from collections.abc import Iterator

SECRET = "revocation-workers-secret-0123456789abcdef"
SUPPORT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def worker(
    redis: RedisServer,
    prefix: str,
    *,
    public_url: str | None = None,
    trusted_proxies: int = 0,
    port: int | None = None,
) -> Iterator[str]:
    """One uvicorn process (proxy headers off: the app decides); yields its origin."""
    port = port or free_port()
    origin = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "AUTHGATE_TEST_REDIS": redis.url,
        "AUTHGATE_TEST_PREFIX": prefix,
        "AUTHGATE_TEST_SECRET": SECRET,
        "AUTHGATE_TEST_URL": f"{public_url or origin}/api/auth",
        "AUTHGATE_TEST_TRUSTED_PROXIES": str(trusted_proxies),
    }
    command = [sys.executable, "-m", "uvicorn", "_support.revocation_app:app"]
    command += [
        "--app-dir",
        str(SUPPORT),
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-proxy-headers",
    ]
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"uvicorn exited: {process.stderr.read()!r}")  # type: ignore[union-attr]
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{origin}/api/auth/providers", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not answer within 30 s")
            time.sleep(0.05)  # waiting for a process to listen, not for time to pass in a test
        yield origin
    finally:
        stop(process)
