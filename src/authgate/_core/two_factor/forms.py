"""The two-factor pages: the challenge, enrolment, the recovery codes, the settings."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING
from urllib.parse import quote

from authgate._core.pages import SCRIPT_PATH
from authgate._core.pages.accounts import ACCOUNT_MESSAGES, Content, Field, Form, SecurityKey

if TYPE_CHECKING:
    from collections.abc import Sequence

    from authgate._core.context import RequestContext

SETUP = "two-factor-setup"


def _code_field(
    ctx: RequestContext, *, autofocus: bool = True, input_id: str | None = None
) -> Field:
    digits = ctx.options.two_factor.digits if ctx.options.two_factor else 6
    return Field(
        name="code",
        label=ctx.language.gettext("%(n)s-digit code from your app") % {"n": digits},
        autocomplete="one-time-code",
        inputmode="numeric",
        autofocus=autofocus,
        input_id=input_id,
    )


def _recovery_field(ctx: RequestContext, *, form_id: str | None = None) -> Field:
    label = ctx.language.gettext("Recovery code")
    if form_id is None:
        return Field(name="recoveryCode", label=label, autocomplete="off")
    return Field(
        name="recoveryCode",
        label=label,
        autocomplete="off",
        required=False,
        input_id=f"input-recoveryCode-{form_id}",
    )


def _either(ctx: RequestContext, form_id: str) -> list[Field]:
    """A settings form's fresh code: from the app, or a recovery code (either one)."""
    code = _code_field(ctx, autofocus=False, input_id=f"input-code-{form_id}")
    return [replace(code, required=False), _recovery_field(ctx, form_id=form_id)]


def challenge(ctx: RequestContext, *, security_key: str | None = None) -> Content:
    """The two-factor page; ``security_key``: the Passkey provider's id, to offer a key."""
    _ = ctx.language.gettext
    action = f"{ctx.url}/two-factor"
    key = None
    if security_key is not None:
        key = SecurityKey(
            action=action,
            options_url=f"{ctx.url}/webauthn-options/{quote(security_key, safe='')}",
            script_url=f"{ctx.url}/{SCRIPT_PATH}",
            button=_("Use a security key"),
            failed=_(ACCOUNT_MESSAGES["SecurityKeyRefused"]),
        )
    return Content(
        security_key=key,
        title=_("Two-factor sign in"),
        heading=_("Enter your code"),
        intro=_("Open your authenticator app and enter the code it shows for this site."),
        forms=[
            Form(action=action, button=_("Verify"), fields=[_code_field(ctx)]),
            Form(
                action=action,
                button=_("Use recovery code"),
                fields=[_recovery_field(ctx)],
                button_id="recoveryButton",
            ),
        ],
        links=[(f"{ctx.url}/signin", _("Start over"))],
    )


def enrol(ctx: RequestContext, *, svg: str, secret: str) -> Content:
    _ = ctx.language.gettext
    return Content(
        title=_("Set up two-factor sign in"),
        heading=_("Set up two-factor sign in"),
        intro=_("Scan this code with an authenticator app, then enter the code it shows."),
        svg=svg,
        secret_text=secret,
        forms=[
            Form(
                action=f"{ctx.url}/{SETUP}",
                button=_("Turn on"),
                hidden=[("op", "enable")],
                fields=[_code_field(ctx)],
            )
        ],
    )


def codes(ctx: RequestContext, recovery_codes: Sequence[str]) -> Content:
    _ = ctx.language.gettext
    return Content(
        title=_("Recovery codes"),
        heading=_("Save your recovery codes"),
        intro=_(
            "Each code signs you in once if you lose your authenticator. "
            "They are shown only now: store them somewhere safe."
        ),
        codes=recovery_codes,
        links=[(ctx.callback_url, _("Done"))],
    )


def settings(ctx: RequestContext, remaining: int, low: bool) -> Content:
    _ = ctx.language.gettext
    action = f"{ctx.url}/{SETUP}"
    notice = _("Recovery codes left: %(n)s.") % {"n": remaining}
    if low:
        notice += " " + _("Make new ones soon.")
    return Content(
        title=_("Two-factor sign in"),
        heading=_("Two-factor sign in is on"),
        notice=notice,
        forms=[
            Form(
                action=action,
                button=_("Make new recovery codes"),
                hidden=[("op", "regenerate")],
                fields=_either(ctx, "regenerate"),
                button_id="regenerateButton",
            ),
            Form(
                action=action,
                button=_("Turn off two-factor sign in"),
                hidden=[("op", "disable")],
                fields=_either(ctx, "disable"),
                button_id="disableButton",
            ),
        ],
    )
