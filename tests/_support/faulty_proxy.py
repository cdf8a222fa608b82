"""A reverse proxy on loopback in front of a real server, misbehaving on request.

Real HTTP (uvicorn, h11) between the client and the proxy, real HTTP from the proxy to the
upstream: what a provider that is slow or answers garbage looks like on the wire. The test
sets :attr:`Faults.modes` (endpoint kind → mode) while the proxy runs:

- ``slow``: waits :attr:`Faults.delay` seconds before forwarding (a client timeout);
- ``html``: a ``502`` HTML error page, as a load balancer in front of a dead provider answers;
- ``not-json``: the upstream's status and content type, a body that is not JSON;
- ``wrong-type``: the upstream's JSON under ``Content-Type: text/html`` (a portal's page);
- ``text-plain``: the upstream's JSON under ``Content-Type: text/plain``;
- ``truncated``: the first half of the upstream's body (valid length, invalid JSON);
- ``short``: declares the full ``Content-Length`` and closes after half the body;
- ``bad-id-token``: the token response with its id_token's signature altered.

The endpoint kind comes from the path (``KINDS``: oidc-provider's routes).
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio
import httpx
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from _support.servers import serve

if TYPE_CHECKING:
    from collections.abc import Iterator

    from starlette.requests import Request
    from starlette.types import Receive, Scope, Send

KINDS = {
    "/.well-known/openid-configuration": "discovery",
    "/token": "token",
    "/me": "userinfo",
    "/jwks": "jwks",
}
READY = "/__proxy/ready"
_HOP_BY_HOP = frozenset(
    {"connection", "content-length", "content-encoding", "transfer-encoding", "keep-alive"}
)


@dataclass
class Faults:
    """What the proxy does now; what it was asked."""

    upstream: str = ""
    modes: dict[str, str] = field(default_factory=dict)
    delay: float = 3.0
    served: list[tuple[str, str]] = field(default_factory=list)  # (kind, mode or "ok")


class ShortBody(Response):
    """Declares ``len(body)`` bytes and sends half of them: the server then drops the line."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        await send({"type": "http.response.body", "body": self.body[: len(self.body) // 2]})


def _altered_id_token(body: bytes) -> bytes:
    data = json.loads(body)
    header, payload, signature = data["id_token"].split(".")
    flipped = "A" if signature[10] != "A" else "B"
    data["id_token"] = f"{header}.{payload}.{signature[:10]}{flipped}{signature[11:]}"
    return json.dumps(data).encode()


def _garbled(mode: str, body: bytes, content_type: str) -> tuple[bytes, str]:
    if mode == "not-json":
        return b'{"access_token": "abc", oops this is not json', content_type
    if mode == "wrong-type":
        return body, "text/html; charset=utf-8"
    if mode == "text-plain":
        return body, "text/plain; charset=utf-8"
    if mode == "truncated":
        return body[: len(body) // 2], content_type
    if mode == "bad-id-token":
        return _altered_id_token(body), content_type
    return body, content_type


def proxy_app(faults: Faults) -> Starlette:
    """The proxy: forwards every request to ``faults.upstream`` unless a fault is set."""

    async def forward(request: Request) -> Response:
        if request.url.path == READY:
            return PlainTextResponse("ok")
        kind = KINDS.get(request.url.path, "other")
        mode = faults.modes.get(kind, "ok")
        faults.served.append((kind, mode))
        sent = await request.body()  # before waiting: the client may have gone by then
        if mode == "slow":
            await anyio.sleep(faults.delay)
        if mode == "html":
            page = "<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>"
            return HTMLResponse(page, status_code=502)
        headers = [(k, v) for k, v in request.headers.items() if k not in _HOP_BY_HOP]
        headers = [(k, v) for k, v in headers if k != "accept-encoding"]
        url = f"{faults.upstream}{request.url.path}"
        if request.url.query:
            url += f"?{request.url.query}"
        async with httpx.AsyncClient() as client:
            answer = await client.request(request.method, url, headers=headers, content=sent)
        body, content_type = _garbled(mode, answer.content, answer.headers.get("content-type", ""))
        response_type: type[Response] = ShortBody if mode == "short" else Response
        response = response_type(content=body, status_code=answer.status_code)
        kept = [
            (k.encode("latin-1"), v.encode("latin-1"))
            for k, v in answer.headers.multi_items()
            if k not in _HOP_BY_HOP and k != "content-type"
        ]
        response.raw_headers = [
            *kept,
            (b"content-type", content_type.encode("latin-1")),
            (b"content-length", str(len(body)).encode()),
        ]
        return response

    methods = ["GET", "POST", "HEAD", "OPTIONS"]
    return Starlette(routes=[Route("/{path:path}", forward, methods=methods)])


@contextmanager
def faulty_proxy() -> Iterator[tuple[str, Faults]]:
    """Run the proxy on 127.0.0.1 (a free port); yield its origin and its :class:`Faults`.

    Set ``faults.upstream`` once the upstream runs (it may need the proxy's origin first).
    """
    faults = Faults()

    def make(origin: str) -> Any:
        del origin
        return proxy_app(faults)

    with serve(make, ready_path=READY) as origin:
        yield origin, faults
