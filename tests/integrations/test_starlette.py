"""``AuthApp`` mounted in Starlette; ``get_session``, ``get_csrf_token``, ``ProtectMiddleware``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route

from authgate.integrations.asgi import MAX_BODY_BYTES
from authgate.integrations.starlette import (
    AuthApp,
    ProtectMiddleware,
    get_csrf_token,
    get_session,
    sign_in_url,
)
from integrations.support import USER, client, hidden_csrf, make_gate, set_cookie_names, sign_in

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.requests import Request

    from authgate import AuthGate

pytestmark = pytest.mark.anyio

SESSION_COOKIE = "next-auth.session-token"


def build_app(gate: AuthGate, *, protect: tuple[str, ...] = ("/dashboard", "/api/")) -> Starlette:
    async def dashboard(request: Request) -> JSONResponse:
        return JSONResponse({"page": "dashboard", "session": request.state.session})

    async def private_api(request: Request) -> JSONResponse:
        return JSONResponse({"data": 1, "user": request.state.session["user"]})

    async def public(request: Request) -> PlainTextResponse:
        return PlainTextResponse("public")

    async def whoami(request: Request) -> JSONResponse:
        return JSONResponse(await get_session(request, gate))

    async def login(request: Request) -> HTMLResponse:
        # A custom sign-in page: the token for the form, the CSRF cookie on the page response.
        scratch = Response()
        token = get_csrf_token(request, scratch, gate)
        form = (
            '<form method="post" action="/api/auth/callback/credentials">'
            f'<input type="hidden" name="csrfToken" value="{token}">'
            '<input name="username"><input name="password" type="password"></form>'
        )
        page = HTMLResponse(form)
        page.raw_headers += [h for h in scratch.raw_headers if h[0] == b"set-cookie"]
        return page

    return Starlette(
        routes=[
            Route("/dashboard", dashboard),
            Route("/dashboard/{rest:path}", dashboard),
            Route("/dashboards", public),
            Route("/api/private/data", private_api),
            Route("/public", public),
            Route("/whoami", whoami),
            Route("/login", login),
            Mount(gate.base_path, app=AuthApp(gate)),
        ],
        middleware=[Middleware(ProtectMiddleware, gate=gate, protect=protect)],
    )


@pytest.fixture
def gate() -> AuthGate:
    return make_gate()


@pytest.fixture
def app(gate: AuthGate) -> Starlette:
    return build_app(gate)


# -- the auth API through Mount ---------------------------------------------------------------


async def test_routes_work_through_mount(app: Starlette) -> None:
    async with client(app) as http:
        providers = await http.get("/api/auth/providers")
        assert providers.status_code == 200
        assert providers.json()["credentials"] == {
            "id": "credentials",
            "name": "Credentials",
            "type": "credentials",
            "signinUrl": "http://testserver/api/auth/signin/credentials",
            "callbackUrl": "http://testserver/api/auth/callback/credentials",
        }

        csrf = await http.get("/api/auth/csrf")
        assert csrf.status_code == 200
        assert len(csrf.json()["csrfToken"]) == 64
        assert csrf.headers["cache-control"] == "private, no-cache, no-store"
        assert "next-auth.csrf-token" in set_cookie_names(csrf)

        session = await http.get("/api/auth/session")
        assert session.status_code == 200
        assert session.json() == {}

        page = await http.get("/api/auth/signin")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert hidden_csrf(page.text) == csrf.json()["csrfToken"]

        signout = await http.post("/api/auth/signout", data={"csrfToken": "wrong"})
        assert signout.status_code == 302
        assert signout.headers["location"] == "http://testserver/api/auth/signout?csrf=true"

        unknown = await http.get("/api/auth/nope")
        assert unknown.status_code == 400
        wrong_method = await http.put("/api/auth/session")
        assert wrong_method.status_code == 400


async def test_credentials_sign_in_and_out_through_mount(app: Starlette) -> None:
    async with client(app) as http:
        signed_in = await sign_in(http)
        assert signed_in.status_code == 302
        assert signed_in.headers["location"] == "http://testserver"
        assert SESSION_COOKIE in set_cookie_names(signed_in)

        session = (await http.get("/api/auth/session")).json()
        assert session["user"] == {
            "name": USER["name"],
            "email": USER["email"],
            "image": USER["image"],
        }
        assert (await http.get("/whoami")).json()["user"]["name"] == "Ada"

        csrf = (await http.get("/api/auth/csrf")).json()["csrfToken"]
        out = await http.post("/api/auth/signout", data={"csrfToken": csrf})
        assert out.status_code == 302
        assert any(
            h.startswith(f"{SESSION_COOKIE}=;") and "Max-Age=0" in h
            for h in out.headers.get_list("set-cookie")
        )
        assert (await http.get("/api/auth/session")).json() == {}
        assert (await http.get("/whoami")).json() is None


async def test_wrong_password_sets_no_session(app: Starlette) -> None:
    async with client(app) as http:
        refused = await sign_in(http, password="nope")
        assert refused.status_code == 302
        assert refused.headers["location"].startswith(
            "http://testserver/api/auth/error?error=CredentialsSignin"
        )
        assert SESSION_COOKIE not in set_cookie_names(refused)
        assert (await http.get("/whoami")).json() is None


async def test_json_mode_through_mount(app: Starlette) -> None:
    async with client(app) as http:
        csrf = (await http.get("/api/auth/csrf")).json()["csrfToken"]
        answer = await http.post(
            "/api/auth/callback/credentials",
            data={"csrfToken": csrf, "username": "ada", "password": "pw", "json": "true"},
        )
        assert answer.status_code == 200
        assert answer.json() == {"url": "http://testserver"}
        assert SESSION_COOKIE in set_cookie_names(answer)


# -- body size limit --------------------------------------------------------------------------


async def test_body_at_the_limit_is_read(app: Starlette) -> None:
    # padding in fields under the 16 KiB field limit, exactly MAX_BODY_BYTES in all
    pads = b"&".join(b"p%d=" % i + b"a" * 16380 for i in range(3))
    body = b"level=error&code=X&" + pads + b"&p3=" + b"a" * (MAX_BODY_BYTES - 19 - len(pads) - 4)
    assert len(body) == MAX_BODY_BYTES
    async with client(app) as http:
        answer = await http.post(
            "/api/auth/_log",
            content=body,
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    assert answer.status_code == 200


async def test_large_content_length_is_413(app: Starlette) -> None:
    async with client(app) as http:
        answer = await http.post(
            "/api/auth/callback/credentials",
            content=b"a" * (MAX_BODY_BYTES + 1),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    assert answer.status_code == 413
    assert SESSION_COOKIE not in set_cookie_names(answer)


async def test_lying_content_length_is_413_before_reading() -> None:
    # A declared size above the limit is refused without reading the body at all.
    app = AuthApp(make_gate())
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        raise AssertionError("the body must not be read")

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/auth/_log",
        "headers": [(b"host", b"testserver"), (b"content-length", b"999999999999")],
        "query_string": b"",
    }
    await app(scope, receive, send)  # type: ignore[arg-type]
    assert sent[0]["status"] == 413


async def test_chunked_body_over_the_limit_is_413(app: Starlette) -> None:
    chunks_sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal chunks_sent
        for _ in range(20):
            chunks_sent += 1
            yield b"a" * 8192

    async with client(app) as http:
        answer = await http.post(
            "/api/auth/_log",
            content=chunks(),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    assert answer.status_code == 413
    assert "content-length" not in answer.request.headers
    assert answer.request.headers["transfer-encoding"] == "chunked"


async def test_chunked_body_under_the_limit_is_read(app: Starlette) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"level=error"
        yield b"&code=CLIENT_FETCH_ERROR"

    async with client(app) as http:
        answer = await http.post(
            "/api/auth/_log",
            content=chunks(),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    assert answer.status_code == 200


# -- get_session ------------------------------------------------------------------------------


async def test_get_session_helper(app: Starlette) -> None:
    async with client(app) as http:
        assert (await http.get("/whoami")).json() is None
        http.cookies.set(SESSION_COOKIE, "garbage")
        assert (await http.get("/whoami")).json() is None
        http.cookies.clear()
        await sign_in(http)
        session = (await http.get("/whoami")).json()
        assert session["user"]["email"] == USER["email"]
        assert session["expires"].endswith("Z")


# -- ProtectMiddleware ------------------------------------------------------------------------


async def test_protected_page_redirects_to_sign_in(app: Starlette) -> None:
    async with client(app) as http:
        answer = await http.get("/dashboard?x=1")
    assert answer.status_code == 302
    assert answer.headers["location"] == "/api/auth/signin?callbackUrl=%2Fdashboard%3Fx%3D1"


async def test_nested_protected_page_redirects(app: Starlette) -> None:
    async with client(app) as http:
        answer = await http.get("/dashboard/settings")
    assert answer.status_code == 302
    assert answer.headers["location"] == "/api/auth/signin?callbackUrl=%2Fdashboard%2Fsettings"


async def test_prefix_lookalike_is_not_protected(app: Starlette) -> None:
    async with client(app) as http:
        answer = await http.get("/dashboards")
    assert answer.status_code == 200
    assert answer.text == "public"


async def test_custom_sign_in_page_is_honoured() -> None:
    gate = make_gate(sign_in_page="/login")
    async with client(build_app(gate)) as http:
        answer = await http.get("/dashboard?x=1")
    assert answer.status_code == 302
    assert answer.headers["location"] == "/login?callbackUrl=%2Fdashboard%3Fx%3D1"
    assert sign_in_url(make_gate(sign_in_page="/auth?a=b"), "/x") == "/auth?a=b&callbackUrl=%2Fx"


async def test_api_prefix_answers_401_json(app: Starlette) -> None:
    async with client(app) as http:
        answer = await http.get("/api/private/data")
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.json() == {"error": "SessionRequired"}


async def test_auth_routes_are_never_protected(app: Starlette) -> None:
    # protect=("/api/",) covers /api/auth/... too; the middleware must let them through.
    async with client(app) as http:
        for path in ("/api/auth/session", "/api/auth/csrf", "/api/auth/providers"):
            assert (await http.get(path)).status_code == 200, path
        assert (await http.get("/api/auth/signin")).status_code == 200
        signed_in = await sign_in(http)
        assert signed_in.status_code == 302
        assert SESSION_COOKIE in set_cookie_names(signed_in)


async def test_unprotected_page_passes(app: Starlette) -> None:
    async with client(app) as http:
        answer = await http.get("/public")
    assert answer.status_code == 200


async def test_valid_session_passes_and_sets_request_state(app: Starlette) -> None:
    async with client(app) as http:
        await sign_in(http)
        page = await http.get("/dashboard?x=1")
        assert page.status_code == 200
        body = page.json()
        assert body["page"] == "dashboard"
        assert body["session"]["user"]["name"] == "Ada"
        api = await http.get("/api/private/data")
        assert api.status_code == 200
        assert api.json()["user"]["email"] == USER["email"]


async def test_invalid_session_cookie_does_not_pass(app: Starlette) -> None:
    async with client(app) as http:
        http.cookies.set(SESSION_COOKIE, "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..AAAA.AAAA.AAAA")
        assert (await http.get("/dashboard")).status_code == 302
        assert (await http.get("/api/private/data")).status_code == 401


# -- get_csrf_token and a custom sign-in page -------------------------------------------------


async def test_get_csrf_token_sets_cookie_once_and_signs_in(app: Starlette) -> None:
    async with client(app) as http:
        first = await http.get("/login")
        assert first.status_code == 200
        assert set_cookie_names(first) == ["next-auth.csrf-token"]
        token = hidden_csrf(first.text)

        second = await http.get("/login")
        assert set_cookie_names(second) == []  # the cookie is already there and trusted
        assert hidden_csrf(second.text) == token

        posted = await http.post(
            "/api/auth/callback/credentials?callbackUrl=%2Fdashboard",
            data={"csrfToken": token, "username": "ada", "password": "pw"},
        )
        assert posted.status_code == 302
        assert posted.headers["location"] == "http://testserver/dashboard"
        assert SESSION_COOKIE in set_cookie_names(posted)
        assert (await http.get("/dashboard")).status_code == 200


async def test_custom_form_with_forged_token_is_refused(app: Starlette) -> None:
    async with client(app) as http:
        await http.get("/login")
        posted = await http.post(
            "/api/auth/callback/credentials",
            data={"csrfToken": "0" * 64, "username": "ada", "password": "pw"},
        )
        assert posted.status_code == 302
        assert posted.headers["location"] == "http://testserver/api/auth/signin?csrf=true"
        assert SESSION_COOKIE not in set_cookie_names(posted)


# -- regression: non-ASCII callback URLs ------------------------------------------------------


@pytest.mark.parametrize("callback", ["/漢字?q=é", "/caf%C3%A9/ü", "http://testserver/✓#frag"])
async def test_non_ascii_callback_url_redirects_instead_of_crashing(
    app: Starlette, callback: str
) -> None:
    # Was: UnicodeEncodeError while sending the Location header (a 500), on sign-in and on
    # sign-out, and again on every later request carrying the planted callback-url cookie.
    async with client(app) as http:
        signed_in = await http.post(
            "/api/auth/callback/credentials",
            params={"callbackUrl": callback},
            data={
                "csrfToken": (await http.get("/api/auth/csrf")).json()["csrfToken"],
                "username": "ada",
                "password": "pw",
            },
        )
        assert signed_in.status_code == 302
        location = signed_in.headers["location"]
        assert location.isascii()
        assert location.startswith("http://testserver/")
        assert "%" in location
        csrf = (await http.get("/api/auth/csrf")).json()["csrfToken"]
        out = await http.post("/api/auth/signout", data={"csrfToken": csrf})
        assert out.status_code == 302
        assert out.headers["location"] == location
