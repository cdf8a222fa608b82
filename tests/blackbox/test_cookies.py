"""Cookie names, prefixes and attributes (v4 ``core/lib/cookie.ts``), and per-cookie overrides."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from authgate import CookieOption

from .conftest import Client, body_json, make_gate, set_cookies

if TYPE_CHECKING:
    from authgate.http import Cookie

pytestmark = pytest.mark.anyio

SECURE_NAMES = {
    "session": "__Secure-next-auth.session-token",
    "csrf": "__Host-next-auth.csrf-token",
    "callback": "__Secure-next-auth.callback-url",
}
PLAIN_NAMES = {
    "session": "next-auth.session-token",
    "csrf": "next-auth.csrf-token",
    "callback": "next-auth.callback-url",
}


async def signed_in_cookies(client: Client) -> dict[str, Cookie]:
    await client.csrf()
    response = await client.sign_in()
    cookies = dict(set_cookies(response))
    cookies.update(set_cookies(await client.get("/csrf", cookie_header="")))
    return cookies


@pytest.mark.parametrize(
    ("config", "names", "secure"),
    [
        ({"url": "https://ex.com"}, SECURE_NAMES, True),
        ({"url": "http://ex.com"}, PLAIN_NAMES, False),
        ({"url": "http://ex.com", "use_secure_cookies": True}, SECURE_NAMES, True),
        ({"url": "https://ex.com", "use_secure_cookies": False}, PLAIN_NAMES, False),
    ],
)
async def test_names_and_secure_attribute(
    config: dict[str, Any], names: dict[str, str], secure: bool
) -> None:
    client = Client(make_gate(**config))
    cookies = await signed_in_cookies(client)
    assert set(names.values()) <= set(cookies)
    for name in names.values():
        cookie = cookies[name]
        assert cookie.secure is secure
        assert ("; Secure" in cookie.serialize()) is secure
        assert cookie.domain is None
    session = await client.get("/session")
    assert body_json(session)["user"]["name"] == "Ada"


async def test_secure_cookie_serialisation() -> None:
    client = Client(make_gate(url="https://ex.com"))
    response = await client.get("/csrf")
    cookies = set_cookies(response)
    assert (
        cookies["__Host-next-auth.csrf-token"]
        .serialize()
        .endswith("; Path=/; HttpOnly; Secure; SameSite=Lax")
    )
    assert cookies["__Secure-next-auth.callback-url"].serialize() == (
        "__Secure-next-auth.callback-url=https%3A%2F%2Fex.com; Path=/; HttpOnly; Secure; "
        "SameSite=Lax"
    )


async def test_a_plain_cookie_is_ignored_on_a_secure_deployment() -> None:
    plain = Client(make_gate())
    await plain.sign_in()
    secure = Client(make_gate(url="https://ex.com"), jar=dict(plain.jar))
    assert (await secure.get("/session")).body == b"{}"


async def test_trusted_forwarded_https_gives_secure_cookies() -> None:
    client = Client(
        make_gate(trust_host=True),
        headers=[("host", "internal:8000"), ("x-forwarded-proto", "https")],
    )
    response = await client.get("/csrf")
    assert "__Host-next-auth.csrf-token" in set_cookies(response)


async def test_a_cookie_option_replaces_the_whole_entry() -> None:
    option = CookieOption(name="app.session", domain="ex.com", same_site="strict", secure=True)
    client = Client(make_gate(cookies={"session_token": option}))
    response = await client.sign_in()
    cookie = set_cookies(response)["app.session"]
    assert "next-auth.session-token" not in set_cookies(response)
    assert cookie.serialize().startswith("app.session=eyJ")
    assert cookie.serialize().endswith(
        "; Domain=ex.com; Path=/; Expires=" + cookie.serialize().split("Expires=")[1]
    )
    assert "; HttpOnly; Secure; SameSite=Strict" in cookie.serialize()
    session = await client.get("/session")
    assert body_json(session)["user"]["name"] == "Ada"
    assert "app.session" in set_cookies(session)


async def test_a_csrf_cookie_option_is_used_for_the_double_submit() -> None:
    client = Client(make_gate(cookies={"csrf_token": CookieOption(name="xsrf", path="/api")}))
    response = await client.get("/csrf")
    assert set_cookies(response)["xsrf"].path == "/api"
    signed_in = await client.sign_in()
    assert signed_in.redirect == "http://localhost:3000"
