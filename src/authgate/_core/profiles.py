"""Wire profiles: what changes between next-auth v4 and Auth.js v5 (``@auth/core``), as data.

The engine never asks "which version is this?": it reads the field it needs from
``options.profile``. A difference that is not here is not implemented for v5 (see
docs/compatibility.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Literal

from authgate.errors import ErrorCode

if TYPE_CHECKING:
    from collections.abc import Mapping

    from authgate.config import Profile
    from authgate.http import AuthRequest


ErrorPage = Literal["signin", "error"]

# next-auth v4 core/index.ts: GET /error sends these to the sign-in page, not the error page.
V4_SIGN_IN_PAGE_ERRORS: Final = frozenset(
    {
        ErrorCode.Signin,
        ErrorCode.OAuthSignin,
        ErrorCode.OAuthCallback,
        ErrorCode.OAuthCreateAccount,
        ErrorCode.EmailCreateAccount,
        ErrorCode.Callback,
        ErrorCode.OAuthAccountNotLinked,
        ErrorCode.EmailSignin,
        ErrorCode.CredentialsSignin,
        ErrorCode.SessionRequired,
        # authgate: a throttled sign-in (SECURITY.md, decision 13) is shown with the form.
        ErrorCode.TooManyRequests,
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorRouting:
    """Where an error redirect goes when the profile does not route it through ``GET /error``.

    The engine names an error by next-auth v4's code, plus the Auth.js error type where that
    is not the code (``to_error(url, ErrorCode.Callback,
    error_type=ErrorCode.OAuthCallbackError)``). This
    does with the type what @auth/core's ``Auth()`` does with a thrown ``AuthError``: a
    client-safe type keeps its name, any other becomes ``Configuration`` (the OAuth check,
    token and profile failures v4 calls ``OAuthCallback`` are ``InvalidCheck`` /
    ``CallbackRouteError`` in v5, adapter failures ``AdapterError``...); a ``kind: "signIn"``
    type goes to ``pages.sign_in`` (default ``{url}/signin``), the rest to ``pages.error``
    (default ``{url}/error``).

    Attributes:
        client_safe: The types shown by name.
        sign_in_kind: The types sent to the sign-in page (safe or not).
        reason_param: The query parameter of ``CredentialsSigninError.reason`` (v5 ``code``).
    """

    client_safe: frozenset[str]
    sign_in_kind: frozenset[str]
    reason_param: str

    def route(self, error_type: str) -> tuple[str, ErrorPage]:
        """The code shown for ``error_type`` and the page it goes to."""
        shown = error_type if error_type in self.client_safe else ErrorCode.Configuration
        return shown, "signin" if error_type in self.sign_in_kind else "error"


@dataclass(frozen=True, slots=True, kw_only=True)
class WireProfile:
    """One protocol dialect.

    Attributes:
        name: The ``AuthConfig(profile=...)`` value.
        cookie_prefix: ``next-auth`` → ``next-auth.session-token``; ``authjs`` likewise.
        chunk_size: Characters of value per session cookie chunk (4096 minus the estimate of
            the name and attributes: 163 in v4, 160 in v5).
        skip_empty_cookies: v5's ``SessionStore`` ignores cookies with an empty value.
        salt_is_cookie_name: v5 derives the session key with the cookie name as HKDF salt;
            v4 uses ``""``.
        return_redirect_header: v5's JSON-redirect switch (a request header, any value);
            ``None`` means v4's ``json=true`` body field.
        keep_status_in_json: v4 answers JSON redirects with the route's status (401/403);
            v5 always with 200.
        empty_session: The ``/session`` body without a session: v4 ``{}``, v5 ``null``.
        jwt_max_age_follows_session: v5's ``jwt.maxAge`` defaults to ``session.maxAge``.
        error_routing: ``None``: every error redirects to ``{url}/error?error=<code>`` and
            ``GET /error`` forwards :attr:`error_page_forwards` to the sign-in page (v4);
            otherwise errors redirect straight to their page (v5, :class:`ErrorRouting`).
        error_page_forwards: The codes ``GET /error`` sends on to the sign-in page.
        error_page_case_sensitive: Whether the built-in error page matches its keys
            (``Configuration``, ``AccessDenied``, ``Verification``) case-sensitively.
        sign_in_message_renames: Sign-in page message keys renamed (v4 key, profile key).
        sign_in_page_by_provider: v4 renders the sign-in page for ``GET /signin/<anything>``
            (quirk Q3); v5 throws ``UnknownAction`` (shown as ``Configuration``).
        default_checks: The OAuth checks of a provider that sets none; ``None`` keeps the
            provider class's default (authgate's ``pkce`` + ``state``, OIDC also ``nonce``).
        sign_in_callback_error: The code a ``sign_in`` callback that raises something other
            than a ``SignInError`` is answered with (v5 ``AccessDenied``, with the route's
            refusal status); ``None``: ``Configuration`` with a 500 (v4, compatibility row 6).
        unknown_provider_error: v5's ``init()`` throws for a provider id it does not know,
            before any CSRF check: ``POST /signin/<unknown id>`` is ``Configuration``. v4
            treats it as ``POST /signin`` (quirk Q4).
        sign_in_without_provider: Where ``POST /signin`` without a (known) provider sends a
            request with a valid CSRF token, below ``{url}/``: v4 ``signin?csrf=true``
            (quirk Q4), v5 ``signin``.
        provider_id_actions: The actions a second path segment is allowed on; on any other the
            request is a 400 (v5's ``parseActionAndProviderId``: ``UnknownAction``). ``None``:
            every action takes one (v4; ``GET /error/<code>`` reads the code from it).
    """

    name: Profile
    cookie_prefix: str
    chunk_size: int
    skip_empty_cookies: bool
    salt_is_cookie_name: bool
    return_redirect_header: str | None
    keep_status_in_json: bool
    empty_session: dict[str, object] | None
    jwt_max_age_follows_session: bool
    error_routing: ErrorRouting | None = None
    error_page_forwards: frozenset[str] = field(default=frozenset())
    error_page_case_sensitive: bool = False
    sign_in_message_renames: tuple[tuple[str, str], ...] = ()
    sign_in_page_by_provider: bool = True
    default_checks: tuple[Literal["state", "pkce", "nonce"], ...] | None = None
    sign_in_callback_error: ErrorCode | None = None
    unknown_provider_error: bool = False
    sign_in_without_provider: str = "signin?csrf=true"
    provider_id_actions: frozenset[str] | None = None

    def wants_json(self, request: AuthRequest, body: Mapping[str, object]) -> bool:
        """Whether redirects are answered as ``{url}`` JSON for this request."""
        if self.return_redirect_header is not None:
            # @auth/core: request.headers.has("X-Auth-Return-Redirect")
            return self.return_redirect_header in request.headers
        # next-auth v4 compares the *string* "true"; a JSON boolean does not count.
        return body.get("json") == "true"

    def session_salt(self, cookie_name: str) -> str:
        return cookie_name if self.salt_is_cookie_name else ""


NEXTAUTH_V4: Final = WireProfile(
    name="nextauth-v4",
    cookie_prefix="next-auth",
    chunk_size=4096 - 163,
    skip_empty_cookies=False,
    salt_is_cookie_name=False,
    return_redirect_header=None,
    keep_status_in_json=True,
    empty_session={},
    jwt_max_age_follows_session=False,
    error_page_forwards=V4_SIGN_IN_PAGE_ERRORS,
)

# @auth/core errors.ts (0.41): isClientError's set, and the SignInError subclasses
# (kind "signIn").
AUTHJS_V5_ERRORS: Final = ErrorRouting(
    client_safe=frozenset(
        {
            ErrorCode.CredentialsSignin,
            ErrorCode.OAuthAccountNotLinked,
            ErrorCode.OAuthCallbackError,
            ErrorCode.AccessDenied,
            ErrorCode.Verification,
            ErrorCode.MissingCSRF,
            ErrorCode.AccountNotLinked,
            ErrorCode.WebAuthnVerificationError,
            # authgate: a throttled sign-in (SECURITY.md, decision 13), a code v5 does not have.
            ErrorCode.TooManyRequests,
            # authgate: a sign-out the database could not carry out (v5 swallows the error).
            ErrorCode.SignOut,
        }
    ),
    sign_in_kind=frozenset(
        {
            ErrorCode.CredentialsSignin,
            ErrorCode.OAuthAccountNotLinked,
            ErrorCode.OAuthCallbackError,
            ErrorCode.OAuthSignInError,
            ErrorCode.EmailSignInError,
            ErrorCode.MissingCSRF,
            ErrorCode.AccountNotLinked,
            ErrorCode.TooManyRequests,
        }
    ),
    reason_param="code",
)

AUTHJS_V5: Final = WireProfile(
    name="authjs-v5",
    cookie_prefix="authjs",
    chunk_size=4096 - 160,
    skip_empty_cookies=True,
    salt_is_cookie_name=True,
    return_redirect_header="x-auth-return-redirect",
    keep_status_in_json=False,
    empty_session=None,
    jwt_max_age_follows_session=True,
    error_routing=AUTHJS_V5_ERRORS,
    error_page_case_sensitive=True,
    sign_in_message_renames=(("OAuthCallback", "OAuthCallbackError"),),
    sign_in_page_by_provider=False,
    default_checks=("pkce",),
    # @auth/core callback/index.ts handleAuthorized: a non-AuthError becomes AccessDenied.
    sign_in_callback_error=ErrorCode.AccessDenied,
    # @auth/core utils/providers.ts: `Provider with id "…" not found` (a plain Error).
    unknown_provider_error=True,
    # @auth/core actions/signin/index.ts: no provider, back to `${basePath}/signin`.
    sign_in_without_provider="signin",
    # @auth/core utils/web.ts parseActionAndProviderId.
    provider_id_actions=frozenset({"signin", "callback", "webauthn-options"}),
)

PROFILES: Final[Mapping[str, WireProfile]] = {p.name: p for p in (NEXTAUTH_V4, AUTHJS_V5)}
