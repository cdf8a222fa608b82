"""Session cookie chunking (v4 ``SessionStore``): large tokens split into ``.0``, ``.1``, ..."""

from __future__ import annotations

from typing import Any

import pytest

from authgate import Callbacks
from authgate import jwt as authjwt

from .conftest import NOW, SECRET, SESSION, Client, body_json, decode_session, make_gate

pytestmark = pytest.mark.anyio

CHUNK_SIZE = 3933


def big_jwt(token: dict[str, Any], trigger: str | None = None) -> dict[str, Any]:
    if trigger == "signIn":
        token["blob"] = "x" * 4500
    return token


def chunk_cookies(response: Any) -> dict[str, Any]:
    return {c.name: c for c in response.cookies if c.name.startswith(SESSION)}


async def test_a_big_token_is_split_into_numbered_chunks() -> None:
    client = Client(make_gate(callbacks=Callbacks(jwt=big_jwt)))
    response = await client.sign_in()
    cookies = chunk_cookies(response)
    assert list(cookies) == [f"{SESSION}.0", f"{SESSION}.1"]
    assert len(cookies[f"{SESSION}.0"].value) == CHUNK_SIZE
    assert 0 < len(cookies[f"{SESSION}.1"].value) <= CHUNK_SIZE
    assert all(len(c.serialize()) <= 4096 for c in cookies.values())
    assert 2 * CHUNK_SIZE > sum(len(c.value) for c in cookies.values()) > 6000
    assert decode_session(response)["blob"] == "x" * 4500


async def test_chunks_are_read_back_and_rewritten() -> None:
    client = Client(make_gate(callbacks=Callbacks(jwt=big_jwt)))
    await client.sign_in()
    response = await client.get("/session")
    assert body_json(response)["user"]["name"] == "Ada"
    cookies = chunk_cookies(response)
    assert set(cookies) == {f"{SESSION}.0", f"{SESSION}.1"}
    assert all(c.max_age is None for c in cookies.values())


async def test_chunks_in_any_order_are_joined_by_index() -> None:
    raw = authjwt.encode({"name": "Ada", "blob": "y" * 7000}, SECRET, now=NOW)
    parts = [raw[i : i + CHUNK_SIZE] for i in range(0, len(raw), CHUNK_SIZE)]
    assert len(parts) == 3
    jar = {f"{SESSION}.2": parts[2], f"{SESSION}.0": parts[0], f"{SESSION}.1": parts[1]}
    response = await Client(make_gate(), jar=jar).get("/session")
    assert body_json(response)["user"] == {"name": "Ada"}


async def test_going_back_to_a_small_token_deletes_the_stale_chunks() -> None:
    client = Client(make_gate(callbacks=Callbacks(jwt=big_jwt)))
    await client.sign_in()
    assert {f"{SESSION}.0", f"{SESSION}.1"} <= set(client.jar)

    def shrink(token: dict[str, Any]) -> dict[str, Any]:
        token.pop("blob", None)
        return token

    small = Client(make_gate(callbacks=Callbacks(jwt=shrink)), jar=dict(client.jar))
    response = await small.get("/session")
    instructions = {c.name: c.max_age for c in chunk_cookies(response).values()}
    assert instructions == {f"{SESSION}.0": 0, f"{SESSION}.1": 0, SESSION: None}
    assert sorted(k for k in small.jar if k.startswith(SESSION)) == [SESSION]


async def test_growing_from_one_cookie_to_chunks_deletes_the_bare_cookie() -> None:
    client = Client(make_gate())
    await client.sign_in()
    grow = Client(make_gate(callbacks=Callbacks(jwt=big_jwt)), jar=dict(client.jar))
    response = await grow.sign_in()
    instructions = {c.name: c.max_age for c in chunk_cookies(response).values()}
    assert instructions == {SESSION: 0, f"{SESSION}.0": None, f"{SESSION}.1": None}


async def test_a_rejected_chunked_session_clears_every_chunk() -> None:
    jar = {f"{SESSION}.0": "garbage", f"{SESSION}.1": "more", f"{SESSION}.7": "x"}
    response = await Client(make_gate(), jar=dict(jar)).get("/session")
    assert response.body == b"{}"
    assert {c.name: c.max_age for c in chunk_cookies(response).values()} == dict.fromkeys(jar, 0)
