"""``AuthConfig(profile="authjs-v5")`` (Auth.js v5): cookies, tokens, JSON redirects, /session."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from authgate import AuthRequest, Callbacks, JWTConfig, PagesConfig, SessionConfig
from authgate import jwt as authjwt
from authgate._crypto.jwe_v5 import thumbprint, v5_key
from authgate.adapters.memory import MemoryAdapter
from authgate.errors import AccessDeniedError, CallbackError, CredentialsSigninError

from .conftest import (
    NOW,
    ORIGIN,
    PASSWORD,
    SECRET,
    URL,
    Client,
    body_json,
    credentials_provider,
    make_gate,
    set_cookies,
)

pytestmark = pytest.mark.anyio

V5_SESSION = "authjs.session-token"
RETURN_REDIRECT = ("X-Auth-Return-Redirect", "1")


def authjwt_b64(part: str) -> str:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode()


def v5_client(**config: Any) -> Client:
    return Client(make_gate(profile="authjs-v5", **config))


def v5_claims(client: Client, name: str = V5_SESSION, *, now: float = NOW) -> dict[str, Any]:
    token = authjwt.read_chunked_cookie(client.jar, name)
    assert token
    return authjwt.decode(token, SECRET, salt=name, now=now, profile="authjs-v5")


async def test_cookie_names_are_authjs() -> None:
    client = v5_client()
    response = await client.get("/csrf")
    assert set(set_cookies(response)) == {"authjs.csrf-token", "authjs.callback-url"}
    secure = v5_client(url="https://example.com/api/auth")
    names = set(set_cookies(await secure.get("/csrf")))
    assert names == {"__Host-authjs.csrf-token", "__Secure-authjs.callback-url"}


async def test_sign_in_issues_a_v5_token_salted_with_the_cookie_name() -> None:
    client = v5_client()
    response = await client.sign_in()
    assert response.status == 302
    assert set(client.jar) >= {V5_SESSION}
    token = client.jar[V5_SESSION]
    header = json.loads(authjwt_b64(token.split(".")[0]))
    assert header == {
        "alg": "dir",
        "enc": "A256CBC-HS512",
        "kid": thumbprint(v5_key(SECRET, V5_SESSION)),
    }
    claims = v5_claims(client)
    assert {k: claims[k] for k in ("name", "email", "picture", "sub")} == {
        "name": "Ada",
        "email": "ada@example.com",
        "picture": "https://i.example/a.png",
        "sub": "1",
    }
    session = body_json(await client.get("/session"))
    assert session["user"] == {
        "name": "Ada",
        "email": "ada@example.com",
        "image": "https://i.example/a.png",
    }


async def test_secure_deployment_salts_with_the_secure_name() -> None:
    client = v5_client(url="https://example.com/api/auth")
    await client.sign_in()
    name = "__Secure-authjs.session-token"
    assert v5_claims(client, name)["sub"] == "1"
    assert (await client.get("/session")).body != b"null"


async def test_jwt_max_age_defaults_to_session_max_age() -> None:
    client = v5_client(session=SessionConfig(max_age=600))
    await client.sign_in()
    claims = v5_claims(client)
    assert claims["exp"] - claims["iat"] == 600
    explicit = v5_client(session=SessionConfig(max_age=600), jwt=JWTConfig(max_age=60))
    await explicit.sign_in()
    claims = v5_claims(explicit)
    assert claims["exp"] - claims["iat"] == 60
    # v4 keeps its 30 days whatever session.max_age is (quirk Q7).
    v4 = Client(make_gate(session=SessionConfig(max_age=600)))
    await v4.sign_in()
    token = v4.session_token()
    assert token
    v4_claims = authjwt.decode(token, SECRET, now=NOW)
    assert v4_claims["exp"] - v4_claims["iat"] == 30 * 24 * 3600


async def test_empty_session_is_null_and_update_without_csrf_is_400_null() -> None:
    client = v5_client()
    response = await client.get("/session")
    assert (response.status, response.body) == (200, b"null")
    await client.sign_in()
    refused = await client.post("/session", json_body={"csrfToken": "x" * 64, "data": {}})
    assert (refused.status, refused.body) == (400, b"null")
    token = await client.csrf()
    updated = await client.post("/session", json_body={"csrfToken": token, "data": {}})
    assert updated.status == 200
    assert body_json(updated)["user"]["name"] == "Ada"


async def test_json_redirect_mode_is_the_return_redirect_header() -> None:
    client = v5_client()
    client.headers = [RETURN_REDIRECT]
    bad = await client.sign_in(password="wrong")
    # v5 answers every JSON redirect with 200 (v4 keeps the route's 401).
    assert bad.status == 200
    assert body_json(bad) == {"url": f"{URL}/signin?error=CredentialsSignin&code=credentials"}
    good = await client.sign_in()
    assert (good.status, body_json(good)) == (200, {"url": "http://localhost:3000"})
    assert V5_SESSION in set_cookies(good)
    # The v4 body field means nothing in v5.
    plain = v5_client()
    form_json = await plain.sign_in(password="wrong", json="true")
    assert form_json.status == 302


async def test_v4_json_field_still_works_under_the_default_profile() -> None:
    client = Client(make_gate())
    client.headers = [RETURN_REDIRECT]
    assert (await client.sign_in(password="wrong")).status == 302
    client.headers = []
    assert (await client.sign_in(password="wrong", json="true")).status == 401


async def test_empty_chunks_are_ignored_and_large_tokens_chunk_at_3936() -> None:
    big = "x" * 4000

    def jwt(token: dict[str, Any]) -> dict[str, Any]:
        return {**token, "blob": big}

    client = v5_client(callbacks=Callbacks(jwt=jwt))
    response = await client.sign_in()
    chunks = {n: c.value for n, c in set_cookies(response).items() if n.startswith(V5_SESSION)}
    assert sorted(chunks) == [f"{V5_SESSION}.0", f"{V5_SESSION}.1"]
    assert len(chunks[f"{V5_SESSION}.0"]) == 3936
    assert v5_claims(client)["blob"] == big
    # An empty stray cookie (a browser left-over) must not break the join.
    client.jar[f"{V5_SESSION}.2"] = ""
    session = body_json(await client.get("/session"))
    assert session is not None
    assert session["user"]["name"] == "Ada"


async def test_a_v4_token_is_not_a_v5_session_and_vice_versa() -> None:
    v4_token = authjwt.encode({"sub": "1", "name": "Ada"}, SECRET, now=NOW)
    client = v5_client()
    client.jar[V5_SESSION] = v4_token
    response = await client.get("/session")
    assert response.body == b"null"
    assert set_cookies(response)[V5_SESSION].max_age == 0
    v5_token = authjwt.encode({"sub": "1"}, SECRET, salt=V5_SESSION, now=NOW, profile="authjs-v5")
    v4 = Client(make_gate())
    v4.jar["next-auth.session-token"] = v5_token
    assert (await v4.get("/session")).body == b"{}"


async def test_get_token_and_get_session_helpers_follow_the_profile() -> None:
    client = v5_client()
    await client.sign_in()
    request = AuthRequest.build(
        method="GET",
        path="/",
        headers=[("cookie", f"{V5_SESSION}={client.jar[V5_SESSION]}")],
    )
    token = client.gate.get_token(request, now=NOW)
    assert token is not None
    assert token["sub"] == "1"
    session = await client.gate.get_session(request, now=NOW)
    assert session is not None
    assert session["user"]["name"] == "Ada"


# --------------------------------------------------------------------------------------------
# Errors (Auth.js v5 "Errors", "Credentials failure", "CSRF failure", "Error page keys"),
# checked against @auth/core 0.41.3's Auth() answers for the same requests.

SIGNIN = f"{URL}/signin"


class AccountLockedError(CredentialsSigninError):
    reason = "account_locked"


def refusing(exc: BaseException) -> Any:
    def authorize(credentials: Any, request: Any) -> Any:
        raise exc

    return credentials_provider(authorize)


async def test_credentials_failure_goes_to_the_sign_in_page_with_a_code() -> None:
    response = await v5_client().sign_in(password="wrong")
    assert (response.status, response.redirect) == (
        302,
        f"{SIGNIN}?error=CredentialsSignin&code=credentials",
    )
    assert V5_SESSION not in set_cookies(response)


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (AccountLockedError(), "account_locked"),
        (CredentialsSigninError(reason="invalid credentials"), "invalid%20credentials"),
        (CredentialsSigninError(), "credentials"),
        # Not printable ASCII or too long: the default, never the raw value.
        (CredentialsSigninError(reason="\r\nSet-Cookie: x=1"), "credentials"),
        (CredentialsSigninError(reason="x" * 101), "credentials"),
    ],
)
async def test_credentials_signin_reason_is_the_code_param(exc: Exception, code: str) -> None:
    client = v5_client(providers=[refusing(exc)])
    response = await client.sign_in()
    assert response.redirect == f"{SIGNIN}?error=CredentialsSignin&code={code}"
    # v4 ignores it: its own routing, with the provider id.
    v4 = Client(make_gate(providers=[refusing(exc)]))
    assert (await v4.sign_in()).redirect == (
        f"{URL}/error?error=CredentialsSignin&provider=credentials"
    )


@pytest.mark.parametrize(
    ("exc", "target"),
    [
        # authorize raising anything else is CallbackRouteError in v5: Configuration.
        (RuntimeError("db down: secret detail"), f"{URL}/error?error=Configuration"),
        (AccessDeniedError(), f"{URL}/error?error=AccessDenied"),
        # CallbackError ("Callback") is not one of v5's client-safe types.
        (CallbackError(), f"{URL}/error?error=Configuration"),
    ],
)
async def test_other_authorize_errors(exc: Exception, target: str) -> None:
    response = await v5_client(providers=[refusing(exc)]).sign_in()
    assert response.redirect == target


async def test_sign_in_callback_refusal_is_access_denied_on_the_error_page() -> None:
    client = v5_client(callbacks=Callbacks(sign_in=lambda **_: False))
    response = await client.sign_in()
    assert response.redirect == f"{URL}/error?error=AccessDenied"


def raising_sign_in(**_: Any) -> bool:
    raise RuntimeError("policy service down: secret detail")


@pytest.mark.parametrize("database", [False, True], ids=["jwt", "adapter"])
async def test_a_raising_sign_in_callback_is_access_denied(
    database: bool, caplog: pytest.LogCaptureFixture
) -> None:
    # @auth/core handleAuthorized: `catch (e) { if (e instanceof AuthError) throw e;
    # throw new AccessDenied(e) }` (checked against 0.41.3: /error?error=AccessDenied).
    config: dict[str, Any] = {"callbacks": Callbacks(sign_in=raising_sign_in)}
    if database:
        config["adapter"] = MemoryAdapter()
        config["providers"] = [credentials_provider(database_session=True)]
    client = v5_client(**config)
    response = await client.sign_in()
    assert (response.status, response.redirect) == (302, f"{URL}/error?error=AccessDenied")
    assert V5_SESSION not in set_cookies(response)
    assert "SIGNIN_CALLBACK_ERROR" in caplog.text
    assert "secret detail" not in (response.redirect or "")
    client.headers = [RETURN_REDIRECT]
    response = await client.sign_in()
    assert (response.status, body_json(response)) == (
        200,
        {"url": f"{URL}/error?error=AccessDenied"},
    )
    # v4 (compatibility row 6): Configuration, 500 in JSON mode.
    v4 = Client(make_gate(**config))
    assert (await v4.sign_in()).redirect == f"{URL}/error?error=Configuration"
    json_v4 = await v4.sign_in(json="true")
    assert (json_v4.status, body_json(json_v4)) == (
        500,
        {"url": f"{URL}/error?error=Configuration"},
    )


async def test_a_sign_in_error_from_the_sign_in_callback_keeps_its_type() -> None:
    def refuse(**_: Any) -> bool:
        raise AccessDeniedError

    response = await v5_client(callbacks=Callbacks(sign_in=refuse)).sign_in()
    assert response.redirect == f"{URL}/error?error=AccessDenied"

    def fail(**_: Any) -> bool:
        raise CallbackError

    # An AuthError is rethrown as it is; `Callback` is not client-safe in v5.
    response = await v5_client(callbacks=Callbacks(sign_in=fail)).sign_in()
    assert response.redirect == f"{URL}/error?error=Configuration"


async def test_post_signin_with_an_unknown_provider_is_configuration() -> None:
    # @auth/core 0.41.3 init(): parseProviders throws `Provider with id "nope" not found`
    # before the CSRF check, shown as Configuration on the error page (checked live).
    client = v5_client()
    token = await client.csrf()
    response = await client.post("/signin/nope", form={"csrfToken": token})
    assert (response.status, response.redirect) == (302, f"{URL}/error?error=Configuration")
    without_csrf = await v5_client().post("/signin/nope", form={"csrfToken": "x" * 64})
    assert without_csrf.redirect == f"{URL}/error?error=Configuration"
    client.headers = [RETURN_REDIRECT]
    response = await client.post("/signin/nope", form={"csrfToken": token})
    assert (response.status, body_json(response)) == (
        200,
        {"url": f"{URL}/error?error=Configuration"},
    )
    # v4: back to the sign-in page (quirk Q4).
    v4 = Client(make_gate())
    v4_token = await v4.csrf()
    v4_response = await v4.post("/signin/nope", form={"csrfToken": v4_token})
    assert v4_response.redirect == f"{SIGNIN}?csrf=true"


async def test_post_signin_without_a_provider_is_the_plain_sign_in_page() -> None:
    # @auth/core actions/signin: `if (!options.provider) return { redirect: signInUrl }`.
    client = v5_client()
    token = await client.csrf()
    response = await client.post("/signin", form={"csrfToken": token})
    assert (response.status, response.redirect) == (302, SIGNIN)
    missing = await client.post("/signin", form={"csrfToken": "x" * 64})
    assert missing.redirect == f"{SIGNIN}?error=MissingCSRF"
    v4 = Client(make_gate())
    v4_token = await v4.csrf()
    v4_response = await v4.post("/signin", form={"csrfToken": v4_token})
    assert v4_response.redirect == f"{SIGNIN}?csrf=true"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/error/AccessDenied"),
        ("GET", "/error/Verification"),
        ("GET", "/error/CredentialsSignin"),
        ("GET", "/session/x"),
        ("GET", "/csrf/x"),
        ("POST", "/signout/x"),
    ],
)
async def test_a_second_path_segment_is_only_for_signin_and_callback(
    method: str, path: str
) -> None:
    # @auth/core parseActionAndProviderId: UnknownAction, a 400 (checked against 0.41.3).
    response = await v5_client().request(method, path, query={"error": "AccessDenied"})
    assert response.status == 400
    assert not response.cookies


async def test_v4_reads_the_error_code_from_the_path() -> None:
    v4 = Client(make_gate())
    assert (await v4.get("/error/Verification")).status == 403
    assert (await v4.get("/error/CredentialsSignin")).redirect == (
        f"{SIGNIN}?error=CredentialsSignin"
    )
    assert (await v4.get("/session/x")).status == 200


async def test_errors_go_to_the_custom_pages_by_kind() -> None:
    pages = PagesConfig(sign_in="/login", error="https://example.com/oops?x=1")
    client = v5_client(pages=pages)
    client.headers = [RETURN_REDIRECT]
    bad = await client.sign_in(password="wrong")
    # Absolute: next-auth/react v5 reads `new URL(url).searchParams`.
    assert body_json(bad) == {"url": f"{ORIGIN}/login?error=CredentialsSignin&code=credentials"}
    denied = v5_client(pages=pages, callbacks=Callbacks(sign_in=lambda **_: False))
    assert (await denied.sign_in()).redirect == "https://example.com/oops?x=1&error=AccessDenied"


async def test_missing_csrf() -> None:
    client = v5_client()
    await client.csrf()
    form = {"csrfToken": "x" * 64, "username": "ada", "password": PASSWORD}
    for path in ("/callback/credentials", "/signin/credentials", "/signout"):
        response = await client.post(path, form=form)
        assert response.redirect == f"{SIGNIN}?error=MissingCSRF", path
    client.headers = [RETURN_REDIRECT]
    response = await client.post("/signout", form=form)
    assert (response.status, body_json(response)) == (200, {"url": f"{SIGNIN}?error=MissingCSRF"})
    # v4: `?csrf=true` on the page of the action.
    v4 = Client(make_gate())
    assert (await v4.post("/signout", form=form)).redirect == f"{URL}/signout?csrf=true"
    assert (await v4.post("/signin/credentials", form=form)).redirect == f"{SIGNIN}?csrf=true"


@pytest.mark.parametrize("code", ["CredentialsSignin", "OAuthCallback", "SessionRequired"])
async def test_get_error_no_longer_forwards_to_the_sign_in_page(code: str) -> None:
    response = await v5_client().get("/error", query={"error": code})
    assert response.status == 200
    assert b"<h1>Error</h1>" in response.body
    v4 = await Client(make_gate()).get("/error", query={"error": code})
    assert v4.redirect == f"{SIGNIN}?error={code}"


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("Configuration", 500),
        ("configuration", 200),
        ("AccessDenied", 403),
        ("accessdenied", 200),
        ("Verification", 403),
        ("VERIFICATION", 200),
        ("default", 200),
    ],
)
async def test_error_page_keys_are_case_sensitive(code: str, status: int) -> None:
    response = await v5_client().get("/error", query={"error": code})
    assert response.status == status
    v4 = await Client(make_gate()).get("/error", query={"error": code})
    assert v4.status == {"configuration": 500, "accessdenied": 403}.get(
        code.lower(), 403 if code.lower() == "verification" else 200
    )


async def test_sign_in_page_message_key_oauth_callback_error() -> None:
    client = v5_client()
    different = b"Try signing in with a different account."
    page = await client.get("/signin", query={"error": "OAuthCallbackError"})
    assert different in page.body
    old = await client.get("/signin", query={"error": "OAuthCallback"})
    assert b"Unable to sign in." in old.body
    assert different not in old.body
    v4 = Client(make_gate())
    assert different in (await v4.get("/signin", query={"error": "OAuthCallback"})).body
    assert different not in (await v4.get("/signin", query={"error": "OAuthCallbackError"})).body


async def test_get_signin_with_a_provider_id_is_unknown_action() -> None:
    # @auth/core: `if (providerId) throw new UnknownAction(...)`, shown as Configuration.
    response = await v5_client().get("/signin/credentials")
    assert (response.status, response.redirect) == (302, f"{URL}/error?error=Configuration")
    # v4 renders the page (quirk Q3).
    assert (await Client(make_gate()).get("/signin/credentials")).status == 200
