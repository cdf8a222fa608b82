"""A small OpenID Connect provider on loopback, for tests of apps that sign in with OAuth.

It speaks the authorization-code flow for real (discovery, ``/authorize``, ``/token`` with
``client_secret_basic`` or ``client_secret_post``, PKCE ``S256``, an RS256 ``id_token`` with the
nonce, ``/userinfo``, JWKS) and approves every authorization at once as :attr:`user`::

    from authgate.testing import FakeIdentityProvider

    with FakeIdentityProvider(user={"sub": "42", "email": "ada@example.com"}) as idp:
        gate = AuthGate(AuthConfig(providers=[idp.provider()], secret=..., url=...))
        ...
        cookies = await idp.sign_in(client)  # an httpx.AsyncClient on your app

Only for tests: it listens on 127.0.0.1, remembers nothing once stopped, and checks what a real
provider checks (client, redirect URI, single-use codes, PKCE), so a mistake in your
configuration fails here as it would in production.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from joserfc import jwt
from joserfc.jwk import RSAKey

from authgate.providers.oauth import OIDC

if TYPE_CHECKING:
    from collections.abc import Mapping
    from types import TracebackType

__all__ = ["DEFAULT_USER", "FakeIdentityProvider"]

DEFAULT_USER: dict[str, Any] = {
    "sub": "fake-user-1",
    "name": "Ada Lovelace",
    "email": "ada@example.com",
    "email_verified": True,
    "picture": "https://example.com/ada.png",
}
"""The claims of the user every authorization signs in as, unless told otherwise."""


@dataclass(frozen=True, slots=True)
class _Grant:
    client_id: str
    redirect_uri: str
    nonce: str | None
    challenge: str | None
    scope: str
    user: dict[str, Any]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class FakeIdentityProvider:
    """An OpenID provider on ``http://127.0.0.1:<port>``; a context manager (start/stop).

    Args:
        client_id: The only client it knows.
        client_secret: That client's secret.
        user: The claims of who signs in (``sub`` required); change :attr:`user` any time.
        token_lifetime: Seconds the access token and id_token are valid.
    """

    def __init__(
        self,
        *,
        client_id: str = "test-client",
        client_secret: str = "test-client-secret",  # noqa: S107 - a test fixture's
        user: Mapping[str, Any] | None = None,
        token_lifetime: int = 3600,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.user: dict[str, Any] = dict(DEFAULT_USER if user is None else user)
        self.token_lifetime = token_lifetime
        self.key = RSAKey.generate_key(2048, parameters={"kid": secrets.token_hex(8)})
        self.token_requests = 0
        self._grants: dict[str, _Grant] = {}
        self._tokens: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> FakeIdentityProvider:
        """Listen on a free loopback port (idempotent)."""
        if self._server is None:
            handler = type("Handler", (_Handler,), {"idp": self})
            self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
            self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeIdentityProvider:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def issuer(self) -> str:
        """``http://127.0.0.1:<port>``: the ``issuer`` to configure."""
        if self._server is None:
            raise RuntimeError("FakeIdentityProvider is not started (use it as a context manager)")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- for the test ----------------------------------------------------------------------

    def provider(self, **options: Any) -> OIDC:
        """An authgate :class:`~authgate.providers.OIDC` provider pointed here (id ``fake``)."""
        options.setdefault("id", "fake")
        options.setdefault("name", "Fake IdP")
        options.setdefault("well_known", f"{self.issuer}/.well-known/openid-configuration")
        options.setdefault("issuer", self.issuer)
        options.setdefault("client_id", self.client_id)
        options.setdefault("client_secret", self.client_secret)
        return OIDC(**options)

    def approve(self, authorization_url: str, user: Mapping[str, Any] | None = None) -> str:
        """Open ``authorization_url`` as the browser would; the callback URL it redirects to.

        ``user`` signs in instead of :attr:`user` for this authorization.
        """
        if not authorization_url.startswith(self.issuer + "/"):
            raise ValueError(f"not an authorization URL of this provider: {authorization_url}")
        headers = {"x-fake-user": json.dumps(dict(user))} if user is not None else {}
        response = httpx.get(authorization_url, headers=headers, follow_redirects=False)
        location: str | None = response.headers.get("location")
        if response.status_code != 302 or not location:
            raise RuntimeError(f"authorization refused ({response.status_code}): {response.text}")
        return location

    async def sign_in(
        self,
        client: httpx.AsyncClient,
        *,
        provider_id: str = "fake",
        base_path: str = "/api/auth",
        callback_url: str = "/",
        user: Mapping[str, Any] | None = None,
    ) -> httpx.Response:
        """Sign in through your app's real OAuth routes; the callback's response.

        ``client`` talks to your app (e.g. ``httpx.AsyncClient(transport=ASGITransport(app),
        base_url="http://testserver")``); its cookie jar then holds the session.
        """
        csrf = (await client.get(f"{base_path}/csrf")).json()["csrfToken"]
        start = await client.post(
            f"{base_path}/signin/{provider_id}",
            data={"csrfToken": csrf, "callbackUrl": callback_url},
        )
        location = start.headers.get("location", "")
        if start.status_code != 302 or not location.startswith(self.issuer):
            raise RuntimeError(f"the app did not redirect to the provider: {start.status_code}")
        callback = self.approve(location, user)
        return await client.get(callback)

    # -- the protocol ------------------------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        """The discovery document (``/.well-known/openid-configuration``)."""
        issuer = self.issuer
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "userinfo_endpoint": f"{issuer}/userinfo",
            "jwks_uri": f"{issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
            ],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", "email", "profile"],
        }

    def authorize(self, query: Mapping[str, str], user: dict[str, Any] | None) -> str:
        """Approve an authorization request; the redirect back, or raise ``ValueError``."""
        if query.get("client_id") != self.client_id:
            raise ValueError("unknown client_id")
        redirect_uri = query.get("redirect_uri", "")
        if urlsplit(redirect_uri).scheme not in ("http", "https"):
            raise ValueError("redirect_uri must be an http(s) URL")
        if query.get("response_type") != "code":
            raise ValueError("response_type must be code")
        challenge = query.get("code_challenge")
        if challenge is not None and query.get("code_challenge_method") != "S256":
            raise ValueError("only code_challenge_method=S256")
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._grants[code] = _Grant(
                client_id=self.client_id,
                redirect_uri=redirect_uri,
                nonce=query.get("nonce"),
                challenge=challenge,
                scope=query.get("scope", ""),
                user=dict(self.user if user is None else user),
            )
        params = {"code": code, "iss": self.issuer}
        if "state" in query:
            params["state"] = query["state"]
        separator = "&" if urlsplit(redirect_uri).query else "?"
        return f"{redirect_uri}{separator}{urlencode(params)}"

    def token(
        self, form: Mapping[str, str], authorization: str | None
    ) -> tuple[int, dict[str, Any]]:
        """The token endpoint: ``(status, JSON body)``."""
        with self._lock:
            self.token_requests += 1
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        if authorization and authorization.lower().startswith("basic "):
            decoded = base64.b64decode(authorization[6:]).decode()
            client_id, _, client_secret = decoded.partition(":")
            client_id, client_secret = _unquote(client_id), _unquote(client_secret)
        if client_id != self.client_id or not secrets.compare_digest(
            (client_secret or "").encode(), self.client_secret.encode()
        ):
            return 401, {"error": "invalid_client"}
        if form.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        with self._lock:
            grant = self._grants.pop(form.get("code", ""), None)  # single use
        if grant is None or grant.redirect_uri != form.get("redirect_uri"):
            return 400, {"error": "invalid_grant"}
        if grant.challenge is not None:
            verifier = form.get("code_verifier", "")
            if _b64url(hashlib.sha256(verifier.encode()).digest()) != grant.challenge:
                return 400, {"error": "invalid_grant", "error_description": "PKCE"}
        now = int(time.time())
        access_token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[access_token] = grant.user
        claims = {
            **grant.user,
            "iss": self.issuer,
            "aud": self.client_id,
            "iat": now,
            "exp": now + self.token_lifetime,
        }
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        header = {"alg": "RS256", "kid": self.key.kid}
        return 200, {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": self.token_lifetime,
            "scope": grant.scope,
            "id_token": jwt.encode(header, claims, self.key),
        }

    def userinfo(self, authorization: str | None) -> tuple[int, dict[str, Any]]:
        """The userinfo endpoint: ``(status, JSON body)``."""
        token = (authorization or "")[7:] if (authorization or "").startswith("Bearer ") else ""
        with self._lock:
            user = self._tokens.get(token)
        return (200, user) if user is not None else (401, {"error": "invalid_token"})

    def jwks(self) -> dict[str, Any]:
        """The public signing key (``/jwks``)."""
        return {"keys": [self.key.as_dict(private=False)]}


def _unquote(value: str) -> str:
    # RFC 6749 §2.3.1: the client id and secret are form-urlencoded inside Basic.
    return parse_qs(f"v={value}", keep_blank_values=True)["v"][0]


class _Handler(BaseHTTPRequestHandler):
    idp: ClassVar[FakeIdentityProvider]

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: tests read their own output

    def _json(self, status: int, body: Mapping[str, Any]) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.send_header("cache-control", "no-store")
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path == "/.well-known/openid-configuration":
            self._json(200, self.idp.discovery())
        elif parts.path == "/jwks":
            self._json(200, self.idp.jwks())
        elif parts.path == "/userinfo":
            self._json(*self.idp.userinfo(self.headers.get("authorization")))
        elif parts.path == "/authorize":
            fake_user = self.headers.get("x-fake-user")
            try:
                location = self.idp.authorize(query, json.loads(fake_user) if fake_user else None)
            except ValueError as exc:
                self._json(400, {"error": "invalid_request", "error_description": str(exc)})
                return
            self.send_response(302)
            self.send_header("location", location)
            self.send_header("content-length", "0")
            self.end_headers()
        else:
            self._json(404, {"error": "not_found"})

    def do_POST(self) -> None:
        if urlsplit(self.path).path != "/token":
            self._json(404, {"error": "not_found"})
            return
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(min(length, 65536)).decode()
        form = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
        self._json(*self.idp.token(form, self.headers.get("authorization")))
