"""GET and POST /signout (v4 ``core/routes/signout.ts``)."""

from __future__ import annotations

from typing import Any

import pytest

from authgate import Callbacks, Events, PagesConfig

from .conftest import CSRF, ORIGIN, SESSION, URL, Client, body_json, make_gate, set_cookies

pytestmark = pytest.mark.anyio

CLEARED = f"{SESSION}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"


async def test_get_renders_the_page_with_the_csrf_token_of_the_cookie() -> None:
    client = Client(make_gate())
    response = await client.get("/signout")
    assert response.status == 200
    assert (response.header("content-type") or "").startswith("text/html")
    token = client.jar[CSRF].split("|")[0]
    html = response.body.decode()
    assert f'action="{URL}/signout"' in html
    assert f'name="csrfToken" value="{token}"' in html
    assert response.header("x-content-type-options") == "nosniff"


async def test_get_with_a_custom_page_redirects_there_without_params() -> None:
    client = Client(make_gate(pages=PagesConfig(sign_out="/bye")))
    response = await client.get("/signout", query={"callbackUrl": "/x"})
    assert (response.status, response.redirect) == (302, "/bye")


async def test_post_without_csrf_redirects_to_signout_csrf_true_and_keeps_the_session() -> None:
    client = Client(make_gate())
    await client.sign_in()
    response = await client.post("/signout", form={})
    assert (response.status, response.redirect) == (302, f"{URL}/signout?csrf=true")
    assert SESSION not in set_cookies(response)
    json_mode = await client.post("/signout", form={"json": "true", "csrfToken": "0" * 64})
    assert (json_mode.status, body_json(json_mode)) == (200, {"url": f"{URL}/signout?csrf=true"})
    assert SESSION in client.jar


async def test_post_with_a_session_clears_it_fires_the_event_and_redirects() -> None:
    seen: list[Any] = []
    client = Client(make_gate(events=Events(sign_out=lambda token: seen.append(token))))
    await client.sign_in()
    csrf = await client.csrf()
    response = await client.post("/signout", form={"csrfToken": csrf})
    assert (response.status, response.redirect) == (302, ORIGIN)
    assert set_cookies(response)[SESSION].serialize() == CLEARED
    assert SESSION not in client.jar
    ((token,),) = [seen]
    assert (token["sub"], token["name"]) == ("1", "Ada")
    assert body_json(await client.get("/session")) == {}


async def test_post_json_mode_with_callback_url() -> None:
    client = Client(make_gate())
    await client.sign_in()
    csrf = await client.csrf()
    response = await client.post(
        "/signout", form={"csrfToken": csrf, "callbackUrl": "/bye", "json": "true"}
    )
    assert (response.status, body_json(response)) == (200, {"url": f"{ORIGIN}/bye"})
    assert set_cookies(response)[SESSION].serialize() == CLEARED


async def test_post_without_a_session_just_redirects() -> None:
    seen: list[Any] = []
    client = Client(make_gate(events=Events(sign_out=lambda token: seen.append(token))))
    csrf = await client.csrf()
    response = await client.post("/signout", form={"csrfToken": csrf, "callbackUrl": "/x"})
    assert (response.status, response.redirect) == (302, f"{ORIGIN}/x")
    assert SESSION not in set_cookies(response)
    assert seen == []


async def test_post_with_an_invalid_session_clears_it_without_the_event() -> None:
    seen: list[Any] = []
    client = Client(make_gate(events=Events(sign_out=lambda token: seen.append(token))))
    csrf = await client.csrf()
    client.jar[SESSION] = "garbage"
    client.jar[f"{SESSION}.3"] = "stale"
    response = await client.post("/signout", form={"csrfToken": csrf})
    assert response.redirect == ORIGIN
    assert {c.name: c.max_age for c in response.cookies if c.name.startswith(SESSION)} == {
        SESSION: 0,
        f"{SESSION}.3": 0,
    }
    assert seen == []


async def test_a_failing_sign_out_event_is_swallowed() -> None:
    def on_sign_out(token: dict[str, Any]) -> None:
        raise RuntimeError("event handler bug")

    client = Client(make_gate(events=Events(sign_out=on_sign_out)))
    await client.sign_in()
    csrf = await client.csrf()
    response = await client.post("/signout", form={"csrfToken": csrf})
    assert response.redirect == ORIGIN
    assert set_cookies(response)[SESSION].max_age == 0


async def test_the_redirect_callback_decides_where_signout_lands() -> None:
    def redirect(url: str, base_url: str) -> str:
        return f"{base_url}/goodbye"

    client = Client(make_gate(callbacks=Callbacks(redirect=redirect)))
    csrf = await client.csrf()
    response = await client.post("/signout", form={"csrfToken": csrf, "callbackUrl": "/x"})
    assert response.redirect == f"{ORIGIN}/goodbye"
