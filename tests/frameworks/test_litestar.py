"""The Litestar plugin: the mounted API, the session dependency, the guard, custom pages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
import pytest
from litestar import Litestar, Request, get
from litestar.response import Response

from authgate.integrations.litestar import AuthGatePlugin, AuthSession

from .support import hidden_csrf, make_gate

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

pytestmark = pytest.mark.anyio


def make_app(gate: Any = None, **options: Any) -> Litestar:
    auth = AuthGatePlugin(gate or make_gate(), **options)

    @get("/page", guards=[auth.guard])
    async def page(auth_session: AuthSession) -> str:
        return f"page for {(auth_session or {})['user']['name']}"

    @get("/api/data", guards=[auth.guard])
    async def data(auth_session: AuthSession) -> dict[str, Any]:
        return {"email": (auth_session or {})["user"]["email"]}

    @get("/")
    async def home(auth_session: AuthSession) -> str:
        return "signed in" if auth_session else "signed out"

    @get("/signin")
    async def custom(request: Request[Any, Any, Any]) -> Response[str]:
        token = auth.get_csrf_token(request)
        assert auth.get_providers(request)["credentials"]["type"] == "credentials"
        html = f'<input name="csrfToken" type="hidden" value="{token}">'
        return Response(html, media_type="text/html")

    return Litestar([page, data, home, custom], plugins=[auth], logging_config=None)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=make_app())  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def sign_in(http: httpx.AsyncClient, prefix: str = "") -> httpx.Response:
    csrf = (await http.get(f"{prefix}/api/auth/csrf")).json()["csrfToken"]
    return await http.post(
        f"{prefix}/api/auth/callback/credentials",
        data={"csrfToken": csrf, "username": "ada", "password": "pw"},
    )


async def test_the_guard_redirects_pages_and_answers_apis_401(http: httpx.AsyncClient) -> None:
    response = await http.get("/page?tab=2")
    assert response.status_code == 302
    assert response.headers["location"] == "/api/auth/signin?callbackUrl=%2Fpage%3Ftab%3D2"
    response = await http.get("/api/data")
    assert (response.status_code, response.json()) == (401, {"error": "SessionRequired"})


async def test_after_sign_in_the_dependency_gives_the_session(http: httpx.AsyncClient) -> None:
    assert (await http.get("/")).text == "signed out"
    assert (await sign_in(http)).status_code == 302
    assert (await http.get("/")).text == "signed in"
    assert (await http.get("/page")).text == "page for Ada"
    assert (await http.get("/api/data")).json() == {"email": "ada@example.com"}


async def test_every_cookie_of_the_api_is_its_own_header(http: httpx.AsyncClient) -> None:
    response = await http.get("/api/auth/csrf")
    names = [c.split("=", 1)[0] for c in response.headers.get_list("set-cookie")]
    assert names == ["next-auth.csrf-token", "next-auth.callback-url"]


async def test_a_custom_page_gets_the_csrf_cookie_and_its_token_signs_in(
    http: httpx.AsyncClient,
) -> None:
    page = await http.get("/signin")
    cookies = page.headers.get_list("set-cookie")
    assert [c.split("=", 1)[0] for c in cookies] == ["next-auth.csrf-token"]
    token = hidden_csrf(page.text)
    response = await http.post(
        "/api/auth/callback/credentials",
        data={"csrfToken": token, "username": "ada", "password": "pw"},
    )
    assert response.status_code == 302
    assert (await http.get("/")).text == "signed in"


async def test_under_a_root_path_the_api_and_the_redirects_keep_the_prefix() -> None:
    # Litestar routes on the path after root_path: the API is mounted at /api/auth.
    app = make_app(make_gate(url="http://testserver/app/api/auth"), path="/api/auth")
    transport = httpx.ASGITransport(app=app, root_path="/app")  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        assert (await http.get("/app/page")).headers["location"] == (
            "/app/api/auth/signin?callbackUrl=%2Fapp%2Fpage"
        )
        assert (await sign_in(http, "/app")).status_code == 302
        assert (await http.get("/app/page")).text == "page for Ada"
