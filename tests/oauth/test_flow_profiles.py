"""The OAuth flow under both wire profiles: cookie names, check-cookie tokens, error routing.

A representative subset of ``test_flow.py`` (a full flow, state/PKCE failures, the provider's
own error, a refusal), run for ``nextauth-v4`` and ``authjs-v5``; plus the v5 default checks.
The v5 answers are those of @auth/core 0.41.3 for the same situations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from authgate import AuthConfig, AuthGate, Callbacks
from authgate import jwt as authjwt
from authgate.providers import OIDC, OAuth
from blackbox.conftest import NOW, SECRET, URL, Client, query_of, set_cookies

from .fake_idp import CLIENT_ID, CLIENT_SECRET, ISSUER, SUBJECT, FakeIdP

pytestmark = pytest.mark.anyio

ALL_CHECKS: tuple[Any, ...] = ("pkce", "state", "nonce")


@dataclass(frozen=True)
class Wire:
    profile: str
    prefix: str
    # Where each failure ends: v4 routes everything through /error; v5 maps to its types.
    check_failure: str
    provider_error: str
    access_denied: str

    @property
    def session(self) -> str:
        return f"{self.prefix}.session-token"

    @property
    def checks(self) -> dict[str, str]:
        return {
            "state": f"{self.prefix}.state",
            "pkce": f"{self.prefix}.pkce.code_verifier",
            "nonce": f"{self.prefix}.nonce",
        }

    def session_claims(self, response: Any) -> dict[str, Any]:
        values = {c.name: c.value for c in response.cookies if c.max_age != 0}
        token = authjwt.read_chunked_cookie(values, self.session)
        assert token, list(values)
        salt = self.session if self.profile == "authjs-v5" else ""
        return authjwt.decode(token, SECRET, salt=salt, now=NOW, profile=self.profile)  # type: ignore[arg-type]


V4 = Wire(
    profile="nextauth-v4",
    prefix="next-auth",
    check_failure=f"{URL}/error?error=OAuthCallback",
    provider_error=f"{URL}/error?error=Callback",  # quirk Q5
    access_denied=f"{URL}/error?error=AccessDenied",
)
V5 = Wire(
    profile="authjs-v5",
    prefix="authjs",
    # InvalidCheck / CallbackRouteError: not client-safe.
    check_failure=f"{URL}/error?error=Configuration",
    # oauth4webapi's AuthorizationResponseError → OAuthCallbackError, kind "signIn".
    provider_error=f"{URL}/signin?error=OAuthCallbackError",
    access_denied=f"{URL}/error?error=AccessDenied",
)


@pytest.fixture(params=[V4, V5], ids=lambda w: w.profile)
def wire(request: pytest.FixtureRequest) -> Wire:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def idp() -> FakeIdP:
    return FakeIdP(now=NOW)


def oidc(**kw: Any) -> OIDC:
    return OIDC(id="idp", issuer=ISSUER, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, **kw)


def make(idp: FakeIdP, wire: Wire, *providers: Any, **config: Any) -> Client:
    gate = AuthGate(
        AuthConfig(
            providers=list(providers) or [oidc(checks=ALL_CHECKS)],
            secret=SECRET,
            url="http://localhost:3000",
            http_client=idp.client(),
            profile=wire.profile,  # type: ignore[arg-type]
            **config,
        ),
        env={},
    )
    return Client(gate)


async def start(client: Client, idp: FakeIdP) -> dict[str, str]:
    token = await client.csrf()
    response = await client.post(
        "/signin/idp", form={"csrfToken": token, "callbackUrl": "/dashboard"}
    )
    assert response.status == 302, response.body
    assert response.redirect is not None
    params = {k: v[0] for k, v in query_of(response.redirect).items()}
    idp.nonce = params.get("nonce")
    idp.code_challenge = params.get("code_challenge")
    return params


async def finish(client: Client, params: dict[str, str]) -> Any:
    query = {"code": "the-CODE-123", "state": params.get("state", "")}
    return await client.get("/callback/idp", query=query)


def assert_failed(response: Any, wire: Wire, target: str) -> None:
    assert (response.status, response.redirect) == (302, target)
    cookies = set_cookies(response)
    assert wire.session not in cookies or cookies[wire.session].max_age == 0
    for name in wire.checks.values():
        assert name not in cookies or cookies[name].max_age == 0, name


async def test_full_flow(idp: FakeIdP, wire: Wire) -> None:
    client = make(idp, wire)
    params = await start(client, idp)
    assert {"state", "nonce", "code_challenge"} <= set(params)
    for check, name in wire.checks.items():
        # The check cookies: the profile's names and token format, salted with the name.
        claims = authjwt.decode(client.jar[name], SECRET, salt=name, now=NOW, profile=wire.profile)  # type: ignore[arg-type]
        assert claims["provider"] == "idp", check
        if check != "pkce":
            assert claims["value"] == params[check]
    response = await finish(client, params)
    assert response.redirect == "http://localhost:3000/dashboard"
    cookies = set_cookies(response)
    for name in wire.checks.values():
        assert cookies[name].max_age == 0
    assert wire.session_claims(response)["sub"] == SUBJECT


async def test_check_cookie_of_the_other_profile_does_not_decode(idp: FakeIdP, wire: Wire) -> None:
    other = V5 if wire is V4 else V4
    client = make(idp, other)
    params = await start(client, idp)
    mine = make(idp, wire)
    for check, name in other.checks.items():
        mine.jar[wire.checks[check]] = client.jar[name]
    assert_failed(await finish(mine, params), wire, wire.check_failure)
    assert not idp.token_requests


@pytest.mark.parametrize("check", ["state", "pkce"])
async def test_check_cookie_missing(idp: FakeIdP, wire: Wire, check: str) -> None:
    client = make(idp, wire)
    params = await start(client, idp)
    client.jar.pop(wire.checks[check])
    assert_failed(await finish(client, params), wire, wire.check_failure)
    assert not idp.token_requests


async def test_state_mismatch_and_wrong_verifier(idp: FakeIdP, wire: Wire) -> None:
    client = make(idp, wire)
    params = await start(client, idp)
    assert_failed(await finish(client, {**params, "state": "forged"}), wire, wire.check_failure)
    params = await start(client, idp)
    idp.code_challenge = "a-different-challenge"
    assert_failed(await finish(client, params), wire, wire.check_failure)


async def test_provider_error(idp: FakeIdP, wire: Wire) -> None:
    client = make(idp, wire)
    await start(client, idp)
    response = await client.get("/callback/idp", query={"error": "access_denied"})
    assert_failed(response, wire, wire.provider_error)
    assert not idp.token_requests


async def test_sign_in_callback_refusal(idp: FakeIdP, wire: Wire) -> None:
    client = make(idp, wire, callbacks=Callbacks(sign_in=lambda: False))
    response = await finish(client, await start(client, idp))
    assert_failed(response, wire, wire.access_denied)


async def test_signin_without_csrf(idp: FakeIdP, wire: Wire) -> None:
    client = make(idp, wire)
    await client.csrf()
    response = await client.post("/signin/idp", form={"csrfToken": "x" * 64})
    target = f"{URL}/signin?csrf=true" if wire is V4 else f"{URL}/signin?error=MissingCSRF"
    assert response.redirect == target
    assert not set(set_cookies(response)) & set(wire.checks.values())


# --------------------------------------------------------------------------------------------
# Default checks: authgate's pkce + state (OIDC: + nonce) in v4; Auth.js v5's `checks ?? ["pkce"]`.


def other_oauth(**kw: Any) -> OAuth:
    return OAuth(
        id="idp",
        name="Other",
        authorization="https://idp.example/authorize",
        token="https://idp.example/token",
        userinfo="https://idp.example/userinfo",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        **kw,
    )


@pytest.mark.parametrize(
    ("provider", "v4_params", "v5_params"),
    [
        (oidc, {"state", "nonce", "code_challenge"}, {"code_challenge"}),
        (other_oauth, {"state", "code_challenge"}, {"code_challenge"}),
    ],
    ids=["OIDC", "OAuth"],
)
async def test_default_checks(
    idp: FakeIdP, wire: Wire, provider: Any, v4_params: set[str], v5_params: set[str]
) -> None:
    client = make(idp, wire, provider())
    params = await start(client, idp)
    expected = v4_params if wire is V4 else v5_params
    assert {"state", "nonce", "code_challenge"} & set(params) == expected
    names = {"code_challenge": "pkce", "state": "state", "nonce": "nonce"}
    assert {n for n in wire.checks.values() if n in client.jar} == {
        wire.checks[names[p]] for p in expected
    }
    if provider is oidc:  # the whole flow works on PKCE alone
        response = await finish(client, params)
        assert response.redirect == "http://localhost:3000/dashboard"
        assert wire.session_claims(response)["sub"] == SUBJECT


async def test_explicit_checks_are_kept(idp: FakeIdP, wire: Wire) -> None:
    client = make(idp, wire, oidc(checks=("pkce", "state")))
    params = await start(client, idp)
    assert {"state", "nonce", "code_challenge"} & set(params) == {"state", "code_challenge"}
