"""Per-gate OAuth state: the HTTP client, discovery documents and JWKS caches.

One :class:`OAuthRuntime` lives in ``InternalOptions`` (built with the gate), so ``_core`` keeps
no module-level state. The caches only ever hold what providers published.
"""

from __future__ import annotations

import logging
import ssl
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import httpx

from authgate._core.oauth.http import OutboundHTTP, ProviderError, where

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from authgate._core.telemetry import Telemetry
    from authgate.providers.oauth import OAuth

logger = logging.getLogger("authgate")

DISCOVERY_TTL = 24 * 60 * 60
JWKS_TTL = 60 * 60
# Entra ID's multi-tenant discovery publishes a templated issuer.
TENANT_TEMPLATE = "{tenantid}"


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Where a provider's endpoints are, after discovery and the provider's overrides."""

    authorization: str
    authorization_params: dict[str, str]
    token: str
    userinfo: str | None
    issuer: str | None
    jwks_uri: str | None


def split_params(url: str) -> tuple[str, dict[str, str]]:
    """``url`` without its query, and the query as parameters (next-auth's normalisation)."""
    parts = urlsplit(url)
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")), params


def _same_issuer(configured: str, published: str) -> bool:
    if configured.rstrip("/") == published.rstrip("/"):
        return True
    if TENANT_TEMPLATE in published:
        prefix, _, suffix = published.partition(TENANT_TEMPLATE)
        return configured.startswith(prefix) and configured.rstrip("/").endswith(suffix.rstrip("/"))
    return False


class OAuthRuntime:
    """HTTP client and caches shared by every OAuth provider of one gate."""

    def __init__(
        self,
        client: httpx.AsyncClient | None,
        *,
        allow_loopback_http: bool,
        telemetry: Telemetry | None = None,
    ) -> None:
        self._client = client
        self._telemetry = telemetry
        self._allow_loopback_http = allow_loopback_http
        self._tls: ssl.SSLContext | None = None
        self._discovery: dict[str, tuple[float, dict[str, Any]]] = {}
        self._jwks: dict[str, tuple[float, dict[str, Any]]] = {}

    @asynccontextmanager
    async def connect(self, provider: OAuth) -> AsyncIterator[OutboundHTTP]:
        """The restricted client for one sign-in step.

        Without an injected client, each step opens and closes its own: sign-ins are rare,
        and a client bound to no event loop cannot leak from one loop (or test) to another.
        The TLS context (the expensive part) is built once.
        """
        if self._client is not None:
            yield self._outbound(self._client, provider)
            return
        if self._tls is None:
            self._tls = ssl.create_default_context()
        async with httpx.AsyncClient(verify=self._tls, follow_redirects=False) as client:
            yield self._outbound(client, provider)

    def _outbound(self, client: httpx.AsyncClient, provider: OAuth) -> OutboundHTTP:
        return OutboundHTTP(
            client,
            allow_loopback_http=self._allow_loopback_http,
            timeout=provider.timeout,
            label=(provider.id, self._telemetry) if self._telemetry is not None else None,
        )

    async def _discover(self, http: OutboundHTTP, provider: OAuth, now: float) -> dict[str, Any]:
        url = provider.well_known or (
            f"{(provider.issuer or '').rstrip('/')}/.well-known/openid-configuration"
        )
        cached = self._discovery.get(url)
        if cached is not None and now - cached[0] < DISCOVERY_TTL:
            return cached[1]
        document = await http.get_json(url, endpoint="discovery")
        if not isinstance(document, dict):
            raise ProviderError(f"{where(url)} is not a discovery document")
        published = document.get("issuer")
        # OpenID Connect Discovery §4.3: the issuer must be the one we asked for.
        if provider.issuer is not None and (
            not isinstance(published, str) or not _same_issuer(provider.issuer, published)
        ):
            raise ProviderError(f"{where(url)} publishes another issuer")
        self._discovery[url] = (now, document)
        return document

    async def endpoints(self, http: OutboundHTTP, provider: OAuth, now: float) -> Endpoints:
        document: dict[str, Any] = {}
        discovers = provider.well_known is not None or (
            provider.issuer is not None and provider.id_token
        )
        if discovers:
            document = await self._discover(http, provider, now)

        def pick(own: str | None, key: str) -> str | None:
            if own is not None:
                return own
            value = document.get(key)
            return value if isinstance(value, str) and value else None

        authorization = pick(provider.authorization, "authorization_endpoint")
        token = pick(provider.token, "token_endpoint")
        if authorization is None or token is None:
            raise ProviderError(f"provider {provider.id}: no authorization or token endpoint")
        base, params = split_params(authorization)
        # Discovery checked the published issuer against the configured one (a trailing
        # slash aside, or Entra's tenant template): the id_token's iss must be the published.
        issuer = provider.issuer
        published = document.get("issuer")
        if isinstance(published, str) and (issuer is None or _same_issuer(issuer, published)):
            issuer = published
        return Endpoints(
            authorization=base,
            authorization_params=params,
            token=token,
            userinfo=pick(provider.userinfo, "userinfo_endpoint"),
            issuer=issuer,
            jwks_uri=pick(provider.jwks_endpoint, "jwks_uri"),
        )

    async def jwks(
        self, http: OutboundHTTP, uri: str, now: float, *, refresh: bool = False
    ) -> dict[str, Any]:
        cached = self._jwks.get(uri)
        if cached is not None and not refresh and now - cached[0] < JWKS_TTL:
            return cached[1]
        document = await http.get_json(uri, endpoint="jwks")
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise ProviderError(f"{where(uri)} is not a JWKS")
        self._jwks[uri] = (now, document)
        return document
