"""One keep-alive HTTP/1.1 request through uvicorn's httptools protocol, without a socket.

The server path of ``make bench`` in process: the bytes a client sends go to
``HttpToolsProtocol.data_received`` (httptools parsing, the ASGI scope, uvicorn's
``ProxyHeadersMiddleware``, the app, uvicorn's ``send`` building the status line and headers)
and the answer is collected from a transport that only records what is written. What is left
out is the kernel (the socket's reads and writes) and the event loop's polling, the same for
every app. Used by ``session_instructions.py`` to count the instructions of each server target.
"""

from __future__ import annotations

import asyncio
from typing import Any


class RecordingTransport(asyncio.Transport):
    """A transport that keeps what the protocol writes (no socket, never paused)."""

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[bytes] = []
        self.writes = 0
        self.closed = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(
            name, default
        )

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes += 1
        self.chunks.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def pause_reading(self) -> None:
        return None

    def resume_reading(self) -> None:
        return None

    def take(self) -> bytes:
        """What was written since the last call."""
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


class Connection:
    """One keep-alive connection of uvicorn (httptools) to ``app``."""

    def __init__(self, app: Any) -> None:
        import uvicorn
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
        from uvicorn.server import ServerState

        config = uvicorn.Config(app, http="httptools", lifespan="off", access_log=False)
        config.load()
        state = ServerState()
        state.default_headers = [
            (b"date", b"Wed, 02 Dec 2026 12:00:00 GMT"),
            *config.encoded_headers,
        ]
        self.protocol = HttpToolsProtocol(config=config, server_state=state, app_state={})
        self.transport = RecordingTransport()
        self.protocol.connection_made(self.transport)

    async def request(self, raw: bytes) -> bytes:
        """Send one request; return the whole answer once the app's task is done."""
        self.protocol.data_received(raw)  # parses it and starts the app's task
        for task in list(self.protocol.tasks):
            await task
        return self.transport.take()
