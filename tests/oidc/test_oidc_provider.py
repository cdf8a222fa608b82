"""Sign in through a real OpenID provider (oidc-provider on loopback), without a browser.

The gate talks to the provider with a real ``httpx.AsyncClient`` (discovery, JWKS, token,
userinfo); the test plays the browser with another client: the provider's login and consent
forms, then the redirect back to ``/callback/oidc``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urljoin, urlsplit

import httpx
import pytest

from _support.oidc_provider import CLIENT_ID, CLIENT_SECRET, oidc_provider
from authgate import AuthConfig, AuthGate, Callbacks
from authgate.providers import OIDC
from blackbox.conftest import SECRET, Client, body_json

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.anyio

APP = "http://127.0.0.1:9"  # never served: the test carries the redirect back itself
CALLBACK = f"{APP}/api/auth/callback/oidc"


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with oidc_provider([CALLBACK]) as url:
        yield url


def _form_action(html: str) -> str:
    match = re.search(r'<form[^>]*action="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


async def play_user(browser: httpx.AsyncClient, url: str, login: str) -> dict[str, str]:
    """Follow the provider's pages from the authorization URL to the redirect back; return
    the callback's query parameters."""
    for _ in range(12):
        response = await browser.get(url)
        if response.status_code in (302, 303):
            url = urljoin(url, response.headers["location"])
            if url.startswith(CALLBACK):
                return dict(parse_qsl(urlsplit(url).query))
            continue
        assert response.status_code == 200, response.text[:500]
        action = urljoin(url, _form_action(response.text))
        if 'name="login"' in response.text:
            form = {"prompt": "login", "login": login, "password": "anything"}
        else:
            form = {"prompt": "consent"}
        answer = await browser.post(action, data=form)
        assert answer.status_code in (302, 303), answer.text[:500]
        url = urljoin(action, answer.headers["location"])
        if url.startswith(CALLBACK):
            return dict(parse_qsl(urlsplit(url).query))
    raise AssertionError("the provider never redirected back")


async def test_sign_in_with_a_real_openid_provider(issuer: str) -> None:
    seen: dict[str, Any] = {}

    def jwt(token: dict[str, Any], account: Any = None, profile: Any = None) -> Any:
        if account is not None:
            seen.update(account=account, profile=profile)
        return token

    async with httpx.AsyncClient() as outbound, httpx.AsyncClient() as browser:
        gate = AuthGate(
            AuthConfig(
                providers=[
                    OIDC(id="oidc", issuer=issuer, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
                ],
                secret=SECRET,
                url=f"{APP}/api/auth",
                http_client=outbound,
                callbacks=Callbacks(jwt=jwt),
            ),
            env={},
        )
        client = Client(gate, now=None)
        token = await client.csrf()
        response = await client.post(
            "/signin/oidc", form={"csrfToken": token, "callbackUrl": f"{APP}/welcome"}
        )
        assert response.redirect is not None
        assert response.redirect.startswith(f"{issuer}/auth?")
        params = await play_user(browser, response.redirect, "ada")
        assert "code" in params
        assert params.get("iss") == issuer

        landed = await client.get("/callback/oidc", query=params)
        assert landed.redirect == f"{APP}/welcome", landed.redirect
        session = body_json(await client.get("/session"))
        assert session["user"] == {
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "image": f"{issuer}/avatars/ada.png",
        }
        assert seen["account"]["providerAccountId"] == "ada"
        assert seen["account"]["token_type"] == "Bearer"
        assert seen["profile"]["iss"] == issuer

        # The same code again: the check cookies are gone, and the code is spent.
        replay = await client.get("/callback/oidc", query=params)
        assert replay.redirect == f"{APP}/api/auth/error?error=OAuthCallback"


async def test_consent_refused_at_the_provider_is_callback(issuer: str) -> None:
    async with httpx.AsyncClient() as outbound, httpx.AsyncClient() as browser:
        gate = AuthGate(
            AuthConfig(
                providers=[
                    OIDC(id="oidc", issuer=issuer, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
                ],
                secret=SECRET,
                url=f"{APP}/api/auth",
                http_client=outbound,
            ),
            env={},
        )
        client = Client(gate, now=None)
        token = await client.csrf()
        response = await client.post("/signin/oidc", form={"csrfToken": token})
        assert response.redirect is not None
        # Log in, then abort at the consent screen (the dev interactions' "Cancel").
        first = await browser.get(response.redirect)
        interaction = urljoin(response.redirect, first.headers["location"])
        page = await browser.get(interaction)
        await browser.post(
            urljoin(interaction, _form_action(page.text)),
            data={"prompt": "login", "login": "bob", "password": "x"},
        )
        uid = urlsplit(interaction).path.rstrip("/").rsplit("/", 1)[-1]
        aborted = await browser.get(f"{issuer}/interaction/{uid}/abort")
        location = urljoin(issuer, aborted.headers["location"])
        while not location.startswith(CALLBACK):
            hop = await browser.get(location)
            location = urljoin(location, hop.headers["location"])
        params = dict(parse_qsl(urlsplit(location).query))
        assert params["error"] == "access_denied"
        landed = await client.get("/callback/oidc", query=params)
        assert landed.redirect == f"{APP}/api/auth/error?error=Callback"
        assert body_json(await client.get("/session")) == {}
