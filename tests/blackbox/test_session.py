"""GET/POST /session (v4 ``routes/session.ts``): reading, re-issuing, rejecting and updating."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from authgate import Callbacks, Events, SessionConfig
from authgate import jwt as authjwt
from authgate._crypto.jwe import KeyRing
from authgate._crypto.keys import v4_key
from authgate.errors import TokenError

from .conftest import (
    NOW,
    SECRET,
    SESSION,
    Client,
    body_json,
    decode_session,
    make_gate,
    set_cookies,
)

pytestmark = pytest.mark.anyio

NO_CACHE = [
    ("content-type", "application/json; charset=utf-8"),
    ("cache-control", "private, no-cache, no-store"),
    ("pragma", "no-cache"),
    ("expires", "0"),
]
CLAIMS = {"name": "Ada", "email": "ada@example.com", "picture": "https://i/a.png", "sub": "1"}
DAY = 24 * 60 * 60


def token(claims: dict[str, Any] = CLAIMS, *, now: float = NOW, **kw: Any) -> str:
    return authjwt.encode(claims, kw.pop("secret", SECRET), now=now, **kw)


def with_session(value: str, **config: Any) -> Client:
    return Client(make_gate(**config), jar={SESSION: value})


async def test_no_session_is_an_empty_object_with_no_cache_headers() -> None:
    response = await Client(make_gate()).get("/session")
    assert response.status == 200
    assert response.headers == NO_CACHE
    assert response.body == b"{}"
    assert SESSION not in set_cookies(response)


async def test_valid_session_shape_and_the_cookie_is_reissued() -> None:
    client = with_session(token(now=NOW - 3600))
    response = await client.get("/session")
    assert response.status == 200
    assert response.headers == NO_CACHE
    assert body_json(response) == {
        "user": {"name": "Ada", "email": "ada@example.com", "image": "https://i/a.png"},
        "expires": "2027-02-14T08:00:00.000Z",  # NOW + 30 days, ms and Z like toISOString
    }
    cookie = set_cookies(response)[SESSION]
    assert cookie.expires == datetime.fromtimestamp(NOW + 30 * DAY, UTC)
    assert cookie.serialize().endswith(
        "; Path=/; Expires=Sun, 14 Feb 2027 08:00:00 GMT; HttpOnly; SameSite=Lax"
    )
    claims = decode_session(response)
    assert claims["iat"] == NOW
    assert claims["exp"] == NOW + 30 * DAY
    assert {k: claims[k] for k in CLAIMS} == CLAIMS


async def test_missing_user_fields_are_left_out_of_the_session() -> None:
    response = await with_session(token({"name": "U", "sub": "2"})).get("/session")
    assert body_json(response)["user"] == {"name": "U"}


async def test_session_max_age_sets_expires_and_token_exp() -> None:
    client = with_session(token(), session=SessionConfig(max_age=3600))
    response = await client.get("/session")
    assert body_json(response)["expires"] == "2027-01-15T09:00:00.000Z"
    assert decode_session(response)["exp"] == NOW + 3600
    assert set_cookies(response)[SESSION].expires == datetime.fromtimestamp(NOW + 3600, UTC)


async def test_expires_keeps_milliseconds_of_a_fractional_now() -> None:
    response = await with_session(token()).get("/session", now=NOW + 0.25)
    assert body_json(response)["expires"] == "2027-02-14T08:00:00.250Z"


@pytest.mark.parametrize(
    ("offset", "valid"),
    [(-1, True), (0, True), (14, True), (14.999, True), (15, False), (3600, False)],
)
async def test_expiry_has_a_15_second_clock_tolerance(offset: float, valid: bool) -> None:
    client = with_session(token(max_age=60, now=NOW))
    response = await client.get("/session", now=NOW + 60 + offset)
    if valid:
        assert body_json(response)["user"]["name"] == "Ada"
    else:
        assert response.body == b"{}"
        assert set_cookies(response)[SESSION].serialize() == (
            f"{SESSION}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"
        )


def tamper(value: str) -> str:
    header, key, iv, ciphertext, tag = value.split(".")
    flipped = ("A" if ciphertext[5] != "A" else "B").join((ciphertext[:5], ciphertext[6:]))
    return ".".join((header, key, iv, flipped, tag))


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(tamper(token()), id="tampered"),
        pytest.param(token(secret="not-the-secret"), id="wrong-secret"),
        pytest.param("garbage", id="garbage"),
        pytest.param("a.b.c.d.e", id="five-garbage-parts"),
        pytest.param("eyJhbGciOiJub25lIn0.e30.", id="unsigned-jws"),
        pytest.param(token().replace("eyJhbGciOiJkaXIi", "eyJhbGciOiJSU0Ei"), id="other-alg"),
        pytest.param("%E0%A4%A", id="percent-garbage"),
        pytest.param("x" * 5000, id="long-garbage"),
    ],
)
async def test_unusable_session_cookie_is_cleared_and_the_body_is_empty(value: str) -> None:
    client = with_session(value)
    response = await client.get("/session")
    assert response.status == 200
    assert response.body == b"{}"
    assert set_cookies(response)[SESSION].max_age == 0
    assert SESSION not in client.jar


def sealed(claims: dict[str, Any]) -> str:
    """A token under the right key whose claims were not set by ``encode``."""
    return KeyRing([v4_key(SECRET, "")]).seal_json(claims)


async def test_a_token_without_user_fields_is_a_session_with_an_empty_user() -> None:
    response = await with_session(sealed({"sub": "1"})).get("/session")
    assert body_json(response)["user"] == {}


@pytest.mark.parametrize(
    "claims",
    [{"exp": "never"}, {"exp": True}, {"nbf": NOW + 60}, {"iat": "now"}],
)
async def test_token_with_bad_time_claims_is_rejected(claims: dict[str, Any]) -> None:
    response = await with_session(sealed({"sub": "1", **claims})).get("/session")
    assert response.body == b"{}"
    assert set_cookies(response)[SESSION].max_age == 0


async def test_secret_rotation_reads_old_tokens_and_issues_with_the_new_secret() -> None:
    old = token(secret="old-secret")
    client = with_session(old, secret=["new-secret", "old-secret"])
    response = await client.get("/session")
    assert body_json(response)["user"]["name"] == "Ada"
    reissued = set_cookies(response)[SESSION].value
    assert authjwt.decode(reissued, "new-secret", now=NOW)["sub"] == "1"
    with pytest.raises(TokenError):
        authjwt.decode(reissued, "old-secret", now=NOW)


async def test_jwt_and_session_callbacks_shape_the_body() -> None:
    seen: list[dict[str, Any]] = []

    def jwt(token: dict[str, Any], session: Any, trigger: str | None = None) -> dict[str, Any]:
        seen.append({"trigger": trigger, "session": session})
        return {**token, "role": "admin"}

    def session(session: dict[str, Any], token: dict[str, Any]) -> dict[str, Any]:
        return {**session, "role": token["role"], "id": token["sub"]}

    client = with_session(token(), callbacks=Callbacks(jwt=jwt, session=session))
    response = await client.get("/session")
    body = body_json(response)
    assert body["role"] == "admin"
    assert body["id"] == "1"
    assert seen == [{"trigger": None, "session": None}]
    assert decode_session(response)["role"] == "admin"


@pytest.mark.parametrize("result", [None, {}, False])
async def test_jwt_callback_returning_nothing_ends_the_session(result: Any) -> None:
    client = with_session(token(), callbacks=Callbacks(jwt=lambda token: result))
    response = await client.get("/session")
    assert response.body == b"{}"
    assert set_cookies(response)[SESSION].max_age == 0


@pytest.mark.parametrize("which", ["jwt", "session"])
async def test_a_failing_callback_means_no_session_never_a_500(which: str) -> None:
    def boom(**_: Any) -> Any:
        raise RuntimeError("callback exploded")

    client = with_session(token(), callbacks=Callbacks(**{which: boom}))
    response = await client.get("/session")
    assert (response.status, response.body) == (200, b"{}")
    assert set_cookies(response)[SESSION].max_age == 0


async def test_session_callback_returning_non_json_means_no_session() -> None:
    client = with_session(token(), callbacks=Callbacks(session=lambda session: {"x": object()}))
    response = await client.get("/session")
    assert (response.status, response.body) == (200, b"{}")


async def test_session_event_fires_and_its_exception_is_swallowed() -> None:
    seen: list[Any] = []

    async def on_session(session: dict[str, Any], token: dict[str, Any]) -> None:
        seen.append((session["user"]["name"], token["sub"]))
        raise RuntimeError("event handler bug")

    response = await with_session(token(), events=Events(session=on_session)).get("/session")
    assert body_json(response)["user"]["name"] == "Ada"
    assert seen == [("Ada", "1")]


async def test_update_requires_csrf_and_answers_400_empty() -> None:
    client = with_session(token())
    response = await client.post("/session", json_body={"data": {"name": "Bob"}})
    assert response.status == 400
    assert response.body == b"{}"
    assert response.header("content-type") == "application/json; charset=utf-8"
    assert SESSION not in set_cookies(response)
    wrong = await client.post("/session", json_body={"csrfToken": "0" * 64, "data": {}})
    assert (wrong.status, wrong.body) == (400, b"{}")


async def test_update_passes_trigger_and_data_to_the_callbacks() -> None:
    seen: dict[str, Any] = {}

    def jwt(token: dict[str, Any], trigger: str | None, session: Any) -> dict[str, Any]:
        seen["jwt"] = (trigger, session)
        return {**token, **(session or {})}

    def session(
        session: dict[str, Any], token: dict[str, Any], trigger: str | None, new_session: Any
    ) -> dict[str, Any]:
        seen["session"] = (trigger, new_session)
        session["user"]["name"] = token["name"]
        return session

    client = with_session(token(), callbacks=Callbacks(jwt=jwt, session=session))
    csrf = await client.csrf()
    response = await client.post("/session", json_body={"csrfToken": csrf, "data": {"name": "Bob"}})
    assert response.status == 200
    # Only the content type: v4 sends no no-cache headers on the update.
    assert response.headers == [("content-type", "application/json; charset=utf-8")]
    assert body_json(response)["user"]["name"] == "Bob"
    assert seen == {"jwt": ("update", {"name": "Bob"}), "session": ("update", {"name": "Bob"})}
    assert decode_session(response)["name"] == "Bob"


async def test_update_without_a_session_is_empty() -> None:
    client = Client(make_gate())
    csrf = await client.csrf()
    response = await client.post("/session", json_body={"csrfToken": csrf, "data": {"a": 1}})
    assert (response.status, response.body) == (200, b"{}")
    assert SESSION not in set_cookies(response)
