"""The Django app: URL patterns, middleware, decorator and mixin, template tags, settings,
DjangoCredentials; under WSGI (sync views, the bridge) and ASGI (async views)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
import pytest

from _support.django_app import (
    ASYNC_PAGES_URLCONF,
    EXTRA_URLCONF,
    PAGES_URLCONF,
    configure,
    wsgi_handler_for,
)
from authgate import AuthConfig, AuthGate
from authgate.http import Cookie
from authgate.providers import Credentials

from .support import SECRET, authorize, hidden_csrf, make_gate, sign_in, wsgi_client

configure()

from django.contrib.auth.models import User  # noqa: E402 - needs the settings
from django.core.exceptions import ImproperlyConfigured  # noqa: E402
from django.core.handlers.asgi import ASGIHandler  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from authgate.integrations.django import get_gate  # noqa: E402
from authgate.integrations.django._adapt import add_cookies  # noqa: E402
from authgate.integrations.django.credentials import DjangoCredentials  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Iterator


def django_gate(url: str = "http://testserver/api/auth") -> AuthGate:
    return make_gate(url=url, providers=[DjangoCredentials()])


@pytest.fixture(scope="module", autouse=True)
def users() -> None:
    call_command("migrate", verbosity=0, interactive=False)
    User.objects.all().delete()
    User.objects.create_user("ada", "ada@example.com", "pw", first_name="Ada", last_name="L")
    User.objects.create_user("bob", "bob@example.com", "pw", is_active=False)


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with wsgi_client(wsgi_handler_for(django_gate(), urlconf=PAGES_URLCONF)) as client:
        yield client


def test_pages_redirect_to_sign_in_and_apis_answer_401(http: httpx.Client) -> None:
    assert http.get("/dashboard?x=1").headers["location"] == (
        "/api/auth/signin?callbackUrl=%2Fdashboard%3Fx%3D1"
    )
    assert http.get("/account").headers["location"] == "/api/auth/signin?callbackUrl=%2Faccount"
    assert http.get("/async-dashboard").status_code == 302
    response = http.get("/api/me")
    assert (response.status_code, response.json()) == (401, {"error": "SessionRequired"})


def test_a_django_user_signs_in_and_every_kind_of_view_sees_the_session(
    http: httpx.Client,
) -> None:
    assert sign_in(http).status_code == 302
    assert 'id="user-name">Ada L<' in http.get("/dashboard").text
    assert http.get("/account").status_code == 200
    assert http.get("/async-dashboard").text == "async: Ada L"
    me = http.get("/api/me").json()
    assert me["user"] == {"name": "Ada L", "email": "ada@example.com"}
    assert 'id="user-name">Ada L<' in http.get("/").text


@pytest.mark.parametrize(("username", "password"), [("ada", "nope"), ("bob", "pw"), ("", "")])
def test_wrong_passwords_and_inactive_users_are_refused(
    http: httpx.Client, username: str, password: str
) -> None:
    csrf = http.get("/api/auth/csrf").json()["csrfToken"]
    response = http.post(
        "/api/auth/callback/credentials",
        data={"csrfToken": csrf, "username": username, "password": password},
    )
    assert "error=CredentialsSignin" in response.headers["location"]
    assert http.get("/api/me").status_code == 401


def test_djangos_csrf_middleware_is_on_and_the_auth_views_are_exempt(http: httpx.Client) -> None:
    assert http.post("/auth/signin", data={"x": "1"}).status_code == 403  # an ordinary view
    assert sign_in(http).status_code == 302  # the API: its own double-submit check


def test_the_template_tags_set_one_csrf_cookie_whose_token_signs_in(http: httpx.Client) -> None:
    page = http.get("/auth/signin?callbackUrl=/dashboard")
    cookies = page.headers.get_list("set-cookie")
    assert [c.split("=", 1)[0] for c in cookies] == ["next-auth.csrf-token"]
    assert 'action="http://testserver/api/auth/callback/credentials"' in page.text
    response = http.post(
        "/api/auth/callback/credentials",
        data={
            "csrfToken": hidden_csrf(page.text),
            "callbackUrl": "/dashboard",
            "username": "ada",
            "password": "pw",
        },
    )
    assert response.headers["location"] == "http://testserver/dashboard"
    assert http.get("/dashboard").status_code == 200


def test_force_script_name_is_part_of_the_api_path_and_the_callback() -> None:
    app = wsgi_handler_for(
        django_gate("http://testserver/app/api/auth"),
        urlconf=PAGES_URLCONF,
        FORCE_SCRIPT_NAME="/app",
    )
    with wsgi_client(app) as http:
        assert http.get("/dashboard").headers["location"] == (
            "/app/api/auth/signin?callbackUrl=%2Fapp%2Fdashboard"
        )
        assert sign_in(http).status_code == 302
        assert http.get("/dashboard").status_code == 200


@pytest.mark.parametrize(
    "setting",
    [
        {"providers": [Credentials(authorize=authorize)], "secret": SECRET, "url": "http://t/a"},
        AuthConfig(providers=[Credentials(authorize=authorize)], secret=SECRET, url="http://t/a"),
        "frameworks.test_django.SETTINGS_GATE",
    ],
    ids=["mapping", "config", "dotted-path"],
)
def test_settings_authgate_takes_a_mapping_a_config_or_a_dotted_path(setting: Any) -> None:
    with override_settings(AUTHGATE=setting):
        gate = get_gate()
        assert isinstance(gate, AuthGate)
        assert gate.base_path == "/a"
        assert get_gate() is gate  # built once


SETTINGS_GATE = make_gate(url="http://t/a")


@pytest.mark.parametrize("setting", [None, 42, "frameworks.test_django.SECRET"])
def test_a_missing_or_wrong_setting_fails_closed(setting: Any) -> None:
    with override_settings(AUTHGATE=setting), pytest.raises(ImproperlyConfigured):
        get_gate()


# -- ASGI: the async views, on the server's loop -----------------------------------------------


@pytest.fixture
def asgi_app() -> Any:
    handler = ASGIHandler()
    gate = django_gate()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        with override_settings(AUTHGATE=gate, ROOT_URLCONF=ASYNC_PAGES_URLCONF):
            await handler(scope, receive, send)

    return app


async def asgi_sign_in(http: httpx.AsyncClient) -> httpx.Response:
    csrf = (await http.get("/api/auth/csrf")).json()["csrfToken"]
    return await http.post(
        "/api/auth/callback/credentials",
        data={"csrfToken": csrf, "username": "ada", "password": "pw"},
    )


@pytest.mark.anyio
async def test_under_asgi_the_async_views_sign_in_and_read_the_session(asgi_app: Any) -> None:
    transport = httpx.ASGITransport(app=asgi_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        assert (await http.get("/async-dashboard")).status_code == 302
        assert (await asgi_sign_in(http)).status_code == 302
        assert (await http.get("/async-dashboard")).text == "async: Ada L"
        assert (await http.get("/api/me")).json()["user"]["name"] == "Ada L"
        signed_out = await http.get("/api/auth/session")
        assert signed_out.json()["user"]["email"] == "ada@example.com"


def test_the_csrf_tag_without_the_middleware_fails_loudly() -> None:
    app = wsgi_handler_for(
        django_gate(),
        urlconf=PAGES_URLCONF,
        MIDDLEWARE=["django.middleware.csrf.CsrfViewMiddleware"],
        DEBUG_PROPAGATE_EXCEPTIONS=True,
    )
    with wsgi_client(app) as http, pytest.raises(ImproperlyConfigured, match="AuthGateMiddleware"):
        http.get("/auth/signin")


@pytest.mark.anyio
async def test_under_asgi_an_async_class_view_with_the_mixin_needs_a_session() -> None:
    handler, gate = ASGIHandler(), django_gate()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        with override_settings(AUTHGATE=gate, ROOT_URLCONF=EXTRA_URLCONF):
            await handler(scope, receive, send)

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        refused = await http.get("/async-account")
        assert refused.status_code == 302
        assert refused.headers["location"] == "/api/auth/signin?callbackUrl=%2Fasync-account"
        too_big = await http.post("/api/auth/signout", content=b"x" * (64 * 1024 + 1))
        assert too_big.status_code == 413
        assert "Payload Too Large" in too_big.text
        assert (await asgi_sign_in(http)).status_code == 302
        assert (await http.get("/async-account")).text == "async account: Ada L"


def test_a_body_read_by_an_earlier_middleware_still_reaches_the_auth_views() -> None:
    app = wsgi_handler_for(
        django_gate(),
        urlconf=PAGES_URLCONF,
        MIDDLEWARE=[
            "_support.django_extra_urls.body_reading_middleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "authgate.integrations.django.middleware.AuthGateMiddleware",
        ],
    )
    with wsgi_client(app) as http:
        csrf = http.get("/api/auth/csrf").json()["csrfToken"]
        response = http.post(
            "/api/auth/callback/credentials",
            data={"csrfToken": csrf, "username": "ada", "password": "pw"},
        )
        assert response.status_code == 302
        assert http.get("/api/auth/session").json()["user"]["name"] == "Ada L"


def test_cookies_of_one_name_are_all_sent_verbatim() -> None:
    response = HttpResponse()
    first = Cookie(name="a", value="x|y", max_age=60)
    second = Cookie(name="a", value="", max_age=0)
    add_cookies(response, [first, second])
    morsels = list(response.cookies.values())
    assert [m.OutputString() for m in morsels] == [first.serialize(), second.serialize()]
    assert [m.output(header="") for m in morsels] == [first.serialize(), second.serialize()]
    assert morsels[0].output() == "Set-Cookie: " + first.serialize()
