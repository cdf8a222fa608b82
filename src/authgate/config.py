"""Configuration objects: frozen, keyword-only dataclasses validated when they are built.

Field names are Python's (``sign_in``, ``max_age``); values that travel on the wire keep
next-auth's spelling. Anything invalid raises :class:`~authgate.errors.ConfigurationError` with a
message that says what to fix, at construction, never on a request.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Literal, TypeVar
from urllib.parse import urlsplit

from authgate import i18n
from authgate._validate import css_color, one_of
from authgate.adapters import AuthenticatorAdapter
from authgate.errors import ConfigurationError
from authgate.ratelimit import RateLimit
from authgate.revocation import RevocationStore

if TYPE_CHECKING:
    import httpx

    from authgate.adapters import Adapter
    from authgate.providers import Provider
    from authgate.two_factor import TwoFactor

__all__ = [
    "DEFAULT_MAX_AGE",
    "AuthConfig",
    "Callbacks",
    "CookieOption",
    "Events",
    "JWTConfig",
    "PagesConfig",
    "SessionConfig",
    "Theme",
]

DEFAULT_MAX_AGE = 30 * 24 * 60 * 60  # next-auth v4: 30 days
DEFAULT_UPDATE_AGE = 24 * 60 * 60

ColorScheme = Literal["auto", "dark", "light"]
Profile = Literal["nextauth-v4", "authjs-v5"]
CookieKey = Literal[
    "session_token",
    "callback_url",
    "csrf_token",
    "pkce_code_verifier",
    "state",
    "nonce",
    "webauthn_challenge",
]
COOKIE_KEYS: tuple[str, ...] = (
    "session_token",
    "callback_url",
    "csrf_token",
    "pkce_code_verifier",
    "state",
    "nonce",
    "webauthn_challenge",
)

_COOKIE_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def _check_url_or_path(option: str, value: str) -> None:
    """Accept an absolute http(s) URL or a path starting with a single ``/``."""
    if any(c in value for c in "\"'<>\\ \t\r\n\x00") or any(ord(c) < 0x20 for c in value):
        raise ConfigurationError(f"{option}={value!r} contains characters not allowed in a URL")
    if value.startswith("/") and not value.startswith("//"):
        return
    parts = urlsplit(value)
    if parts.scheme in ("http", "https") and parts.netloc:
        return
    raise ConfigurationError(
        f"{option}={value!r} must be a path starting with '/' or an absolute http(s) URL"
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Theme:
    """The look of the built-in pages.

    Attributes:
        color_scheme: ``"auto"`` follows the browser's ``prefers-color-scheme``.
        logo: URL of a logo shown on top of every page (absolute http(s) URL or a path).
        brand_color: CSS colour of the primary buttons.
        button_text: CSS colour of the text on those buttons.
    """

    color_scheme: ColorScheme = "auto"
    logo: str = ""
    brand_color: str = ""
    button_text: str = ""

    def __post_init__(self) -> None:
        if self.color_scheme not in ("auto", "dark", "light"):
            raise ConfigurationError(
                f"Theme(color_scheme={self.color_scheme!r}): use 'auto', 'dark' or 'light'"
            )
        css_color("Theme(brand_color)", self.brand_color)
        css_color("Theme(button_text)", self.button_text)
        if self.logo:
            _check_url_or_path("Theme(logo)", self.logo)


@dataclass(frozen=True, slots=True, kw_only=True)
class PagesConfig:
    """Custom pages that replace the built-in ones (app paths or absolute URLs).

    Attributes:
        sign_in: Receives ``?callbackUrl=`` and, on failure, ``&error=<code>``.
        sign_out: Shown instead of the built-in sign-out confirmation.
        error: Receives ``?error=<code>`` for the error-page codes.
        verify_request: Shown after a magic link was sent.
        new_user: Where new users land on their first sign-in.
    """

    sign_in: str | None = None
    sign_out: str | None = None
    error: str | None = None
    verify_request: str | None = None
    new_user: str | None = None

    def __post_init__(self) -> None:
        for name in ("sign_in", "sign_out", "error", "verify_request", "new_user"):
            value = getattr(self, name)
            if value is not None:
                _check_url_or_path(f"PagesConfig({name})", value)


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionConfig:
    """How sessions are kept.

    Attributes:
        strategy: ``"jwt"`` (an encrypted cookie) or ``"database"`` (a random token in the
            cookie, the session in the adapter's ``sessions`` table: revocable). ``None``:
            ``"database"`` when an adapter is configured, else ``"jwt"`` (next-auth v4).
        max_age: Seconds a session lives without activity (default 30 days).
        update_age: For database sessions: how often the expiry is pushed forward (default
            one day: a session used at least daily never ends).
        devices: For database sessions: record where and when each was signed in (the
            browser's user agent, the client's network: IPv4 /24, IPv6 /48) and when it was last
            used (to within ``update_age``), shown on the ``/sessions`` page and by
            ``gate.list_sessions``. The adapter needs the
            :class:`~authgate.adapters.SessionDevices` methods (the SQLAlchemy and memory
            adapters have them; run ``authgate db init`` for the ``authgate_session_devices``
            table of an existing database).
    """

    strategy: Literal["jwt", "database"] | None = None
    max_age: int = DEFAULT_MAX_AGE
    update_age: int = DEFAULT_UPDATE_AGE
    devices: bool = False

    def __post_init__(self) -> None:
        if self.strategy not in (None, "jwt", "database"):
            raise ConfigurationError(
                f"SessionConfig(strategy={self.strategy!r}): use 'jwt' or 'database'"
            )
        if not isinstance(self.max_age, int) or self.max_age <= 0:
            raise ConfigurationError("SessionConfig(max_age) must be a positive number of seconds")
        if not isinstance(self.update_age, int) or self.update_age < 0:
            raise ConfigurationError("SessionConfig(update_age) must be >= 0 seconds")


@dataclass(frozen=True, slots=True, kw_only=True)
class JWTConfig:
    """Session token settings.

    Attributes:
        max_age: Lifetime of a token issued at sign-in (next-auth v4 uses ``jwt.maxAge`` there,
            and ``session.max_age`` when ``/session`` re-issues it). ``None``: the profile's
            default, 30 days in next-auth v4, ``session.max_age`` in Auth.js v5.
        reissue_after: Opt-in (default ``None``: re-issue on every call, as next-auth does).
            ``GET /session`` does not re-seal a token younger than this many seconds when the
            ``jwt`` callback leaves it unchanged: no new ``Set-Cookie`` for the session. The
            expiry then slides at most once per ``reissue_after``, so a session may end up to
            ``reissue_after`` seconds earlier than ``session.max_age`` after the last visit.
    """

    max_age: int | None = None
    reissue_after: int | None = None

    def __post_init__(self) -> None:
        for name in ("max_age", "reissue_after"):
            value = getattr(self, name)
            if value is not None and (type(value) is not int or value <= 0):
                raise ConfigurationError(f"JWTConfig({name}) must be a positive number of seconds")


@dataclass(frozen=True, slots=True, kw_only=True)
class CookieOption:
    """Replaces the defaults of one cookie (next-auth's ``cookies.<key>``: a whole entry).

    ``secure=None`` keeps the automatic choice (secure when the URL is https).
    """

    name: str
    http_only: bool = True
    same_site: Literal["lax", "strict", "none"] = "lax"
    path: str = "/"
    secure: bool | None = None
    domain: str | None = None
    max_age: int | None = None

    def __post_init__(self) -> None:
        if not _COOKIE_NAME.fullmatch(self.name):
            raise ConfigurationError(f"CookieOption(name={self.name!r}) is not a valid cookie name")
        one_of("CookieOption(same_site)", self.same_site, ("lax", "strict", "none"))
        for label, value in (("path", self.path), ("domain", self.domain or "")):
            if any(c in value for c in ";,\r\n\x00 "):
                raise ConfigurationError(
                    f"CookieOption({label}={value!r}) has forbidden characters"
                )


Callback = Callable[..., Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class Callbacks:
    """Hooks that decide what happens. Each may be sync or async.

    A callback declares the keyword parameters it wants and receives only those (``**kwargs``
    receives them all). Available parameters:

    - ``sign_in(user, account, credentials, profile, email)`` → ``True`` to continue,
      ``False`` for ``AccessDenied``, or a URL string to redirect to.
    - ``redirect(url, base_url)`` → the absolute URL to send the user to.
    - ``jwt(token, user, account, profile, is_new_user, trigger, session)`` → the token to store.
    - ``session(session, token, trigger, new_session)`` → the body of ``/session``.
    """

    sign_in: Callback | None = None
    redirect: Callback | None = None
    jwt: Callback | None = None
    session: Callback | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Events:
    """Fire-and-forget notifications; an exception is logged and swallowed.

    - ``sign_in(user, account, profile, is_new_user)``
    - ``sign_out(token, session)``: ``token`` for JWT sessions, ``session`` (the deleted row)
      for database sessions
    - ``session(session, token)``
    - ``create_user(user)``, ``update_user(user)``, ``link_account(user, account, profile)``:
      with an adapter
    - ``two_factor_enabled(user_id)``, ``two_factor_disabled(user_id)``,
      ``recovery_code_used(user_id, remaining)``: with ``AuthConfig(two_factor=...)``
    """

    sign_in: Callback | None = None
    sign_out: Callback | None = None
    session: Callback | None = None
    create_user: Callback | None = None
    update_user: Callback | None = None
    link_account: Callback | None = None
    two_factor_enabled: Callback | None = None
    two_factor_disabled: Callback | None = None
    recovery_code_used: Callback | None = None


_Hooks = TypeVar("_Hooks", Callbacks, Events)


def hooks(kind: type[_Hooks], value: _Hooks | Mapping[str, Callback]) -> _Hooks:
    """``value`` as ``kind``: a ``Callbacks``/``Events``, or a dict as NextAuth users write it.

    Keys may be NextAuth's (``signIn``, ``createUser``) or Python's (``sign_in``).
    """
    if isinstance(value, kind):
        return value
    label = f"AuthConfig({kind.__name__.lower()})"
    if not isinstance(value, Mapping):
        raise ConfigurationError(
            f"{label} must be {kind.__name__}(jwt=...) or a dict such as {{'jwt': jwt}}, "
            f"not {type(value).__name__}"
        )
    known = [f.name for f in fields(kind)]
    found: dict[str, Callback] = {}
    for key, fn in value.items():
        name = re.sub(r"(?<=[a-z])([A-Z])", r"_\1", str(key)).lower()
        if name not in known:
            raise ConfigurationError(
                f"{label}: unknown {key!r}; use some of {', '.join(map(repr, known))}"
            )
        if fn is not None and not callable(fn):
            raise ConfigurationError(f"{label}[{key!r}] must be a function")
        found[name] = fn
    return kind(**found)


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthConfig:
    """Everything authgate needs to know.

    Attributes:
        providers: How users may sign in.
        secret: Encrypts tokens and signs CSRF tokens. A list enables rotation: the first
            encrypts, every one decrypts. Defaults to ``AUTH_SECRET`` / ``NEXTAUTH_SECRET``;
            required in production; elsewhere a missing secret is replaced by a random one for
            the running process (logged as ``NO_SECRET``), never one derived from the config.
        url: The canonical URL of the auth API (e.g. ``https://example.com/api/auth``);
            defaults to ``AUTH_URL`` / ``NEXTAUTH_URL``.
        trust_host: Build the URL from the ``Host`` / ``X-Forwarded-*`` headers when ``url``
            is not set; only safe behind a proxy you control that overwrites them. Defaults to
            ``AUTH_TRUST_HOST`` (``true``/``false``), else ``False``: without ``url`` and without
            trust the gate refuses to start.
        base_path: Where the API is mounted; defaults to the path of ``url``, else ``/api/auth``.
        session: Session lifetime settings.
        jwt: Token settings.
        pages: Custom pages.
        theme: Look of the built-in pages.
        callbacks: Decision hooks: :class:`Callbacks`, or a dict as in NextAuth
            (``{"jwt": jwt, "signIn": sign_in}``).
        events: Notification hooks: :class:`Events`, or a dict (``{"signOut": f}``).
        use_secure_cookies: Force (or forbid) ``Secure`` cookies with ``__Secure-``/``__Host-``
            prefixes; by default they are used when the URL is https.
        cookies: Per-cookie overrides, keyed by ``session_token``, ``callback_url``,
            ``csrf_token``, ``pkce_code_verifier``, ``state``, ``nonce``, ``webauthn_challenge``.
        debug: Log debug details (never secrets, tokens or passwords).
        profile: The wire dialect: ``"nextauth-v4"`` (default) or ``"authjs-v5"`` (``authjs.*``
            cookies, v5 tokens, the ``X-Auth-Return-Redirect`` header, ``null`` empty session).
        production: Whether this is a production deployment; defaults to the ``AUTHGATE_ENV``
            (or ``ENV``, ``NODE_ENV``) environment variable being ``production``.
        rate_limit: Sign-in throttling (:class:`authgate.ratelimit.RateLimit`), on by default
            with an in-memory backend. ``None`` disables it: unsafe, only for when something in
            front of the app throttles ``/callback/*`` per account and per client.
        adapter: Where users, accounts, database sessions and e-mail tokens are stored
            (:mod:`authgate.adapters`); required by the Email provider. With one, sessions
            default to the ``"database"`` strategy.
        revocation: Where ended JWT sessions are remembered
            (:class:`authgate.revocation.RevocationStore`, e.g. ``RedisRevocationStore(url=...)``):
            checked on every session read, so ``gate.end_sessions(user_id)``, ``gate.end_session``
            and ``POST /signout`` end a session before its token expires. ``None``: JWT sessions
            live until they expire.
        http_client: The ``httpx.AsyncClient`` for calls to OAuth providers (discovery, token,
            userinfo, JWKS). By default the gate makes its own (TLS verified, no redirects);
            pass one to set proxies or, in tests, an ``httpx.MockTransport``. Whatever the
            client, authgate never follows redirects, bounds time and size, and calls only
            https URLs (plain http to loopback hosts outside production).
        locale: The language of the built-in pages and e-mails, fixed: ``"en"``, ``"de"``,
            ``"es"``, ``"fr"``, ``"ja"``, ``"ko"``, ``"pt_BR"`` or ``"zh_Hans"`` (language tags
            such as ``"pt-BR"`` or ``"zh-CN"`` are understood). ``None`` (default): the best
            match of each request's ``Accept-Language``, English when nothing matches.
        two_factor: Ask users who enrolled a second factor (TOTP, recovery codes) for it after
            the first (:class:`authgate.TwoFactor`); needs an adapter with the
            ``TwoFactorStore`` methods.
        telemetry: OpenTelemetry spans and metrics (docs/guides/observability.md). ``None``
            (default): on when the OpenTelemetry SDK (``opentelemetry-sdk``) is installed, off
            otherwise, so an app that has only the API (FastAPI depends on it) pays nothing.
            ``True``: on whenever ``opentelemetry-api`` is installed (a vendor SDK); a start-up
            error without it. ``False``: off.
    """

    providers: Sequence[Provider]
    secret: str | Sequence[str] | None = field(default=None, repr=False)
    url: str | None = None
    trust_host: bool | None = None
    base_path: str | None = None
    session: SessionConfig = field(default_factory=SessionConfig)
    jwt: JWTConfig = field(default_factory=JWTConfig)
    pages: PagesConfig = field(default_factory=PagesConfig)
    theme: Theme = field(default_factory=Theme)
    callbacks: Callbacks | Mapping[str, Callback] = field(default_factory=Callbacks)
    events: Events | Mapping[str, Callback] = field(default_factory=Events)
    use_secure_cookies: bool | None = None
    cookies: Mapping[str, CookieOption] = field(default_factory=dict)
    debug: bool = False
    production: bool | None = None
    profile: Profile = "nextauth-v4"
    rate_limit: RateLimit | None = field(default_factory=RateLimit)
    adapter: Adapter | None = None
    revocation: RevocationStore | None = None
    http_client: httpx.AsyncClient | None = field(default=None, repr=False, compare=False)
    locale: str | None = None
    two_factor: TwoFactor | None = None
    telemetry: bool | None = None

    @property
    def session_strategy(self) -> Literal["jwt", "database"]:
        """The strategy in force: ``session.strategy``, else ``"database"`` with an adapter."""
        if self.session.strategy is not None:
            return self.session.strategy
        return "database" if self.adapter is not None else "jwt"

    def __post_init__(self) -> None:
        providers: object = self.providers
        if isinstance(providers, (str, bytes)) or not isinstance(providers, Sequence):
            raise ConfigurationError("AuthConfig(providers) must be a list of providers")
        ids = [getattr(p, "id", None) for p in self.providers]
        if any(not isinstance(i, str) or not i for i in ids):
            raise ConfigurationError("AuthConfig(providers): every provider needs a string id")
        duplicates = sorted({str(i) for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ConfigurationError(
                f"AuthConfig(providers): provider ids must be unique; repeated: {duplicates}"
            )
        secrets = [self.secret] if isinstance(self.secret, str) else list(self.secret or [])
        if any(not isinstance(s, str) or not s for s in secrets):
            raise ConfigurationError(
                "AuthConfig(secret) must be a non-empty string or a list of them"
            )
        object.__setattr__(self, "callbacks", hooks(Callbacks, self.callbacks))
        object.__setattr__(self, "events", hooks(Events, self.events))
        unknown = sorted(set(self.cookies) - set(COOKIE_KEYS))
        if unknown:
            raise ConfigurationError(
                f"AuthConfig(cookies): unknown keys {unknown}; known: {list(COOKIE_KEYS)}"
            )
        if self.base_path is not None and (
            not self.base_path.startswith("/")
            or (self.base_path.endswith("/") and self.base_path != "/")
        ):
            raise ConfigurationError(
                f"AuthConfig(base_path={self.base_path!r}) must start with '/' and not end with '/'"
            )
        if self.url is not None:
            parts = urlsplit(self.url if "://" in self.url else f"https://{self.url}")
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ConfigurationError(
                    f"AuthConfig(url={self.url!r}) must be an absolute http(s) URL"
                )
        if self.rate_limit is not None and not isinstance(self.rate_limit, RateLimit):
            raise ConfigurationError("AuthConfig(rate_limit) must be a RateLimit or None")
        if self.revocation is not None and not isinstance(self.revocation, RevocationStore):
            raise ConfigurationError(
                "AuthConfig(revocation) must be a RevocationStore (end_user, end_session, "
                "is_ended, ping, aclose), e.g. authgate.revocation.RedisRevocationStore(url=...)"
            )
        if self.profile not in ("nextauth-v4", "authjs-v5"):
            raise ConfigurationError(
                f"AuthConfig(profile={self.profile!r}): use 'nextauth-v4' or 'authjs-v5'"
            )
        self._check_locale()
        self._check_adapter()
        self._check_two_factor()
        self._check_session_devices()

    def _check_locale(self) -> None:
        if self.locale is None:
            return
        code = i18n.normalize(self.locale) if isinstance(self.locale, str) else None
        if code is None:
            raise ConfigurationError(
                f"AuthConfig(locale={self.locale!r}) has no catalog; use one of "
                f"{list(i18n.LOCALES)} or None (negotiated from Accept-Language)"
            )
        object.__setattr__(self, "locale", code)

    def _check_adapter(self) -> None:
        # next-auth v4 assert.ts: MissingAdapter, UnsupportedStrategy; here at start-up.
        if self.session.strategy == "database" and self.adapter is None:
            raise ConfigurationError(
                "SessionConfig(strategy='database') needs AuthConfig(adapter=...)"
            )
        if sum(getattr(p, "type", None) == "webauthn" for p in self.providers) > 1:
            raise ConfigurationError("AuthConfig(providers): at most one Passkey provider")
        for provider in self.providers:
            kind = getattr(provider, "type", None)
            self._check_password_store(provider)
            if kind == "webauthn" and not isinstance(self.adapter, AuthenticatorAdapter):
                raise ConfigurationError(
                    f"Passkey(id={provider.id!r}) stores credentials through the adapter: set "
                    "AuthConfig(adapter=...) to one with the AuthenticatorAdapter methods "
                    "(SQLAlchemyAdapter and MemoryAdapter have them)"
                )
            if kind == "email" and self.adapter is None:
                raise ConfigurationError(
                    f"the {provider.id!r} e-mail provider stores its tokens in a database: "
                    "set AuthConfig(adapter=...) (e.g. SQLAlchemyAdapter('auth.db'))"
                )
            if (
                kind == "credentials"
                and self.session_strategy == "database"
                and not getattr(provider, "database_session", False)
            ):
                raise ConfigurationError(
                    f"Credentials(id={provider.id!r}) with database sessions: opt in with "
                    "Credentials(..., database_session=True) (the user is stored through the "
                    "adapter), or use SessionConfig(strategy='jwt')"
                )

    def _check_password_store(self, provider: object) -> None:
        from authgate.adapters import PasswordStore, UserSessions
        from authgate.providers.password import Password

        if not isinstance(provider, Password):
            return
        adapter: object = self.adapter
        if not isinstance(adapter, PasswordStore):
            raise ConfigurationError(
                f"Password(id={provider.id!r}) stores hashes through the adapter: set "
                "AuthConfig(adapter=...) to one with the PasswordStore methods "
                "(SQLAlchemyAdapter and MemoryAdapter have them)"
            )
        try:
            import argon2  # noqa: F401
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ConfigurationError(
                f"Password(id={provider.id!r}) hashes with argon2id: "
                "pip install 'authgate[passwords]'"
            ) from exc
        if self.session_strategy == "database" and not isinstance(adapter, UserSessions):
            raise ConfigurationError(
                f"Password(id={provider.id!r}) ends a user's other sessions after a reset: the "
                "adapter needs delete_user_sessions (authgate.adapters.UserSessions)"
            )

    def _check_session_devices(self) -> None:
        if not self.session.devices:
            return
        from authgate.adapters import SessionDevices

        if self.session_strategy != "database":
            raise ConfigurationError(
                "SessionConfig(devices=True) records database sessions: JWT sessions have no row"
            )
        if not isinstance(self.adapter, SessionDevices):
            raise ConfigurationError(
                "SessionConfig(devices=True) needs an adapter with the SessionDevices methods "
                "(SQLAlchemyAdapter and MemoryAdapter have them)"
            )

    def _check_two_factor(self) -> None:
        if self.two_factor is None:
            return
        from authgate.adapters import TwoFactorStore
        from authgate.two_factor import TwoFactor

        if not isinstance(self.two_factor, TwoFactor):
            raise ConfigurationError("AuthConfig(two_factor) must be a TwoFactor")
        adapter: object = self.adapter
        if not isinstance(adapter, TwoFactorStore):
            raise ConfigurationError(
                "AuthConfig(two_factor=...) stores second factors through the adapter: set "
                "AuthConfig(adapter=...) to one with the TwoFactorStore methods "
                "(SQLAlchemyAdapter and MemoryAdapter have them)"
            )
        try:
            import pyotp  # noqa: F401
            import segno  # noqa: F401
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ConfigurationError(
                "AuthConfig(two_factor=...) needs: pip install 'authgate[two-factor]'"
            ) from exc
        if self.two_factor.security_keys and not any(
            getattr(p, "type", None) == "webauthn" for p in self.providers
        ):
            raise ConfigurationError(
                "TwoFactor(security_keys=True) checks credentials registered through the "
                "Passkey provider: add Passkey() to AuthConfig(providers)"
            )
