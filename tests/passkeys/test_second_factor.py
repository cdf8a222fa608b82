"""A security key as the second factor (``TwoFactor(security_keys=True)``), black-box.

A password user adds a WebAuthn credential (the registration ceremony, real attestation from
:class:`SoftAuthenticator`), then signs in with the password: the two-factor step offers the
key; ``GET /webauthn-options/passkey?action=two-factor`` lists that user's credentials; the
assertion posted to ``/two-factor`` (py_webauthn verifying it) issues the session with amr
``["pwd", "hwk"]``. Every bad answer is ``SecurityKeyRefused`` (or the pending/session error),
never a 500 and never a session. SQLite and PostgreSQL, both session strategies.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any

import pytest

from _support.soft_authenticator import UP, SoftAuthenticator, b64url
from accounts.conftest import STRONG, Mailbox, sign_in, sign_up
from authgate import AuthRequest, SessionConfig, TwoFactor
from authgate.providers import Passkey, Password
from authgate.ratelimit import Policy, RateLimit
from blackbox.conftest import NOW, SESSION, Client, body_json, make_gate

from .conftest import Browser, key

if TYPE_CHECKING:
    from authgate import AuthGate
    from authgate.http import AuthResponse

pytestmark = pytest.mark.anyio

PENDING = "next-auth.two-factor"
CHALLENGE = "next-auth.challenge"
ALICE = "alice@example.com"
BOB = "bob@example.com"
OTHER_ORIGIN = "http://evil.example:3000"


class Site:
    """A gate with Password, Passkey and two-factor (security keys on), and its mailbox."""

    def __init__(
        self, adapter: Any, strategy: str = "jwt", profile: str = "nextauth-v4", **config: Any
    ) -> None:
        self.adapter = adapter
        self.strategy = strategy
        self.mailbox = Mailbox()
        self.prefix = "next-auth" if profile == "nextauth-v4" else "authjs"
        config.setdefault("two_factor", TwoFactor(security_keys=True))
        self.gate: AuthGate = make_gate(
            adapter=adapter,
            providers=[Password(send_mail=self.mailbox), Passkey()],
            session=SessionConfig(strategy=strategy),  # type: ignore[arg-type]
            profile=profile,
            **config,
        )

    def cookie(self, name: str) -> str:
        """The profile's name of cookie ``name`` (``session-token``, ``two-factor``, ...)."""
        return f"{self.prefix}.{name}"

    def client(self, **kw: Any) -> Client:
        return Client(self.gate, **kw)

    async def signed_up(self, email: str = ALICE) -> Client:
        """A client that signed up, confirmed ``email`` and signed in with the password."""
        owner = self.client()
        assert (await sign_up(owner, email)).status == 302
        params = self.mailbox.link_params("verify-email")
        assert (await owner.get("/verify-email", query=params)).status == 200
        assert (await sign_in(owner, email)).status == 302
        return owner

    async def account_with_key(self, email: str = ALICE) -> SoftAuthenticator:
        """Sign up, sign in, add a security key (the registration ceremony)."""
        owner = await self.signed_up(email)
        passkey = key()
        added = await Browser(owner).add(passkey)
        assert added.status == 302, added.body
        return passkey

    async def pending(self, email: str = ALICE, **kw: Any) -> Client:
        """A client that passed the password and waits at the two-factor step."""
        client = self.client(**kw)
        first = await sign_in(client, email, STRONG)
        assert first.redirect == "http://localhost:3000/api/auth/two-factor", first.redirect
        assert SESSION not in client.jar
        assert PENDING in client.jar
        return client

    async def methods(self, client: Client) -> list[str] | None:
        cookie = "; ".join(f"{k}={v}" for k, v in client.jar.items())
        request = AuthRequest.build(
            method="GET", path="/", headers=[("cookie", cookie), ("host", "localhost:3000")]
        )
        return await self.gate.get_sign_in_methods(request, now=client.now)


async def key_options(client: Client) -> dict[str, Any]:
    response = await client.get("/webauthn-options/passkey", query={"action": "two-factor"})
    assert response.status == 200, response.body
    answer: dict[str, Any] = body_json(response)
    assert answer["action"] == "two-factor"
    options: dict[str, Any] = answer["options"]
    return options


async def post_key(client: Client, data: Any, **extra: str) -> AuthResponse:
    form = {
        "csrfToken": await client.csrf(),
        "action": "two-factor",
        "data": data if isinstance(data, str) else json.dumps(data),
        **extra,
    }
    return await client.post("/two-factor", form=form)


def no_session(client: Client, response: AuthResponse) -> None:
    assert SESSION not in client.jar
    assert not [c for c in response.cookies if "session-token" in c.name and c.max_age != 0]


def refused(response: AuthResponse, client: Client) -> None:
    """The documented refusal: 400, the page's message, the pending sign-in kept, no session."""
    assert response.status == 400, response.body
    assert b"Your security key was not accepted." in response.body
    no_session(client, response)
    assert not [c for c in response.cookies if c.name == CHALLENGE and c.max_age != 0]


def logged(caplog: pytest.LogCaptureFixture, tag: str) -> bool:
    return any(tag in r.getMessage() for r in caplog.records)


@pytest.fixture(params=["jwt", "database"])
def strategy(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def site(adapter: Any) -> Site:
    return Site(adapter)


# ---- the flow ----------------------------------------------------------------------------


async def test_password_then_security_key_signs_in_with_hwk(
    adapter: Any, strategy: str, profile: str
) -> None:
    site = Site(adapter, strategy, profile)
    session, pending, challenge = (
        site.cookie(n) for n in ("session-token", "two-factor", "challenge")
    )
    passkey = await site.account_with_key()
    client = site.client()
    assert (await sign_in(client, ALICE)).redirect == "http://localhost:3000/api/auth/two-factor"
    assert session not in client.jar
    assert pending in client.jar

    page = await client.get("/two-factor")
    assert page.status == 200
    assert b'id="securityKeyButton"' in page.body
    assert b'data-options="http://localhost:3000/api/auth/webauthn-options/passkey"' in page.body
    assert b'<script src="http://localhost:3000/api/auth/webauthn.js" defer></script>' in page.body
    assert b"onclick" not in page.body
    policy = dict(page.headers)["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("style-src")[0]
    assert b'autocomplete="one-time-code"' in page.body, "the code form works without script"

    options = await key_options(client)
    allowed = [c["id"] for c in options["allowCredentials"]]
    assert allowed == [b64url(passkey.credential_id)], "only this user's credentials"
    assert options["userVerification"] == "preferred"
    assert challenge in client.jar

    done = await post_key(client, passkey.authenticate(options))
    assert done.status == 302, done.body
    assert done.redirect == "http://localhost:3000"
    assert session in client.jar
    assert pending not in client.jar
    assert challenge not in client.jar, "the challenge cookie is deleted"
    assert await site.methods(client) == ["pwd", "hwk"]
    assert await site.gate.has_second_factor(
        AuthRequest.build(
            method="GET",
            path="/",
            headers=[("cookie", f"{session}={client.jar[session]}"), ("host", "localhost:3000")],
        ),
        now=client.now,
    )


async def test_json_mode(adapter: Any, strategy: str) -> None:
    site = Site(adapter, strategy)
    passkey = await site.account_with_key()
    client = site.client()
    token = await client.csrf()
    first = await client.post(
        "/callback/password",
        form={"csrfToken": token, "email": ALICE, "password": STRONG, "json": "true"},
    )
    assert body_json(first) == {
        "url": "http://localhost:3000/api/auth/two-factor",
        "twoFactor": True,
    }
    options = await key_options(client)
    wrong = await post_key(
        client, passkey.authenticate(options, client={"origin": OTHER_ORIGIN}), json="true"
    )
    assert wrong.status == 400
    assert body_json(wrong) == {"error": "SecurityKeyRefused"}
    done = await post_key(client, passkey.authenticate(await key_options(client)), json="true")
    assert done.status == 200
    assert body_json(done) == {"url": "http://localhost:3000"}
    assert await site.methods(client) == ["pwd", "hwk"]


async def test_user_presence_without_verification_is_enough(site: Site) -> None:
    passkey = await site.account_with_key()
    client = await site.pending()
    done = await post_key(client, passkey.authenticate(await key_options(client), flags=UP))
    assert done.status == 302
    assert await site.methods(client) == ["pwd", "hwk"]


async def test_step_up_of_a_signed_in_session(adapter: Any, strategy: str) -> None:
    site = Site(adapter, strategy)
    owner = await site.signed_up()
    assert await site.methods(owner) == ["pwd"]
    passkey = key()
    assert (await Browser(owner).add(passkey)).status == 302

    page = await owner.get("/two-factor")
    assert page.status == 200, "a security key is a second factor: no detour to TOTP setup"
    assert b'id="securityKeyButton"' in page.body
    done = await post_key(owner, passkey.authenticate(await key_options(owner)))
    assert done.status == 302
    assert await site.methods(owner) == ["pwd", "hwk"]


async def test_without_the_setting_a_passkey_is_no_second_factor(adapter: Any) -> None:
    site = Site(adapter, two_factor=TwoFactor())
    await site.account_with_key()
    client = site.client()
    assert (await sign_in(client, ALICE)).redirect == "http://localhost:3000"
    assert await site.methods(client) == ["pwd"]
    response = await client.get("/webauthn-options/passkey", query={"action": "two-factor"})
    assert response.status == 400
    assert body_json(response) == {"error": "Invalid action"}
    form = {"csrfToken": await client.csrf(), "data": "{}"}
    assert (await client.post("/two-factor", form=form)).status == 400


async def test_a_passkey_sign_in_is_proof_of_possession_not_a_second_factor(
    adapter: Any,
) -> None:
    site = Site(adapter, two_factor=TwoFactor())
    passkey = await site.account_with_key()
    client = site.client()
    done = await Browser(client).sign_in(passkey)
    assert done.status == 302, done.body
    assert await site.methods(client) == ["pop"], "RFC 8176 pop, not pwd"
    request = AuthRequest.build(
        method="GET",
        path="/",
        headers=[("cookie", f"{SESSION}={client.jar[SESSION]}"), ("host", "localhost:3000")],
    )
    assert not await site.gate.has_second_factor(request, now=client.now)


async def test_security_keys_need_the_passkey_provider(adapter: Any) -> None:
    from authgate.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="Passkey"):
        make_gate(
            adapter=adapter,
            providers=[Password(send_mail=Mailbox())],
            two_factor=TwoFactor(security_keys=True),
        )
    with pytest.raises(ConfigurationError, match="security_keys"):
        TwoFactor(security_keys="yes")  # type: ignore[arg-type]


# ---- refusals ----------------------------------------------------------------------------


async def test_another_users_credential_is_refused(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    await site.account_with_key(ALICE)
    bobs = await site.account_with_key(BOB)
    client = await site.pending(ALICE)
    options = await key_options(client)
    with caplog.at_level(logging.WARNING, logger="authgate"):
        response = await post_key(client, bobs.authenticate(options))
    refused(response, client)
    assert logged(caplog, "WEBAUTHN_UNKNOWN_CREDENTIAL")


async def test_an_unknown_credential_is_refused(site: Site) -> None:
    await site.account_with_key()
    client = await site.pending()
    refused(await post_key(client, key().authenticate(await key_options(client))), client)


async def test_a_wrong_origin_is_refused(site: Site, caplog: pytest.LogCaptureFixture) -> None:
    passkey = await site.account_with_key()
    client = await site.pending()
    options = await key_options(client)
    with caplog.at_level(logging.WARNING, logger="authgate"):
        response = await post_key(
            client, passkey.authenticate(options, client={"origin": OTHER_ORIGIN})
        )
    refused(response, client)
    assert logged(caplog, "WEBAUTHN_ORIGIN")


async def test_a_replayed_challenge_is_refused(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    passkey = await site.account_with_key()
    client = await site.pending()
    options = await key_options(client)
    cookie = client.jar[CHALLENGE]
    refused(await post_key(client, passkey.authenticate(options, rp_id="evil.example")), client)
    client.jar[CHALLENGE] = cookie  # the same challenge again, now with a good assertion
    with caplog.at_level(logging.WARNING, logger="authgate"):
        response = await post_key(client, passkey.authenticate(options))
    refused(response, client)
    assert logged(caplog, "WEBAUTHN_CHALLENGE")


async def test_a_challenge_of_another_sign_in_is_refused(site: Site) -> None:
    passkey = await site.account_with_key()
    first, second = await site.pending(), await site.pending()
    options = await key_options(first)
    second.jar[CHALLENGE] = first.jar[CHALLENGE]  # alice's other pending sign-in's challenge
    refused(await post_key(second, passkey.authenticate(options)), second)


async def test_a_passkey_sign_in_challenge_is_refused(site: Site) -> None:
    passkey = await site.account_with_key()
    client = await site.pending()
    answer = await Browser(client).options_json(action="authenticate")
    refused(await post_key(client, passkey.authenticate(answer["options"])), client)


async def test_a_step_up_challenge_does_not_finish_a_pending_sign_in(site: Site) -> None:
    passkey = await site.account_with_key()
    owner = site.client()
    assert (await sign_in(owner, ALICE)).status == 302
    assert (await post_key(owner, passkey.authenticate(await key_options(owner)))).status == 302
    client = await site.pending()
    options = await key_options(owner)  # issued to the session, not to the pending sign-in
    client.jar[CHALLENGE] = owner.jar[CHALLENGE]
    refused(await post_key(client, passkey.authenticate(options)), client)


async def test_one_assertion_posted_twice_at_once_signs_in_once(site: Site) -> None:
    passkey = await site.account_with_key()
    client = await site.pending()
    data = passkey.authenticate(await key_options(client))
    twin = site.client()
    twin.jar.update(client.jar)
    answers = await asyncio.gather(post_key(client, data), post_key(twin, data))
    assert sorted(a.status for a in answers) == [302, 400]
    assert sum(SESSION in c.jar for c in (client, twin)) == 1


async def test_counter_regression_is_refused_and_logged(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    passkey = await site.account_with_key()
    client = await site.pending()
    assert (
        await post_key(client, passkey.authenticate(await key_options(client), counter=7))
    ).status == 302
    again = await site.pending()
    with caplog.at_level(logging.WARNING, logger="authgate"):
        response = await post_key(again, passkey.authenticate(await key_options(again), counter=7))
    refused(response, again)
    assert logged(caplog, "WEBAUTHN_COUNTER")
    assert logged(caplog, "cloned key?")


@pytest.mark.parametrize(
    "data",
    ["not json", "[]", '{"id": 5}', '{"id": "AAAA", "response": {}}', "x" * 20_000],
    ids=["text", "list", "number-id", "no-client-data", "huge"],
)
async def test_malformed_answers(site: Site, data: str) -> None:
    await site.account_with_key()
    client = await site.pending()
    await key_options(client)
    response = await post_key(client, data)
    assert response.status in (400, 413), response.body
    no_session(client, response)


async def test_without_a_pending_sign_in(site: Site) -> None:
    passkey = await site.account_with_key()
    stranger = site.client()
    response = await stranger.get("/webauthn-options/passkey", query={"action": "two-factor"})
    assert response.status == 400
    assert body_json(response) == {"error": "No sign-in to confirm"}
    assert CHALLENGE not in stranger.jar
    client = await site.pending()
    options = await key_options(client)
    del client.jar[PENDING]
    response = await post_key(client, passkey.authenticate(options), json="true")
    assert response.status == 401
    assert "error=SessionRequired" in body_json(response)["url"]
    no_session(client, response)


async def test_an_expired_pending_sign_in(site: Site) -> None:
    passkey = await site.account_with_key()
    client = await site.pending()
    options = await key_options(client)
    later = NOW + 301
    token = await client.csrf()
    form = {"csrfToken": token, "data": json.dumps(passkey.authenticate(options)), "json": "true"}
    response = await client.post("/two-factor", form=form, now=later)
    assert response.status == 401
    assert "error=SessionRequired" in body_json(response)["url"]
    no_session(client, response)
    expired = await client.get(
        "/webauthn-options/passkey", query={"action": "two-factor"}, now=later
    )
    assert expired.status == 400


async def test_a_user_without_a_key_gets_no_options(site: Site) -> None:
    await site.account_with_key(ALICE)
    owner = await site.signed_up(BOB)  # no factor: no two-factor step
    response = await owner.get("/webauthn-options/passkey", query={"action": "two-factor"})
    assert response.status == 400
    assert body_json(response) == {"error": "No security key"}


async def test_throttled_like_codes(adapter: Any) -> None:
    strict = Policy(free=2, max_attempts=2, base_delay=1.0, max_delay=1.0, window=60.0)
    site = Site(adapter, rate_limit=RateLimit(per_identifier=strict))
    passkey = await site.account_with_key()
    client = await site.pending(client_host="203.0.113.9")
    for _ in range(2):
        options = await key_options(client)
        refused(await post_key(client, key().authenticate(options)), client)
    options = await key_options(client)
    throttled = await post_key(client, passkey.authenticate(options), json="true")
    assert throttled.status == 429
    assert "error=TooManyRequests" in body_json(throttled)["url"]
    assert dict(throttled.headers).get("retry-after")
    no_session(client, throttled)


# ---- a failing store ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "method", ["get_authenticator", "update_authenticator_counter", "use_verification_token"]
)
async def test_the_check_fails_closed(method: str, caplog: pytest.LogCaptureFixture) -> None:
    from .test_adapter_failures import FailingAdapter

    adapter = FailingAdapter()
    site = Site(adapter)
    passkey = await site.account_with_key()
    client = await site.pending()
    options = await key_options(client)
    adapter.fail[method] = 0
    with caplog.at_level(logging.ERROR, logger="authgate"):
        response = await post_key(client, passkey.authenticate(options), json="true")
    assert response.status == 503
    assert "error=Callback" in body_json(response)["url"]
    assert logged(caplog, "TWO_FACTOR_ERROR")
    no_session(client, response)
    assert PENDING in client.jar, "the pending sign-in is not used up"


async def test_options_and_page_when_the_store_fails(caplog: pytest.LogCaptureFixture) -> None:
    from .test_adapter_failures import FailingAdapter

    adapter = FailingAdapter()
    site = Site(adapter)
    await site.account_with_key()
    client = await site.pending()
    adapter.fail["list_authenticators_by_user_id"] = 0
    with caplog.at_level(logging.ERROR, logger="authgate"):
        response = await client.get("/webauthn-options/passkey", query={"action": "two-factor"})
        page = await client.get("/two-factor")
    assert response.status == 503
    assert body_json(response) == {"error": "Service unavailable"}
    assert CHALLENGE not in client.jar
    assert logged(caplog, "WEBAUTHN_OPTIONS_ERROR")
    assert page.status == 302
    assert "error=Callback" in (page.redirect or "")
