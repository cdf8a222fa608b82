"""POST /signin/:id → the provider → GET|POST /callback/:id (next-auth v4 ``core/lib/oauth/``).

Errors end on next-auth's codes: building the authorization URL → ``OAuthSignin``; a failed
check, token exchange, id_token or userinfo → ``OAuthCallback``; an ``?error=`` from the provider
→ ``Callback`` (quirk Q5). Every callback answer deletes the check cookies it was sent, and no
failure sets a session. Logs name the provider, the step and the reason, never a code, token,
verifier or secret (SECURITY.md, decision 14).
"""

from __future__ import annotations

import inspect
import logging
import math
import re
from collections.abc import Mapping
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from authlib.oauth2.auth import encode_client_secret_basic  # type: ignore[import-untyped]

from authgate._core import link
from authgate._core.accounts import account_key
from authgate._core.oauth import checks
from authgate._core.oauth.http import ProviderError
from authgate._core.redirects import to_error
from authgate._core.sign_in_flow import FirstFactor, complete_sign_in
from authgate._crypto.idtoken import IdTokenError, UnknownKeyError, verify_id_token
from authgate._crypto.tokens import equal
from authgate.errors import ErrorCode
from authgate.http import AuthResponse
from authgate.providers.oauth import PROTOCOL_PARAMS

if TYPE_CHECKING:
    from authgate._core.context import RequestContext
    from authgate._core.oauth.http import OutboundHTTP
    from authgate._core.oauth.runtime import Endpoints
    from authgate.providers.oauth import OAuth, TokenSet, UserinfoRequest

logger = logging.getLogger("authgate")

# The account's identity is authgate's; a token response's members of these names are dropped.
ACCOUNT_IDENTITY = frozenset({"provider", "type", "providerAccountId", "userId"})
_SAFE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
MAX_PARAM = 2048


class FlowError(Exception):
    """A callback step failed (``OAuthCallback``); the message is safe to log."""


def redirect_uri(ctx: RequestContext, provider: OAuth) -> str:
    return f"{ctx.url}/callback/{provider.id}"


def _safe(value: object) -> str:
    return value if isinstance(value, str) and _SAFE.fullmatch(value) else "<unprintable>"


# --------------------------------------------------------------------------------------------
# POST /signin/:id


async def start(
    ctx: RequestContext, provider: OAuth, *, link_to: str | None = None
) -> AuthResponse:
    """Redirect to the provider's authorization endpoint, setting the check cookies.

    ``link_to``: a "link account" flow for this user id (sealed into the check cookies).
    """
    try:
        async with ctx.options.oauth.connect(provider) as http:
            endpoints = await ctx.options.oauth.endpoints(http, provider, ctx.now)
    except ProviderError as exc:
        logger.error("SIGNIN_OAUTH_ERROR: provider %s: %s", provider.id, exc)
        return to_error(ctx.url, ErrorCode.OAuthSignin)
    params: dict[str, str] = {"client_id": provider.client_id or ""}
    scope = provider.scope or endpoints.authorization_params.get("scope")
    if scope is None and provider.id_token:
        scope = "openid"
    if scope:
        params["scope"] = scope
    params["response_type"] = "code"
    params["redirect_uri"] = redirect_uri(ctx, provider)
    for source in (endpoints.authorization_params, provider.authorization_params):
        params.update({k: v for k, v in source.items() if k not in PROTOCOL_PARAMS})
    # next-auth v4 forwards the POST's query (the client's authorizationParams).
    for key, value in ctx.request.query.items():
        if key not in PROTOCOL_PARAMS and len(key) <= 64 and len(value) <= MAX_PARAM:
            params[key] = value
    if provider.response_mode == "form_post":
        params["response_mode"] = "form_post"
    created = checks.create(ctx, provider, link=link_to)
    params.update(created.params)
    url = f"{endpoints.authorization}?{urlencode(params, quote_via=quote)}"
    response = AuthResponse.to(url)
    response.cookies.extend(created.cookies)
    return response


# --------------------------------------------------------------------------------------------
# GET|POST /callback/:id


async def finish(ctx: RequestContext, provider: OAuth) -> AuthResponse:
    """Complete the sign-in; the check cookies are deleted whatever the outcome."""
    response = await _finish(ctx, provider)
    deleted = checks.deletions(ctx)
    if response.cookies:
        written = {c.name for c in response.cookies}
        deleted = [c for c in deleted if c.name not in written]
    response.cookies.extend(deleted)
    return response


def _callback_params(ctx: RequestContext) -> dict[str, str]:
    source: Mapping[str, Any] = ctx.body if ctx.request.method == "POST" else ctx.request.query
    return {k: v for k, v in source.items() if isinstance(v, str)}


async def _finish(ctx: RequestContext, provider: OAuth) -> AuthResponse:
    params = _callback_params(ctx)
    if "error" in params:
        # Quirk Q5: the provider's own error (access_denied...) is `Callback` in v4; v5's
        # oauth4webapi AuthorizationResponseError becomes OAuthCallbackError.
        logger.warning(
            "OAUTH_CALLBACK_HANDLER_ERROR: provider %s answered error=%s",
            provider.id,
            _safe(params["error"]),
        )
        return to_error(ctx.url, ErrorCode.Callback, error_type=ErrorCode.OAuthCallbackError)
    try:  # a "link account" flow: the intent comes from the sealed check cookies only
        link_to = checks.link_intent(ctx, provider)
    except checks.CheckError as exc:
        logger.error("OAUTH_CALLBACK_ERROR: provider %s: %s", provider.id, exc)
        return to_error(ctx.url, ErrorCode.OAuthCallback)
    if link_to is not None:
        refused = await link.still_signed_in(ctx, link_to)
        if refused is not None:
            return refused
    try:
        async with ctx.options.oauth.connect(provider) as http:
            tokens, raw_profile = await _tokens_and_profile(ctx, provider, http, params)
    except (checks.CheckError, FlowError, ProviderError, IdTokenError) as exc:
        logger.error("OAUTH_CALLBACK_ERROR: provider %s: %s", provider.id, exc)
        return to_error(ctx.url, ErrorCode.OAuthCallback)

    try:
        mapped = provider.profile(raw_profile, tokens)
        user_data = await mapped if inspect.isawaitable(mapped) else mapped
    except Exception as exc:
        logger.error(
            "OAUTH_PARSE_PROFILE_ERROR: provider %s: profile() raised %s",
            provider.id,
            type(exc).__name__,
            exc_info=exc,
        )
        return to_error(ctx.url, ErrorCode.OAuthCallback)
    key = account_key(user_data.get("id")) if isinstance(user_data, Mapping) else None
    if key is None:
        # next-auth v4: logged, then back to the sign-in page without an error code. An id
        # that cannot name one account (empty, a boolean, a float...) counts as none.
        logger.error(
            "OAUTH_PARSE_PROFILE_ERROR: provider %s: profile has no usable id", provider.id
        )
        return AuthResponse.to(f"{ctx.url}/signin")
    user = dict(user_data)
    user["id"] = key
    if isinstance(user.get("email"), str):
        user["email"] = user["email"].lower()
    # v4 spreads the token response over these; a provider must not rename the account
    # (another provider's id, or type "email"/"credentials"): its extra members are dropped.
    account: dict[str, Any] = {
        "provider": provider.id,
        "type": "oauth",
        "providerAccountId": user["id"],
        **{k: v for k, v in tokens.items() if k not in ACCOUNT_IDENTITY},
    }
    return await complete_sign_in(
        ctx,
        FirstFactor(
            user=user, account=account, profile=raw_profile, event_profile=user, link_to=link_to
        ),
    )


async def _custom_userinfo(
    fetch: UserinfoRequest, http: OutboundHTTP, tokens: TokenSet, claims: Mapping[str, Any] | None
) -> dict[str, Any]:
    try:
        fetched = await fetch(http, tokens)
    except ProviderError:
        raise
    except Exception as exc:  # user or preset code: an OAuthCallback, never a 500
        raise FlowError(f"userinfo_request raised {type(exc).__name__}") from exc
    if not isinstance(fetched, Mapping):
        raise FlowError("userinfo_request did not return a mapping")
    # A custom fetch may use a non-OIDC API without ``sub``; one that names a user must name
    # the id_token's (OIDC Core §5.3.2).
    if claims is not None and "sub" in fetched and fetched["sub"] != claims.get("sub"):
        raise FlowError("userinfo sub does not match the id_token sub")
    return dict(fetched)


async def _tokens_and_profile(
    ctx: RequestContext, provider: OAuth, http: OutboundHTTP, params: Mapping[str, str]
) -> tuple[TokenSet, dict[str, Any]]:
    values = checks.use(ctx, provider)
    if "state" in values and not equal(params.get("state", ""), values["state"]):
        raise FlowError("state mismatch")
    code = params.get("code")
    if not code or len(code) > MAX_PARAM:
        raise FlowError("no authorization code in the callback")
    endpoints = await ctx.options.oauth.endpoints(http, provider, ctx.now)
    tokens = await _exchange(ctx, provider, endpoints, http, code, values.get("pkce"))

    claims: dict[str, Any] | None = None
    if provider.id_token:
        claims = await _id_token_claims(ctx, provider, http, endpoints, tokens, values.get("nonce"))

    if provider.userinfo_request is not None:
        profile = await _custom_userinfo(provider.userinfo_request, http, tokens, claims)
    elif endpoints.userinfo is not None and tokens.get("access_token"):
        profile = await _userinfo(http, endpoints.userinfo, tokens, provider.request_headers)
        if claims is not None:
            # OIDC Core §5.3.2: the userinfo sub must be the id_token's.
            if profile.get("sub") != claims.get("sub"):
                raise FlowError("userinfo sub does not match the id_token sub")
            profile = {**claims, **profile}
    elif claims is not None:
        profile = claims
    else:
        raise FlowError("no userinfo endpoint and no id_token")
    for name in provider.profile_params:
        value = params.get(name)
        if value is not None and len(value) <= MAX_PARAM:
            profile.setdefault(name, value)
    return tokens, profile


async def _exchange(
    ctx: RequestContext,
    provider: OAuth,
    endpoints: Endpoints,
    http: OutboundHTTP,
    code: str,
    verifier: str | None,
) -> TokenSet:
    body: dict[str, str] = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri(ctx, provider),
    }
    if verifier is not None:
        body["code_verifier"] = verifier
    body.update({k: v for k, v in provider.token_params.items() if k not in body})
    headers: dict[str, str] = dict(provider.request_headers)
    client = SimpleNamespace(client_id=provider.client_id, client_secret=provider.client_secret)
    if provider.client_auth == "client_secret_basic":
        encode_client_secret_basic(client, "POST", endpoints.token, headers, "")
    elif provider.client_auth == "client_secret_post":
        body["client_id"] = provider.client_id or ""
        body["client_secret"] = provider.client_secret or ""
    else:
        body["client_id"] = provider.client_id or ""
    answer = await http.post_form(endpoints.token, body, headers=headers, endpoint="token")
    if not isinstance(answer, dict):
        raise FlowError("the token endpoint did not answer an object")
    if "error" in answer:
        raise FlowError(f"the token endpoint answered error={_safe(answer['error'])}")
    access_token = answer.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise FlowError("the token endpoint answered no access_token")
    return _token_set(answer, ctx.now)


def _token_set(answer: Mapping[str, Any], now: float) -> TokenSet:
    """v4's account fields: ``expires_at = now + expires_in`` (dropped), scopes joined."""
    tokens: TokenSet = {k: v for k, v in answer.items() if k != "expires_in"}
    expires_in: object = answer.get("expires_in")
    if isinstance(expires_in, str) and expires_in.isdigit():
        expires_in = int(expires_in)
    if isinstance(expires_in, (int, float)) and not isinstance(expires_in, bool):  # noqa: SIM102
        if math.isfinite(expires_in) and 0 <= expires_in < 10**9:
            tokens["expires_at"] = math.floor(now) + int(expires_in)
    if isinstance(tokens.get("scope"), list):
        tokens["scope"] = " ".join(str(s) for s in tokens["scope"])
    return tokens


async def _id_token_claims(
    ctx: RequestContext,
    provider: OAuth,
    http: OutboundHTTP,
    endpoints: Endpoints,
    tokens: TokenSet,
    nonce: str | None,
) -> dict[str, Any]:
    id_token = tokens.get("id_token")
    if not isinstance(id_token, str) or not id_token:
        raise FlowError("the token endpoint answered no id_token")
    issuer = endpoints.issuer
    if issuer is None:  # pragma: no cover - id_token=True without issuer= fails at start-up
        raise FlowError("the provider has no issuer to check the id_token against")
    runtime = ctx.options.oauth

    async def verify(*, refresh: bool) -> dict[str, Any]:
        jwks = None
        if endpoints.jwks_uri is not None:
            jwks = await runtime.jwks(http, endpoints.jwks_uri, ctx.now, refresh=refresh)
        return verify_id_token(
            id_token,
            jwks=jwks,
            algorithms=provider.id_token_algorithms,
            issuer=issuer,
            client_id=provider.client_id or "",
            now=ctx.now,
            nonce=nonce if "nonce" in provider.checks else None,
            client_secret=provider.client_secret,
        )

    try:
        return await verify(refresh=False)
    except UnknownKeyError:
        if endpoints.jwks_uri is None:
            raise
        # The provider may have rotated its keys: fetch the JWKS again, once.
        return await verify(refresh=True)


async def _userinfo(
    http: OutboundHTTP, url: str, tokens: TokenSet, extra: Mapping[str, str]
) -> dict[str, Any]:
    token_type = tokens.get("token_type")
    scheme = (
        "Bearer"
        if not isinstance(token_type, str) or token_type.lower() == "bearer"
        else token_type
    )
    answer = await http.get_json(
        url,
        headers={**extra, "authorization": f"{scheme} {tokens['access_token']}"},
        endpoint="userinfo",
    )
    if not isinstance(answer, dict):
        raise FlowError("the userinfo endpoint did not answer an object")
    return answer
