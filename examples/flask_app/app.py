"""The Flask example: authgate's API, a protected page and API, a custom sign-in page in Jinja.

Routes: ``/`` (the session or sign-in links), ``/dashboard`` (protected page: redirect to
sign-in), ``/api/me`` (protected API: 401 JSON), ``/auth/signin`` (custom sign-in page),
``/api/auth/*`` (the NextAuth REST API and built-in pages).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template, request

from authgate import AuthGate
from authgate.integrations.flask import (
    AuthGateFlask,
    current_session,
    get_session,
    session_required,
)
from examples.shared import TEMPLATES, auth_config, sign_in_message

__all__ = ["create_app"]


def create_app(
    *, custom_sign_in: bool = False, url: str | None = None, secret: str | None = None
) -> Flask:
    """The example app (``url`` and ``secret`` default to ``AUTH_URL`` and ``AUTH_SECRET``)."""
    app = Flask(__name__, template_folder=str(TEMPLATES))
    gate = AuthGate(auth_config(custom_sign_in=custom_sign_in, url=url, secret=secret))
    AuthGateFlask(gate, app)
    page = {"framework": "Flask", "prefix": ""}

    @app.get("/")
    def home() -> str:
        return render_template("home.html", session=get_session(), **page)

    @app.get("/dashboard")
    @session_required
    def dashboard() -> str:
        return render_template("dashboard.html", session=current_session, **page)

    @app.get("/api/me")
    @session_required
    def me() -> dict[str, Any]:
        return dict(get_session() or {})

    @app.get("/auth/signin")
    def custom_sign_in_page() -> str:
        return render_template(
            "signin.html",
            callback_url=request.args.get("callbackUrl"),
            message=sign_in_message(request.args.get("error")),
            **page,
        )

    @app.get("/favicon.ico")
    def favicon() -> tuple[str, int]:  # the built-in pages have none; browsers ask anyway
        return "", 204

    @app.get("/bare")
    def bare() -> dict[str, Any]:  # the framework's own cost, for bench/
        return {"ok": True}

    return app
