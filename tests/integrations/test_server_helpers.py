"""Issue 15: the CSRF cookie on the response the app returns, and server-side ``sign_out`` /
``update_session`` (``AuthGate`` and the Starlette helpers), through a real Starlette app."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route

from authgate import (
    AuthConfig,
    AuthGate,
    AuthGateError,
    AuthRequest,
    Callbacks,
    Events,
    SessionConfig,
)
from authgate._core import csrf_token as core_csrf
from authgate.adapters.memory import MemoryAdapter
from authgate.integrations.starlette import (
    AuthApp,
    csrf_token,
    get_csrf_token,
    get_session,
    set_cookies,
    sign_out,
    update_session,
)
from authgate.providers import Credentials
from authgate.revocation import MemoryRevocationStore
from authgate.testing import session_cookies
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

if TYPE_CHECKING:
    from starlette.requests import Request

    from authgate.types import JWT, Session

pytestmark = pytest.mark.anyio

SESSION_COOKIE = "next-auth.session-token"


def _form(token: str) -> str:
    return (
        '<form method="post" action="/api/auth/callback/credentials">'
        f'<input type="hidden" name="csrfToken" value="{token}"></form>'
    )


def build_app(gate: AuthGate) -> Starlette:
    async def login(request: Request) -> Response:
        csrf = csrf_token(request, gate)
        return set_cookies(HTMLResponse(_form(csrf.token)), csrf.cookies)

    async def dropped(request: Request) -> Response:
        # The footgun: the cookie goes on a response that is never sent.
        token = get_csrf_token(request, Response(), gate)
        return HTMLResponse(_form(token))

    async def logout(request: Request) -> Response:
        cookies = await sign_out(request, gate)
        after = await get_session(request, gate)
        return set_cookies(JSONResponse({"after": after}), cookies)

    async def rename(request: Request) -> Response:
        updated = await update_session(request, gate, {"name": request.query_params["name"]})
        again = await get_session(request, gate)
        return set_cookies(
            JSONResponse({"session": updated.session, "again": again}), updated.cookies
        )

    async def whoami(request: Request) -> Response:
        return JSONResponse(await get_session(request, gate))

    return Starlette(
        routes=[
            Route("/login", login),
            Route("/dropped", dropped),
            Route("/logout", logout, methods=["POST"]),
            Route("/rename", rename, methods=["POST"]),
            Route("/whoami", whoami),
            Mount(gate.base_path, app=AuthApp(gate)),
        ]
    )


def _creds(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "username": "ada", "password": "pw"}


async def test_csrf_token_and_set_cookies_put_the_cookie_on_the_returned_page() -> None:
    async with client(build_app(make_gate())) as http:
        page = await http.get("/login")
        assert "next-auth.csrf-token" in set_cookie_names(page)
        posted = await http.post(
            "/api/auth/callback/credentials", data=_creds({"csrfToken": hidden_csrf(page.text)})
        )
        assert posted.status_code == 302
        assert "csrf=true" not in posted.headers["location"]
        assert SESSION_COOKIE in set_cookie_names(posted)


async def test_a_dropped_csrf_cookie_is_logged_once_at_debug(
    caplog: pytest.LogCaptureFixture,
) -> None:
    core_csrf._report_missing_cookie.cache_clear()
    caplog.set_level(logging.DEBUG, logger="authgate")
    async with client(build_app(make_gate())) as http:
        for _ in range(2):
            page = await http.get("/dropped")
            assert "set-cookie" not in page.headers
            posted = await http.post(
                "/api/auth/callback/credentials",
                data=_creds({"csrfToken": hidden_csrf(page.text)}),
            )
            assert posted.headers["location"].endswith("/api/auth/signin?csrf=true")
            http.cookies.clear()  # the refusal minted a cookie: drop it, as the next visit would
    hints = [r for r in caplog.records if "CSRF_COOKIE_MISSING" in r.getMessage()]
    assert len(hints) == 1
    assert hints[0].levelno == logging.DEBUG


async def test_a_post_without_a_token_is_not_reported(caplog: pytest.LogCaptureFixture) -> None:
    core_csrf._report_missing_cookie.cache_clear()
    caplog.set_level(logging.DEBUG, logger="authgate")
    async with client(build_app(make_gate())) as http:
        posted = await http.post("/api/auth/callback/credentials", data=_creds({}))
        assert posted.headers["location"].endswith("csrf=true")
    assert not [r for r in caplog.records if "CSRF_COOKIE_MISSING" in r.getMessage()]


def _jwt_gate(ended: list[Any]) -> AuthGate:
    async def jwt(*, token: JWT, trigger: str | None = None, session: Any = None, **_: Any) -> JWT:
        if trigger == "update" and isinstance(session, dict):
            token["name"] = session["name"]
        return token

    async def on_sign_out(**message: Any) -> None:
        ended.append(message)

    base = make_gate().config
    return AuthGate(
        AuthConfig(
            providers=base.providers,
            secret=SECRET,
            trust_host=True,
            callbacks=Callbacks(jwt=jwt),
            events=Events(sign_out=on_sign_out),
        )
    )


async def test_sign_out_with_jwt_sessions_clears_the_cookie_and_fires_the_event() -> None:
    ended: list[Any] = []
    gate = _jwt_gate(ended)
    async with client(build_app(gate)) as http:
        await sign_in(http)  # the cookie comes from a Set-Cookie, so the clearing one replaces it
        assert (await http.get("/whoami")).json()["user"]["name"] == "Ada"
        out = await http.post("/logout")
        assert out.json() == {"after": None}
        cleared = [h for h in out.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE)]
        assert len(cleared) == 1
        assert "Max-Age=0" in cleared[0]
        assert (await http.get("/whoami")).json() is None
    assert len(ended) == 1
    assert ended[0]["token"]["sub"] == "u1"


async def test_sign_out_without_a_session_clears_nothing() -> None:
    ended: list[Any] = []
    async with client(build_app(_jwt_gate(ended))) as http:
        out = await http.post("/logout")
        assert out.json() == {"after": None}
        assert "set-cookie" not in out.headers
    assert ended == []


async def test_update_session_runs_the_jwt_callback_with_update_and_reissues() -> None:
    gate = _jwt_gate([])
    async with client(build_app(gate)) as http:
        await sign_in(http)
        answer = (await http.post("/rename", params={"name": "Grace"})).json()
        # As v4's POST /session: the answer is built from the token as it came in, and
        # get_session in the same request answers the same; the re-issued cookie carries the
        # jwt callback's change to the next request.
        assert answer["session"]["user"]["name"] == "Ada"
        assert answer["again"] == answer["session"]
        assert (await http.get("/whoami")).json()["user"]["name"] == "Grace"


async def test_update_session_without_a_session_is_none() -> None:
    async with client(build_app(_jwt_gate([]))) as http:
        answer = (await http.post("/rename", params={"name": "Grace"})).json()
        assert answer == {"session": None, "again": None}


class FailingDelete(MemoryAdapter):
    async def delete_session(self, session_token: str) -> Any:
        raise RuntimeError("database down")


def _db_gate(adapter: MemoryAdapter) -> AuthGate:
    async def session_cb(
        *, session: Session, trigger: str | None = None, **kw: Any
    ) -> dict[str, Any]:
        if trigger == "update":
            return {**session, "note": kw.get("new_session")}
        return dict(session)

    provider = Credentials(authorize=authorize, database_session=True)
    return AuthGate(
        AuthConfig(
            providers=[provider],
            secret=SECRET,
            trust_host=True,
            adapter=adapter,
            session=SessionConfig(strategy="database"),
            callbacks=Callbacks(session=session_cb),
        )
    )


async def test_sign_out_with_database_sessions_deletes_the_row() -> None:
    adapter = MemoryAdapter()
    gate = _db_gate(adapter)
    async with client(build_app(gate)) as http:
        await sign_in(http)
        kept = http.cookies[SESSION_COOKIE]
        assert (await http.get("/whoami")).json()["user"]["email"] == USER["email"]
        assert await adapter.get_session_and_user(kept) is not None
        out = await http.post("/logout")
        assert SESSION_COOKIE in set_cookie_names(out)
        assert SESSION_COOKIE not in http.cookies
        assert await adapter.get_session_and_user(kept) is None
        http.cookies.set(SESSION_COOKIE, kept)  # a kept copy of the cookie no longer works
        assert (await http.get("/whoami")).json() is None


async def test_sign_out_that_could_not_delete_the_row_raises() -> None:
    gate = _db_gate(FailingDelete())
    cookies = await session_cookies(gate, USER)
    request = _request(cookies)
    with pytest.raises(AuthGateError, match="could not be ended"):
        await gate.sign_out(request)


async def test_update_session_with_database_sessions_passes_the_data() -> None:
    gate = _db_gate(MemoryAdapter())
    cookies = await session_cookies(gate, USER)
    updated = await gate.update_session(_request(cookies), {"theme": "dark"})
    assert updated.session is not None
    assert updated.session["user"]["email"] == USER["email"]
    assert updated.session.get("note") == {"theme": "dark"}
    assert [c.name for c in updated.cookies] == [SESSION_COOKIE]


def _request(cookies: dict[str, str]) -> AuthRequest:
    return AuthRequest(
        method="GET", path="/account", headers={"host": "testserver"}, cookies=cookies
    )


async def test_sign_out_with_revocable_jwt_sessions_refuses_a_kept_cookie() -> None:
    gate = AuthGate(
        AuthConfig(
            providers=make_gate().config.providers,
            secret=SECRET,
            trust_host=True,
            revocation=MemoryRevocationStore(),
        )
    )
    async with client(build_app(gate)) as http:
        await sign_in(http)
        kept = http.cookies[SESSION_COOKIE]
        assert (await http.get("/whoami")).json()["user"]["name"] == "Ada"
        await http.post("/logout")
        http.cookies.set(SESSION_COOKIE, kept)  # a copy kept elsewhere no longer works
        assert (await http.get("/whoami")).json() is None
