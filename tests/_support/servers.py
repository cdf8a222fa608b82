"""Real servers for the browser and interop tests: uvicorn in a thread, gunicorn processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import httpx
import uvicorn

from _support.components import REPO_ROOT

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping
    from pathlib import Path


@contextmanager
def serve(
    make_app: Callable[[str], Any], *, ready_path: str = "/", root_path: str = ""
) -> Iterator[str]:
    """Serve ``make_app(origin)`` on 127.0.0.1 (a free port) with uvicorn; yield the origin.

    The socket is bound here, so the port is known before the app is built and the kernel
    queues the first connection until uvicorn accepts it: no wait-until-ready loop.
    ``ready_path`` must answer 2xx once the server runs (it fails fast if it did not start).
    ``root_path`` is ``uvicorn --root-path``.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    origin = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = uvicorn.Config(
        make_app(origin),
        log_level="warning",
        access_log=False,
        lifespan="off",
        http="h11",
        ws="none",
        loop="asyncio",
        root_path=root_path,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        httpx.get(f"{origin}{ready_path}", timeout=15).raise_for_status()
        yield origin
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


@contextmanager
def gunicorn(
    app: str,
    *,
    env: Callable[[str], Mapping[str, str]],
    workers: int = 2,
    worker_class: str = "sync",
    ready_path: str = "/",
    access_log: Path | None = None,
) -> Iterator[str]:
    """Serve the WSGI ``app`` (``"module:callable"``) with a real gunicorn; yield the origin.

    The socket is bound here and handed over (``--bind fd://N``): the port is known first and
    the kernel queues connections until a worker accepts. ``env(origin)`` is added to the
    process environment (``AUTH_SECRET`` and ``AUTH_URL`` belong there: every worker builds
    its own gate). With ``access_log``, each request is logged as ``<worker pid> <request line>``.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    origin = f"http://127.0.0.1:{sock.getsockname()[1]}"
    command = [
        sys.executable, "-m", "gunicorn",
        "--bind", f"fd://{sock.fileno()}",
        "--workers", str(workers),
        "--worker-class", worker_class,
        "--threads", "4" if worker_class == "gthread" else "1",
        "--log-level", "warning",
    ]  # fmt: skip
    if access_log is not None:
        command += ["--access-logfile", str(access_log), "--access-logformat", "%(p)s %(r)s"]
    process = subprocess.Popen(
        [*command, app],
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), **env(origin)},
        pass_fds=(sock.fileno(),),
        cwd=REPO_ROOT,
    )
    try:
        httpx.get(f"{origin}{ready_path}", timeout=30).raise_for_status()
        yield origin
    finally:
        process.send_signal(signal.SIGINT)  # quick shutdown (SIGTERM waits for workers)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        sock.close()
