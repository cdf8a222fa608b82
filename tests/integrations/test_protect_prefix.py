"""Route protection under a prefix (issue 9, defect 3).

``ProtectMiddleware`` and ``TokenMiddleware`` must match the path the app routes on: behind
``uvicorn --root-path /app`` (a real uvicorn here), when the app is mounted in another one,
with a trailing slash, an encoded slash, other letter case or dot segments, a protected page
is never served without a session.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from _support.servers import serve
from authgate import jwt as authjwt
from authgate.integrations.asgi import PathPrefixes, route_path
from authgate.integrations.starlette import AuthApp, ProtectMiddleware, TokenMiddleware
from authgate.resource import NextAuthSession
from integrations.support import SECRET, make_gate, sign_in

if TYPE_CHECKING:
    from collections.abc import Iterator, MutableMapping

    from starlette.requests import Request

    from authgate import AuthGate

pytestmark = pytest.mark.anyio

SECRET_PAGE = {"page": "admin"}


async def admin(request: Request) -> JSONResponse:
    return JSONResponse(SECRET_PAGE)


def protected_app(gate: AuthGate) -> Starlette:
    """An app whose ``/admin`` pages and ``/api/`` routes need a session."""
    app = Starlette(
        routes=[
            Route("/admin", admin),
            Route("/admin/", admin),
            Route("/admin/{rest:path}", admin),
            Route("/api/data", admin),
            Route("/public/{rest:path}", admin),
            Mount("/api/auth", app=AuthApp(gate)),
        ]
    )
    app.add_middleware(ProtectMiddleware, gate=gate, protect=["/admin"])
    return app


def client(app: Any, **kw: Any) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, **kw)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.mark.parametrize(
    "path",
    ["/sub/admin", "/sub/admin/", "/sub/admin/users", "/sub/admin%2Fusers", "/sub/ADMIN"],
)
async def test_mounted_app_protects_its_paths(path: str) -> None:
    gate = make_gate()
    outer = Starlette(routes=[Mount("/sub", app=protected_app(gate))])
    async with client(outer) as http:
        response = await http.get(path)
    assert response.status_code == 302, response.text
    assert _json(response) != SECRET_PAGE
    # Back to where the visitor was: the full path, mount prefix included.
    assert "callbackUrl=%2Fsub%2F" in response.headers["location"]


async def test_mounted_app_lets_a_session_through() -> None:
    gate = make_gate()
    outer = Starlette(
        routes=[Mount("/api/auth", app=AuthApp(gate)), Mount("/sub", app=protected_app(gate))]
    )
    async with client(outer) as http:
        await sign_in(http)
        response = await http.get("/sub/admin")
    assert response.status_code == 200
    assert response.json() == SECRET_PAGE


@pytest.mark.parametrize("path", ["//admin", "/public/../admin", "/./admin", "/admin/./x"])
async def test_dot_segments_and_double_slashes_are_protected(path: str) -> None:
    # httpx normalises such URLs, a raw client (or a proxy) does not: the scope is built here.
    app = protected_app(make_gate())
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

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
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    await app(scope, receive, send)
    assert sent[0]["status"] == 302, (path, sent)


async def test_lookalike_and_auth_api_stay_open() -> None:
    gate = make_gate()
    async with client(protected_app(gate)) as http:
        assert (await http.get("/public/administration")).status_code == 200
        assert (await http.get("/api/auth/providers")).status_code == 200


@pytest.fixture
def root_path_server() -> Iterator[str]:
    """``uvicorn --root-path /app``: the proxy strips ``/app``, uvicorn puts it back in."""
    gate = make_gate()
    reader = NextAuthSession(secret=SECRET)

    async def token(request: Request) -> JSONResponse:
        return JSONResponse({"token": request.state.token})

    api = Starlette(routes=[Route("/api/me", token), Route("/open", token)])
    api.add_middleware(TokenMiddleware, reader=reader, protect=["/api"])
    root = Starlette(routes=[Mount("/resource", app=api), Mount("/", app=protected_app(gate))])
    with serve(lambda origin: root, ready_path="/public/x", root_path="/app") as origin:
        yield origin


def test_root_path_protects_pages_and_api(root_path_server: str) -> None:
    for path in ("/admin", "/admin/", "/Admin/x", "/admin%2Fx"):
        response = httpx.get(root_path_server + path)
        assert response.status_code == 302, (path, response.text)
        assert "callbackUrl=%2Fapp%2Fadmin" in response.headers["location"].replace("A", "a")
    refused = httpx.get(root_path_server + "/resource/api/me")
    assert refused.status_code == 401
    assert refused.json() == {"error": "SessionRequired"}
    assert httpx.get(root_path_server + "/resource/open").json() == {"token": None}
    token = authjwt.encode({"sub": "1"}, SECRET)
    allowed = httpx.get(
        root_path_server + "/resource/api/me", headers={"authorization": f"Bearer {token}"}
    )
    assert allowed.status_code == 200
    assert allowed.json()["token"]["sub"] == "1"


def test_route_path() -> None:
    assert route_path({"path": "/app/admin", "root_path": "/app"}) == "/admin"
    assert route_path({"path": "/app", "root_path": "/app"}) == "/"
    assert route_path({"path": "/application", "root_path": "/app"}) == "/application"
    assert route_path({"path": "/admin", "root_path": "/app"}) == "/admin"
    assert route_path({"path": "/admin"}) == "/admin"


def test_path_prefixes() -> None:
    prefixes = PathPrefixes(["/admin/", "/API"])
    assert prefixes.match("/admin")
    assert prefixes.match("/admin/")
    assert prefixes.match("/ADMIN/x")
    assert prefixes.match("//admin")
    assert prefixes.match("/x/../admin")
    assert prefixes.match("/api/v1")
    assert not prefixes.match("/administration")
    assert not prefixes.match("/")
    assert PathPrefixes(["/"]).match("/anything")
    assert not PathPrefixes([])
    assert not PathPrefixes([]).match("/admin")


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
