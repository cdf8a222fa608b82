"""``JWTConfig(reissue_after=...)``: opt-in, ``GET /session`` keeps a young, unchanged token.

Without it (the default, next-auth v4) every call re-issues; that stays covered in
``test_session.py``. Compatibility row 63.
"""

from __future__ import annotations

from typing import Any

import pytest

from authgate import Callbacks, JWTConfig
from authgate import jwt as authjwt
from authgate.errors import ConfigurationError

from .conftest import NOW, SECRET, SESSION, Client, body_json, make_gate, set_cookies

pytestmark = pytest.mark.anyio

CLAIMS = {"name": "Ada", "email": "ada@example.com", "sub": "1"}
FIVE_MINUTES = 300


def client_with(age: float, **config: Any) -> Client:
    config.setdefault("jwt", JWTConfig(reissue_after=FIVE_MINUTES))
    jar = {SESSION: authjwt.encode(CLAIMS, SECRET, now=NOW - age)}
    return Client(make_gate(**config), jar=jar)


async def test_young_token_is_not_resealed() -> None:
    client = client_with(age=FIVE_MINUTES - 1)
    before = client.jar[SESSION]
    response = await client.get("/session")
    assert body_json(response)["user"] == {"name": "Ada", "email": "ada@example.com"}
    assert SESSION not in set_cookies(response)
    assert response.header("cache-control") == "private, no-cache, no-store"
    assert client.jar[SESSION] == before


@pytest.mark.parametrize("age", [FIVE_MINUTES, 3600, -60])
async def test_older_or_future_token_is_reissued(age: float) -> None:
    client = client_with(age=age)
    response = await client.get("/session")
    issued = authjwt.decode(set_cookies(response)[SESSION].value, SECRET, now=NOW)
    assert issued["iat"] == NOW


async def test_default_reissues_every_call() -> None:
    client = client_with(age=1, jwt=JWTConfig())
    assert SESSION in set_cookies(await client.get("/session"))


async def test_a_changed_token_is_reissued() -> None:
    def jwt(token: dict[str, Any]) -> dict[str, Any]:
        return {**token, "role": "admin"}

    def in_place(token: dict[str, Any]) -> dict[str, Any]:
        token["visits"] = token.get("visits", 0) + 1
        return token

    for callback in (jwt, in_place):
        client = client_with(age=1, callbacks=Callbacks(jwt=callback))
        response = await client.get("/session")
        reissued = authjwt.decode(set_cookies(response)[SESSION].value, SECRET, now=NOW)
        assert reissued.keys() - CLAIMS.keys() - {"iat", "exp", "jti"}, callback


async def test_update_always_reissues() -> None:
    client = client_with(age=1)
    csrf = await client.csrf()
    response = await client.post("/session", json_body={"csrfToken": csrf, "data": {}})
    assert SESSION in set_cookies(response)


@pytest.mark.parametrize("value", [0, -5, True, 1.5, "60"])
def test_reissue_after_must_be_positive_seconds(value: Any) -> None:
    with pytest.raises(ConfigurationError, match="reissue_after"):
        JWTConfig(reissue_after=value)
