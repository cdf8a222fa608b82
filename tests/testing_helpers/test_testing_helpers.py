"""``authgate.testing`` used as an app's own tests would: a FastAPI app with a protected route,
signed into with minted cookies (JWT and database sessions) and through the fake OpenID provider.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
import pytest
from fastapi import Depends, FastAPI

from authgate import AuthConfig, AuthGate, Callbacks, SessionConfig
from authgate.adapters.memory import MemoryAdapter
from authgate.integrations.asgi import AuthApp
from authgate.integrations.fastapi import session_dependency
from authgate.providers import Credentials
from authgate.testing import DEFAULT_USER, FakeIdentityProvider, session_cookies

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

pytestmark = pytest.mark.anyio

SECRET = "testing-helpers-secret-0123456789abcdefghij"
ADA = {"id": "1", "name": "Ada", "email": "ada@example.com", "image": None}


def app_for(gate: AuthGate) -> FastAPI:
    app = FastAPI()
    app.mount("/api/auth", AuthApp(gate))
    current = session_dependency(gate)

    @app.get("/me")
    async def me(session: Any = Depends(current)) -> Any:  # noqa: B008
        return session

    return app


def make_gate(providers: list[Any] | None = None, **config: Any) -> AuthGate:
    providers = providers or [Credentials(authorize=lambda c, r: None, database_session=True)]
    config.setdefault("url", "http://testserver/api/auth")
    return AuthGate(AuthConfig(providers=providers, secret=SECRET, **config), env={})


async def client_for(gate: AuthGate) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app_for(gate)), base_url="http://testserver"
    )


@pytest.fixture
async def jwt_client() -> AsyncIterator[tuple[AuthGate, httpx.AsyncClient]]:
    gate = make_gate()
    async with await client_for(gate) as client:
        yield gate, client


async def test_a_minted_jwt_session_opens_the_protected_route(
    jwt_client: tuple[AuthGate, httpx.AsyncClient],
) -> None:
    gate, client = jwt_client
    assert (await client.get("/me")).status_code == 401
    client.cookies.update(await session_cookies(gate, ADA))
    response = await client.get("/me")
    assert response.status_code == 200
    assert response.json()["user"] == {"name": "Ada", "email": "ada@example.com", "image": None}
    # The app's own /session route reads it too: a real session, not a test back door.
    assert (await client.get("/api/auth/session")).json()["user"]["name"] == "Ada"


async def test_the_plugin_fixture_is_the_helper(
    session_cookies: Callable[..., Any], jwt_client: tuple[AuthGate, httpx.AsyncClient]
) -> None:
    gate, client = jwt_client
    client.cookies.update(await session_cookies(gate, ADA))
    assert (await client.get("/me")).status_code == 200


async def test_the_jwt_callback_runs_at_minting() -> None:
    seen: list[dict[str, Any]] = []

    async def jwt(
        token: dict[str, Any], user: Any = None, account: Any = None, trigger: Any = None
    ) -> dict[str, Any]:
        if user is not None:
            seen.append({"trigger": trigger, "provider": account["provider"]})
            token["role"] = "admin"
        return token

    async def session(session: dict[str, Any], token: dict[str, Any]) -> dict[str, Any]:
        session["role"] = token.get("role")
        return session

    gate = make_gate(callbacks=Callbacks(jwt=jwt, session=session))
    async with await client_for(gate) as client:
        client.cookies.update(await session_cookies(gate, ADA))
        assert (await client.get("/me")).json()["role"] == "admin"
    assert seen == [{"trigger": "signIn", "provider": "testing"}]


async def test_a_refusing_jwt_callback_is_an_error() -> None:
    gate = make_gate(callbacks=Callbacks(jwt=lambda token: None))
    with pytest.raises(ValueError, match="refused"):
        await session_cookies(gate, ADA)


async def test_https_gates_get_secure_cookie_names() -> None:
    gate = make_gate(url="https://example.com/api/auth")
    assert list(await session_cookies(gate, ADA)) == ["__Secure-next-auth.session-token"]
    assert list(await session_cookies(gate, ADA, secure=False)) == ["next-auth.session-token"]
    v5 = make_gate(profile="authjs-v5")
    assert list(await session_cookies(v5, ADA)) == ["authjs.session-token"]


async def test_a_large_token_is_chunked_like_a_real_sign_in() -> None:
    gate = make_gate()
    big = {**ADA, "name": "x" * 6000}
    cookies = await session_cookies(gate, big)
    assert sorted(cookies) == [f"next-auth.session-token.{i}" for i in range(3)]
    async with await client_for(gate) as client:
        client.cookies.update(cookies)
        assert (await client.get("/me")).json()["user"]["name"] == "x" * 6000


async def test_an_expired_minted_session_is_refused(
    jwt_client: tuple[AuthGate, httpx.AsyncClient],
) -> None:
    gate, client = jwt_client
    client.cookies.update(await session_cookies(gate, ADA, now=1_000_000_000.0))
    assert (await client.get("/me")).status_code == 401


async def test_a_user_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(TypeError, match="mapping"):
        await session_cookies(make_gate(), "ada")  # type: ignore[arg-type]


async def test_database_sessions_store_a_session_row() -> None:
    adapter = MemoryAdapter()
    gate = make_gate(adapter=adapter)
    stored = await adapter.create_user(
        {"email": "grace@example.com", "emailVerified": None, "name": "Grace"}
    )
    async with await client_for(gate) as client:
        cookies = await session_cookies(gate, {"id": stored["id"]})
        assert list(cookies) == ["next-auth.session-token"]
        client.cookies.update(cookies)
        me = await client.get("/me")
        assert me.json()["user"]["email"] == "grace@example.com"
        assert me.json()["user"]["name"] == "Grace"
        # Signing out through the app deletes the row: the cookie no longer works.
        csrf = (await client.get("/api/auth/csrf")).json()["csrfToken"]
        await client.post("/api/auth/signout", data={"csrfToken": csrf})
        client.cookies.update(cookies)
        assert (await client.get("/me")).status_code == 401


async def test_database_sessions_create_an_unknown_user() -> None:
    adapter = MemoryAdapter()
    gate = make_gate(adapter=adapter, session=SessionConfig(strategy="database"))
    cookies = await session_cookies(gate, {"id": "nobody", "email": "new@example.com"})
    async with await client_for(gate) as client:
        client.cookies.update(cookies)
        assert (await client.get("/me")).json()["user"]["email"] == "new@example.com"
    assert await adapter.get_user_by_email("new@example.com") is not None


# --------------------------------------------------------------------------------------------
# The fake identity provider.


async def test_sign_in_through_the_fake_provider(fake_idp: FakeIdentityProvider) -> None:
    gate = make_gate([fake_idp.provider()])
    async with await client_for(gate) as client:
        assert (await client.get("/me")).status_code == 401
        callback = await fake_idp.sign_in(client, callback_url="/me")
        assert callback.status_code == 302
        assert callback.headers["location"] == "http://testserver/me"
        me = (await client.get("/me")).json()
    assert me["user"] == {
        "name": DEFAULT_USER["name"],
        "email": DEFAULT_USER["email"],
        "image": DEFAULT_USER["picture"],
    }


async def test_the_fake_provider_signs_in_whom_it_is_told(fake_idp: FakeIdentityProvider) -> None:
    gate = make_gate([fake_idp.provider()], adapter=MemoryAdapter())
    fake_idp.user = {"sub": "7", "name": "Grace", "email": "grace@example.com"}
    async with await client_for(gate) as client:
        await fake_idp.sign_in(client)
        assert (await client.get("/me")).json()["user"]["name"] == "Grace"
    async with await client_for(gate) as other:
        await fake_idp.sign_in(other, user={"sub": "8", "name": "Linus", "email": "l@x.org"})
        assert (await other.get("/me")).json()["user"]["name"] == "Linus"


async def test_client_secret_post_and_userinfo(fake_idp: FakeIdentityProvider) -> None:
    provider = fake_idp.provider(
        client_auth="client_secret_post", id_token=False, checks=("pkce", "state")
    )
    gate = make_gate([provider])
    async with await client_for(gate) as client:
        before = fake_idp.token_requests
        await fake_idp.sign_in(client)
        assert (await client.get("/me")).status_code == 200
    assert fake_idp.token_requests == before + 1


async def test_a_wrong_client_secret_fails_the_sign_in(fake_idp: FakeIdentityProvider) -> None:
    provider = fake_idp.provider(client_secret="not-the-secret")
    gate = make_gate([provider])
    async with await client_for(gate) as client:
        callback = await fake_idp.sign_in(client)
        assert "error=OAuthCallback" in callback.headers["location"]
        assert (await client.get("/me")).status_code == 401


def test_the_fake_provider_checks_what_a_real_one_checks() -> None:
    with FakeIdentityProvider() as idp:
        base = f"{idp.issuer}/authorize"
        ok = {"client_id": idp.client_id, "redirect_uri": "http://app/cb", "response_type": "code"}
        assert "code=" in idp.approve(f"{base}?{httpx.QueryParams(ok)}")
        for bad in (
            {**ok, "client_id": "other"},
            {**ok, "response_type": "token"},
            {**ok, "redirect_uri": "javascript:alert(1)"},
            {**ok, "code_challenge": "x", "code_challenge_method": "plain"},
        ):
            with pytest.raises(RuntimeError, match="refused"):
                idp.approve(f"{base}?{httpx.QueryParams(bad)}")
        with pytest.raises(ValueError, match="not an authorization URL"):
            idp.approve("https://accounts.example.com/authorize")
        callback = httpx.URL(idp.approve(f"{base}?{httpx.QueryParams(ok)}"))
        form = {
            "grant_type": "authorization_code",
            "code": callback.params["code"],
            "redirect_uri": "http://app/cb",
            "client_id": idp.client_id,
            "client_secret": idp.client_secret,
        }
        first = httpx.post(f"{idp.issuer}/token", data=form)
        assert first.status_code == 200
        assert "id_token" in first.json()
        again = httpx.post(f"{idp.issuer}/token", data=form)  # codes are single use
        assert again.json() == {"error": "invalid_grant"}
        assert httpx.get(f"{idp.issuer}/userinfo").status_code == 401
        bearer = {"authorization": f"Bearer {first.json()['access_token']}"}
        assert httpx.get(f"{idp.issuer}/userinfo", headers=bearer).json() == DEFAULT_USER
    with pytest.raises(RuntimeError, match="not started"):
        _ = idp.issuer
