"""Origin checks on state-changing POSTs (defence in depth next to the CSRF token).

``Sec-Fetch-Site: cross-site``, or an ``Origin`` that is not ours, is a plain 403 before any
work; clients that send neither header, and same-origin browsers, are unaffected.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from .conftest import PASSWORD, SESSION, Client, make_gate, set_cookies

if TYPE_CHECKING:
    from authgate.http import AuthResponse

pytestmark = pytest.mark.anyio

POSTS = ["/callback/credentials", "/signin/credentials", "/signout", "/session", "/_log"]
FORBIDDEN = (403, b"Forbidden: cross-site request refused")


async def sign_in(client: Client, headers: list[tuple[str, str]]) -> AuthResponse:
    token = await client.csrf()
    form = {"csrfToken": token, "username": "ada", "password": PASSWORD}
    return await client.post("/callback/credentials", form=form, headers=headers)


@pytest.mark.parametrize("path", POSTS)
@pytest.mark.parametrize(
    "headers",
    [
        [("sec-fetch-site", "cross-site")],
        [("sec-fetch-site", "Cross-Site"), ("origin", "http://localhost:3000")],
        [("origin", "https://evil.example")],
        [("origin", "http://localhost:3001")],
        [("origin", "https://localhost:3000")],  # another scheme is another origin
        [("origin", "http://localhost:3000.evil.example")],
        [("origin", "garbage")],
        [("origin", "http://evil.example"), ("sec-fetch-site", "same-origin")],
    ],
)
async def test_cross_site_posts_are_refused_before_any_work(
    path: str, headers: list[tuple[str, str]]
) -> None:
    client = Client(make_gate())
    token = await client.csrf()
    form = {"csrfToken": token, "username": "ada", "password": PASSWORD}
    response = await client.post(path, form=form, headers=headers)
    assert (response.status, response.body) == FORBIDDEN
    assert response.cookies == []


@pytest.mark.parametrize(
    "headers",
    [
        [],  # curl, a server-side client, an old browser
        [("origin", "http://localhost:3000")],
        [("origin", "HTTP://LOCALHOST:3000")],
        [("origin", "null"), ("sec-fetch-site", "same-origin")],  # Referrer-Policy: no-referrer
        [("origin", "null")],
        [("sec-fetch-site", "same-origin")],
        [("sec-fetch-site", "none")],  # typed into the address bar / a bookmark
        [("origin", "http://app.localhost:3000"), ("sec-fetch-site", "same-site")],
    ],
)
async def test_same_origin_and_headerless_posts_sign_in(headers: list[tuple[str, str]]) -> None:
    client = Client(make_gate())
    response = await sign_in(client, headers)
    assert response.redirect == "http://localhost:3000"
    assert SESSION in set_cookies(response)


async def test_default_ports_are_the_same_origin() -> None:
    client = Client(make_gate(url="https://example.com/api/auth"))
    response = await sign_in(client, [("origin", "https://example.com:443")])
    assert response.status == 302
    assert response.redirect == "https://example.com"


async def test_with_trust_host_the_request_origin_is_ours() -> None:
    gate = make_gate(trust_host=True)
    client = Client(gate, headers=[("host", "auth.example.org")])
    ok = await sign_in(client, [("origin", "http://auth.example.org")])
    assert ok.redirect == "http://auth.example.org"
    other = Client(gate, headers=[("host", "auth.example.org")])
    refused = await sign_in(other, [("origin", "http://localhost:3000")])
    assert (refused.status, refused.body) == FORBIDDEN


async def test_gets_are_not_checked() -> None:
    client = Client(make_gate())
    response = await client.get("/session", headers=[("sec-fetch-site", "cross-site")])
    assert response.status == 200
