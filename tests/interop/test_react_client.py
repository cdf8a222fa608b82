"""The official ``next-auth/react`` client (next-auth 4.24.15) in Chromium against authgate.

The real package is bundled with esbuild (``node/build-client.mjs``, built into a temporary
folder at the start of the module) into a static page served next to an authgate app
(Starlette, ``AuthApp`` at ``/api/auth``) by a real uvicorn on 127.0.0.1, and by the Flask and
Django integrations under gunicorn (``react_apps.py``). Each client function
is called from the page and its result compared with what spec §14 says it returns.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import pytest
from starlette.applications import Starlette
from starlette.responses import FileResponse, HTMLResponse
from starlette.routing import Mount, Route

from _support import browsers
from _support.components import REPO_ROOT, missing, node_interop_dir
from _support.servers import gunicorn, serve
from authgate.integrations.asgi import AuthApp
from interop.react_apps import PAGE, PASSWORD, make_gate

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from playwright.sync_api import Browser, Page
    from starlette.requests import Request

pytestmark = [pytest.mark.interop, pytest.mark.e2e]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = node_interop_dir()
    if not (folder / "node_modules" / "esbuild" / "package.json").is_file():
        missing(f"esbuild is not installed in {folder}/node_modules")
    return browsers.bundle(tmp_path_factory.mktemp("client") / "client.js")


@pytest.fixture(scope="module", params=["asgi", "flask", "django"])
def origin(request: pytest.FixtureRequest, bundle: Path) -> Iterator[str]:
    """The client's page and the auth API: Starlette + AuthApp on uvicorn, or the Flask or
    Django integration under gunicorn (2 workers)."""
    if request.param != "asgi":
        app = {
            "flask": "interop.react_apps:flask_app()",
            "django": "django.core.wsgi:get_wsgi_application()",
        }[request.param]

        def env(origin: str) -> dict[str, str]:
            return {
                "PYTHONPATH": f"{REPO_ROOT}:{REPO_ROOT / 'tests'}",
                "REACT_ORIGIN": origin,
                "REACT_BUNDLE": str(bundle),
                "DJANGO_SETTINGS_MODULE": "interop.react_django",
            }

        with gunicorn(app, env=env, worker_class="gthread") as running:
            yield running
        return

    def make(origin: str) -> Starlette:
        gate = make_gate(origin)

        async def page(request: Request) -> HTMLResponse:
            return HTMLResponse(PAGE)

        async def script(request: Request) -> FileResponse:
            return FileResponse(bundle, media_type="text/javascript")

        return Starlette(
            routes=[
                Route("/", page),
                Route("/client.js", script),
                Mount("/api/auth", AuthApp(gate)),
            ]
        )

    with serve(make) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with browsers.chromium() as browser:
        yield browser


@pytest.fixture
def page(browser: Browser, origin: str) -> Iterator[Page]:
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{origin}/")
    page.wait_for_function("() => window.nextAuth !== undefined")
    yield page
    context.close()
    assert not errors, f"page errors: {errors}"


def call(page: Page, expression: str) -> Any:
    """Evaluate ``await <expression>`` in the page (``nextAuth`` is the client)."""
    return page.evaluate(
        f"async () => {{ const nextAuth = window.nextAuth; return await {expression}; }}"
    )


def test_get_providers_and_get_csrf_token(page: Page, origin: str) -> None:
    base = f"{origin}/api/auth"
    assert call(page, "nextAuth.getProviders()") == {
        "credentials": {
            "id": "credentials",
            "name": "Credentials",
            "type": "credentials",
            "signinUrl": f"{base}/signin/credentials",
            "callbackUrl": f"{base}/callback/credentials",
        }
    }
    token = call(page, "nextAuth.getCsrfToken()")
    assert re.fullmatch(r"[0-9a-f]{64}", token)
    assert call(page, "nextAuth.getCsrfToken()") == token  # the cookie keeps it
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["next-auth.csrf-token"]["value"].startswith(token + "%7C")
    assert cookies["next-auth.csrf-token"]["httpOnly"] is True


def test_sign_in_with_a_wrong_password(page: Page) -> None:
    result = call(
        page,
        "nextAuth.signIn('credentials', {redirect: false, username: 'ada', password: 'nope'})",
    )
    assert result == {"error": "CredentialsSignin", "status": 401, "ok": False, "url": None}
    assert call(page, "nextAuth.getSession()") is None
    assert "next-auth.session-token" not in {c["name"] for c in page.context.cookies()}


def test_sign_in_get_session_update_and_sign_out(page: Page, origin: str) -> None:
    result = call(
        page,
        "nextAuth.signIn('credentials', {redirect: false, callbackUrl: '/dashboard',"
        f" username: 'ada', password: {json.dumps(PASSWORD)}}})",
    )
    assert result == {"error": None, "status": 200, "ok": True, "url": f"{origin}/dashboard"}

    session = call(page, "nextAuth.getSession()")
    assert set(session) == {"user", "expires"}
    assert session["user"] == {
        "name": "Ada",
        "email": "ada@example.com",
        "image": "https://i.example/a.png",
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", session["expires"])

    # useSession().update(data): POST /session {csrfToken, data} from the real SessionProvider.
    page.evaluate("() => window.nextAuth.mountSessionProvider()")
    page.wait_for_function("() => window.sessionState?.status === 'authenticated'")
    updated = page.evaluate("async () => await window.sessionUpdate({name: 'Grace'})")
    assert updated["user"]["name"] == "Grace"
    page.wait_for_function("() => window.sessionState.data?.user?.name === 'Grace'")
    assert call(page, "nextAuth.getSession()")["user"]["name"] == "Grace"

    out = call(page, "nextAuth.signOut({redirect: false, callbackUrl: '/bye'})")
    assert out == {"url": f"{origin}/bye"}
    assert call(page, "nextAuth.getSession()") is None
    assert "next-auth.session-token" not in {c["name"] for c in page.context.cookies()}


def test_sign_in_without_a_csrf_cookie_reports_ok_as_v4_does(page: Page, origin: str) -> None:
    # Quirk Q6: the CSRF redirect comes back 200, so the client reports ok with the URL.
    page.route(
        "**/api/auth/csrf",
        lambda route: route.fulfill(
            status=200, content_type="application/json", body='{"csrfToken":"' + "0" * 64 + '"}'
        ),
    )
    result = call(
        page,
        "nextAuth.signIn('credentials', {redirect: false,"
        f" username: 'ada', password: {json.dumps(PASSWORD)}}})",
    )
    assert result == {
        "error": None,
        "status": 200,
        "ok": True,
        "url": f"{origin}/api/auth/signin?csrf=true",
    }
