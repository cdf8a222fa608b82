"""Credentials sign-in, POST /callback/credentials (v4 ``core/routes/callback.ts``)."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from authgate import (
    AccessDeniedError,
    AuthRequest,
    Callbacks,
    CredentialsSigninError,
    Events,
    JWTConfig,
    SessionConfig,
)

from .conftest import (
    NOW,
    ORIGIN,
    PASSWORD,
    SESSION,
    URL,
    USER,
    Client,
    body_json,
    credentials_provider,
    decode_session,
    make_gate,
    set_cookies,
)

pytestmark = pytest.mark.anyio

DAY = 24 * 60 * 60
CREDENTIALS_SIGNIN = f"{URL}/error?error=CredentialsSignin&provider=credentials"
CSRF_TRUE = f"{URL}/signin?csrf=true"


def gate_with(authorize: Any = None, **config: Any) -> Client:
    if authorize is not None:
        config["providers"] = [credentials_provider(authorize)]
    return Client(make_gate(**config))


async def test_success_redirects_to_the_callback_url_with_a_session_cookie() -> None:
    client = Client(make_gate())
    response = await client.sign_in()
    assert response.status == 302
    assert response.redirect == ORIGIN
    assert response.header("location") == ORIGIN
    assert response.body == b""
    claims = decode_session(response)
    assert set(claims) == {"name", "email", "picture", "sub", "iat", "exp", "jti"}
    assert (claims["name"], claims["email"], claims["sub"]) == ("Ada", "ada@example.com", "1")
    assert claims["picture"] == USER["image"]
    assert claims["iat"] == NOW
    assert re.fullmatch(r"[0-9a-f-]{36}", claims["jti"])
    session = await client.get("/session")
    assert body_json(session)["user"] == {
        "name": "Ada",
        "email": "ada@example.com",
        "image": USER["image"],
    }


async def test_token_exp_uses_jwt_max_age_and_cookie_expires_uses_session_max_age() -> None:
    client = Client(make_gate(jwt=JWTConfig(max_age=600), session=SessionConfig(max_age=3600)))
    response = await client.sign_in()
    assert decode_session(response)["exp"] == NOW + 600
    cookie = set_cookies(response)[SESSION]
    assert cookie.expires == datetime.fromtimestamp(NOW + 3600, UTC)
    assert cookie.max_age is None
    assert (cookie.http_only, cookie.same_site, cookie.path, cookie.secure) == (
        True,
        "lax",
        "/",
        False,
    )


async def test_the_default_jwt_max_age_is_30_days() -> None:
    response = await Client(make_gate()).sign_in()
    assert decode_session(response)["exp"] == NOW + 30 * DAY


async def test_body_callback_url_is_where_the_user_lands() -> None:
    response = await Client(make_gate()).sign_in(callbackUrl="/dashboard?tab=1")
    assert response.redirect == f"{ORIGIN}/dashboard?tab=1"


async def test_callback_url_cookie_carries_the_destination() -> None:
    client = Client(make_gate())
    await client.get("/signin", query={"callbackUrl": "/from-cookie"})
    response = await client.sign_in()
    assert response.redirect == f"{ORIGIN}/from-cookie"


async def test_json_mode_answers_200_with_the_url_and_still_sets_the_cookie() -> None:
    response = await Client(make_gate()).sign_in(json="true", callbackUrl="/dash")
    assert response.status == 200
    assert response.redirect is None
    assert response.header("location") is None
    assert response.header("content-type") == "application/json; charset=utf-8"
    assert body_json(response) == {"url": f"{ORIGIN}/dash"}
    assert decode_session(response)["sub"] == "1"


async def test_a_json_boolean_true_is_not_json_mode() -> None:
    client = Client(make_gate())
    csrf = await client.csrf()
    body = {"csrfToken": csrf, "username": "ada", "password": PASSWORD, "json": True}
    response = await client.post("/callback/credentials", json_body=body)
    assert (response.status, response.redirect) == (302, ORIGIN)
    string_true = await client.post("/callback/credentials", json_body={**body, "json": "true"})
    assert (string_true.status, body_json(string_true)) == (200, {"url": ORIGIN})


def refuse(credentials: dict[str, Any], request: AuthRequest) -> None:
    return None


async def async_refuse(credentials: dict[str, Any], request: AuthRequest) -> None:
    return None


def raise_credentials_signin(credentials: dict[str, Any], request: AuthRequest) -> None:
    raise CredentialsSigninError("user ada is locked")


REFUSALS = [
    pytest.param(refuse, id="returns-none"),
    pytest.param(async_refuse, id="async-returns-none"),
    pytest.param(lambda credentials, request: {}, id="returns-empty"),
    pytest.param(raise_credentials_signin, id="raises-credentials-signin"),
]


@pytest.mark.parametrize("authorize", REFUSALS)
async def test_refused_credentials_are_401_credentials_signin(authorize: Any) -> None:
    client = gate_with(authorize)
    json_mode = await client.sign_in(json="true")
    assert json_mode.status == 401
    assert body_json(json_mode) == {"url": CREDENTIALS_SIGNIN}
    assert SESSION not in set_cookies(json_mode)
    redirect = await client.sign_in()
    assert (redirect.status, redirect.redirect) == (302, CREDENTIALS_SIGNIN)
    assert SESSION not in set_cookies(redirect)


async def test_wrong_password_is_refused() -> None:
    response = await Client(make_gate()).sign_in(password="wrong", json="true")
    assert (response.status, body_json(response)) == (401, {"url": CREDENTIALS_SIGNIN})


async def test_an_exception_in_authorize_is_configuration_and_leaks_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def authorize(credentials: dict[str, Any], request: AuthRequest) -> None:
        raise RuntimeError("db password is hunter2")

    client = gate_with(authorize)
    with caplog.at_level(logging.ERROR, logger="authgate"):
        response = await client.sign_in(json="true")
    # Deviation: v4 answers 401 with error=<the message>; the message can carry secrets.
    assert response.status == 500
    assert body_json(response) == {"url": f"{URL}/error?error=Configuration"}
    assert b"hunter2" not in response.body
    assert SESSION not in set_cookies(response)
    assert "CALLBACK_CREDENTIALS_HANDLER_ERROR" in caplog.text
    assert "RuntimeError" in caplog.text
    redirect = await client.sign_in()
    assert (redirect.status, redirect.redirect) == (302, f"{URL}/error?error=Configuration")


async def test_authorize_returning_a_non_mapping_is_configuration() -> None:
    response = await gate_with(lambda credentials, request: "ada").sign_in(json="true")
    assert (response.status, body_json(response)) == (
        500,
        {"url": f"{URL}/error?error=Configuration"},
    )


@pytest.mark.parametrize("is_async", [False, True])
async def test_authorize_gets_the_whole_body_and_the_request(is_async: bool) -> None:
    seen: list[tuple[dict[str, Any], AuthRequest]] = []

    def sync_authorize(credentials: dict[str, Any], request: AuthRequest) -> dict[str, Any]:
        seen.append((credentials, request))
        return {"id": 7, "name": "Seven"}

    async def async_authorize(credentials: dict[str, Any], request: AuthRequest) -> Any:
        return sync_authorize(credentials, request)

    client = gate_with(async_authorize if is_async else sync_authorize)
    csrf = await client.csrf()
    form = {"csrfToken": csrf, "username": "u", "password": "p", "callbackUrl": "/x"}
    response = await client.post(
        "/callback/credentials",
        form=form,
        query={"q": "1"},
        headers=[("user-agent", "pytest")],
    )
    assert response.status == 302
    assert decode_session(response)["sub"] == "7"  # ids are stringified
    ((credentials, request),) = seen
    assert credentials == form
    assert request.method == "POST"
    assert request.path == "/api/auth/callback/credentials"
    assert request.query == {"q": "1"}
    assert request.headers["user-agent"] == "pytest"


async def test_a_json_body_is_accepted_for_credentials() -> None:
    client = Client(make_gate())
    csrf = await client.csrf()
    body = {"csrfToken": csrf, "username": "ada", "password": PASSWORD}
    response = await client.post("/callback/credentials", json_body=body)
    assert (response.status, response.redirect) == (302, ORIGIN)


async def test_sign_in_callback_false_is_403_access_denied() -> None:
    client = Client(make_gate(callbacks=Callbacks(sign_in=lambda user: False)))
    response = await client.sign_in(json="true")
    assert (response.status, body_json(response)) == (
        403,
        {"url": f"{URL}/error?error=AccessDenied"},
    )
    assert SESSION not in set_cookies(response)
    redirect = await client.sign_in()
    assert (redirect.status, redirect.redirect) == (302, f"{URL}/error?error=AccessDenied")


@pytest.mark.parametrize(
    ("returned", "target"),
    [("/welcome", f"{ORIGIN}/welcome"), ("https://other.example/x", "https://other.example/x")],
)
async def test_sign_in_callback_string_redirects_without_a_session(
    returned: str, target: str
) -> None:
    client = Client(make_gate(callbacks=Callbacks(sign_in=lambda: returned)))
    response = await client.sign_in()
    assert (response.status, response.redirect) == (302, target)
    assert SESSION not in set_cookies(response)


@pytest.mark.parametrize("returned", ["javascript:alert(1)", "/x\r\nSet-Cookie: a=b", ""])
async def test_sign_in_callback_string_that_is_not_a_url_is_refused(returned: str) -> None:
    client = Client(make_gate(callbacks=Callbacks(sign_in=lambda: returned)))
    response = await client.sign_in(json="true")
    if returned:
        assert body_json(response) == {"url": f"{URL}/error?error=Configuration"}
    else:  # an empty string is falsy: AccessDenied, as in v4
        assert body_json(response) == {"url": f"{URL}/error?error=AccessDenied"}
    assert SESSION not in set_cookies(response)


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (RuntimeError("secret detail"), 500, "Configuration"),
        (AccessDeniedError("no"), 403, "AccessDenied"),
        (CredentialsSigninError("no"), 403, "CredentialsSignin&provider=credentials"),
    ],
)
async def test_sign_in_callback_raising_is_handled(exc: Exception, status: int, code: str) -> None:
    def sign_in(user: dict[str, Any], account: dict[str, Any], credentials: Any) -> bool:
        raise exc

    response = await Client(make_gate(callbacks=Callbacks(sign_in=sign_in))).sign_in(json="true")
    assert (response.status, body_json(response)) == (status, {"url": f"{URL}/error?error={code}"})
    assert b"secret detail" not in response.body
    assert SESSION not in set_cookies(response)


async def test_sign_in_callback_receives_user_account_and_credentials() -> None:
    seen: dict[str, Any] = {}

    async def sign_in(**kwargs: Any) -> bool:
        seen.update(kwargs)
        return True

    await Client(make_gate(callbacks=Callbacks(sign_in=sign_in))).sign_in()
    assert seen["user"] == USER
    assert seen["account"] == {
        "providerAccountId": "1",
        "type": "credentials",
        "provider": "credentials",
    }
    assert seen["credentials"]["username"] == "ada"


async def test_jwt_callback_claims_round_trip_through_session() -> None:
    calls: list[dict[str, Any]] = []

    def jwt(**kwargs: Any) -> dict[str, Any]:
        calls.append(kwargs)
        token: dict[str, Any] = kwargs["token"]
        if kwargs.get("user"):
            token["role"] = "admin"
        return token

    def session(session: dict[str, Any], token: dict[str, Any]) -> dict[str, Any]:
        return {**session, "role": token["role"]}

    client = Client(make_gate(callbacks=Callbacks(jwt=jwt, session=session)))
    response = await client.sign_in()
    assert decode_session(response)["role"] == "admin"
    assert calls[0]["trigger"] == "signIn"
    assert calls[0]["is_new_user"] is None  # v4: isNewUser undefined without an adapter
    assert calls[0]["account"]["provider"] == "credentials"
    assert calls[0]["token"] == {
        "name": "Ada",
        "email": "ada@example.com",
        "picture": USER["image"],
        "sub": "1",
        "role": "admin",
    }
    body = body_json(await client.get("/session"))
    assert body["role"] == "admin"


@pytest.mark.parametrize("result", [None, {}])
async def test_jwt_callback_returning_nothing_at_sign_in_is_access_denied(result: Any) -> None:
    client = Client(make_gate(callbacks=Callbacks(jwt=lambda token: result)))
    response = await client.sign_in(json="true")
    assert (response.status, body_json(response)) == (
        403,
        {"url": f"{URL}/error?error=AccessDenied"},
    )
    assert SESSION not in set_cookies(response)


async def test_jwt_callback_raising_at_sign_in_is_configuration() -> None:
    def jwt(token: dict[str, Any]) -> dict[str, Any]:
        raise ValueError("nope")

    response = await Client(make_gate(callbacks=Callbacks(jwt=jwt))).sign_in(json="true")
    assert (response.status, body_json(response)) == (
        500,
        {"url": f"{URL}/error?error=Configuration"},
    )
    assert SESSION not in set_cookies(response)


async def test_sign_in_event_fires_and_its_exception_is_swallowed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[Any] = []

    def on_sign_in(user: dict[str, Any], account: dict[str, Any], is_new_user: bool | None) -> None:
        seen.append((user["id"], account["provider"], is_new_user))
        raise RuntimeError("event handler bug")

    client = Client(make_gate(events=Events(sign_in=on_sign_in)))
    with caplog.at_level(logging.ERROR, logger="authgate"):
        response = await client.sign_in()
    assert (response.status, response.redirect) == (302, ORIGIN)
    assert decode_session(response)["sub"] == "1"
    assert seen == [("1", "credentials", None)]  # v4: isNewUser undefined without an adapter
    assert "SIGN_IN_EVENT_ERROR" in caplog.text


async def test_no_sign_in_event_when_refused() -> None:
    seen: list[Any] = []
    client = gate_with(refuse, events=Events(sign_in=lambda user: seen.append(user)))
    await client.sign_in()
    assert seen == []


async def test_a_second_provider_id_is_reachable() -> None:
    provider = credentials_provider(id="otp", name="One-time code")
    client = Client(make_gate(providers=[credentials_provider(), provider]))
    csrf = await client.csrf()
    form = {"csrfToken": csrf, "username": "ada", "password": "bad", "json": "true"}
    response = await client.post("/callback/otp", form=form)
    assert body_json(response) == {"url": f"{URL}/error?error=CredentialsSignin&provider=otp"}
