"""The pages of password accounts and two-factor sign-in: one form template, many uses.

Pure functions of their arguments, like the other built-in pages: the same theme, the same
escaping (Jinja2 autoescape), the same security headers. The one difference is a fixed inline
script for "Show password" (NIST SP 800-63B-4 asks for the option), allowed by its hash in the
page's Content-Security-Policy; nothing else may run. Without JavaScript the pages work the
same, minus that checkbox.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from markupsafe import Markup

from authgate._core.pages import _page, _shell
from authgate.i18n import N_

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from authgate.config import Theme
    from authgate.http import AuthResponse
    from authgate.i18n import Language

__all__ = ["ACCOUNT_MESSAGES", "Content", "Field", "Form", "SecurityKey", "render_account_page"]

_SHOW_PASSWORD: Final = (
    "document.querySelectorAll('input[data-show]').forEach(function(box){"
    "box.addEventListener('change',function(){"
    "document.querySelectorAll('input[data-secret]').forEach(function(input){"
    "input.type=box.checked?'text':'password';});});});"
)
_SCRIPT_HASH: Final = base64.b64encode(hashlib.sha256(_SHOW_PASSWORD.encode()).digest()).decode()

ACCOUNT_MESSAGES: Final[Mapping[str, str]] = {
    "PasswordTooShort": N_("Use a longer password."),
    "PasswordTooLong": N_("That password is too long."),
    "PasswordTooCommon": N_("That password is too common. Choose one that is harder to guess."),
    "PasswordMismatch": N_("The current password is not right."),
    "InvalidEmail": N_("Enter one e-mail address."),
    "MissingFields": N_("Fill in every field."),
    "InvalidCode": N_("That code is not right. Try again."),
    "SecurityKeyRefused": N_("Your security key was not accepted. Try again, or enter a code."),
}
"""Messages of the form errors, keyed by the error code the JSON mode answers with."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Field:
    """One ``<input>`` of a form."""

    name: str
    label: str
    type: str = "text"
    autocomplete: str | None = None
    value: str | None = None
    required: bool = True
    secret: bool = False  # a password: "Show password" toggles it
    inputmode: str | None = None
    autofocus: bool = False
    input_id: str | None = None  # when two forms of a page ask for the same name

    @property
    def id(self) -> str:
        return self.input_id or f"input-{self.name}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Form:
    """A POST form of the page (the CSRF token is added to each)."""

    action: str
    button: str
    fields: Sequence[Field] = ()
    hidden: Sequence[tuple[str, str]] = ()
    button_id: str = "submitButton"

    @property
    def show_toggle(self) -> bool:
        return any(f.secret for f in self.fields)


@dataclass(frozen=True, slots=True, kw_only=True)
class SecurityKey:
    """The two-factor page's "Use a security key" form, run by ``webauthn.js``.

    Hidden until the script shows it (JavaScript and WebAuthn present): the other forms of
    the page work without it.
    """

    action: str  # where the assertion is posted (the two-factor step)
    options_url: str  # {base}/webauthn-options/<passkey id>
    script_url: str  # {base}/webauthn.js
    button: str
    failed: str  # shown when the ceremony fails in the browser


@dataclass(frozen=True, slots=True, kw_only=True)
class Content:
    """What one page says and asks."""

    title: str
    heading: str
    intro: str | None = None
    error: str | None = None
    notice: str | None = None
    forms: Sequence[Form] = ()
    links: Sequence[tuple[str, str]] = ()
    svg: str | None = None  # an inline SVG we generated (the TOTP QR code)
    secret_text: str | None = None
    codes: Sequence[str] = ()
    security_key: SecurityKey | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


def render_account_page(
    *, theme: Theme, lang: Language, csrf_token: str, content: Content, status: int = 200
) -> AuthResponse:
    """Render ``content``; ``content.error`` is a code of :data:`ACCOUNT_MESSAGES`."""
    context = _shell(theme, lang, title=content.title, button_text=True)
    toggles = any(form.show_toggle for form in content.forms)
    context.update(
        heading=content.heading,
        intro=content.intro,
        error_message=(
            lang.gettext(ACCOUNT_MESSAGES.get(content.error, N_("Something went wrong.")))
            if content.error
            else None
        ),
        notice=content.notice,
        forms=content.forms,
        links=content.links,
        csrf_token=csrf_token,
        # segno's SVG of data we chose (an otpauth URI): no user markup can get in.
        svg=Markup(content.svg) if content.svg else None,  # noqa: S704
        secret_text=content.secret_text,
        codes=content.codes,
        inline_script=Markup(_SHOW_PASSWORD) if toggles else None,  # noqa: S704 - our constant
        security_key=content.security_key,
        script=content.security_key.script_url if content.security_key else None,
    )
    response = _page("account-form.html", context, status=status)
    if toggles:
        response.headers = [
            (name, _allow_toggle(value)) if name == "content-security-policy" else (name, value)
            for name, value in response.headers
        ]
    return response


def _allow_toggle(policy: str) -> str:
    """The page's CSP with the "Show password" script's hash added to ``script-src``."""
    allowed = f"'sha256-{_SCRIPT_HASH}'"
    if "script-src 'self'" in policy:
        return policy.replace("script-src 'self'", f"script-src 'self' {allowed}", 1)
    return f"{policy}; script-src {allowed}"
