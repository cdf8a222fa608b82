"""The OAuth flow's less travelled branches, against the scripted provider.

Malformed check cookies, callbacks without a code, providers without userinfo or id_token,
odd token responses, broken discovery documents and JWKS, a provider's own ``userinfo_request``
failing: each must end on ``OAuthSignin`` / ``OAuthCallback`` without a session, never a 500.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from authgate import Callbacks
from authgate import jwt as authjwt
from authgate._core.oauth.http import ProviderError
from authgate.providers import OAuth
from blackbox.conftest import NOW, SECRET, SESSION, Client, query_of

from .fake_idp import CLIENT_ID, CLIENT_SECRET, ISSUER, FakeIdP, form_of
from .test_flow import STATE, assert_failed, finish, make, start

pytestmark = pytest.mark.anyio


@pytest.fixture
def idp() -> FakeIdP:
    return FakeIdP(now=NOW)


def oauth(**kw: Any) -> OAuth:
    """A plain OAuth 2 provider on the fake IdP's endpoints (no discovery)."""
    options: dict[str, Any] = {
        "id": "idp",
        "name": "IdP",
        "authorization": f"{ISSUER}/authorize",
        "token": f"{ISSUER}/token",
        "userinfo": f"{ISSUER}/userinfo",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        **kw,
    }
    return OAuth(**options)


async def sign_in_with(idp: FakeIdP, provider: OAuth, **config: Any) -> tuple[Client, Any]:
    client = Client(make(idp, providers=[provider], **config))
    params = await start(client, idp)
    return client, await finish(client, params)


# ---- check cookies -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cookie",
    [
        "not-a-jwe",
        authjwt.encode({"value": 5, "provider": "idp"}, SECRET, salt=STATE, now=NOW),
        authjwt.encode({"value": "", "provider": "idp"}, SECRET, salt=STATE, now=NOW),
        authjwt.encode({"provider": "idp"}, SECRET, salt=STATE, now=NOW),
    ],
    ids=["undecodable", "not-a-string", "empty", "missing"],
)
async def test_unreadable_state_cookie_is_a_callback_error(
    idp: FakeIdP, cookie: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client(make(idp))
    params = await start(client, idp)
    client.jar[STATE] = cookie
    with caplog.at_level(logging.INFO):
        assert_failed(await finish(client, params), "OAuthCallback")
    assert "state cookie could not be parsed" in caplog.text.lower()


# ---- the callback parameters ---------------------------------------------------------------------


@pytest.mark.parametrize("code", ["", "c" * 5000])
async def test_missing_or_oversized_code(idp: FakeIdP, code: str) -> None:
    client = Client(make(idp))
    params = await start(client, idp)
    response = await client.get("/callback/idp", query={"code": code, "state": params["state"]})
    assert_failed(response, "OAuthCallback")
    assert idp.token_requests == [], "nothing is exchanged"


# ---- plain OAuth 2 providers ---------------------------------------------------------------------


async def test_public_client_sends_its_id_and_no_secret(idp: FakeIdP) -> None:
    client, response = await sign_in_with(idp, oauth(client_auth="none", client_secret=None))
    assert response.redirect == "http://localhost:3000/dashboard"
    [request] = idp.token_requests
    form = form_of(request)
    assert form["client_id"] == CLIENT_ID
    assert "client_secret" not in form
    assert "authorization" not in request.headers
    assert SESSION in client.jar


@pytest.mark.parametrize(
    ("expires_in", "expires_at"),
    [("3600", int(NOW) + 3600), (-5, None), (1e12, None), (True, None), ("soon", None)],
)
async def test_token_set_normalisation(idp: FakeIdP, expires_in: Any, expires_at: Any) -> None:
    seen: dict[str, Any] = {}

    def jwt(token: Any, account: Any) -> Any:
        if account is not None:
            seen.update(account)
        return token

    idp.token_reply = httpx.Response(
        200,
        json={
            "access_token": "at-SECRET-access",
            "token_type": "Bearer",
            "expires_in": expires_in,
            "scope": ["read", "write"],
        },
    )
    _, response = await sign_in_with(idp, oauth(), callbacks=Callbacks(jwt=jwt))
    assert response.redirect == "http://localhost:3000/dashboard"
    assert seen.get("expires_at") == expires_at, "a digit string is read as seconds"
    assert "expires_in" not in seen
    assert seen["scope"] == "read write"


async def test_no_userinfo_and_no_id_token_is_a_callback_error(idp: FakeIdP) -> None:
    _, response = await sign_in_with(idp, oauth(userinfo=None))
    assert_failed(response, "OAuthCallback")


async def test_userinfo_that_is_not_an_object(idp: FakeIdP) -> None:
    idp.userinfo = ["not", "an", "object"]  # type: ignore[assignment]
    _, response = await sign_in_with(idp, oauth())
    assert_failed(response, "OAuthCallback")


async def test_oauth_with_id_token_asks_for_openid(idp: FakeIdP) -> None:
    client = Client(make(idp, providers=[oauth(id_token=True, issuer=ISSUER, userinfo=None)]))
    params = await start(client, idp)
    assert params["scope"] == "openid"


def test_id_token_needs_an_issuer(idp: FakeIdP) -> None:
    """Without an issuer no id_token could be checked: refused at construction."""
    from authgate.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="needs issuer="):
        make(idp, providers=[oauth(id_token=True, jwks_endpoint=f"{ISSUER}/jwks")])


async def test_id_token_without_a_jwks_is_refused(idp: FakeIdP) -> None:
    provider = oauth(id_token=True, issuer=ISSUER, well_known=None, checks=("state",))
    idp.issuer = ISSUER
    client = Client(make(idp, providers=[provider]))
    original = idp.discovery

    def without_jwks() -> dict[str, Any]:
        document = original()
        del document["jwks_uri"]
        return document

    idp.discovery = without_jwks  # type: ignore[method-assign]
    response = await finish(client, await start(client, idp))
    assert_failed(response, "OAuthCallback")
    assert idp.jwks_fetches == 0


async def test_oidc_token_answer_without_id_token(idp: FakeIdP) -> None:
    idp.token_reply = httpx.Response(200, json={"access_token": "at", "token_type": "Bearer"})
    client = Client(make(idp))
    assert_failed(await finish(client, await start(client, idp)), "OAuthCallback")


# ---- a provider's own userinfo_request -----------------------------------------------------------


async def _fails(http: Any, tokens: Any) -> Any:
    raise KeyError("login")


async def _provider_error(http: Any, tokens: Any) -> Any:
    raise ProviderError("https://idp.example/me answered 500")


async def _a_list(http: Any, tokens: Any) -> Any:
    return ["x"]


async def _fetches(http: Any, tokens: Any) -> Any:
    return await http.get_json(
        f"{ISSUER}/userinfo", headers={"authorization": f"Bearer {tokens['access_token']}"}
    )


@pytest.mark.parametrize("request_fn", [_fails, _provider_error, _a_list])
async def test_userinfo_request_failures(idp: FakeIdP, request_fn: Any) -> None:
    _, response = await sign_in_with(idp, oauth(userinfo=None, userinfo_request=request_fn))
    assert_failed(response, "OAuthCallback")


async def test_userinfo_request_result_is_the_profile(idp: FakeIdP) -> None:
    client, response = await sign_in_with(idp, oauth(userinfo=None, userinfo_request=_fetches))
    assert response.redirect == "http://localhost:3000/dashboard"
    assert SESSION in client.jar


# ---- discovery and JWKS documents ----------------------------------------------------------------


async def _signin_error(idp: FakeIdP) -> str:
    client = Client(make(idp))
    token = await client.csrf()
    response = await client.post("/signin/idp", form={"csrfToken": token})
    return query_of(response.redirect or "")["error"][0]


async def test_discovery_document_that_is_not_an_object(idp: FakeIdP) -> None:
    idp.discovery = lambda: ["nope"]  # type: ignore[method-assign,assignment,return-value]
    assert await _signin_error(idp) == "OAuthSignin"


async def test_discovery_without_endpoints(idp: FakeIdP) -> None:
    idp.discovery = lambda: {"issuer": ISSUER}  # type: ignore[method-assign]
    assert await _signin_error(idp) == "OAuthSignin"


async def test_jwks_that_is_not_a_jwks(idp: FakeIdP) -> None:
    original = idp.handler

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/jwks":
            return httpx.Response(200, json={"keys": "none"})
        return original(request)

    idp.handler = handler  # type: ignore[method-assign]
    client = Client(make(idp))
    assert_failed(await finish(client, await start(client, idp)), "OAuthCallback")


async def test_transport_error_is_a_provider_error(
    idp: FakeIdP, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client(make(idp))
    params = await start(client, idp)
    idp.token_exception = httpx.ConnectError("refused")
    with caplog.at_level(logging.INFO):
        assert_failed(await finish(client, params), "OAuthCallback")
    assert "failed: ConnectError" in caplog.text


async def test_plain_http_is_allowed_for_localhost_names(idp: FakeIdP) -> None:
    provider = oauth(
        authorization="http://idp.localhost/authorize",
        token="http://idp.localhost/token",
        userinfo="http://idp.localhost/userinfo",
    )
    client, response = await sign_in_with(idp, provider)
    assert response.redirect == "http://localhost:3000/dashboard"
    assert SESSION in client.jar


async def test_without_an_injected_client_sign_in_needs_no_network() -> None:
    """No ``http_client``: authgate opens its own (TLS verified); starting needs no request."""
    from authgate import AuthConfig, AuthGate

    gate = AuthGate(
        AuthConfig(providers=[oauth()], secret=SECRET, url="http://localhost:3000"), env={}
    )
    client = Client(gate)
    token = await client.csrf()
    response = await client.post("/signin/idp", form={"csrfToken": token})
    assert (response.redirect or "").startswith(f"{ISSUER}/authorize?")
    assert query_of(response.redirect or "")["client_id"] == [CLIENT_ID]
    second = await client.post("/signin/idp", form={"csrfToken": token})
    assert (second.redirect or "").startswith(f"{ISSUER}/authorize?")
