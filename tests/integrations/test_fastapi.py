"""``AuthApp`` mounted with ``app.mount`` in FastAPI, and the session dependencies."""

from __future__ import annotations

from typing import Any

import pytest

# FastAPI resolves the endpoint annotations at runtime, so these stay real imports.
from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import HTMLResponse

from authgate import AuthConfig, AuthGate, Callbacks
from authgate.integrations.asgi import MAX_BODY_BYTES, AuthApp
from authgate.integrations.fastapi import optional_session_dependency, session_dependency
from authgate.integrations.starlette import ProtectMiddleware, get_csrf_token
from authgate.providers import Credentials
from integrations.support import (
    SECRET,
    USER,
    authorize,
    client,
    hidden_csrf,
    make_gate,
    set_cookie_names,
    sign_in,
)

pytestmark = pytest.mark.anyio

SESSION_COOKIE = "next-auth.session-token"

GATE = make_gate(sign_in_page="/auth/signin")
current_session = session_dependency(GATE)
maybe_session = optional_session_dependency(GATE)


def build_app() -> FastAPI:
    app = FastAPI()
    app.mount("/api/auth", AuthApp(GATE))
    app.add_middleware(ProtectMiddleware, gate=GATE, protect=["/dashboard"])

    @app.get("/api/me")
    async def me(session: dict[str, Any] = Depends(current_session)) -> dict[str, Any]:  # noqa: B008
        return session

    @app.get("/api/maybe")
    async def maybe(
        session: dict[str, Any] | None = Depends(maybe_session),  # noqa: B008
    ) -> dict[str, Any]:
        return {"session": session}

    @app.get("/dashboard")
    async def dashboard(request: Request) -> dict[str, Any]:
        return {"user": request.state.session["user"]}

    @app.get("/auth/signin", response_class=HTMLResponse)
    async def custom_sign_in(
        request: Request,
        response: Response,
        callbackUrl: str = "/",  # noqa: N803 - next-auth's query parameter
    ) -> str:
        token = get_csrf_token(request, response, GATE)
        return (
            '<form method="post" action="/api/auth/callback/credentials">'
            f'<input type="hidden" name="csrfToken" value="{token}">'
            f'<input type="hidden" name="callbackUrl" value="{callbackUrl}">'
            '<input name="username"><input name="password" type="password"></form>'
        )

    return app


@pytest.fixture
def app() -> FastAPI:
    return build_app()


async def test_routes_work_through_app_mount(app: FastAPI) -> None:
    async with client(app) as http:
        providers = await http.get("/api/auth/providers")
        assert providers.status_code == 200
        assert providers.json()["credentials"]["callbackUrl"] == (
            "http://testserver/api/auth/callback/credentials"
        )
        assert (await http.get("/api/auth/session")).json() == {}
        csrf = await http.get("/api/auth/csrf")
        assert len(csrf.json()["csrfToken"]) == 64
        # The built-in page redirects to the custom one.
        page = await http.get("/api/auth/signin?callbackUrl=%2Fdashboard")
        assert page.status_code == 302
        assert page.headers["location"] == (
            "/auth/signin?callbackUrl=http%3A%2F%2Ftestserver%2Fdashboard"
        )
        signed_in = await sign_in(http)
        assert signed_in.status_code == 302
        assert (await http.get("/api/auth/session")).json()["user"]["name"] == "Ada"


async def test_body_limit_through_app_mount(app: FastAPI) -> None:
    async def chunks() -> Any:
        for _ in range(10):
            yield b"x" * 8192

    async with client(app) as http:
        big = await http.post("/api/auth/_log", content=b"x" * (MAX_BODY_BYTES + 1))
        assert big.status_code == 413
        streamed = await http.post("/api/auth/_log", content=chunks())
        assert streamed.status_code == 413


async def test_session_dependency_401_without_session(app: FastAPI) -> None:
    async with client(app) as http:
        answer = await http.get("/api/me")
        assert answer.status_code == 401
        assert answer.headers["content-type"] == "application/json"
        assert answer.json() == {"detail": "SessionRequired"}
        assert answer.headers["www-authenticate"] == 'Cookie realm="authgate"'
        http.cookies.set(SESSION_COOKIE, "not-a-token")
        assert (await http.get("/api/me")).status_code == 401


async def test_session_dependency_gives_the_session(app: FastAPI) -> None:
    async with client(app) as http:
        await sign_in(http)
        answer = await http.get("/api/me")
        assert answer.status_code == 200
        session = answer.json()
        assert session["user"] == {
            "name": USER["name"],
            "email": USER["email"],
            "image": USER["image"],
        }
        assert session["expires"].endswith("Z")


async def test_optional_session_dependency(app: FastAPI) -> None:
    async with client(app) as http:
        assert (await http.get("/api/maybe")).json() == {"session": None}
        await sign_in(http)
        session = (await http.get("/api/maybe")).json()["session"]
        assert session["user"]["email"] == USER["email"]


async def test_protect_middleware_on_fastapi(app: FastAPI) -> None:
    async with client(app) as http:
        answer = await http.get("/dashboard?x=1")
        assert answer.status_code == 302
        assert answer.headers["location"] == "/auth/signin?callbackUrl=%2Fdashboard%3Fx%3D1"
        await sign_in(http)
        page = await http.get("/dashboard?x=1")
        assert page.status_code == 200
        assert page.json() == {"user": {k: USER[k] for k in ("name", "email", "image")}}


async def test_custom_page_flow_with_get_csrf_token(app: FastAPI) -> None:
    async with client(app) as http:
        # Sent to the custom page by the middleware, as a browser would follow it.
        redirect = await http.get("/dashboard?x=1")
        first = await http.get(redirect.headers["location"])
        assert first.status_code == 200
        assert set_cookie_names(first) == ["next-auth.csrf-token"]
        token = hidden_csrf(first.text)
        assert 'name="callbackUrl" value="/dashboard?x=1"' in first.text

        second = await http.get(redirect.headers["location"])
        assert set_cookie_names(second) == []
        assert hidden_csrf(second.text) == token

        posted = await http.post(
            "/api/auth/callback/credentials",
            data={
                "csrfToken": token,
                "callbackUrl": "/dashboard?x=1",
                "username": "ada",
                "password": "pw",
            },
        )
        assert posted.status_code == 302
        assert posted.headers["location"] == "http://testserver/dashboard?x=1"
        assert SESSION_COOKIE in set_cookie_names(posted)
        assert (await http.get("/dashboard?x=1")).status_code == 200
        assert (await http.get("/api/me")).json()["user"]["name"] == "Ada"


async def test_session_is_read_once_per_request() -> None:
    """Two dependencies, the middleware and a sub-dependency share one read (issue 10)."""
    calls: list[str] = []

    async def session_callback(session: dict[str, Any], token: dict[str, Any]) -> dict[str, Any]:
        calls.append(token["sub"])
        return session

    gate = AuthGate(
        AuthConfig(
            providers=[Credentials(authorize=authorize)],
            secret=SECRET,
            trust_host=True,
            callbacks=Callbacks(session=session_callback),
        )
    )
    required, optional = session_dependency(gate), optional_session_dependency(gate)

    async def user_id(session: dict[str, Any] = Depends(required)) -> str:  # noqa: B008
        return str(session["user"]["email"])

    app = FastAPI()
    app.mount("/api/auth", AuthApp(gate))
    app.add_middleware(ProtectMiddleware, gate=gate, protect=["/api/both"])

    @app.get("/api/both")
    async def both(
        a: dict[str, Any] = Depends(required),  # noqa: B008
        b: dict[str, Any] | None = Depends(optional),  # noqa: B008
        email: str = Depends(user_id),
    ) -> dict[str, Any]:
        return {"same": a == b, "email": email}

    async with client(app) as http:
        await sign_in(http)
        calls.clear()
        first = await http.get("/api/both")
        second = await http.get("/api/both")
    assert first.json() == {"same": True, "email": USER["email"]}
    assert second.status_code == 200
    assert calls == [USER["id"], USER["id"]]  # one read per request, not four
