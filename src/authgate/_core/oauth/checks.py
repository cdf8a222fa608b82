"""The state / PKCE / nonce check cookies (next-auth v4 ``checks.ts``, SECURITY.md, decision 7).

Each value is random, kept in its own cookie as a JWE of ``{value, provider}`` salted with the
cookie name (so it never decodes as a session token, nor as another check), lives 15 minutes,
is bound to the provider that set it and is deleted by the callback whatever the outcome.

A "link account" flow (:mod:`authgate._core.link`) also seals the signed-in user's id into
every check cookie (``link``): the callback reads the intent from there and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from authlib.common.security import generate_token  # type: ignore[import-untyped]
from authlib.oauth2.rfc7636 import create_s256_code_challenge  # type: ignore[import-untyped]

from authgate._core.cookies import CHECK_COOKIE_MAX_AGE, expires_in
from authgate.errors import TokenError

if TYPE_CHECKING:
    from authgate._core.context import RequestContext
    from authgate._core.cookies import CookieSpec
    from authgate.http import Cookie
    from authgate.providers.oauth import OAuth

Check = Literal["state", "pkce", "nonce"]
# 43 characters of [A-Za-z0-9]: ~256 bits, the length of v4's 32 random bytes in base64url.
VALUE_LENGTH = 43
_MESSAGES = {
    "state": "State",
    "pkce": "PKCE code_verifier",
    "nonce": "Nonce",
}


class CheckError(Exception):
    """A check failed; the message names the check (never its value)."""


def _spec(ctx: RequestContext, check: Check) -> CookieSpec:
    cookies = ctx.cookies
    return {
        "state": cookies.state,
        "pkce": cookies.pkce_code_verifier,
        "nonce": cookies.nonce,
    }[check]


@dataclass(slots=True)
class Created:
    params: dict[str, str]
    cookies: list[Cookie]


def create(ctx: RequestContext, provider: OAuth, *, link: str | None = None) -> Created:
    """New check values: their authorization parameters and the cookies that keep them.

    ``link``: the user id of a "link account" flow, sealed into each cookie.
    """
    params: dict[str, str] = {}
    cookies: list[Cookie] = []
    for check in ("pkce", "nonce", "state"):
        if check not in provider.checks:
            continue
        value = generate_token(VALUE_LENGTH)
        if check == "pkce":
            params["code_challenge"] = create_s256_code_challenge(value)
            params["code_challenge_method"] = "S256"
        else:
            params[check] = value
        spec = _spec(ctx, check)
        codec = ctx.options.check_codec(spec.name)
        max_age = spec.max_age or CHECK_COOKIE_MAX_AGE
        payload = {"value": value, "provider": provider.id}
        if link is not None:
            payload["link"] = link
        sealed = codec.encode(payload, max_age=max_age, now=ctx.now)
        cookies.append(spec.make(sealed, expires=expires_in(max_age, ctx.now)))
    return Created(params, cookies)


def deletions(ctx: RequestContext) -> list[Cookie]:
    """Deletion cookies for every check cookie the request carries (single use)."""
    specs = (ctx.cookies.state, ctx.cookies.pkce_code_verifier, ctx.cookies.nonce)
    return [spec.delete() for spec in specs if spec.name in ctx.request.cookies]


def use(ctx: RequestContext, provider: OAuth) -> dict[str, str]:
    """The values of the provider's checks, read from their cookies.

    Raises:
        CheckError: A cookie is missing, does not decode (expired, forged, another secret),
            or was set for another provider.
    """
    values: dict[str, str] = {}
    for check in provider.checks:
        spec = _spec(ctx, check)
        label = _MESSAGES[check]
        raw = ctx.request.cookies.get(spec.name)
        if not raw or spec.name in ctx.request.duplicate_cookies:
            raise CheckError(f"{label} cookie was missing.")
        try:
            claims = ctx.options.check_codec(spec.name).decode(raw, now=ctx.now)
        except TokenError as exc:
            raise CheckError(f"{label} cookie could not be parsed.") from exc
        value = claims.get("value")
        if not isinstance(value, str) or not value:
            raise CheckError(f"{label} cookie could not be parsed.")
        if claims.get("provider") != provider.id:
            raise CheckError(f"{label} cookie was set for another provider.")
        values[check] = value
    return values


def link_intent(ctx: RequestContext, provider: OAuth) -> str | None:
    """The user id a "link account" flow sealed into the provider's check cookies, if any.

    ``None`` also when a cookie is missing or does not decode (:func:`use` then refuses the
    callback). Every check cookie must carry the same intent.

    Raises:
        CheckError: The cookies disagree (mixed from two flows).
    """
    found: set[str | None] = set()
    for check in provider.checks:
        spec = _spec(ctx, check)
        raw = ctx.request.cookies.get(spec.name)
        if not raw or spec.name in ctx.request.duplicate_cookies:
            return None
        try:
            claims = ctx.options.check_codec(spec.name).decode(raw, now=ctx.now)
        except TokenError:
            return None
        value = claims.get("link")
        found.add(value if isinstance(value, str) and value else None)
    if len(found) > 1:
        raise CheckError("the check cookies disagree on the link intent.")
    return next(iter(found), None)
