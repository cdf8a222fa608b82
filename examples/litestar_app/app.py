"""The Litestar example: the auth API as a plugin, guarded page and API, a custom sign-in page.

Routes as in the Flask example: ``/``, ``/dashboard`` (guard: redirect), ``/api/me`` (guard:
401 JSON), ``/auth/signin`` (custom page, Jinja), ``/api/auth/*``.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Request, get
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig

from authgate import AuthGate
from authgate.integrations.litestar import AuthGatePlugin, AuthSession
from examples.shared import TEMPLATES, auth_config, sign_in_message

__all__ = ["create_app"]

PAGE = {"framework": "Litestar", "prefix": ""}


def create_app(
    *, custom_sign_in: bool = False, url: str | None = None, secret: str | None = None
) -> Litestar:
    """The example app (``url`` and ``secret`` default to ``AUTH_URL`` and ``AUTH_SECRET``)."""
    auth = AuthGatePlugin(
        AuthGate(auth_config(custom_sign_in=custom_sign_in, url=url, secret=secret))
    )

    @get("/")
    async def home(auth_session: AuthSession) -> Template:
        return Template("home.html", context={"session": auth_session, **PAGE})

    @get("/dashboard", guards=[auth.guard])
    async def dashboard(auth_session: AuthSession) -> Template:
        return Template("dashboard.html", context={"session": auth_session, **PAGE})

    @get("/api/me", guards=[auth.guard])
    async def me(auth_session: AuthSession) -> dict[str, Any]:
        return dict(auth_session or {})

    @get("/auth/signin")
    async def custom_sign_in_page(request: Request[Any, Any, Any]) -> Template:
        context = {
            "authgate_csrf_token": lambda: auth.get_csrf_token(request),
            "authgate_providers": lambda: auth.get_providers(request),
            "callback_url": request.query_params.get("callbackUrl"),
            "message": sign_in_message(request.query_params.get("error")),
            **PAGE,
        }
        return Template("signin.html", context=context)

    @get("/favicon.ico", status_code=204)
    async def favicon() -> None:  # the built-in pages have none; browsers ask anyway
        return None

    @get("/bare")
    async def bare() -> dict[str, Any]:  # the framework's own cost, for bench/
        return {"ok": True}

    return Litestar(
        [home, dashboard, me, custom_sign_in_page, favicon, bare],
        plugins=[auth],
        template_config=TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine),
    )
