"""A real uvicorn server in a thread, for the browser and interop tests."""

from __future__ import annotations

import socket
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import httpx
import uvicorn

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


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
