"""Django's server-side ``sign_out`` / ``update_session`` (and ``asign_out`` /
``aupdate_session``) through Django's own test client: the example project's sync views under
WSGI, async views under ASGI; database sessions, revoked JWTs, and a missing middleware."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import pytest

from _support.django_app import EXTRA_URLCONF, PAGES_URLCONF, configure
from authgate import Callbacks
from authgate.adapters.memory import MemoryAdapter
from authgate.providers import Credentials
from authgate.revocation import MemoryRevocationStore

from .support import authorize, make_gate
from .test_server_helpers import SESSION_COOKIE, rename

configure()

from django.contrib.auth.models import User  # noqa: E402 - needs the settings
from django.core.exceptions import ImproperlyConfigured  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import AsyncClient, Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from authgate.integrations.django.credentials import DjangoCredentials  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Iterator

    from django.http.response import HttpResponseBase

    from authgate import AuthGate

FORM = "application/x-www-form-urlencoded"
MIDDLEWARE = [
    "django.middleware.csrf.CsrfViewMiddleware",
    "authgate.integrations.django.middleware.AuthGateMiddleware",
]


@pytest.fixture(scope="module", autouse=True)
def users() -> None:
    call_command("migrate", verbosity=0, interactive=False)
    User.objects.filter(username="ada").delete()
    User.objects.create_user("ada", "ada@example.com", "pw", first_name="Ada", last_name="L")


def django_gate(**config: Any) -> AuthGate:
    config.setdefault("providers", [DjangoCredentials()])
    return make_gate(callbacks=Callbacks(jwt=rename), **config)


@pytest.fixture
def gate() -> AuthGate:
    return django_gate()


@pytest.fixture
def client(gate: AuthGate) -> Iterator[Client]:
    with override_settings(AUTHGATE=gate, ROOT_URLCONF=PAGES_URLCONF):
        yield Client()


def sign_in(client: Client) -> None:
    csrf = json.loads(client.get("/api/auth/csrf").content)["csrfToken"]
    answer = client.post(
        "/api/auth/callback/credentials",
        urlencode({"csrfToken": csrf, "username": "ada", "password": "pw"}),
        content_type=FORM,
    )
    assert answer.status_code == 302, answer.content


def session_lines(response: HttpResponseBase) -> list[str]:
    lines = [m.OutputString() for m in response.cookies.values()]
    return [line for line in lines if line.startswith(SESSION_COOKIE + "=")]


def me(client: Client) -> Any:
    response = client.get("/api/me")
    return json.loads(response.content) if response.status_code == 200 else response.status_code


def test_update_session_runs_the_jwt_callback_and_reissues_the_cookie(client: Client) -> None:
    sign_in(client)
    answer = client.post("/api/me", {"name": "Grace"}, content_type="application/json")
    assert answer.status_code == 200
    # As next-auth v4's POST /session: the answer's user is built from the token as it was.
    assert json.loads(answer.content)["user"] == {"name": "Ada L", "email": "ada@example.com"}
    [line] = session_lines(answer)
    assert "HttpOnly" in line
    assert me(client)["user"]["name"] == "Grace"  # the new cookie carries the new name


def test_sign_out_clears_the_cookie_and_ends_the_session(client: Client) -> None:
    sign_in(client)
    assert me(client)["user"]["name"] == "Ada L"
    out = client.post("/signout")
    assert (out.status_code, out["Location"]) == (302, "/")
    [line] = session_lines(out)
    assert "Max-Age=0" in line
    assert me(client) == 401


def test_the_example_views_keep_djangos_csrf_check(gate: AuthGate) -> None:
    with override_settings(AUTHGATE=gate, ROOT_URLCONF=PAGES_URLCONF):
        client = Client(enforce_csrf_checks=True)
        sign_in(client)  # the API views are exempt: their own double-submit token
        assert client.post("/signout").status_code == 403
        assert me(client)["user"]["name"] == "Ada L"  # still signed in
        client.get("/")
        token = client.cookies["csrftoken"].value  # set by the home page
        out = client.post("/signout", HTTP_X_CSRFTOKEN=token)
        assert out.status_code == 302
        assert me(client) == 401


def test_update_without_a_session_is_refused_by_the_protected_view(client: Client) -> None:
    answer = client.post("/api/me", {"name": "Grace"}, content_type="application/json")
    assert answer.status_code == 401
    assert session_lines(answer) == []


def replay(gate: AuthGate, cookie: str) -> Any:
    """A fresh client sending a copy of the old session cookie (a stolen or cached one)."""
    with override_settings(AUTHGATE=gate, ROOT_URLCONF=PAGES_URLCONF):
        other = Client()
        other.cookies[SESSION_COOKIE] = cookie
        return me(other)


@pytest.mark.parametrize("kind", ["database", "revoked-jwt"])
def test_a_copy_of_the_old_cookie_is_dead_after_the_server_sign_out(kind: str) -> None:
    if kind == "database":
        adapter = MemoryAdapter()
        provider = Credentials(authorize=authorize, database_session=True)
        gate = django_gate(adapter=adapter, providers=[provider])
    else:
        gate = django_gate(revocation=MemoryRevocationStore())
    with override_settings(AUTHGATE=gate, ROOT_URLCONF=PAGES_URLCONF):
        client = Client()
        sign_in(client)
        old = client.cookies[SESSION_COOKIE].value
        assert replay(gate, old)["user"]["email"] == "ada@example.com"
        if kind == "database":
            assert len(adapter.dump()["sessions"]) == 1
        assert client.post("/signout").status_code == 302
    if kind == "database":
        assert adapter.dump()["sessions"] == []
    assert replay(gate, old) == 401


def test_without_the_middleware_nothing_is_ended_and_it_fails_loudly(gate: AuthGate) -> None:
    with override_settings(AUTHGATE=gate, ROOT_URLCONF=PAGES_URLCONF):
        client = Client()
        sign_in(client)
    bare = ["django.middleware.csrf.CsrfViewMiddleware"]
    with override_settings(AUTHGATE=gate, ROOT_URLCONF=PAGES_URLCONF, MIDDLEWARE=bare):
        client.handler.load_middleware()
        with pytest.raises(ImproperlyConfigured, match=r"sign_out\(\) needs .*AuthGateMiddleware"):
            client.post("/signout")
    revocable = client.cookies[SESSION_COOKIE].value
    assert replay(gate, revocable)["user"]["name"] == "Ada L"  # the session was not touched


# -- async views under ASGI (Django's AsyncClient drives the ASGI handler) ---------------------


@pytest.fixture
def async_client(gate: AuthGate) -> Iterator[AsyncClient]:
    with override_settings(AUTHGATE=gate, ROOT_URLCONF=EXTRA_URLCONF, MIDDLEWARE=MIDDLEWARE):
        yield AsyncClient()


async def async_sign_in(client: AsyncClient) -> None:
    csrf = json.loads((await client.get("/api/auth/csrf")).content)["csrfToken"]
    answer = await client.post(
        "/api/auth/callback/credentials",
        urlencode({"csrfToken": csrf, "username": "ada", "password": "pw"}),
        content_type=FORM,
    )
    assert answer.status_code == 302


@pytest.mark.anyio
async def test_async_views_update_then_sign_out(async_client: AsyncClient) -> None:
    await async_sign_in(async_client)
    renamed = await async_client.post("/async-rename")
    body = json.loads(renamed.content)
    assert (body["session"]["user"]["email"], body["after"]) == ("ada@example.com", "Ada L")
    assert len(session_lines(renamed)) == 1
    session = json.loads((await async_client.get("/api/auth/session")).content)
    assert session["user"]["name"] == "Grace"
    out = await async_client.post("/async-signout")
    assert json.loads(out.content) == {"after": None}
    [line] = session_lines(out)
    assert "Max-Age=0" in line
    assert json.loads((await async_client.get("/api/auth/session")).content) == {}


@pytest.mark.anyio
async def test_async_update_without_a_session_answers_none(async_client: AsyncClient) -> None:
    renamed = await async_client.post("/async-rename")
    assert json.loads(renamed.content) == {"session": None, "after": None}
    assert session_lines(renamed) == []
