"""The OAuth / OIDC flow against a scripted provider (``httpx.MockTransport``).

Every failure must end on the right error code, with no session cookie and every check cookie
deleted; logs never carry codes, tokens, verifiers or secrets.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import OctKey

from authgate import AuthConfig, AuthGate, Callbacks, SessionConfig
from authgate.providers import OIDC, OAuth
from blackbox.conftest import (
    NOW,
    SECRET,
    SESSION,
    URL,
    Client,
    body_json,
    decode_session,
    query_of,
    set_cookies,
)

from .fake_idp import CLIENT_ID, CLIENT_SECRET, ISSUER, SUBJECT, FakeIdP, basic_credentials, form_of

pytestmark = pytest.mark.anyio

STATE = "next-auth.state"
PKCE = "next-auth.pkce.code_verifier"
NONCE = "next-auth.nonce"
CHECK_COOKIES = (STATE, PKCE, NONCE)


def make(idp: FakeIdP, **config: Any) -> AuthGate:
    providers = config.pop(
        "providers",
        [
            OIDC(
                id="idp",
                name="IdP",
                issuer=ISSUER,
                client_id=CLIENT_ID,
                client_secret=CLIENT_SECRET,
            ),
            OAuth(
                id="other",
                name="Other",
                authorization="https://other.example/authorize?scope=read",
                token="https://other.example/token",
                userinfo="https://other.example/me",
                client_id="other-id",
                client_secret="other-secret",
            ),
        ],
    )
    return AuthGate(
        AuthConfig(
            providers=providers,
            secret=SECRET,
            url="http://localhost:3000",
            http_client=idp.client(),
            **config,
        ),
        env={},
    )


@pytest.fixture
def idp() -> FakeIdP:
    return FakeIdP(now=NOW)


async def start(
    client: Client, idp: FakeIdP, provider: str = "idp", query: str = ""
) -> dict[str, str]:
    token = await client.csrf()
    response = await client.post(
        f"/signin/{provider}", form={"csrfToken": token, "callbackUrl": "/dashboard"}, query=query
    )
    assert response.status == 302, response.body
    assert response.redirect is not None
    params = {k: v[0] for k, v in query_of(response.redirect).items()}
    idp.nonce = params.get("nonce")
    idp.code_challenge = params.get("code_challenge")
    return params


async def finish(client: Client, params: dict[str, str], **extra: str) -> Any:
    query = {"code": "the-CODE-123", "state": params.get("state", ""), **extra}
    return await client.get("/callback/idp", query=query)


def assert_failed(response: Any, code: str) -> None:
    assert response.status == 302
    assert response.redirect == f"{URL}/error?error={code}", response.redirect
    cookies = set_cookies(response)
    assert SESSION not in cookies or cookies[SESSION].max_age == 0
    for name in CHECK_COOKIES:
        assert name not in cookies or cookies[name].max_age == 0, name


async def test_sign_in_end_to_end(idp: FakeIdP) -> None:
    seen: dict[str, Any] = {}

    def jwt_callback(token: dict[str, Any], account: Any = None, profile: Any = None) -> Any:
        if account is not None:
            seen.update(account=account, profile=profile)
            token["access_token"] = account["access_token"]
        return token

    client = Client(make(idp, callbacks=Callbacks(jwt=jwt_callback)))
    params = await start(
        client,
        idp,
        query="prompt=login&redirect_uri=https://evil.example&state=x&client_id=evil&login_hint=ada",
    )
    assert params["client_id"] == CLIENT_ID
    assert params["response_type"] == "code"
    assert params["redirect_uri"] == f"{URL}/callback/idp"
    assert params["scope"] == "openid email profile"
    assert params["code_challenge_method"] == "S256"
    assert params["prompt"] == "login"
    assert params["login_hint"] == "ada"
    assert params["state"] != "x"
    assert len(params["state"]) >= 43
    assert len(params["nonce"]) >= 43
    for name in CHECK_COOKIES:
        assert name in client.jar

    response = await finish(client, params)
    assert response.status == 302
    assert response.redirect == "http://localhost:3000/dashboard"
    cookies = set_cookies(response)
    for name in CHECK_COOKIES:
        assert cookies[name].max_age == 0  # single use
    claims = decode_session(response)
    assert claims["sub"] == SUBJECT
    assert claims["email"] == "ada@example.com"  # lower-cased, as v4
    assert claims["name"] == "Ada Lovelace"
    assert claims["access_token"] == "at-SECRET-access"

    account = seen["account"]
    assert account["provider"] == "idp"
    assert account["type"] == "oauth"
    assert account["providerAccountId"] == SUBJECT
    assert account["refresh_token"] == "rt-SECRET-refresh"
    assert account["expires_at"] == int(NOW) + 3600
    assert "expires_in" not in account
    assert account["id_token"].count(".") == 2
    assert seen["profile"]["sub"] == SUBJECT
    assert seen["profile"]["iss"] == ISSUER

    (request,) = idp.token_requests
    assert basic_credentials(request) == (CLIENT_ID, CLIENT_SECRET)
    form = form_of(request)
    assert form["grant_type"] == "authorization_code"
    assert form["code"] == "the-CODE-123"
    assert form["redirect_uri"] == f"{URL}/callback/idp"
    assert "client_secret" not in form

    session = body_json(await client.get("/session"))
    assert session["user"] == {
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "image": "https://idp.example/ada.png",
    }


async def test_client_secret_post(idp: FakeIdP) -> None:
    provider = OIDC(
        id="idp",
        issuer=ISSUER,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        client_auth="client_secret_post",
    )
    client = Client(make(idp, providers=[provider]))
    response = await finish(client, await start(client, idp))
    assert response.redirect == "http://localhost:3000/dashboard"
    (request,) = idp.token_requests
    assert "authorization" not in request.headers
    form = form_of(request)
    assert (form["client_id"], form["client_secret"]) == (CLIENT_ID, CLIENT_SECRET)


async def test_form_post_callback_is_accepted_cross_site(idp: FakeIdP) -> None:
    provider = OIDC(
        id="idp",
        issuer=ISSUER,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        response_mode="form_post",
    )
    client = Client(make(idp, providers=[provider]))
    params = await start(client, idp)
    assert params["response_mode"] == "form_post"
    response = await client.post(
        "/callback/idp",
        form={"code": "the-CODE-123", "state": params["state"]},
        headers=[("sec-fetch-site", "cross-site"), ("origin", ISSUER)],
    )
    assert response.redirect == "http://localhost:3000/dashboard"
    assert decode_session(response)["sub"] == SUBJECT


async def test_provider_error_is_callback(idp: FakeIdP) -> None:
    client = Client(make(idp))
    await start(client, idp)
    response = await client.get("/callback/idp", query={"error": "access_denied"})
    assert_failed(response, "Callback")  # quirk Q5
    assert not idp.token_requests


async def test_sign_in_callback_refusal_is_access_denied(idp: FakeIdP) -> None:
    client = Client(make(idp, callbacks=Callbacks(sign_in=lambda: False)))
    response = await finish(client, await start(client, idp))
    assert_failed(response, "AccessDenied")


async def test_replayed_callback_fails(idp: FakeIdP) -> None:
    client = Client(make(idp))
    params = await start(client, idp)
    assert (await finish(client, params)).redirect == "http://localhost:3000/dashboard"
    client.jar.pop(SESSION)
    assert_failed(await finish(client, params), "OAuthCallback")
    assert len(idp.token_requests) == 1


async def test_state_missing_or_mismatched(idp: FakeIdP) -> None:
    client = Client(make(idp))
    params = await start(client, idp)
    client.jar.pop(STATE)
    assert_failed(await finish(client, params), "OAuthCallback")

    params = await start(client, idp)
    assert_failed(await finish(client, {**params, "state": "forged"}), "OAuthCallback")
    params = await start(client, idp)
    assert_failed(await client.get("/callback/idp", query={"code": "c"}), "OAuthCallback")
    assert not idp.token_requests


async def test_check_cookies_from_another_provider(
    idp: FakeIdP, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client(make(idp))
    other = await start(client, idp, provider="other")
    client.jar[NONCE] = "x"  # whatever: the state/pkce cookies are the other provider's
    with caplog.at_level(logging.INFO):
        assert_failed(await finish(client, other), "OAuthCallback")
    assert "another provider" in caplog.text
    assert not idp.token_requests


async def test_pkce_verifier_missing_or_wrong(idp: FakeIdP) -> None:
    client = Client(make(idp))
    params = await start(client, idp)
    client.jar.pop(PKCE)
    assert_failed(await finish(client, params), "OAuthCallback")

    params = await start(client, idp)
    idp.code_challenge = "a-different-challenge"  # the provider saw another challenge
    assert_failed(await finish(client, params), "OAuthCallback")
    assert form_of(idp.token_requests[-1])["code_verifier"]


async def test_nonce_missing_wrong_or_replayed(idp: FakeIdP) -> None:
    client = Client(make(idp))
    params = await start(client, idp)
    client.jar.pop(NONCE)
    assert_failed(await finish(client, params), "OAuthCallback")

    params = await start(client, idp)
    idp.nonce = "not-the-nonce"
    assert_failed(await finish(client, params), "OAuthCallback")

    first = await start(client, idp)
    params = await start(client, idp)  # a new flow: new cookies
    idp.nonce = first["nonce"]  # an id_token minted for the earlier flow
    assert_failed(await finish(client, params), "OAuthCallback")

    params = await start(client, idp)
    idp.nonce = None  # no nonce claim at all
    assert_failed(await finish(client, params), "OAuthCallback")


@pytest.mark.parametrize(
    "claims",
    [
        {"iss": "https://evil.example"},
        {"aud": "someone-else"},
        {"aud": [CLIENT_ID, "someone-else"]},  # several audiences need azp
        {"azp": "someone-else"},
        {"exp": int(NOW) - 60},
        {"iat": int(NOW) + 3600},
        {"sub": None},
    ],
    ids=["iss", "aud", "aud-without-azp", "azp", "expired", "iat-future", "no-sub"],
)
async def test_id_token_claims_are_checked(idp: FakeIdP, claims: dict[str, Any]) -> None:
    client = Client(make(idp))
    params = await start(client, idp)
    idp.id_token_claims = claims
    assert_failed(await finish(client, params), "OAuthCallback")


async def test_id_token_alg_allow_list(idp: FakeIdP) -> None:
    client = Client(make(idp))
    params = await start(client, idp)
    # HS256 under the client secret: not in the default allow-list.
    idp.sign_with = OctKey.import_key(CLIENT_SECRET * 2, {"kid": "k1"})

    def hs256() -> str:
        claims = {
            "iss": ISSUER,
            "sub": SUBJECT,
            "aud": CLIENT_ID,
            "iat": int(NOW),
            "exp": int(NOW) + 60,
            "nonce": idp.nonce,
        }
        return jwt.encode(
            {"alg": "HS256", "kid": "k1"}, claims, idp.sign_with, algorithms=["HS256"]
        )

    idp.token_reply = httpx.Response(
        200, json={"access_token": "at", "token_type": "Bearer", "id_token": hs256()}
    )
    assert_failed(await finish(client, params), "OAuthCallback")


async def test_unknown_key_refreshes_the_jwks_once(idp: FakeIdP) -> None:
    client = Client(make(idp))
    params = await start(client, idp)
    idp.sign_with = idp.other_key  # never published
    assert_failed(await finish(client, params), "OAuthCallback")
    assert idp.jwks_fetches == 2

    # The provider rotates: the new key appears in the JWKS, one refresh finds it.
    idp.published = [idp.key, idp.other_key]
    params = await start(client, idp)
    response = await finish(client, params)
    assert response.redirect == "http://localhost:3000/dashboard"
    assert idp.jwks_fetches == 3


async def test_userinfo_sub_must_match(idp: FakeIdP) -> None:
    client = Client(make(idp))
    params = await start(client, idp)
    idp.userinfo = {**idp.userinfo, "sub": "someone-else"}
    assert_failed(await finish(client, params), "OAuthCallback")


async def test_a_custom_userinfo_request_cannot_name_another_sub(idp: FakeIdP) -> None:
    async def other_user(http: Any, tokens: Any) -> dict[str, Any]:
        return {"sub": "someone-else", "email": "victim@example.com"}

    provider = OIDC(
        id="idp",
        name="IdP",
        issuer=ISSUER,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        userinfo_request=other_user,
    )
    client = Client(make(idp, providers=[provider]))
    params = await start(client, idp)
    assert_failed(await finish(client, params), "OAuthCallback")


HUGE = b'{"access_token": "at", "id_token": "x", "pad": "' + b"x" * (1024 * 1024) + b'"}'


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (httpx.Response(500, text="oops"), "answered HTTP 500"),
        (
            httpx.Response(503, json={"error": "temporarily_unavailable"}),
            "HTTP 503 (temporarily_unavailable)",
        ),
        (httpx.Response(200, html="<html>login</html>"), "did not answer JSON (text/html)"),
        (
            httpx.Response(200, content=HUGE, headers={"content-type": "application/json"}),
            "more than 1048576 bytes",
        ),
        (
            httpx.Response(
                200, stream=httpx.ByteStream(HUGE), headers={"content-type": "application/json"}
            ),
            "more than 1048576 bytes",
        ),
        (
            httpx.Response(302, headers={"location": "https://idp.example/elsewhere"}),
            "redirect (302), not followed",
        ),
        (httpx.Response(200, json={"error": "invalid_grant"}), "error=invalid_grant"),
        (httpx.Response(200, json={"token_type": "Bearer"}), "no access_token"),
        (httpx.Response(200, json=["not", "an", "object"]), "did not answer an object"),
    ],
    ids=[
        "500",
        "503",
        "html",
        "huge",
        "huge-undeclared",
        "redirect",
        "error-200",
        "no-access-token",
        "array",
    ],
)
async def test_token_endpoint_failures(
    idp: FakeIdP, reply: httpx.Response, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client(make(idp))
    params = await start(client, idp)
    idp.token_reply = reply
    with caplog.at_level(logging.INFO):
        assert_failed(await finish(client, params), "OAuthCallback")
    assert reason in caplog.text


async def test_token_endpoint_timeout(idp: FakeIdP, caplog: pytest.LogCaptureFixture) -> None:
    client = Client(make(idp))
    params = await start(client, idp)
    idp.token_exception = httpx.ReadTimeout("slow")
    with caplog.at_level(logging.INFO):
        assert_failed(await finish(client, params), "OAuthCallback")
    assert "timed out after 10.0 s" in caplog.text


async def test_discovery_failure_is_oauth_signin(idp: FakeIdP) -> None:
    idp.issuer = "https://impostor.example"  # the document names another issuer
    client = Client(make(idp))
    token = await client.csrf()
    response = await client.post("/signin/idp", form={"csrfToken": token})
    assert response.redirect == f"{URL}/error?error=OAuthSignin"
    assert not any(name in client.jar for name in CHECK_COOKIES)


async def test_plain_http_provider_is_refused_outside_loopback(idp: FakeIdP) -> None:
    provider = OIDC(id="idp", issuer="http://idp.example", client_id="c", client_secret="s")
    client = Client(make(idp, providers=[provider]))
    token = await client.csrf()
    response = await client.post("/signin/idp", form={"csrfToken": token})
    assert response.redirect == f"{URL}/error?error=OAuthSignin"
    assert idp.calls == []


async def test_signin_without_csrf(idp: FakeIdP) -> None:
    client = Client(make(idp))
    response = await client.post("/signin/idp", form={"csrfToken": "forged"})
    assert response.redirect == f"{URL}/signin?csrf=true"
    assert not any(name in client.jar for name in CHECK_COOKIES)


async def test_check_cookie_is_not_a_session(idp: FakeIdP) -> None:
    client = Client(make(idp))
    await start(client, idp)
    client.jar[SESSION] = client.jar[STATE]
    assert body_json(await client.get("/session")) == {}


async def test_logs_carry_no_secrets(idp: FakeIdP, caplog: pytest.LogCaptureFixture) -> None:
    client = Client(make(idp))
    with caplog.at_level(logging.DEBUG):
        params = await start(client, idp)
        idp.token_reply = httpx.Response(
            400, json={"error": "invalid_grant", "error_description": "code the-CODE-123 at-SECRET"}
        )
        await finish(client, params)
        params = await start(client, idp)
        idp.token_reply = None
        idp.id_token_claims = {"aud": "x"}
        await finish(client, params)
    text = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    assert "OAUTH_CALLBACK_ERROR" in text
    for secret in (CLIENT_SECRET, "the-CODE-123", "SECRET", params["state"], params["nonce"]):
        assert secret not in text
    for name in CHECK_COOKIES:
        assert client.jar.get(name, "") not in text or not client.jar.get(name)


async def test_profile_mapping_failures(idp: FakeIdP) -> None:
    def broken(profile: dict[str, Any], tokens: dict[str, Any]) -> dict[str, Any]:
        raise KeyError("login")

    provider = OIDC(
        id="idp", issuer=ISSUER, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, profile=broken
    )
    client = Client(make(idp, providers=[provider]))
    assert_failed(await finish(client, await start(client, idp)), "OAuthCallback")

    nameless = OIDC(
        id="idp",
        issuer=ISSUER,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        profile=lambda profile, tokens: {"name": "no id"},
    )
    client = Client(make(idp, providers=[nameless]))
    response = await finish(client, await start(client, idp))
    assert response.redirect == f"{URL}/signin"  # next-auth v4: back to the sign-in page
    assert SESSION not in client.jar


@pytest.mark.parametrize("user_id", [True, "", "  ", 1.5, {"id": 1}])
async def test_a_profile_id_that_names_no_account_is_no_id(idp: FakeIdP, user_id: Any) -> None:
    """Issue 9, defect 1: ``True`` must not become the account ``"True"`` shared by all."""
    provider = OIDC(
        id="idp",
        issuer=ISSUER,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        profile=lambda profile, tokens: {"id": user_id, "name": "x"},
    )
    client = Client(make(idp, providers=[provider]))
    response = await finish(client, await start(client, idp))
    assert response.redirect == f"{URL}/signin"
    assert SESSION not in client.jar


async def test_sign_in_event_gets_the_mapped_user(idp: FakeIdP) -> None:
    from authgate import Events

    seen: dict[str, Any] = {}

    async def on_sign_in(user: Any, account: Any, profile: Any, is_new_user: Any) -> None:
        seen.update(user=user, account=account, profile=profile, is_new_user=is_new_user)

    client = Client(make(idp, events=Events(sign_in=on_sign_in)))
    await finish(client, await start(client, idp))
    assert seen["user"]["id"] == SUBJECT
    assert seen["profile"] == seen["user"]  # v4: the normalised user, not the raw profile
    assert seen["account"]["provider"] == "idp"
    assert seen["is_new_user"] is None  # v4: isNewUser undefined without an adapter


@pytest.mark.parametrize(
    "extra",
    [{}, {"type": "email"}, {"type": "credentials"}],
    ids=["provider-and-id", "type-email", "type-credentials"],
)
async def test_token_response_cannot_rename_the_account(
    idp: FakeIdP, extra: dict[str, str]
) -> None:
    """Provider mix-up: a token endpoint's extra members never replace the account's identity.

    One configured provider (compromised, or run by the attacker) must not be able to answer
    ``"provider": "other", "providerAccountId": "<victim>"`` and sign in as another provider's
    user, nor ``"type": "email"`` to take the e-mail branch of account resolution.
    """
    from authgate.adapters.memory import MemoryAdapter

    adapter = MemoryAdapter()
    victim = await adapter.create_user({"email": "victim@example.com", "emailVerified": None})
    await adapter.link_account(
        {
            "userId": victim["id"],
            "type": "oauth",
            "provider": "other",
            "providerAccountId": "victim-1",
        }
    )
    seen: dict[str, Any] = {}

    def jwt_callback(token: dict[str, Any], account: Any = None) -> Any:
        if account is not None:
            seen["account"] = account
        return token

    client = Client(
        make(
            idp,
            adapter=adapter,
            session=SessionConfig(strategy="jwt"),
            callbacks=Callbacks(jwt=jwt_callback),
        )
    )
    params = await start(client, idp)
    idp.token_reply = httpx.Response(
        200,
        json={
            "access_token": "at-SECRET-access",
            "token_type": "Bearer",
            "id_token": idp.id_token(),
            "provider": "other",
            "providerAccountId": "victim-1",
            "userId": victim["id"],
            **extra,
        },
    )
    response = await finish(client, params)
    assert response.status == 302
    assert response.redirect == "http://localhost:3000/dashboard"
    claims = decode_session(response)
    assert claims["sub"] != victim["id"]  # not signed in as the other provider's user
    account = seen["account"]
    assert (account["provider"], account["type"], account["providerAccountId"]) == (
        "idp",
        "oauth",
        SUBJECT,
    )
    linked = {(a["provider"], a["providerAccountId"]) for a in adapter.dump()["accounts"]}
    assert ("idp", SUBJECT) in linked
