"""The four built-in pages (sign in, sign out, error, verify request), rendered to HTML.

Pure functions of their arguments: no request, no config object, no I/O. The markup follows
next-auth v4 (``core/pages/*.tsx``) with the deviations listed in ``docs/compatibility.md``:
only allow-listed error codes are ever rendered, every value goes through Jinja2's autoescaping,
and every page carries :func:`page_security_headers`.
"""

from __future__ import annotations

import base64
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote, urlsplit

import jinja2
from markupsafe import Markup

from authgate._validate import HEX_COLOR
from authgate.http import AuthResponse
from authgate.i18n import ENGLISH, N_, Language

if TYPE_CHECKING:
    from authgate.config import Theme

__all__ = [
    "ERROR_PAGES",
    "SIGNIN_ERROR_MESSAGES",
    "page_security_headers",
    "render_email_confirm",
    "render_error",
    "render_passkeys",
    "render_script",
    "render_signin",
    "render_signout",
    "render_verify_request",
]

_HERE = Path(__file__).resolve().parent

_CSS: Final = (_HERE / "styles.css").read_text(encoding="utf-8")
if "</" in _CSS:  # pragma: no cover - guards our own file against closing its <style>
    raise RuntimeError("styles.css must not contain '</'")

_SCRIPT: Final = (_HERE / "webauthn.js").read_bytes()
SCRIPT_PATH: Final = "webauthn.js"
"""The script's path under the base path (``GET {base}/webauthn.js``)."""


@jinja2.pass_context
def _gettext(context: jinja2.runtime.Context, message: str) -> str:
    language: Language = context["lang"]
    return language.gettext(message)


@jinja2.pass_context
def _ngettext(context: jinja2.runtime.Context, singular: str, plural: str, n: int) -> str:
    language: Language = context["lang"]
    return language.translations.ngettext(singular, plural, n)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        extensions=["jinja2.ext.i18n"],
    )
    # The catalog is the render's `lang` (no global state): the i18n extension looks its
    # functions up when called, and the "newstyle" wrappers escape every %(name)s value.
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    return env


_ENV: Final = _environment()

_DEFAULT_SIGNIN_MESSAGE: Final = N_("Unable to sign in.")
_DIFFERENT_ACCOUNT: Final = N_("Try signing in with a different account.")

SIGNIN_ERROR_MESSAGES: Final[Mapping[str, str]] = {
    "Signin": _DIFFERENT_ACCOUNT,
    "OAuthSignin": _DIFFERENT_ACCOUNT,
    "OAuthCallback": _DIFFERENT_ACCOUNT,
    "OAuthCreateAccount": _DIFFERENT_ACCOUNT,
    "EmailCreateAccount": _DIFFERENT_ACCOUNT,
    "Callback": _DIFFERENT_ACCOUNT,
    "OAuthAccountNotLinked": N_(
        "To confirm your identity, sign in with the same account you used originally."
    ),
    "EmailSignin": N_("The e-mail could not be sent."),
    "CredentialsSignin": N_("Sign in failed. Check the details you provided are correct."),
    "SessionRequired": N_("Please sign in to access this page."),
    # authgate: a throttled sign-in (SECURITY.md, decision 13).
    "TooManyRequests": N_("Too many sign-in attempts. Try again later."),
    # authgate: password accounts (authgate.providers.Password) before the address is confirmed.
    "EmailNotVerified": N_("Confirm your e-mail address first: we have sent you a new link."),
}
"""Sign-in page messages keyed by the case-sensitive ``?error=`` code (v4 ``signin.tsx``)."""

ERROR_PAGES: Final[Mapping[str, tuple[int, str]]] = {
    "default": (200, N_("Error")),
    "configuration": (500, N_("Server error")),
    "accessdenied": (403, N_("Access Denied")),
    "verification": (403, N_("Unable to sign in")),
    # authgate: a sign-out the database could not carry out (compatibility row 90).
    "signout": (503, N_("Sign out failed")),
}
"""Built-in error page variants: lower-cased code -> (HTTP status, heading) (v4 ``error.tsx``)."""

ERROR_PAGE_KEYS: Final[Mapping[str, str]] = {
    "default": "default",
    "configuration": "Configuration",
    "accessdenied": "AccessDenied",
    "verification": "Verification",
    "signout": "SignOut",
}
"""The keys as Auth.js v5 spells them (its lookup is case-sensitive)."""


@functools.cache
def signin_messages(renames: tuple[tuple[str, str], ...] = ()) -> Mapping[str, str]:
    """:data:`SIGNIN_ERROR_MESSAGES` with keys renamed (v5: ``OAuthCallbackError``)."""
    table = dict(SIGNIN_ERROR_MESSAGES)
    for old, new in renames:
        table[new] = table.pop(old)
    return table


# The presets' "/name.svg" logos ship in logos/ and are inlined: no request to a third party.
_LOGOS: Final = _HERE / "logos"
_SHIPPED_LOGO: Final = re.compile(r"/([a-z0-9-]{1,64})\.svg")

# Defence in depth: theme colours are validated when the config is built, provider styles may
# come from anywhere. A value outside this alphabet cannot end a declaration or a rule.
_CSS_VALUE: Final = re.compile(r"[#0-9a-zA-Z.,%/ ()+-]{1,100}")
_ATTRIBUTE_NAME: Final = re.compile(r"[a-zA-Z_:][-a-zA-Z0-9_:.]{0,63}")
_FORM_TYPES: Final = frozenset({"email", "credentials", "webauthn"})


def page_security_headers(*, script: bool = False) -> list[tuple[str, str]]:
    """Headers every built-in page is sent with (SECURITY.md, decision 5).

    No ``form-action`` directive: Chrome applies it to the redirect that follows an OAuth
    sign-in POST, which would block the hop to the provider. ``script``: the page loads the
    passkey script, a file from this origin (``script-src 'self'``, no inline script), which
    fetches the ceremony options (``connect-src 'self'``).
    """
    scripts = "script-src 'self'; connect-src 'self'; " if script else ""
    return [
        (
            "content-security-policy",
            f"default-src 'none'; {scripts}style-src 'unsafe-inline'; "
            "img-src https: data: 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("cache-control", "no-store"),
        ("x-frame-options", "DENY"),
    ]


# --------------------------------------------------------------------------------------------
# View models: everything the templates need, computed and sanitised here.


@dataclass(frozen=True, slots=True)
class _Field:
    label: str
    input_id: str
    attrs: tuple[tuple[str, str | None], ...]  # None: a bare (boolean) attribute


@dataclass(frozen=True, slots=True)
class _ProviderView:
    id: str
    name: str
    type: str
    action: str
    hr_before: bool
    hr_after: bool
    style: str | None = None
    logo: str | None = None
    logo_dark: str | None = None
    fields: tuple[_Field, ...] = ()
    options_url: str | None = None  # webauthn: GET {url}/webauthn-options/{id}
    conditional: bool = False  # webauthn: offer passkeys in autofill
    sign_up: bool = False  # webauthn: the "Sign up with a passkey" button
    account_links: bool = False  # Password: "Create an account", "Forgot your password?"


def _css_value(value: object) -> str | None:
    if isinstance(value, str) and _CSS_VALUE.fullmatch(value.strip()):
        return value.strip()
    return None


def _hex_to_rgba(value: str | None, alpha: float = 0.8) -> str | None:
    if value is None or not HEX_COLOR.fullmatch(value):
        return None
    digits = value[1:]
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    r, g, b = (int(digits[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r}, {g}, {b}, {alpha})"


@functools.cache
def _shipped_logo(name: str, fill: str | None) -> str | None:
    """A logo of logos/ as a ``data:`` URI, single-colour marks filled with ``fill``."""
    path = _LOGOS / f"{name}.svg"
    if not path.is_file():
        return None
    svg = path.read_text(encoding="utf-8")
    if fill is not None and "fill=" not in svg:
        svg = svg.replace("<svg ", f'<svg fill="{fill}" ', 1)  # fill: checked by _css_value
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _logo_url(value: object, fill: str | None = None) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    if value.startswith("/"):
        shipped = _SHIPPED_LOGO.fullmatch(value)
        return _shipped_logo(shipped.group(1), fill) if shipped else None
    if urlsplit(value).scheme not in ("http", "https") and not value.startswith("data:image/"):
        return None
    return value


def _style_getter(style: object) -> Any:
    if isinstance(style, Mapping):
        return lambda snake, camel: style.get(snake, style.get(camel))
    return lambda snake, camel: getattr(style, snake, getattr(style, camel, None))


def _oauth_style(style: object) -> tuple[str | None, str | None, str | None]:
    """The button's ``style`` attribute and its two logos, from ``provider.style``."""
    if style is None:
        return None, None, None
    get = _style_getter(style)
    bg = _css_value(get("bg", "bg"))
    bg_dark = _css_value(get("bg_dark", "bgDark"))
    declarations = {
        "--provider-bg": bg,
        "--provider-dark-bg": bg_dark,
        "--provider-color": _css_value(get("text", "text")),
        "--provider-dark-color": _css_value(get("text_dark", "textDark")),
        "--provider-bg-hover": _hex_to_rgba(bg),
        "--provider-dark-bg-hover": _hex_to_rgba(bg_dark),
    }
    css = " ".join(f"{name}: {value};" for name, value in declarations.items() if value)
    text = declarations["--provider-color"]
    text_dark = declarations["--provider-dark-color"] or text
    logo = _logo_url(get("logo", "logo"), text)
    logo_dark = _logo_url(get("logo_dark", "logoDark"), text_dark) or _logo_url(
        get("logo", "logo"), text_dark
    )
    return css or None, logo, logo_dark


def _attribute(name: str, value: object) -> tuple[str, str | None] | None:
    """One ``<input>`` attribute as v4 renders it, or ``None`` when it is left out.

    ``True`` and ``""`` give a bare attribute (Preact renders an empty string that way too;
    both mean the same in HTML), ``False``/``None`` omit it, anything else is its text.
    """
    if not _ATTRIBUTE_NAME.fullmatch(name) or value is False or value is None:
        return None
    if value is True or value == "":
        return name, None
    if isinstance(value, float) and value.is_integer():
        return name, str(int(value))
    return name, str(value)


def _credential_fields(provider_id: str, credentials: Mapping[str, Any]) -> tuple[_Field, ...]:
    fields: list[_Field] = []
    for key, spec in credentials.items():
        if not isinstance(key, str) or not isinstance(spec, Mapping):
            continue
        # v4: defaults first, then every field of the definition spread over them.
        merged: dict[str, object] = {
            "name": key,
            "id": f"input-{key}-for-{provider_id}-provider",
            "type": "text",
            "placeholder": "",
        }
        merged.update({k: v for k, v in spec.items() if isinstance(k, str)})
        attrs = tuple(a for a in (_attribute(n, v) for n, v in merged.items()) if a is not None)
        label = spec.get("label")
        input_id = dict(attrs).get("id")
        fields.append(
            _Field(
                label=label if isinstance(label, str) and label else key,
                input_id=input_id or "",
                attrs=attrs,
            )
        )
    return tuple(fields)


def _shown(provider: object) -> bool:
    kind = getattr(provider, "type", None)
    if kind == "credentials":
        return bool(getattr(provider, "credentials", None))
    return kind in ("oauth", "email", "webauthn")


def _provider_views(providers: Sequence[object], url: str) -> list[_ProviderView]:
    shown = [p for p in providers if _shown(p)]
    views: list[_ProviderView] = []
    for i, provider in enumerate(shown):
        pid = str(getattr(provider, "id", ""))
        kind = str(getattr(provider, "type", ""))
        is_form = kind in _FORM_TYPES
        previous = str(getattr(shown[i - 1], "type", "")) if i > 0 else None
        route = "callback" if kind in ("credentials", "webauthn") else "signin"
        common: dict[str, Any] = {
            "id": pid,
            "name": str(getattr(provider, "name", pid)),
            "type": kind,
            "action": f"{url}/{route}/{quote(pid, safe='')}",
            "hr_before": is_form and i > 0 and previous not in _FORM_TYPES,
            "hr_after": is_form and i + 1 < len(shown),
        }
        if kind == "oauth":
            style, logo, logo_dark = _oauth_style(getattr(provider, "style", None))
            views.append(_ProviderView(**common, style=style, logo=logo, logo_dark=logo_dark))
        elif kind == "credentials":
            credentials = getattr(provider, "credentials", None)
            fields = _credential_fields(
                pid, credentials if isinstance(credentials, Mapping) else {}
            )
            links = bool(getattr(provider, "account_pages", False))
            views.append(_ProviderView(**common, fields=fields, account_links=links))
        elif kind == "webauthn":
            views.append(
                _ProviderView(
                    **common,
                    options_url=f"{url}/webauthn-options/{quote(pid, safe='')}",
                    conditional=bool(getattr(provider, "conditional_ui", False)),
                    sign_up=bool(getattr(provider, "allow_sign_up", False)),
                )
            )
        else:
            views.append(_ProviderView(**common))
    return views


def _shell(theme: Theme, lang: Language, *, title: str, button_text: bool) -> dict[str, Any]:
    scheme = theme.color_scheme if theme.color_scheme in ("auto", "dark", "light") else "auto"
    return {
        "css": Markup(_CSS),  # noqa: S704 - our own stylesheet, checked at import
        "lang": lang,
        "title": lang.gettext(title),
        "scheme": scheme,
        "brand_color": _css_value(theme.brand_color),
        "button_text": _css_value(theme.button_text) if button_text else None,
        "logo": theme.logo or None,
    }


def _page(template: str, context: dict[str, Any], *, status: int = 200) -> AuthResponse:
    context.setdefault("script", None)
    markup = _ENV.get_template(template).render(context)
    response = AuthResponse.html(markup, status=status)
    response.headers.extend(page_security_headers(script=context["script"] is not None))
    if context["lang"].negotiated:
        response.headers.append(("vary", "Accept-Language"))
    return response


# --------------------------------------------------------------------------------------------
# The pages.


def render_signin(
    *,
    theme: Theme,
    url: str,
    providers: Sequence[object],
    csrf_token: str,
    callback_url: str,
    error: str | None,
    email: str | None,
    messages: Mapping[str, str] = SIGNIN_ERROR_MESSAGES,
    lang: Language = ENGLISH,
) -> AuthResponse:
    """The sign-in page (v4 ``core/pages/signin.tsx``) with the message for ``error``, if any."""
    url = url.rstrip("/")
    context = _shell(theme, lang, title=N_("Sign In"), button_text=True)
    views = _provider_views(providers, url)
    context.update(
        url=url,
        providers=views,
        script=(f"{url}/{SCRIPT_PATH}" if any(v.type == "webauthn" for v in views) else None),
        csrf_token=csrf_token,
        callback_url=callback_url,
        email=email,
        error_message=(
            lang.gettext(messages.get(error, _DEFAULT_SIGNIN_MESSAGE)) if error else None
        ),
    )
    return _page("signin.html", context)


def render_signout(
    *, theme: Theme, url: str, csrf_token: str, lang: Language = ENGLISH
) -> AuthResponse:
    """The sign-out confirmation page (v4 ``core/pages/signout.tsx``)."""
    context = _shell(theme, lang, title=N_("Sign Out"), button_text=True)
    context.update(url=url.rstrip("/"), csrf_token=csrf_token)
    return _page("signout.html", context)


def render_error(
    *,
    theme: Theme,
    url: str,
    origin: str,
    error: str | None,
    case_sensitive: bool = False,
    lang: Language = ENGLISH,
) -> AuthResponse:
    """The built-in error page (v4 ``error.tsx``); the code only selects one of four fixed variants.

    v4 matches the code case-insensitively; Auth.js v5 (``case_sensitive``) only its exact
    keys ``Configuration``, ``AccessDenied`` and ``Verification``.
    """
    key = (error or "").lower()
    if key not in ERROR_PAGES or (case_sensitive and ERROR_PAGE_KEYS[key] != error):
        key = "default"
    status, heading = ERROR_PAGES[key]
    context = _shell(theme, lang, title=N_("Error"), button_text=False)
    context.update(
        url=url.rstrip("/"),
        origin=origin,
        host=urlsplit(origin).netloc,
        variant=key,
        heading=lang.gettext(heading),
    )
    return _page("error.html", context, status=status)


def render_verify_request(
    *, theme: Theme, url: str, origin: str, lang: Language = ENGLISH
) -> AuthResponse:
    """The "check your email" page shown after a magic link was sent (v4 ``verify-request.tsx``)."""
    context = _shell(theme, lang, title=N_("Verify Request"), button_text=False)
    context.update(url=url.rstrip("/"), origin=origin, host=urlsplit(origin).netloc)
    return _page("verify-request.html", context)


def render_email_confirm(
    *,
    theme: Theme,
    url: str,
    provider_id: str,
    csrf_token: str,
    token: str,
    email: str,
    lang: Language = ENGLISH,
) -> AuthResponse:
    """The interstitial of ``Email(confirm=True)``: a button that POSTs the link's token.

    Link scanners fetch the link but do not submit forms, so they cannot use the token up.
    The address is only a hidden field, never shown.
    """
    context = _shell(theme, lang, title=N_("Sign In"), button_text=True)
    context.update(
        url=url.rstrip("/"),
        provider_id=quote(provider_id, safe=""),
        csrf_token=csrf_token,
        token=token,
        email=email,
    )
    return _page("confirm-email.html", context)


def render_script() -> AuthResponse:
    """``GET {base}/webauthn.js``: the passkey script of the built-in pages."""
    return AuthResponse(
        status=200,
        headers=[
            ("content-type", "text/javascript; charset=utf-8"),
            ("cache-control", "public, max-age=3600"),
            ("x-content-type-options", "nosniff"),
        ],
        body=_SCRIPT,
    )


@dataclass(frozen=True, slots=True)
class PasskeyView:
    """One row of the passkeys page."""

    credential_id: str
    name: str
    synced: bool
    transports: str


def render_passkeys(
    *,
    theme: Theme,
    url: str,
    provider_id: str,
    csrf_token: str,
    passkeys: Sequence[PasskeyView],
    notice: str | None = None,
    status: int = 200,
    lang: Language = ENGLISH,
) -> AuthResponse:
    """The signed-in user's passkeys: name or remove each, add one (with the script).

    ``notice`` is a message id (marked with ``N_``), translated here.
    """
    url = url.rstrip("/")
    pid = quote(provider_id, safe="")
    context = _shell(theme, lang, title=N_("Passkeys"), button_text=True)
    context.update(
        url=url,
        script=f"{url}/{SCRIPT_PATH}",
        csrf_token=csrf_token,
        passkeys=passkeys,
        notice=lang.gettext(notice) if notice else None,
        register_action=f"{url}/callback/{pid}",
        options_url=f"{url}/webauthn-options/{pid}",
    )
    return _page("passkeys.html", context, status=status)


@dataclass(frozen=True, slots=True)
class SessionView:
    """One row of the sessions page (times as ISO 8601 UTC strings)."""

    id: str
    current: bool
    browser: str | None
    system: str | None
    ip_prefix: str | None
    created: str | None
    last_seen: str | None
    expires: str | None

    def as_json(self) -> dict[str, Any]:
        """The row in the page's JSON mode."""
        return {
            "id": self.id,
            "current": self.current,
            "browser": self.browser,
            "system": self.system,
            "ipPrefix": self.ip_prefix,
            "created": self.created,
            "lastSeen": self.last_seen,
            "expires": self.expires,
        }


def render_sessions(
    *,
    theme: Theme,
    url: str,
    csrf_token: str,
    sessions: Sequence[SessionView],
    database: bool,
    notice: str | None = None,
    status: int = 200,
    lang: Language = ENGLISH,
) -> AuthResponse:
    """The signed-in user's sessions: end one, all others (database), or all (JWT).

    ``notice`` is a message id (marked with ``N_``), translated here.
    """
    context = _shell(theme, lang, title=N_("Sessions"), button_text=True)
    context.update(
        url=url.rstrip("/"),
        csrf_token=csrf_token,
        sessions=sessions,
        database=database,
        others=sum(1 for s in sessions if not s.current),
        notice=lang.gettext(notice) if notice else None,
    )
    return _page("sessions.html", context, status=status)
