"""The Flask extension: the API blueprint, the session, protected views, template helpers."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, render_template_string, session

from authgate.integrations.flask import (
    AuthGateFlask,
    current_session,
    get_providers,
    get_session,
    session_required,
)

from .support import hidden_csrf, make_gate, sign_in, wsgi_client

SIGN_IN_PAGE = """
{% for p in authgate_providers().values() %}<form action="{{ p.callbackUrl }}">
<input name="csrfToken" type="hidden" value="{{ authgate_csrf_token() }}">
<input name="again" value="{{ authgate_csrf_token() }}"></form>{% endfor %}
"""


def make_app(gate: Any = None, **config: Any) -> Flask:
    app = Flask(__name__)
    app.config.update(config)
    AuthGateFlask(gate or make_gate(), app)

    @app.get("/page")
    @session_required
    def page() -> str:
        return f"page for {current_session['user']['name']}"  # type: ignore[index]

    @app.get("/api/data")
    @session_required
    def data() -> dict[str, Any]:
        return {"email": (get_session() or {})["user"]["email"]}

    @app.get("/")
    def home() -> str:
        return "signed in" if current_session else "signed out"

    @app.get("/signin")
    def custom() -> str:
        return render_template_string(SIGN_IN_PAGE)

    return app


@pytest.fixture
def app() -> Flask:
    return make_app()


def test_a_page_without_a_session_redirects_to_sign_in_with_the_callback(app: Flask) -> None:
    with wsgi_client(app) as http:
        response = http.get("/page?tab=2")
    assert response.status_code == 302
    assert response.headers["location"] == "/api/auth/signin?callbackUrl=%2Fpage%3Ftab%3D2"


def test_an_api_without_a_session_is_401_json(app: Flask) -> None:
    with wsgi_client(app) as http:
        response = http.get("/api/data")
        assert response.status_code == 401
        assert response.json() == {"error": "SessionRequired"}
        # Other spellings never reach the view: werkzeug routes them nowhere or redirects.
        assert http.get("/API/data").status_code == 404
        assert http.get("/api//data").headers["location"] == "http://testserver/api/data"


def test_after_sign_in_views_see_the_session(app: Flask) -> None:
    with wsgi_client(app) as http:
        assert http.get("/").text == "signed out"
        assert sign_in(http).status_code == 302
        assert http.get("/").text == "signed in"
        assert http.get("/page").text == "page for Ada"
        assert http.get("/api/data").json() == {"email": "ada@example.com"}


def test_a_wrong_password_gives_no_session(app: Flask) -> None:
    with wsgi_client(app) as http:
        response = sign_in(http, password="nope")
        assert "error=CredentialsSignin" in response.headers["location"]
        assert http.get("/api/data").status_code == 401


def test_the_template_helpers_set_one_csrf_cookie_whose_token_signs_in(app: Flask) -> None:
    with wsgi_client(app) as http:
        page = http.get("/signin")
        cookies = page.headers.get_list("set-cookie")
        assert [c.split("=", 1)[0] for c in cookies] == ["next-auth.csrf-token"]
        token = hidden_csrf(page.text)
        assert f'name="again" value="{token}"' in page.text
        assert "http://testserver/api/auth/callback/credentials" in page.text
        response = http.post(
            "/api/auth/callback/credentials",
            data={"csrfToken": token, "username": "ada", "password": "pw"},
        )
        assert response.status_code == 302
        assert http.get("/").text == "signed in"


def test_get_providers_outside_a_template(app: Flask) -> None:
    with app.test_request_context("/"):
        assert list(get_providers()) == ["credentials"]


def test_under_a_mount_prefix_the_blueprint_and_redirects_follow_it() -> None:
    gate = make_gate(url="http://testserver/app/api/auth")
    app = make_app(gate, APPLICATION_ROOT="/app")
    with wsgi_client(app, script_name="/app") as http:
        assert http.get("/page").headers["location"] == (
            "/app/api/auth/signin?callbackUrl=%2Fapp%2Fpage"
        )
        assert sign_in(http).status_code == 302
        assert http.get("/page").text == "page for Ada"


def test_flask_session_cookies_and_ours_are_both_sent() -> None:
    app = make_app(SECRET_KEY="flask-secret")

    @app.before_request
    def touch_flask_session() -> None:
        session["seen"] = True

    with wsgi_client(app) as http:
        names = [
            c.split("=", 1)[0] for c in http.get("/api/auth/csrf").headers.get_list("set-cookie")
        ]
    assert names == ["next-auth.csrf-token", "next-auth.callback-url", "session"]
