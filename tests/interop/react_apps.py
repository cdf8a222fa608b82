"""The app the ``next-auth/react`` client test talks to, for every framework.

One gate configuration (a Credentials user, ``jwt``/``session`` callbacks that let
``update()`` change the name), a page loading the bundled client at ``/``, the bundle at
``/client.js``, and the auth API at ``/api/auth``. The Flask and Django apps are built by
gunicorn worker processes from the environment: ``REACT_ORIGIN`` and ``REACT_BUNDLE``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from authgate import AuthConfig, AuthGate, Callbacks
from authgate.providers import Credentials

if TYPE_CHECKING:
    from flask import Flask

SECRET = "react-client-secret-0123456789abcdef"
PASSWORD = "correct horse battery staple"
USER = {"id": "1", "name": "Ada", "email": "ada@example.com", "image": "https://i.example/a.png"}
PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>client</title></head>
<body><script src="/client.js"></script></body></html>"""


def authorize(credentials: dict[str, Any], request: object) -> dict[str, Any] | None:
    ok = credentials.get("username") == "ada" and credentials.get("password") == PASSWORD
    return dict(USER) if ok else None


def jwt_callback(
    token: dict[str, Any], trigger: str | None = None, session: Any = None
) -> dict[str, Any]:
    # What a next-auth app does to let useSession().update() change the name.
    if trigger == "update" and isinstance(session, dict) and isinstance(session.get("name"), str):
        return {**token, "name": session["name"]}
    return token


def session_callback(session: dict[str, Any], token: dict[str, Any]) -> dict[str, Any]:
    # v4 builds session.user from the token *before* the jwt callback: copy the update over.
    return {**session, "user": {**session["user"], "name": token.get("name")}}


def make_gate(origin: str) -> AuthGate:
    return AuthGate(
        AuthConfig(
            providers=[
                Credentials(
                    authorize=authorize,
                    credentials={
                        "username": {"label": "Username", "type": "text"},
                        "password": {"label": "Password", "type": "password"},
                    },
                )
            ],
            secret=SECRET,
            url=f"{origin}/api/auth",
            callbacks=Callbacks(jwt=jwt_callback, session=session_callback),
        ),
        env={},
    )


def bundle() -> bytes:
    return Path(os.environ["REACT_BUNDLE"]).read_bytes()


def flask_app() -> Flask:
    """The Flask app (``gunicorn 'interop.react_apps:flask_app()'``)."""
    from flask import Flask, Response

    from authgate.integrations.flask import AuthGateFlask

    app = Flask(__name__)
    AuthGateFlask(make_gate(os.environ["REACT_ORIGIN"]), app)
    app.add_url_rule("/", "page", lambda: Response(PAGE, mimetype="text/html"))
    app.add_url_rule("/client.js", "client", lambda: Response(bundle(), mimetype="text/javascript"))
    return app
