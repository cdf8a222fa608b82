"""Configuration (v4 ``core/init.ts``): errors at construction, environment, host detection."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from authgate import (
    AuthConfig,
    AuthGate,
    Callbacks,
    ConfigurationError,
    CookieOption,
    Events,
    PagesConfig,
    Theme,
)
from authgate.errors import MissingSecretError
from authgate.providers import Credentials

from .conftest import (
    NOW,
    SESSION,
    Client,
    body_json,
    check_password,
    credentials_provider,
    make_gate,
)

pytestmark = pytest.mark.anyio


def signin_url(response: Any) -> str:
    url: str = body_json(response)["credentials"]["signinUrl"]
    return url.removesuffix("/signin/credentials")


# -- secret ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "env"),
    [
        ({"production": True}, {}),
        ({}, {"AUTHGATE_ENV": "production"}),
        ({}, {"NODE_ENV": "production"}),
        ({}, {"ENV": " Production "}),
    ],
)
def test_production_without_a_secret_fails_at_construction(
    config: dict[str, Any], env: dict[str, str]
) -> None:
    with pytest.raises(MissingSecretError, match="AUTH_SECRET"):
        make_gate(secret=None, env=env, **config)


async def test_development_without_a_secret_warns_and_works(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="authgate"):
        gate = make_gate(secret=None)
    assert "NO_SECRET" in caplog.text
    client = Client(gate)
    await client.sign_in()
    assert body_json(await client.get("/session"))["user"]["name"] == "Ada"


@pytest.mark.parametrize("name", ["AUTH_SECRET", "NEXTAUTH_SECRET"])
async def test_the_secret_comes_from_the_environment(name: str) -> None:
    from authgate import jwt as authjwt

    client = Client(make_gate(secret=None, env={name: "env-secret", "NODE_ENV": "production"}))
    response = await client.sign_in()
    value = next(c.value for c in response.cookies if c.name == "next-auth.session-token")
    assert authjwt.decode(value, "env-secret", now=client.now)["sub"] == "1"


@pytest.mark.parametrize("secret", ["", [""], [], ["ok", 3]])
def test_an_empty_or_invalid_secret_is_refused(secret: Any) -> None:
    if secret == []:  # an empty list means "no secret": fine in development
        make_gate(secret=secret)
        return
    with pytest.raises(ConfigurationError, match="secret"):
        make_gate(secret=secret)


# -- url and host ----------------------------------------------------------------------------


@pytest.mark.parametrize("production", [True, False])
def test_no_url_and_no_trusted_host_is_a_configuration_error(production: bool) -> None:
    with pytest.raises(ConfigurationError, match="AUTH_URL"):
        make_gate(trust_host=False, production=production)
    if production:  # trust_host defaults to False in production
        with pytest.raises(ConfigurationError, match="trust_host"):
            AuthGate(AuthConfig(providers=[credentials_provider()], secret="s", production=True))


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"AUTH_URL": "https://a.example/auth"}, "https://a.example/auth"),
        ({"NEXTAUTH_URL": "https://n.example"}, "https://n.example/api/auth"),
        (
            {"AUTH_URL": "https://a.example", "NEXTAUTH_URL": "https://n.example"},
            "https://a.example/api/auth",
        ),
    ],
)
async def test_the_url_comes_from_the_environment(env: dict[str, str], expected: str) -> None:
    gate = AuthGate(AuthConfig(providers=[credentials_provider()], secret="s"), env=env)
    response = await Client(gate, headers=[("host", "attacker.example")]).get("/providers")
    assert signin_url(response) == expected


async def test_a_configured_url_wins_over_host_headers_even_when_trusted() -> None:
    gate = make_gate(url="https://app.example", trust_host=True)
    headers = [("host", "evil.example"), ("x-forwarded-host", "evil.example")]
    response = await Client(gate, headers=headers).get("/providers")
    assert signin_url(response) == "https://app.example/api/auth"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([("host", "app.example:8000")], "http://app.example:8000/api/auth"),
        ([("host", "APP.example:80")], "http://app.example/api/auth"),
        (
            [("host", "internal"), ("x-forwarded-host", "pub.example, proxy")],
            "http://pub.example/api/auth",
        ),
        (
            [
                ("host", "internal"),
                ("x-forwarded-host", "pub.example:443"),
                ("x-forwarded-proto", "https"),
            ],
            "https://pub.example/api/auth",
        ),
        ([("host", "[::1]:3000")], "http://[::1]:3000/api/auth"),
    ],
)
async def test_trust_host_builds_the_url_from_the_headers(
    headers: list[tuple[str, str]], expected: str
) -> None:
    response = await Client(make_gate(trust_host=True), headers=headers).get("/providers")
    assert signin_url(response) == expected


@pytest.mark.parametrize("env", [{}, {"AUTH_TRUST_HOST": "false"}, {"AUTH_TRUST_HOST": "0"}])
def test_host_headers_are_not_trusted_by_default_even_outside_production(
    env: dict[str, str],
) -> None:
    # Trusting them by default let a forged X-Forwarded-Host choose the host of mailed links.
    with pytest.raises(ConfigurationError, match="trust_host=True"):
        AuthGate(AuthConfig(providers=[credentials_provider()], secret="s"), env=env)


@pytest.mark.parametrize("value", ["true", "1", " TRUE ", "yes"])
async def test_auth_trust_host_in_the_environment_trusts_the_headers(value: str) -> None:
    gate = AuthGate(
        AuthConfig(providers=[credentials_provider()], secret="s"), env={"AUTH_TRUST_HOST": value}
    )
    response = await Client(gate, headers=[("host", "dev.local:5000")]).get("/providers")
    assert signin_url(response) == "http://dev.local:5000/api/auth"


def test_an_unreadable_auth_trust_host_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="AUTH_TRUST_HOST='maybe'"):
        AuthGate(
            AuthConfig(providers=[credentials_provider()], secret="s"),
            env={"AUTH_TRUST_HOST": "maybe"},
        )


async def test_the_development_secret_is_random_not_derived_from_the_configuration() -> None:
    import hashlib

    from authgate import jwt as authjwt
    from authgate.errors import TokenError

    config: dict[str, Any] = {"secret": None, "url": "http://localhost:3000"}
    value = await _session_cookie(Client(make_gate(**config)))
    # What the configuration alone would give (the old fallback): public, so never the secret.
    public = repr([("credentials", "credentials")]) + repr("http://localhost:3000")
    for guess in (hashlib.sha256(public.encode()).hexdigest(), "", "secret"):
        with pytest.raises(TokenError):
            authjwt.decode(value, guess or "x", now=NOW)
    # Another gate built from the same configuration cannot read it either.
    other = Client(make_gate(**config))
    other.jar[SESSION] = value
    assert body_json(await other.get("/session")) == {}


async def _session_cookie(client: Client) -> str:
    response = await client.sign_in()
    return next(c.value for c in response.cookies if c.name == SESSION)


@pytest.mark.parametrize(
    "headers",
    [
        [],
        [("host", "")],
        [("host", "evil.example/path")],
        [("host", "a b")],
        [("host", "x\r\nSet-Cookie: a=b")],
        [("host", "user@evil.example")],
        [("host", "ok.example"), ("x-forwarded-proto", "javascript")],
        [("host", "ok.example"), ("x-forwarded-host", "<script>")],
    ],
)
async def test_an_invalid_host_header_is_a_400_without_cookies(
    headers: list[tuple[str, str]], transport: str
) -> None:
    response = await Client(make_gate(trust_host=True), headers=headers).get("/session")
    assert response.status == 400
    assert response.cookies == []
    if transport == "litestar" and response.body.startswith(b"{"):
        # Litestar refuses a malformed Host before routing, with its own JSON error.
        assert body_json(response) == {"status_code": 400, "detail": "Invalid host header"}
        return
    assert response.body == b"Bad Request: invalid Host header"


# -- invalid options -------------------------------------------------------------------------


def _jwt_with_unknown(token: Any, usr: Any) -> Any:
    return token


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Theme(brand_color="red;}body{x"), "brand_color"),
        (lambda: Theme(button_text="</style>"), "button_text"),
        (lambda: Theme(logo="javascript:alert(1)"), "logo"),
        (lambda: Theme(logo='/x" onerror="y'), "logo"),
        (lambda: Theme(color_scheme="blue"), "color_scheme"),  # type: ignore[arg-type]
        (lambda: PagesConfig(sign_in="//evil.example"), "sign_in"),
        (lambda: PagesConfig(error="javascript:alert(1)"), "error"),
        (lambda: PagesConfig(sign_out="/x\r\ny"), "sign_out"),
        (lambda: PagesConfig(verify_request="relative"), "verify_request"),
        (lambda: CookieOption(name="bad name"), "name"),
        (lambda: CookieOption(name="a;b"), "name"),
        (lambda: CookieOption(name="ok", domain="a.com; Secure"), "domain"),
        (lambda: CookieOption(name="ok", same_site="sometimes"), "same_site"),  # type: ignore[arg-type]
        (
            lambda: make_gate(providers=[credentials_provider(), credentials_provider()]),
            "unique",
        ),
        (lambda: make_gate(cookies={"session": CookieOption(name="s")}), "unknown keys"),
        (lambda: make_gate(base_path="api/auth"), "base_path"),
        (lambda: make_gate(url="ftp://ex.com"), "url"),
        (lambda: make_gate(callbacks=Callbacks(jwt=_jwt_with_unknown)), "usr"),
        (lambda: make_gate(callbacks=Callbacks(sign_in=lambda users: True)), "users"),
        (lambda: make_gate(events=Events(sign_out=lambda tok: None)), "tok"),
        (lambda: make_gate(callbacks=Callbacks(session="not callable")), "callable"),  # type: ignore[arg-type]
        (lambda: Credentials(authorize=check_password, id="a b"), "id"),
        (lambda: Credentials(authorize=None), "authorize"),  # type: ignore[arg-type]
        (lambda: make_gate(providers=[Credentials(authorize=lambda c: c)]), "2 positional"),  # type: ignore[arg-type,misc]
        (lambda: Credentials(authorize=check_password, credentials={"u": {"on click": "x"}}), "u"),
        (lambda: make_gate(providers="credentials"), "providers"),
        (lambda: make_gate(callbacks={"jwtt": lambda token: token}), "unknown 'jwtt'; use some"),
        (lambda: make_gate(callbacks={"jwt": "f"}), r"callbacks\)\['jwt'\] must be a function"),
        (lambda: make_gate(callbacks=[lambda token: token]), "or a dict such as"),
        (lambda: make_gate(events={"signout": print}), "unknown 'signout'"),
        (lambda: CookieOption(name="x", same_site="Lax"), "same_site\\)='Lax': use one of"),  # type: ignore[arg-type]
    ],
)
def test_invalid_options_fail_at_construction_with_a_helpful_message(
    build: Any, message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        build()


def test_the_secret_is_not_in_the_config_repr() -> None:
    config = AuthConfig(providers=[credentials_provider()], secret="very-secret-value")
    assert "very-secret-value" not in repr(config)


async def test_callbacks_and_events_may_be_dicts_as_in_nextauth() -> None:
    seen: list[str] = []

    def jwt(token: dict[str, Any], user: Any = None) -> dict[str, Any]:
        if user:
            token["role"] = "admin"
        return token

    def session(session: dict[str, Any], token: dict[str, Any]) -> dict[str, Any]:
        session["role"] = token["role"]
        return session

    gate = make_gate(
        callbacks={"jwt": jwt, "session": session, "signIn": lambda user: True},
        events={"signIn": lambda user: seen.append(user["id"])},
    )
    client = Client(gate)
    await client.sign_in()
    assert body_json(await client.get("/session"))["role"] == "admin"
    assert seen == ["1"]
