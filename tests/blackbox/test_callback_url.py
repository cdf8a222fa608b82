"""callbackUrl resolution (SECURITY.md, decision 3): always same origin, never a 500."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from authgate import Callbacks

from .conftest import CALLBACK, ORIGIN, Client, body_json, make_gate, set_cookies

pytestmark = pytest.mark.anyio

SAME_ORIGIN = [
    ("/dashboard", f"{ORIGIN}/dashboard"),
    ("/a/b?c=d#e", f"{ORIGIN}/a/b?c=d#e"),
    (f"{ORIGIN}/x", f"{ORIGIN}/x"),
    ("http://LOCALHOST:3000/x", "http://LOCALHOST:3000/x"),  # the same origin, kept as is
    (ORIGIN, ORIGIN),
]
HOSTILE = [
    "https://evil.com/",
    "http://localhost:3001/x",
    "https://localhost:3000/x",
    "//evil.com",
    "/\\evil.com",
    "\\\\evil.com",
    "http://localhost:3000@evil.com",
    "http://user:pw@localhost:3000/",
    "http://evil.com\\@localhost:3000",
    "javascript:alert(1)",
    "data:text/html,<script>",
    "/x\r\nSet-Cookie: a=b",
    "/x\ty",
    "http://localhost:3000/\x00",
    "http://[::1/",
    "http://localhost:99999/",
    "foo",
    "",
    " ",
    "/" + "a" * 5000,
]


def same_origin(url: str) -> bool:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" == ORIGIN and "\\" not in url and "\n" not in url


@pytest.mark.parametrize(("candidate", "expected"), SAME_ORIGIN)
async def test_same_origin_values_are_kept(candidate: str, expected: str) -> None:
    response = await Client(make_gate()).sign_in(callbackUrl=candidate)
    assert response.redirect == expected


@pytest.mark.parametrize("candidate", HOSTILE)
async def test_hostile_body_values_resolve_to_the_same_origin(candidate: str) -> None:
    response = await Client(make_gate()).sign_in(callbackUrl=candidate, json="true")
    assert response.status == 200
    url = body_json(response)["url"]
    assert same_origin(url), url


@pytest.mark.parametrize("candidate", HOSTILE)
async def test_hostile_query_values_resolve_to_the_same_origin(candidate: str) -> None:
    client = Client(make_gate())
    response = await client.get("/signin", query={"callbackUrl": candidate})
    assert response.status == 200
    assert same_origin(client.jar[CALLBACK])
    assert candidate not in response.body.decode() or candidate in ("", " ", "foo")


@pytest.mark.parametrize("candidate", HOSTILE)
async def test_a_planted_callback_cookie_is_replaced_never_a_500(candidate: str) -> None:
    client = Client(make_gate(), jar={CALLBACK: candidate})
    response = await client.get("/session")
    assert (response.status, response.body) == (200, b"{}")
    replaced = set_cookies(response)[CALLBACK].value
    assert same_origin(replaced)
    signed_in = await client.sign_in()
    assert signed_in.redirect == replaced


async def test_the_callback_cookie_is_only_rewritten_when_it_changes() -> None:
    client = Client(make_gate())
    first = await client.get("/session", query={"callbackUrl": "/a"})
    assert set_cookies(first)[CALLBACK].serialize() == (
        f"{CALLBACK}=http%3A%2F%2Flocalhost%3A3000%2Fa; Path=/; HttpOnly; SameSite=Lax"
    )
    again = await client.get("/session")
    assert CALLBACK not in set_cookies(again)


async def test_body_wins_over_query_and_cookie() -> None:
    client = Client(make_gate(), jar={CALLBACK: f"{ORIGIN}/cookie"})
    csrf = await client.csrf()
    response = await client.post(
        "/callback/credentials",
        form={"csrfToken": csrf, "username": "ada", "password": "x", "callbackUrl": "/body"},
        query={"callbackUrl": "/query"},
    )
    assert client.jar[CALLBACK] == f"{ORIGIN}/body"
    assert response.status == 302


async def test_a_custom_redirect_callback_is_honoured() -> None:
    seen: list[tuple[str, str]] = []

    async def redirect(url: str, base_url: str) -> str:
        seen.append((url, base_url))
        return "https://partner.example/welcome"

    client = Client(make_gate(callbacks=Callbacks(redirect=redirect)))
    response = await client.sign_in(callbackUrl="/x")
    assert response.redirect == "https://partner.example/welcome"
    assert seen[-1] == ("/x", ORIGIN)


@pytest.mark.parametrize(
    "result",
    ["javascript:alert(1)", "/relative", None, 42, "https://evil.com\r\nX: y"],
)
async def test_an_invalid_redirect_callback_result_falls_back_to_the_base_url(result: Any) -> None:
    client = Client(make_gate(callbacks=Callbacks(redirect=lambda url: result)))
    response = await client.sign_in(callbackUrl="/x")
    assert response.redirect == ORIGIN


async def test_a_raising_redirect_callback_falls_back_to_the_base_url() -> None:
    def redirect(url: str, base_url: str) -> str:
        raise RuntimeError("bug in the app")

    client = Client(make_gate(callbacks=Callbacks(redirect=redirect)))
    response = await client.get("/session", query={"callbackUrl": "/x"})
    assert (response.status, response.body) == (200, b"{}")
    signed_in = await client.sign_in(callbackUrl="/x")
    assert (signed_in.status, signed_in.redirect) == (302, ORIGIN)
