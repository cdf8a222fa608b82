"""Building the redirects the actions answer with.

Error redirects are built in next-auth v4's shape (``{url}/error?error=<code>``, the CSRF
``?csrf=true``) and remember what they are (:class:`ErrorRedirect`); the engine hands them to
:func:`reroute`, which sends them where the wire profile wants (Auth.js v5: straight to the
sign-in or error page, see ``profiles.ErrorRouting``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

from authgate.errors import AnyCode, ErrorCode
from authgate.http import AuthResponse

if TYPE_CHECKING:
    from authgate._core.context import RequestContext

_SAFE_CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")
# CredentialsSigninError.reason goes into the URL (encoded): printable ASCII, bounded.
_SAFE_REASON = re.compile(r"[ -~]{1,100}")
DEFAULT_REASON = "credentials"


def safe_code(code: str) -> str:
    """An error code fit for a URL and a page; anything odd becomes ``Configuration``."""
    return code if _SAFE_CODE.fullmatch(code) else ErrorCode.Configuration


def append_query(url: str, params: dict[str, str]) -> str:
    """``url`` with ``params`` appended (``?`` or ``&``), values fully percent-encoded."""
    query = urlencode(params, quote_via=quote)
    return f"{url}{'&' if '?' in url else '?'}{query}"


@dataclass(slots=True, kw_only=True)
class ErrorRedirect(AuthResponse):
    """A redirect for a failed request, in v4's shape, that knows which error it is.

    Attributes:
        code: The next-auth v4 code (what ``?error=`` carries in v4).
        error_type: The Auth.js error type, when it is not ``code``.
        reason: ``CredentialsSigninError.reason`` (v5's ``&code=``).
    """

    code: str = ErrorCode.Configuration
    error_type: str | None = None
    reason: str | None = None


def to_error(
    url: str,
    code: AnyCode,
    *,
    status: int = 302,
    provider: str | None = None,
    error_type: ErrorCode | None = None,
    reason: str | None = None,
) -> AuthResponse:
    """Redirect to ``{url}/error?error=code`` (the status matters in JSON mode).

    ``error_type`` names the Auth.js error where it is not ``code`` (the v5 profile routes
    by it); ``reason`` is a ``CredentialsSigninError``'s.
    """
    shown = safe_code(code)
    params = {"error": shown}
    if provider is not None:
        params["provider"] = provider
    response = ErrorRedirect.to(append_query(f"{url}/error", params), status=status)
    assert isinstance(response, ErrorRedirect)  # noqa: S101 - the classmethod builds cls
    response.code = shown
    response.error_type = error_type
    response.reason = reason
    return response


def csrf_refused(url: str, page: str = "signin") -> AuthResponse:
    """A request without a valid CSRF token: v4 ``{url}/<page>?csrf=true``, v5 ``MissingCSRF``."""
    response = ErrorRedirect.to(f"{url}/{page}?csrf=true")
    assert isinstance(response, ErrorRedirect)  # noqa: S101
    response.code = ErrorCode.MissingCSRF
    return response


def reroute(ctx: RequestContext, response: AuthResponse) -> AuthResponse:
    """Send an :class:`ErrorRedirect` where the wire profile wants it (v4: left as it is)."""
    routing = ctx.options.profile.error_routing
    if routing is None or not isinstance(response, ErrorRedirect):
        return response
    shown, page = routing.route(response.error_type or response.code)
    params = {"error": shown}
    if shown == ErrorCode.CredentialsSignin:
        reason = response.reason
        valid = isinstance(reason, str) and _SAFE_REASON.fullmatch(reason)
        params[routing.reason_param] = reason if valid and reason else DEFAULT_REASON
    pages = ctx.options.pages
    custom = pages.sign_in if page == "signin" else pages.error
    # @auth/core: `${origin}${pages[kind] ?? basePath + "/" + kind}?error=…` (absolute: the
    # v5 client reads `new URL(url).searchParams`).
    target = (f"{ctx.origin}{custom}" if custom.startswith("/") else custom) if custom else None
    location = append_query(target or f"{ctx.url}/{page}", params)
    rerouted = AuthResponse.to(location, status=response.status)
    rerouted.headers += [h for h in response.headers if h[0].lower() != "location"]
    rerouted.cookies = response.cookies
    return rerouted
