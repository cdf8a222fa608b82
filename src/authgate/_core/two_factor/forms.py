"""The two-factor pages: the challenge, enrolment, the recovery codes, the settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from authgate._core.pages.accounts import Content, Field, Form

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
        label=f"{digits}-digit code from your app",
        autocomplete="one-time-code",
        inputmode="numeric",
        autofocus=autofocus,
        input_id=input_id,
    )


def _recovery_field() -> Field:
    return Field(name="recoveryCode", label="Recovery code", autocomplete="off")


def challenge(ctx: RequestContext) -> Content:
    action = f"{ctx.url}/two-factor"
    return Content(
        title="Two-factor sign in",
        heading="Enter your code",
        intro="Open your authenticator app and enter the code it shows for this site.",
        forms=[
            Form(action=action, button="Verify", fields=[_code_field(ctx)]),
            Form(
                action=action,
                button="Use recovery code",
                fields=[_recovery_field()],
                button_id="recoveryButton",
            ),
        ],
        links=[(f"{ctx.url}/signin", "Start over")],
    )


def enrol(ctx: RequestContext, *, svg: str, secret: str) -> Content:
    return Content(
        title="Set up two-factor sign in",
        heading="Set up two-factor sign in",
        intro="Scan this code with an authenticator app, then enter the code it shows.",
        svg=svg,
        secret_text=secret,
        forms=[
            Form(
                action=f"{ctx.url}/{SETUP}",
                button="Turn on",
                hidden=[("op", "enable")],
                fields=[_code_field(ctx)],
            )
        ],
    )


def codes(ctx: RequestContext, recovery_codes: Sequence[str]) -> Content:
    return Content(
        title="Recovery codes",
        heading="Save your recovery codes",
        intro=(
            "Each code signs you in once if you lose your authenticator. "
            "They are shown only now: store them somewhere safe."
        ),
        codes=recovery_codes,
        links=[(ctx.callback_url, "Done")],
    )


def settings(ctx: RequestContext, remaining: int, low: bool) -> Content:
    action = f"{ctx.url}/{SETUP}"
    notice = f"{remaining} recovery codes left." + (" Make new ones soon." if low else "")
    return Content(
        title="Two-factor sign in",
        heading="Two-factor sign in is on",
        notice=notice,
        forms=[
            Form(
                action=action,
                button="Make new recovery codes",
                hidden=[("op", "regenerate")],
                fields=[_code_field(ctx, autofocus=False, input_id="input-code-regenerate")],
                button_id="regenerateButton",
            ),
            Form(
                action=action,
                button="Turn off two-factor sign in",
                hidden=[("op", "disable")],
                fields=[_code_field(ctx, autofocus=False, input_id="input-code-disable")],
                button_id="disableButton",
            ),
        ],
    )
