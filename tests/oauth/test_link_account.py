"""The explicit "link account" action (SECURITY.md, decision 9) against a scripted provider.

A signed-in user POSTs ``/signin/:provider`` with ``csrfToken`` and ``link=true``; the intent
is sealed into the check cookies with the session's user id, and the callback links the
provider account to that user (and to no one else) instead of signing in anew.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from authgate import Callbacks, Events, SessionConfig
from authgate import jwt as authjwt
from authgate.adapters.memory import MemoryAdapter
from authgate.providers import Email
from blackbox.conftest import NOW, SECRET, SESSION, URL, Client, body_json, query_of, set_cookies
from blackbox.test_database_sessions import DownAdapter

from .fake_idp import SUBJECT, FakeIdP
from .test_flow import CHECK_COOKIES, PKCE, STATE, make

pytestmark = pytest.mark.anyio

BOB_TOKEN = "b" * 64


@pytest.fixture
def idp() -> FakeIdP:
    return FakeIdP(now=NOW)


class Setup:
    """A gate with a MemoryAdapter and Bob signed in (a database session in the jar)."""

    def __init__(self, idp: FakeIdP, adapter: MemoryAdapter | None = None, **config: Any) -> None:
        self.adapter = adapter or MemoryAdapter()
        self.fired: list[tuple[str, dict[str, Any]]] = []

        def record(name: str) -> Any:
            def handler(**params: Any) -> None:
                self.fired.append((name, params))

            return handler

        config.setdefault(
            "events",
            Events(
                sign_in=record("sign_in"),
                create_user=record("create_user"),
                link_account=record("link_account"),
            ),
        )
        self.gate = make(idp, adapter=self.adapter, **config)
        self.client = Client(self.gate)
        self.idp = idp

    async def bob(self, *, database: bool = True) -> dict[str, Any]:
        bob = await self.adapter.create_user(
            {"email": "bob@example.com", "emailVerified": None, "name": "Bob"}
        )
        if database:
            expires = datetime.fromtimestamp(NOW, UTC) + timedelta(days=1)
            await self.adapter.create_session(
                {"sessionToken": BOB_TOKEN, "userId": bob["id"], "expires": expires}
            )
            self.client.jar[SESSION] = BOB_TOKEN
        else:
            self.client.jar[SESSION] = authjwt.encode(
                {"sub": bob["id"], "name": "Bob", "email": "bob@example.com"}, SECRET, now=NOW
            )
        return dict(bob)

    async def start(
        self, *, link: str | None = "true", provider: str = "idp", client: Client | None = None
    ) -> Any:
        client = client or self.client
        form = {"csrfToken": await client.csrf(), "callbackUrl": "/settings"}
        if link is not None:
            form["link"] = link
        return await client.post(f"/signin/{provider}", form=form)

    def provider_params(self, response: Any) -> dict[str, str]:
        assert response.status == 302, response.body
        assert response.redirect is not None
        assert response.redirect.startswith("https://idp.example/authorize?"), response.redirect
        params = {k: v[0] for k, v in query_of(response.redirect).items()}
        self.idp.nonce = params.get("nonce")
        self.idp.code_challenge = params.get("code_challenge")
        return params

    async def finish(
        self, params: dict[str, str], client: Client | None = None, **extra: str
    ) -> Any:
        query = {"code": "the-CODE-123", "state": params["state"], **extra}
        return await (client or self.client).get("/callback/idp", query=query)

    def names(self) -> list[str]:
        return [name for name, _ in self.fired]


async def test_link_account_to_the_signed_in_user(idp: FakeIdP) -> None:
    setup = Setup(idp)
    bob = await setup.bob()
    params = setup.provider_params(await setup.start())
    assert "link" not in params, "the intent never goes to the provider"
    for name in CHECK_COOKIES:
        assert name in setup.client.jar

    landed = await setup.finish(params)
    assert landed.redirect == "http://localhost:3000/settings", landed.redirect
    cookies = set_cookies(landed)
    assert SESSION not in cookies, "the database session is kept"
    for name in CHECK_COOKIES:
        assert cookies[name].max_age == 0
    tables = setup.adapter.dump()
    assert len(tables["users"]) == 1, "no new user"
    [account] = tables["accounts"]
    assert account["userId"] == bob["id"]
    assert (account["provider"], account["providerAccountId"]) == ("idp", SUBJECT)
    assert [s["sessionToken"] for s in tables["sessions"]] == [BOB_TOKEN]
    assert setup.names() == ["link_account", "sign_in"]
    assert setup.fired[0][1]["user"]["id"] == bob["id"]
    assert setup.fired[1][1]["is_new_user"] is False
    session = body_json(await setup.client.get("/session"))
    assert session["user"]["email"] == "bob@example.com"

    # Linked: signing in with the provider (another browser) is signing in as Bob.
    other = Client(setup.gate)
    params = setup.provider_params(await setup.start(link=None, client=other))
    again = await setup.finish(params, client=other)
    assert again.redirect == "http://localhost:3000/settings"
    assert body_json(await other.get("/session"))["user"]["email"] == "bob@example.com"
    assert len(setup.adapter.dump()["users"]) == 1


async def test_linking_an_account_already_linked_to_the_user_is_a_no_op(idp: FakeIdP) -> None:
    setup = Setup(idp)
    bob = await setup.bob()
    await setup.adapter.link_account(
        {"userId": bob["id"], "type": "oauth", "provider": "idp", "providerAccountId": SUBJECT}
    )
    landed = await setup.finish(setup.provider_params(await setup.start()))
    assert landed.redirect == "http://localhost:3000/settings"
    assert len(setup.adapter.dump()["accounts"]) == 1
    assert setup.names() == ["sign_in"]


async def test_an_account_of_another_user_is_not_linked(idp: FakeIdP) -> None:
    setup = Setup(idp)
    await setup.bob()
    ada = await setup.adapter.create_user({"email": "ada@example.com", "emailVerified": None})
    await setup.adapter.link_account(
        {"userId": ada["id"], "type": "oauth", "provider": "idp", "providerAccountId": SUBJECT}
    )
    landed = await setup.finish(setup.provider_params(await setup.start()))
    assert landed.redirect == f"{URL}/error?error=OAuthAccountNotLinked"
    [account] = setup.adapter.dump()["accounts"]
    assert account["userId"] == ada["id"]
    assert setup.client.jar[SESSION] == BOB_TOKEN, "still Bob"
    assert body_json(await setup.client.get("/session"))["user"]["email"] == "bob@example.com"
    assert setup.names() == []


async def test_without_link_a_session_never_links(idp: FakeIdP) -> None:
    setup = Setup(idp)
    bob = await setup.bob()
    # A plain sign-in while Bob is signed in (v4 would link): a new user, a new session.
    landed = await setup.finish(setup.provider_params(await setup.start(link=None)))
    assert landed.redirect == "http://localhost:3000/settings"
    [account] = setup.adapter.dump()["accounts"]
    assert account["userId"] != bob["id"]
    assert setup.client.jar[SESSION] != BOB_TOKEN
    assert body_json(await setup.client.get("/session"))["user"]["email"] == "ada@example.com"
    assert setup.names() == ["create_user", "link_account", "sign_in"]


@pytest.mark.parametrize("value", ["false", "0", "", "yes"])
async def test_only_link_true_asks_to_link(idp: FakeIdP, value: str) -> None:
    setup = Setup(idp)
    bob = await setup.bob()
    await setup.finish(setup.provider_params(await setup.start(link=value)))
    [account] = setup.adapter.dump()["accounts"]
    assert account["userId"] != bob["id"]


async def test_link_in_a_query_is_ignored(idp: FakeIdP) -> None:
    setup = Setup(idp)
    bob = await setup.bob()
    form = {"csrfToken": await setup.client.csrf()}
    response = await setup.client.post("/signin/idp", form=form, query="link=true")
    params = setup.provider_params(response)
    await setup.finish(params, link="true")
    [account] = setup.adapter.dump()["accounts"]
    assert account["userId"] != bob["id"]


async def test_link_needs_a_session(idp: FakeIdP) -> None:
    setup = Setup(idp)
    response = await setup.start()
    assert response.redirect == f"{URL}/error?error=SessionRequired"
    assert not set(CHECK_COOKIES) & set(setup.client.jar), "no flow started"
    # An unknown or expired session token is no session either.
    setup.client.jar[SESSION] = "c" * 64
    response = await setup.start()
    assert response.redirect == f"{URL}/error?error=SessionRequired"
    assert idp.calls == []


async def test_link_while_the_database_is_down_is_an_outage(
    idp: FakeIdP, caplog: pytest.LogCaptureFixture
) -> None:
    """Who is signed in cannot be read: ``Callback`` (an outage), not ``SessionRequired``;
    no flow starts, and a flow started before the outage links nothing at its callback."""
    adapter = DownAdapter()
    setup = Setup(idp, adapter=adapter)
    await setup.bob()
    params = setup.provider_params(await setup.start())
    adapter.down = True
    landed = await setup.finish(params)
    assert landed.redirect == f"{URL}/error?error=Callback"
    assert idp.token_requests == [], "the code is not even exchanged"
    response = await setup.start()
    assert response.redirect == f"{URL}/error?error=Callback"
    assert not set(CHECK_COOKIES) & set(set_cookies(response)), "no flow started"
    assert "SIGNIN_LINK_ERROR: the adapter failed" in caplog.text
    adapter.down = False
    assert setup.adapter.dump()["accounts"] == []


async def test_link_needs_the_csrf_token(idp: FakeIdP) -> None:
    setup = Setup(idp)
    await setup.bob()
    await setup.client.csrf()
    response = await setup.client.post("/signin/idp", form={"link": "true"})
    assert response.redirect == f"{URL}/signin?csrf=true"
    assert not set(CHECK_COOKIES) & set(setup.client.jar)


async def test_the_session_must_be_the_same_user_at_the_callback(idp: FakeIdP) -> None:
    setup = Setup(idp)
    bob = await setup.bob()
    params = setup.provider_params(await setup.start())
    # Signed out meanwhile: nothing is linked, the code is not even exchanged.
    setup.client.jar.pop(SESSION)
    landed = await setup.finish(params)
    assert landed.redirect == f"{URL}/error?error=SessionRequired"
    assert idp.token_requests == []
    assert setup.adapter.dump()["accounts"] == []

    # Signed in as somebody else meanwhile (e.g. the attacker's session planted in the
    # browser after the victim started a link flow): refused.
    setup.client.jar[SESSION] = BOB_TOKEN
    params = setup.provider_params(await setup.start())
    mallory = await setup.adapter.create_user({"email": "m@example.com", "emailVerified": None})
    expires = datetime.fromtimestamp(NOW, UTC) + timedelta(days=1)
    await setup.adapter.create_session(
        {"sessionToken": "d" * 64, "userId": mallory["id"], "expires": expires}
    )
    setup.client.jar[SESSION] = "d" * 64
    landed = await setup.finish(params)
    assert landed.redirect == f"{URL}/error?error=OAuthAccountNotLinked"
    assert setup.adapter.dump()["accounts"] == []
    assert bob["id"] != mallory["id"]


async def test_cookies_of_a_link_flow_and_of_a_plain_flow_do_not_mix(idp: FakeIdP) -> None:
    setup = Setup(idp)
    await setup.bob()
    linked = setup.provider_params(await setup.start())
    link_state = setup.client.jar[STATE]
    plain = setup.provider_params(await setup.start(link=None))
    # The plain flow's PKCE and nonce with the link flow's state: refused.
    setup.client.jar[STATE] = link_state
    landed = await setup.finish(linked)
    assert landed.redirect == f"{URL}/error?error=OAuthCallback"
    assert setup.adapter.dump()["accounts"] == []
    del plain


async def test_a_plain_flow_started_elsewhere_cannot_link(idp: FakeIdP) -> None:
    """Login CSRF: the attacker's own flow (its check cookies) in the victim's signed-in
    browser signs in as the attacker's account at worst; it never links to the victim."""
    setup = Setup(idp)
    bob = await setup.bob()
    attacker = Client(setup.gate)
    params = setup.provider_params(await setup.start(link=None, client=attacker))
    for name in CHECK_COOKIES:  # planted into the victim's browser
        setup.client.jar[name] = attacker.jar[name]
    await setup.finish(params)
    [account] = setup.adapter.dump()["accounts"]
    assert account["userId"] != bob["id"]


async def test_link_with_jwt_sessions(idp: FakeIdP) -> None:
    seen: list[dict[str, Any]] = []

    def jwt(token: dict[str, Any], account: Any = None, trigger: Any = None) -> Any:
        if account is not None:
            seen.append({"trigger": trigger, "provider": account["provider"]})
        return token

    setup = Setup(idp, session=SessionConfig(strategy="jwt"), callbacks=Callbacks(jwt=jwt))
    bob = await setup.bob(database=False)
    landed = await setup.finish(setup.provider_params(await setup.start()))
    assert landed.redirect == "http://localhost:3000/settings"
    [account] = setup.adapter.dump()["accounts"]
    assert account["userId"] == bob["id"]
    claims = authjwt.decode(setup.client.jar[SESSION], SECRET, now=NOW)
    assert claims["sub"] == bob["id"]
    assert claims["email"] == "bob@example.com"
    assert seen == [{"trigger": "signIn", "provider": "idp"}]


async def test_link_is_refused_where_it_cannot_work(idp: FakeIdP) -> None:
    # Without an adapter there is nothing to link to.
    client = Client(make(idp))
    form = {"csrfToken": await client.csrf(), "link": "true"}
    response = await client.post("/signin/idp", form=form)
    assert response.redirect == f"{URL}/error?error=Signin"
    # An e-mail provider does not link.
    setup = Setup(idp, providers=[Email(server="smtp://127.0.0.1:1", from_="a@example.com")])
    await setup.bob()
    response = await setup.start(provider="email")
    assert response.redirect == f"{URL}/error?error=Signin"
    assert setup.adapter.dump()["verification_tokens"] == []
    assert PKCE not in setup.client.jar
