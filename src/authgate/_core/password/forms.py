"""The pages of password accounts, and the one way a refused form is answered.

A refused form answers ``400`` with the page again and its message (HTML), or
``{"error": "<code>"}`` (JSON mode); never a redirect, so nothing is lost from what was typed
except the password.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from authgate._core.pages.accounts import Content, Field, Form, render_account_page
from authgate._core.password.store import password_provider
from authgate._core.redirects import csrf_refused
from authgate.http import AuthResponse

if TYPE_CHECKING:
    from authgate._core.context import RequestContext
    from authgate.providers.password import Password

NEW_PASSWORD = "new-password"


def show(ctx: RequestContext, content: Content, *, status: int = 200) -> AuthResponse:
    """Render ``content`` with the request's theme and CSRF token."""
    return render_account_page(
        theme=ctx.options.theme,
        lang=ctx.language,
        csrf_token=ctx.csrf.token,
        content=content,
        status=status,
    )


def refuse(ctx: RequestContext, code: str, content: Content) -> AuthResponse:
    """A refused form: ``{"error": code}`` with 400 in JSON mode, else the page and its message."""
    if ctx.json_mode:
        return AuthResponse.json({"error": code}, status=400)
    return show(ctx, _with_error(content, code), status=400)


def _with_error(content: Content, code: str) -> Content:
    from dataclasses import replace

    return replace(content, error=code, notice=None)


def _password(name: str, label: str, autocomplete: str) -> Field:
    return Field(name=name, label=label, type="password", autocomplete=autocomplete, secret=True)


def _hidden(provider: Password) -> list[tuple[str, str]]:
    return [("provider", provider.id)]


def sign_in_link(ctx: RequestContext) -> tuple[str, str]:
    return f"{ctx.url}/signin", ctx.language.gettext("Sign in")


def signup(ctx: RequestContext, provider: Password, *, email: str = "", name: str = "") -> Content:
    _ = ctx.language.gettext
    rules = _("At least %(n)s characters. Any characters, spaces too.") % {"n": provider.min_length}
    return Content(
        title=_("Create account"),
        heading=_("Create an account"),
        intro=rules,
        forms=[
            Form(
                action=f"{ctx.url}/signup",
                button=_("Create account"),
                hidden=_hidden(provider),
                fields=[
                    Field(
                        name="name",
                        label=_("Name"),
                        autocomplete="name",
                        value=name,
                        required=False,
                    ),
                    Field(
                        name="email",
                        label=_("Email"),
                        type="email",
                        autocomplete="username",
                        value=email,
                    ),
                    _password("password", _("Password"), NEW_PASSWORD),
                ],
            )
        ],
        links=[sign_in_link(ctx)],
    )


def check_email(ctx: RequestContext, what: str) -> Content:
    _ = ctx.language.gettext
    return Content(
        title=_("Check your email"),
        heading=_("Check your email"),
        intro=_(what),
        links=[sign_in_link(ctx)],
    )


def forgot(ctx: RequestContext, provider: Password) -> Content:
    _ = ctx.language.gettext
    return Content(
        title=_("Forgot password"),
        heading=_("Forgot your password?"),
        intro=_("We will mail you a link to choose a new one."),
        forms=[
            Form(
                action=f"{ctx.url}/forgot-password",
                button=_("Send reset link"),
                hidden=_hidden(provider),
                fields=[
                    Field(name="email", label=_("Email"), type="email", autocomplete="username")
                ],
            )
        ],
        links=[sign_in_link(ctx)],
    )


def reset(ctx: RequestContext, provider: Password, *, email: str, token: str) -> Content:
    _ = ctx.language.gettext
    return Content(
        title=_("Choose a new password"),
        heading=_("Choose a new password"),
        intro=_("At least %(n)s characters.") % {"n": provider.min_length},
        forms=[
            Form(
                action=f"{ctx.url}/reset-password",
                button=_("Set password"),
                hidden=[*_hidden(provider), ("email", email), ("token", token)],
                fields=[_password("password", _("New password"), NEW_PASSWORD)],
            )
        ],
    )


def change(ctx: RequestContext, provider: Password) -> Content:
    _ = ctx.language.gettext
    return Content(
        title=_("Change password"),
        heading=_("Change your password"),
        intro=_("At least %(n)s characters. Your other sessions will end.")
        % {"n": provider.min_length},
        forms=[
            Form(
                action=f"{ctx.url}/change-password",
                button=_("Change password"),
                hidden=_hidden(provider),
                fields=[
                    _password("currentPassword", _("Current password"), "current-password"),
                    _password("newPassword", _("New password"), NEW_PASSWORD),
                ],
            )
        ],
    )


def done(ctx: RequestContext, heading: str, what: str) -> Content:
    _ = ctx.language.gettext
    return Content(title=heading, heading=_(heading), intro=_(what), links=[sign_in_link(ctx)])


def signed_out_to_sign_in(ctx: RequestContext, here: str) -> AuthResponse:
    """Not signed in: to the sign-in page, back here afterwards."""
    back = quote(f"{ctx.url}/{here}", safe="")
    return AuthResponse.to(f"{ctx.url}/signin?callbackUrl={back}&error=SessionRequired")


def unsupported(ctx: RequestContext) -> AuthResponse:
    """No Password provider (for this request): v4's answer to an unknown action."""
    method = ctx.request.method
    return AuthResponse.text(
        f"Error: This action with HTTP {method} is not supported by NextAuth.js", status=400
    )


def provider_or_refusal(ctx: RequestContext, page: str) -> Password | AuthResponse:
    """The request's Password provider, or the answer: none configured, or (POST) no CSRF."""
    provider = password_provider(ctx)
    if provider is None:
        return unsupported(ctx)
    if ctx.request.method == "POST" and not ctx.csrf.verified:
        return csrf_refused(ctx.url, page)
    return provider
