"""Server-side ``sign_out`` / ``update_session`` through WSGI, Flask and Litestar (issue 15)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from flask import Flask, jsonify
from litestar import Litestar, Request, get, post

from authgate import Callbacks
from authgate.integrations import flask as ag_flask
from authgate.integrations.litestar import AuthGatePlugin, AuthSession
from authgate.integrations.wsgi import AuthWSGIApp, get_session, sign_out, update_session

from .support import make_gate, sign_in, wsgi_client

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from authgate import AuthGate
    from authgate.types import JWT

SESSION_COOKIE = "next-auth.session-token"


async def rename(*, token: JWT, trigger: str | None = None, session: Any = None, **_: Any) -> JWT:
    if trigger == "update" and isinstance(session, dict):
        token["name"] = session["name"]
    return token


def assert_cleared(response: httpx.Response) -> None:
    lines = response.headers.get_list("set-cookie")
    assert any(h.startswith(SESSION_COOKIE) and "Max-Age=0" in h for h in lines), lines


def renaming_gate() -> AuthGate:
    return make_gate(callbacks=Callbacks(jwt=rename))


def wsgi_app(gate: AuthGate) -> AuthWSGIApp:
    def inner(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ["PATH_INFO"] == "/logout":
            cookies = sign_out(environ, gate)
        elif environ["PATH_INFO"] == "/rename":
            cookies = update_session(environ, gate, {"name": "Grace"}).cookies
        else:
            cookies = []
        session = get_session(environ, gate)
        name = session["user"]["name"] if session else None
        headers = [("content-type", "application/json")]
        headers += [("set-cookie", c.serialize()) for c in cookies]
        start_response("200 OK", headers)
        return [json.dumps({"name": name}).encode()]

    return AuthWSGIApp(gate, app=inner)


def test_wsgi_sign_out_clears_the_session_cookie() -> None:
    with wsgi_client(wsgi_app(renaming_gate())) as http:
        sign_in(http)
        assert http.get("/me").json() == {"name": "Ada"}
        out = http.post("/logout")
        assert_cleared(out)
        assert http.get("/me").json() == {"name": None}


def test_wsgi_update_session_reissues_the_cookie() -> None:
    with wsgi_client(wsgi_app(renaming_gate())) as http:
        sign_in(http)
        assert SESSION_COOKIE in http.post("/rename").headers["set-cookie"]
        assert http.get("/me").json() == {"name": "Grace"}


def flask_app(gate: AuthGate) -> Flask:
    app = Flask(__name__)
    ag_flask.AuthGateFlask(gate, app)

    @app.post("/logout")
    def logout() -> Any:
        ag_flask.sign_out()
        return jsonify(session=ag_flask.get_session())

    @app.post("/rename")
    def rename_view() -> Any:
        return jsonify(session=ag_flask.update_session({"name": "Grace"}))

    @app.get("/me")
    def me() -> Any:
        session = ag_flask.get_session()
        return jsonify(name=session["user"]["name"] if session else None)

    return app


def test_flask_sign_out_clears_the_cookie_and_the_session_of_the_request() -> None:
    with wsgi_client(flask_app(renaming_gate())) as http:
        sign_in(http)
        assert http.get("/me").json() == {"name": "Ada"}
        out = http.post("/logout")
        assert out.json() == {"session": None}
        assert_cleared(out)
        assert http.get("/me").json() == {"name": None}


def test_flask_update_session_reissues_the_cookie() -> None:
    with wsgi_client(flask_app(renaming_gate())) as http:
        sign_in(http)
        answer = http.post("/rename")
        assert answer.json()["session"]["user"]["email"] == "ada@example.com"
        assert SESSION_COOKIE in answer.headers["set-cookie"]
        assert http.get("/me").json() == {"name": "Grace"}


def test_flask_update_without_a_session_is_none() -> None:
    with wsgi_client(flask_app(renaming_gate())) as http:
        answer = http.post("/rename")
        assert answer.json() == {"session": None}
        assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")


def litestar_app(gate: AuthGate) -> Litestar:
    auth = AuthGatePlugin(gate)

    @post("/logout")
    async def logout(request: Request[Any, Any, Any], auth_session: AuthSession) -> dict[str, Any]:
        await auth.sign_out(request)
        return {"before": auth_session is not None, "after": await auth.get_session(request)}

    @post("/rename")
    async def rename_view(request: Request[Any, Any, Any]) -> dict[str, Any]:
        return {"session": await auth.update_session(request, {"name": "Grace"})}

    @get("/me")
    async def me(auth_session: AuthSession) -> dict[str, Any]:
        return {"name": auth_session["user"]["name"] if auth_session else None}

    return Litestar([logout, rename_view, me], plugins=[auth], logging_config=None)


async def litestar_sign_in(http: httpx.AsyncClient) -> None:
    csrf = (await http.get("/api/auth/csrf")).json()["csrfToken"]
    await http.post(
        "/api/auth/callback/credentials",
        data={"csrfToken": csrf, "username": "ada", "password": "pw"},
    )


@pytest.mark.anyio
async def test_litestar_sign_out_and_update_session() -> None:
    transport = httpx.ASGITransport(app=litestar_app(renaming_gate()))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        await litestar_sign_in(http)
        renamed = await http.post("/rename")
        assert renamed.json()["session"]["user"]["email"] == "ada@example.com"
        assert SESSION_COOKIE in renamed.headers["set-cookie"]
        assert (await http.get("/me")).json() == {"name": "Grace"}
        out = await http.post("/logout")
        assert out.json() == {"before": True, "after": None}
        assert_cleared(out)
        assert (await http.get("/me")).json() == {"name": None}
