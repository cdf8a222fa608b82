"""Wire profiles: what changes between next-auth v4 and Auth.js v5 (spec section 17), as data.

The engine never asks "which version is this?": it reads the field it needs from
``options.profile``. A difference that is not here is not implemented for v5 (see
docs/compatibility.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Mapping

    from authgate.config import Profile
    from authgate.http import AuthRequest


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

    def wants_json(self, request: AuthRequest, body: Mapping[str, object]) -> bool:
        """Whether redirects are answered as ``{url}`` JSON for this request."""
        if self.return_redirect_header is not None:
            # @auth/core: request.headers.has("X-Auth-Return-Redirect")
            return self.return_redirect_header in request.headers
        # next-auth v4 compares the *string* "true"; a JSON boolean does not count.
        return body.get("json") == "true"

    def session_salt(self, cookie_name: str) -> str:
        return cookie_name if self.salt_is_cookie_name else ""

    def session_cookies(self, cookies: Mapping[str, str]) -> Mapping[str, str]:
        """The request cookies the session store reads."""
        if self.skip_empty_cookies:
            return {k: v for k, v in cookies.items() if v}
        return cookies


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
)

PROFILES: Final[Mapping[str, WireProfile]] = {p.name: p for p in (NEXTAUTH_V4, AUTHJS_V5)}
