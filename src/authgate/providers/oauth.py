"""Generic OAuth 2.0 and OpenID Connect providers.

``OAuth`` describes any OAuth 2.0 authorization-code provider by its endpoints; ``OIDC`` adds
discovery (``issuer`` → ``/.well-known/openid-configuration``) and id_token validation. The
presets (``GitHub``, ``Google``, ...) are subclasses with their defaults filled in; every field
can still be overridden::

    OIDC(id="corp", name="Corp SSO", issuer="https://sso.example.com",
         client_id="...", client_secret="...")

The client id and secret may be left out: they are then read from ``AUTH_<ID>_ID`` and
``AUTH_<ID>_SECRET`` (``<ID>`` is the provider id upper-cased, ``-`` → ``_``) when the
:class:`~authgate.AuthGate` is built.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

from authgate._crypto.idtoken import ASYMMETRIC_ALGORITHMS
from authgate._validate import names, one_of
from authgate.errors import ConfigurationError

__all__ = [
    "ABSENT",
    "DEFAULT_ID_TOKEN_ALGORITHMS",
    "OIDC",
    "EmailCheck",
    "OAuth",
    "ProfileMapper",
    "ProviderHTTP",
    "ProviderStyle",
    "TokenSet",
    "UserinfoRequest",
    "claims_email_verified",
    "default_profile",
    "pick",
    "present",
]

Check = Literal["state", "pkce", "nonce"]


class DefaultChecks(tuple[Check, ...]):
    """The ``checks`` a provider gets when it sets none (a marker type, otherwise a tuple).

    The wire profile may replace them when the gate is built: Auth.js v5 uses ``("pkce",)``
    for a provider without ``checks``; an explicit tuple is always kept as given.
    """

    __slots__ = ()


ClientAuthMethod = Literal["client_secret_basic", "client_secret_post", "none"]

TokenSet = dict[str, Any]
"""The token endpoint's answer (``access_token``, ``token_type``, ``id_token``,
``refresh_token``, ``expires_at``, ``scope``, ...)."""

ProfileMapper = Callable[[dict[str, Any], TokenSet], "Mapping[str, Any] | Awaitable[Any]"]
EmailCheck = Callable[["Mapping[str, Any]"], bool]
"""``is_email_verified(raw_profile)``: whether the provider vouches for the profile's e-mail."""


def claims_email_verified(profile: Mapping[str, Any]) -> bool:
    """OpenID Connect: the ``email_verified`` claim is ``true`` (or the string ``"true"``)."""
    value = profile.get("email_verified")
    return value is True or (isinstance(value, str) and value.lower() == "true")


"""``profile(raw_profile, tokens)`` → the user: ``id`` (required), ``name``, ``email``,
``image`` and anything else to keep. May be async."""


class ProviderHTTP(Protocol):
    """What ``userinfo_request`` may call.

    https only (http on loopback in development), TLS verified, no redirects, bounded time and
    size, JSON only.
    """

    async def get_json(
        self, url: str, *, headers: Mapping[str, str] | None = None
    ) -> dict[str, Any] | list[Any]:
        """GET ``url`` and return its JSON body (raises on any failure)."""
        ...


UserinfoRequest = Callable[[ProviderHTTP, TokenSet], Awaitable[Mapping[str, Any]]]
"""``userinfo_request(http, tokens)``: fetch the raw profile yourself (e.g. a second API call)."""

DEFAULT_ID_TOKEN_ALGORITHMS: tuple[str, ...] = tuple(sorted(ASYMMETRIC_ALGORITHMS))
_KNOWN_ALGORITHMS = frozenset({*ASYMMETRIC_ALGORITHMS, "HS256", "HS384", "HS512"})
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_HEADER = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}")
_OWN_HEADERS = frozenset({"authorization", "accept", "content-type", "content-length", "host"})
# What a callback carries for the protocol; never copied into a profile.
_CALLBACK_PARAMS = frozenset({"code", "state", "error", "iss", "id_token", "session_state"})
# SECURITY.md, decision 6: parameters that carry the protocol are authgate's. Refused in
# ``authorization_params`` here, and dropped from the request's query at sign-in (_core/oauth).
PROTOCOL_PARAMS = frozenset(
    {
        "client_id",
        "client_secret",
        "redirect_uri",
        "response_type",
        "response_mode",
        "state",
        "nonce",
        "code_challenge",
        "code_challenge_method",
        "request",
        "request_uri",
    }
)


class _Absent:
    """The JavaScript ``undefined`` of a profile mapping: the key is left out of the user."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()


def pick(source: Mapping[str, Any] | None, *keys: str) -> Any:
    """JavaScript's ``source.a ?? source.b ?? ...`` for a profile mapping.

    The first value that is not ``None``; otherwise the last key's value, which is
    :data:`ABSENT` when that key is missing (next-auth's ``undefined``: the key is left out of
    the user, the token and the JSON) and ``None`` when the provider sent ``null``.
    """
    value: Any = ABSENT
    for key in keys:
        value = source.get(key, ABSENT) if isinstance(source, Mapping) else ABSENT
        if value is not None and value is not ABSENT:
            return value
    return value


def present(**fields: Any) -> dict[str, Any]:
    """The user a profile mapping returns: fields that are :data:`ABSENT` are left out."""
    return {key: value for key, value in fields.items() if value is not ABSENT}


def default_profile(profile: dict[str, Any], tokens: TokenSet) -> dict[str, Any]:
    """OpenID Connect standard claims → the user (``sub``, ``name``, ``email``, ``picture``).

    A claim the provider does not send is left out of the user (next-auth: ``undefined``).
    """
    return present(
        id=pick(profile, "sub", "id"),
        name=pick(profile, "name", "preferred_username", "nickname"),
        email=pick(profile, "email"),
        image=pick(profile, "picture"),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderStyle:
    """The sign-in button of a provider.

    ``logo`` is a URL, or ``/name.svg``: one of the logos shipped with authgate (inlined in the
    page, filled with ``text``; see ``authgate/_core/pages/logos``), none if there is no such logo;
    ``bg`` and ``text`` are CSS colours; the ``_dark`` variants apply in dark mode.
    """

    logo: str = ""
    logo_dark: str = ""
    bg: str = ""
    bg_dark: str = ""
    text: str = ""
    text_dark: str = ""


def _check_url(label: str, value: str | None) -> None:
    if value is None:
        return
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigurationError(f"{label}={value!r} must be an absolute https URL")
    if any(ord(c) <= 0x20 for c in value):
        raise ConfigurationError(f"{label}={value!r} contains whitespace or control characters")


@dataclass(frozen=True, slots=True, kw_only=True)
class OAuth:
    """An OAuth 2.0 authorization-code provider (``type="oauth"``).

    Attributes:
        id: Used in URLs: ``/signin/<id>``, ``/callback/<id>`` (the ``redirect_uri``).
        name: Shown on the button ("Sign in with <name>").
        client_id: The client id; default ``AUTH_<ID>_ID``.
        client_secret: The client secret; default ``AUTH_<ID>_SECRET``.
        authorization: The authorization endpoint; its query parameters become authorization
            parameters (as in next-auth).
        token: The token endpoint.
        userinfo: The userinfo endpoint (GET with the access token).
        issuer: The issuer; with ``id_token=True`` discovery reads
            ``<issuer>/.well-known/openid-configuration`` and the id_token's ``iss`` must equal it.
        well_known: The discovery document URL, when it is not under the issuer.
        jwks_endpoint: The provider's JWKS (default: from discovery).
        scope: The ``scope`` parameter.
        authorization_params: Extra authorization parameters (``prompt``, ``access_type``...).
        token_params: Extra token request parameters.
        checks: Which of ``state``, ``pkce`` (S256) and ``nonce`` to use; each is kept in an
            encrypted 15-minute cookie bound to this provider, and required on the callback.
        id_token: Validate the id_token of the token response and read the profile from it
            (OpenID Connect).
        id_token_algorithms: The id_token ``alg`` allow-list (``HS*`` only works with a client
            secret; ``none`` never).
        client_auth: ``client_secret_basic`` (default), ``client_secret_post`` or ``none``
            (public clients; use PKCE).
        response_mode: ``"form_post"`` makes the provider POST the callback; the check cookies
            must then be ``same_site="none"`` (``AuthConfig(cookies=...)``) when the provider is
            on another site, or the browser will not send them.
        profile: ``profile(raw_profile, tokens)`` → the user mapping (``id`` required).
        profile_params: Callback parameters (query, or the ``form_post`` body) added to the raw
            profile under their own names when it lacks them, e.g. Apple's ``user``. They are
            not signed: use them for display data only.
        request_headers: Extra headers for the token request and the userinfo request (e.g.
            the ``User-Agent`` Reddit requires; a ``userinfo_request`` sets its own);
            ``Authorization``, ``Accept`` and the body's headers stay authgate's.
        userinfo_request: Fetch the raw profile yourself (replaces the userinfo call).
        style: The sign-in button's look.
        is_email_verified: ``is_email_verified(raw_profile)``: whether the provider vouches for
            the e-mail address (default: the OIDC ``email_verified`` claim is true). An address
            it does not vouch for is stored with ``emailVerified`` null and never finds, links
            to or signs in an existing user (SECURITY.md, decision 9).
        allow_dangerous_email_account_linking: With an adapter, link to an existing user with
            the same e-mail address when both addresses are verified.
        timeout: Seconds for each call to the provider.
    """

    id: str
    name: str
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    authorization: str | None = None
    token: str | None = None
    userinfo: str | None = None
    issuer: str | None = None
    well_known: str | None = None
    jwks_endpoint: str | None = None
    scope: str | None = None
    authorization_params: Mapping[str, str] = field(default_factory=dict)
    token_params: Mapping[str, str] = field(default_factory=dict)
    checks: tuple[Check, ...] = DefaultChecks(("pkce", "state"))
    id_token: bool = False
    id_token_algorithms: tuple[str, ...] = DEFAULT_ID_TOKEN_ALGORITHMS
    client_auth: ClientAuthMethod = "client_secret_basic"
    response_mode: Literal["query", "form_post"] = "query"
    profile: ProfileMapper = default_profile
    profile_params: tuple[str, ...] = ()
    request_headers: Mapping[str, str] = field(default_factory=dict)
    userinfo_request: UserinfoRequest | None = None
    style: ProviderStyle | None = None
    is_email_verified: EmailCheck = claims_email_verified
    allow_dangerous_email_account_linking: bool = False
    timeout: float = 10.0
    type: Literal["oauth"] = "oauth"

    def __post_init__(self) -> None:
        label = f"{type(self).__name__}(id={self.id!r})"
        if self.type != "oauth":
            raise ConfigurationError(f"{label}: type must be 'oauth'")
        if not isinstance(self.id, str) or not _ID.fullmatch(self.id):
            raise ConfigurationError(f"{label}: use 1-64 letters, digits, '-' or '_' as the id")
        for name in ("authorization", "token", "userinfo", "issuer", "well_known", "jwks_endpoint"):
            _check_url(f"{label}.{name}", getattr(self, name))
        if not (self.id_token and self.issuer is None):  # else: AUTH_<ID>_ISSUER, at build
            self.check_endpoints()
        if not isinstance(self.checks, DefaultChecks):
            checks = names(f"{label}.checks", self.checks, ("state", "pkce", "nonce"))
            object.__setattr__(self, "checks", checks)
        if "nonce" in self.checks and not self.id_token:
            raise ConfigurationError(f"{label}: the nonce check needs id_token=True")
        one_of(
            f"{label}.client_auth",
            self.client_auth,
            ("client_secret_basic", "client_secret_post", "none"),
        )
        one_of(f"{label}.response_mode", self.response_mode, ("query", "form_post"))
        algorithms = names(
            f"{label}.id_token_algorithms", self.id_token_algorithms, sorted(_KNOWN_ALGORITHMS)
        )
        if not algorithms:
            raise ConfigurationError(f"{label}.id_token_algorithms must not be empty")
        object.__setattr__(self, "id_token_algorithms", algorithms)
        protocol = PROTOCOL_PARAMS & set(self.authorization_params)
        if protocol:
            raise ConfigurationError(
                f"{label}: authorization_params may not set {sorted(protocol)} (authgate does)"
            )
        self._check_extras(label)
        if not callable(self.profile):
            raise ConfigurationError(f"{label}: profile must be a function")
        if not callable(self.is_email_verified):
            raise ConfigurationError(f"{label}: is_email_verified must be a function")
        if not (0 < self.timeout <= 60):
            raise ConfigurationError(f"{label}: timeout must be between 0 and 60 seconds")

    def _check_extras(self, label: str) -> None:
        """``profile_params`` and ``request_headers``."""
        params = names(f"{label}.profile_params", self.profile_params)
        taken = sorted(_CALLBACK_PARAMS.intersection(params))
        if taken:
            raise ConfigurationError(
                f"{label}.profile_params: {taken} carry the protocol, never profile data"
            )
        object.__setattr__(self, "profile_params", params)
        if any(
            not isinstance(k, str)
            or not isinstance(v, str)
            or not _HEADER.fullmatch(k)
            or k.lower() in _OWN_HEADERS
            or any(ord(c) < 0x20 or ord(c) == 0x7F for c in v)
            for k, v in self.request_headers.items()
        ):
            raise ConfigurationError(
                f"{label}: request_headers must be header names and values, other than "
                f"{sorted(_OWN_HEADERS)}"
            )

    def check_endpoints(self) -> None:
        """Raise unless the endpoints are known or can be discovered."""
        label = f"{type(self).__name__}(id={self.id!r})"
        if self.id_token and self.issuer is None:
            raise ConfigurationError(
                f"{label} needs issuer= (the id_token's iss), or {self.env_prefix}_ISSUER"
            )
        discovers = self.well_known is not None or (self.issuer is not None and self.id_token)
        if not discovers and (self.authorization is None or self.token is None):
            raise ConfigurationError(
                f"{label} needs authorization= and token= endpoints, or issuer=/well_known= "
                "for OpenID Connect discovery"
            )

    @property
    def env_prefix(self) -> str:
        """``AUTH_<ID>``: where the client id, secret and issuer are read from when not given."""
        return "AUTH_" + self.id.upper().replace("-", "_")


@dataclass(frozen=True, slots=True, kw_only=True)
class OIDC(OAuth):
    """An OpenID Connect provider: discovery from ``issuer``, id_token validated, nonce checked.

    Only ``issuer`` (plus the client id/secret) is needed; endpoints come from
    ``<issuer>/.well-known/openid-configuration`` and may be overridden.
    """

    id: str = "oidc"
    name: str = "OpenID Connect"
    scope: str | None = "openid email profile"
    checks: tuple[Check, ...] = DefaultChecks(("pkce", "state", "nonce"))
    id_token: bool = True
