"""InternalOptions: the configuration with defaults applied and every hook normalised.

Built once, when the :class:`~authgate.AuthGate` is created.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from authgate._core import callables
from authgate._core import telemetry as otel
from authgate._core.cookies import CookieSet, default_cookies
from authgate._core.oauth.runtime import OAuthRuntime
from authgate._core.password.store import hashing_limiter
from authgate._core.profiles import PROFILES, WireProfile
from authgate._crypto.keys import CSRF_TOKEN, purpose_key
from authgate._crypto.remembered import DEFAULT_REMEMBERED
from authgate._crypto.tokens import random_hex
from authgate.config import DEFAULT_MAX_AGE, DEFAULT_UPDATE_AGE, Callbacks, Events, hooks
from authgate.errors import ConfigurationError, MissingSecretError
from authgate.jwt import JWTCodec
from authgate.providers.oauth import DefaultChecks
from authgate.ratelimit import MemoryBackend, several_workers
from authgate.ratelimit._limiter import SignInLimiter

if TYPE_CHECKING:
    from collections.abc import Mapping

    from anyio import CapacityLimiter

    from authgate._core.callables import AsyncHook
    from authgate._core.sign_in_flow import SignInStep
    from authgate._core.telemetry import Telemetry
    from authgate.adapters import Adapter
    from authgate.config import AuthConfig, PagesConfig, Theme
    from authgate.providers import Provider
    from authgate.revocation import RevocationStore
    from authgate.two_factor import TwoFactor

logger = logging.getLogger("authgate")

DEFAULT_BASE_PATH = "/api/auth"

SIGN_IN_PARAMS = frozenset({"user", "account", "credentials", "profile", "email"})
REDIRECT_PARAMS = frozenset({"url", "base_url"})
JWT_PARAMS = frozenset({"token", "user", "account", "profile", "is_new_user", "trigger", "session"})
SESSION_PARAMS = frozenset({"session", "token", "trigger", "new_session", "user"})
EVENT_PARAMS = {
    "sign_in": frozenset({"user", "account", "profile", "is_new_user"}),
    "sign_out": frozenset({"token", "session"}),
    "session": frozenset({"session", "token"}),
    "create_user": frozenset({"user"}),
    "update_user": frozenset({"user"}),
    "link_account": frozenset({"user", "account", "profile"}),
    "two_factor_enabled": frozenset({"user_id"}),
    "two_factor_disabled": frozenset({"user_id"}),
    "recovery_code_used": frozenset({"user_id", "remaining"}),
}


@dataclass(frozen=True, slots=True)
class FixedURL:
    """The configured URL of the auth API: its origin and base path."""

    origin: str
    path: str
    secure: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class InternalOptions:
    providers: Mapping[str, Provider]
    authorize: Mapping[str, AsyncHook]
    secrets: tuple[str, ...]
    csrf_key: bytes  # the CSRF cookie's HMAC key, derived from the first secret
    profile: WireProfile
    codecs: Mapping[str, JWTCodec]  # by session cookie name (v5 salts with the name)
    fixed_url: FixedURL | None
    trust_host: bool
    base_path: str
    use_secure_cookies: bool | None
    cookies_plain: CookieSet
    cookies_secure: CookieSet
    session_max_age: int
    jwt_max_age: int
    pages: PagesConfig
    theme: Theme
    locale: str | None  # fixed by the config; None: negotiated per request
    # The user's callbacks (Callbacks.sign_in / redirect / jwt / session), normalised.
    sign_in_callback: AsyncHook | None
    redirect_callback: AsyncHook | None
    jwt_callback: AsyncHook | None
    session_callback: AsyncHook | None
    events: Mapping[str, AsyncHook]
    debug: bool
    limiter: SignInLimiter | None = None  # its counters live in the backend it holds
    adapter: Adapter | None = None  # users, accounts, database sessions, e-mail tokens
    session_strategy: Literal["jwt", "database"] = "jwt"
    session_update_age: int = DEFAULT_UPDATE_AGE
    session_devices: bool = False  # SessionConfig(devices): record each database session's device
    reissue_after: int | None = None  # JWTConfig(reissue_after): skip re-sealing young tokens
    # OAuth: the HTTP client and the discovery/JWKS caches of this gate.
    oauth: OAuthRuntime = field(
        default_factory=lambda: OAuthRuntime(None, allow_loopback_http=False)
    )
    check_codecs: Mapping[str, JWTCodec] = field(default_factory=dict)  # by check cookie name
    # Policy steps between "user verified" and "session issued" (sign_in_flow), in order.
    sign_in_steps: tuple[SignInStep, ...] = ()
    revocation: RevocationStore | None = None  # ended JWT sessions, checked on every read
    two_factor: TwoFactor | None = None
    telemetry: Telemetry | None = None  # OpenTelemetry, when opentelemetry-api is installed
    # Password(max_concurrent_hashes): argon2id runs at once (64 MiB each); None: no Password.
    password_hashing: CapacityLimiter | None = None

    def cookies(self, secure: bool) -> CookieSet:
        return self.cookies_secure if secure else self.cookies_plain

    def session_codec(self, cookie_name: str) -> JWTCodec:
        return self.codecs[cookie_name]

    def check_codec(self, cookie_name: str) -> JWTCodec:
        """The codec of a state/PKCE/nonce cookie: salted with its name (v4 ``checks.ts``)."""
        return self.check_codecs[cookie_name]


def _is_production(config: AuthConfig, env: Mapping[str, str]) -> bool:
    if config.production is not None:
        return config.production
    for name in ("AUTHGATE_ENV", "ENV", "NODE_ENV"):
        if env.get(name):
            return env[name].strip().lower() == "production"
    return False


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})


def _trust_host(config: AuthConfig, env: Mapping[str, str]) -> bool:
    """Whether the request's Host headers may build URLs: only when the user says so.

    SECURITY.md, decision 12: ``trust_host=True`` or ``AUTH_TRUST_HOST``; never by default (a
    forged ``X-Forwarded-Host`` would otherwise choose the host of the links mailed to users).
    """
    if config.trust_host is not None:
        return config.trust_host
    raw = env.get("AUTH_TRUST_HOST", "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ConfigurationError(
        f"AUTH_TRUST_HOST={env['AUTH_TRUST_HOST']!r}: use 'true' or 'false' (or '1' / '0')"
    )


def _parse_url(url: str) -> FixedURL:
    # next-auth parseUrl: no scheme means https; a bare origin means /api/auth.
    parts = urlsplit(url if "://" in url else f"https://{url}")
    path = parts.path.rstrip("/") or DEFAULT_BASE_PATH
    return FixedURL(f"{parts.scheme}://{parts.netloc}", path, parts.scheme == "https")


def build(config: AuthConfig, env: Mapping[str, str] | None = None) -> InternalOptions:
    """Validate ``config`` against the environment and resolve every default."""
    env = os.environ if env is None else env
    production = _is_production(config, env)

    secret = config.secret or env.get("AUTH_SECRET") or env.get("NEXTAUTH_SECRET")
    if not secret:
        if production:
            raise MissingSecretError(
                "No secret: set AuthConfig(secret=...) or the AUTH_SECRET environment variable "
                "(generate one with: authgate secret, or python -c 'import secrets; "
                "print(secrets.token_hex(32))')"
            )
        # SECURITY.md, decision 12: never a secret derived from public configuration.
        logger.warning(
            "NO_SECRET: no secret configured (AuthConfig(secret=...) or AUTH_SECRET); using a "
            "random one for this process only. Every session ends when it restarts and other "
            "workers cannot read them. Never run like this in production"
        )
        secret = random_hex(32)
    secrets = (secret,) if isinstance(secret, str) else tuple(secret)

    raw_url = config.url or env.get("AUTH_URL") or env.get("NEXTAUTH_URL")
    fixed = _parse_url(raw_url) if raw_url else None
    trust_host = _trust_host(config, env)
    if fixed is None and not trust_host:
        raise ConfigurationError(
            "authgate cannot tell its own URL: set AuthConfig(url='https://example.com/api/auth') "
            "or AUTH_URL; or, only if a proxy you control sets the Host / X-Forwarded-Host "
            "headers, AuthConfig(trust_host=True) or AUTH_TRUST_HOST=true"
        )
    base_path = config.base_path or (fixed.path if fixed else DEFAULT_BASE_PATH)

    profile = PROFILES[config.profile]
    providers = {
        p.id: _with_profile_checks(_with_client_credentials(p, env), profile)
        for p in config.providers
    }
    authorize = {
        p.id: callables.positional(
            p.authorize, label=f"Credentials(id={p.id!r}).authorize", arity=2, threaded=True
        )
        for p in config.providers
        if p.type == "credentials" and hasattr(p, "authorize")  # Password: no user code
    }
    cb = hooks(Callbacks, config.callbacks)
    config_events = hooks(Events, config.events)

    def hook(fn: object, label: str, known: frozenset[str]) -> AsyncHook | None:
        return None if fn is None else callables.normalise(fn, label=label, known=known)  # type: ignore[arg-type]

    events = {
        name: callables.normalise(fn, label=f"Events.{name}", known=known)
        for name, known in EVENT_PARAMS.items()
        if (fn := getattr(config_events, name)) is not None
    }
    if config.debug:
        logger.warning("DEBUG_ENABLED: debug logging is on; do not use it in production")
    limiter = _limiter(config, secrets[0], env)
    cookie_sets = [
        default_cookies(secure=secure, overrides=config.cookies, prefix=profile.cookie_prefix)
        for secure in (bool(config.use_secure_cookies), config.use_secure_cookies is not False)
    ]
    codecs = {
        name: JWTCodec(
            secrets,
            salt=profile.session_salt(name),
            profile=profile.name,
            remember=DEFAULT_REMEMBERED,
        )
        for name in {c.session_token.name for c in cookie_sets}
    }
    check_codecs = {
        spec.name: JWTCodec(secrets, salt=spec.name, profile=profile.name)
        for c in cookie_sets
        for spec in (c.state, c.pkce_code_verifier, c.nonce, c.webauthn_challenge)
    }
    jwt_max_age = config.jwt.max_age or (
        config.session.max_age if profile.jwt_max_age_follows_session else DEFAULT_MAX_AGE
    )
    try:
        telemetry = otel.build(config.telemetry)
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None
    return InternalOptions(
        providers=providers,
        authorize=authorize,
        secrets=secrets,
        csrf_key=purpose_key(secrets[0], CSRF_TOKEN),
        profile=profile,
        codecs=codecs,
        fixed_url=fixed,
        trust_host=trust_host,
        base_path=base_path,
        use_secure_cookies=config.use_secure_cookies,
        cookies_plain=cookie_sets[0],
        cookies_secure=cookie_sets[1],
        session_max_age=config.session.max_age,
        jwt_max_age=jwt_max_age,
        pages=config.pages,
        theme=config.theme,
        locale=config.locale,
        sign_in_callback=hook(cb.sign_in, "Callbacks.sign_in", SIGN_IN_PARAMS),
        redirect_callback=hook(cb.redirect, "Callbacks.redirect", REDIRECT_PARAMS),
        jwt_callback=hook(cb.jwt, "Callbacks.jwt", JWT_PARAMS),
        session_callback=hook(cb.session, "Callbacks.session", SESSION_PARAMS),
        events=events,
        debug=config.debug,
        limiter=limiter,
        adapter=(
            telemetry.adapter(config.adapter)
            if telemetry is not None and config.adapter is not None
            else config.adapter
        ),
        session_strategy=config.session_strategy,
        session_update_age=config.session.update_age,
        session_devices=config.session.devices,
        reissue_after=config.jwt.reissue_after,
        oauth=OAuthRuntime(
            config.http_client, allow_loopback_http=not production, telemetry=telemetry
        ),
        check_codecs=check_codecs,
        revocation=config.revocation,
        two_factor=config.two_factor,
        sign_in_steps=_sign_in_steps(config),
        telemetry=telemetry,
        password_hashing=hashing_limiter(providers.values()),
    )


def _sign_in_steps(config: AuthConfig) -> tuple[SignInStep, ...]:
    """The policy steps the configuration asks for, in order."""
    if config.two_factor is None:
        return ()
    from authgate._core.two_factor.step import step

    return (step,)


def _with_client_credentials(provider: Provider, env: Mapping[str, str]) -> Provider:
    """An OAuth provider with its client id/secret, from ``AUTH_<ID>_ID`` / ``_SECRET`` if unset."""
    if provider.type != "oauth":
        return provider
    prefix = provider.env_prefix
    client_id = provider.client_id or env.get(f"{prefix}_ID")
    client_secret = provider.client_secret or env.get(f"{prefix}_SECRET")
    if not client_id:
        raise ConfigurationError(
            f"{type(provider).__name__}(id={provider.id!r}) has no client id: pass client_id= "
            f"or set {prefix}_ID"
        )
    if not client_secret and provider.client_auth != "none":
        raise ConfigurationError(
            f"{type(provider).__name__}(id={provider.id!r}) has no client secret: pass "
            f"client_secret= or set {prefix}_SECRET (or client_auth='none' for a public client)"
        )
    issuer = provider.issuer or env.get(f"{prefix}_ISSUER")
    if issuer != provider.issuer:
        provider = dataclasses.replace(provider, issuer=issuer)
    provider.check_endpoints()
    if client_id == provider.client_id and client_secret == provider.client_secret:
        return provider
    return dataclasses.replace(provider, client_id=client_id, client_secret=client_secret)


def _with_profile_checks(provider: Provider, profile: WireProfile) -> Provider:
    """An OAuth provider that set no ``checks`` gets the profile's default (v5: PKCE only)."""
    if provider.type != "oauth" or profile.default_checks is None:
        return provider
    if not isinstance(provider.checks, DefaultChecks):
        return provider
    return dataclasses.replace(provider, checks=profile.default_checks)


def _limiter(config: AuthConfig, secret: str, env: Mapping[str, str]) -> SignInLimiter | None:
    rate_limit = config.rate_limit
    if rate_limit is None:
        logger.warning(
            "RATE_LIMIT_DISABLED: sign-in throttling is off (AuthConfig(rate_limit=None)); "
            "credential stuffing is only stopped by what runs in front of this app"
        )
        return None
    if isinstance(rate_limit.backend, MemoryBackend):
        reason = several_workers(env)
        if reason is not None:
            logger.warning(
                "RATE_LIMIT_PER_PROCESS: the in-memory rate limiter counts per process, but "
                "several workers serve this app (%s): each grants the full budget. Use "
                "RateLimit(backend=RedisBackend(url=...))",
                reason,
            )
    return SignInLimiter(rate_limit, secret)
