"""Sign-in through an adapter when something fails: the adapter, a callback, a user hook.

Every failure must end on the documented error code with no session cookie and nothing
half-written (SECURITY.md, decisions 10 and 15): a link whose mail failed leaves no usable
token; a followed link that could not sign in (storage failed) is still usable, and works once
storage is back.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from authgate import AuthRequest, Callbacks, Events, PagesConfig, SessionConfig
from authgate.adapters.memory import MemoryAdapter
from authgate.errors import SignInError
from authgate.providers import Credentials

from .conftest import (
    NOW,
    ORIGIN,
    SESSION,
    URL,
    Client,
    body_json,
    check_password,
    decode_session,
    make_gate,
    query_of,
)
from .test_email import Outbox, email_gate, follow, request_link

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

pytestmark = pytest.mark.anyio


class Broken(MemoryAdapter):
    """A :class:`MemoryAdapter` whose methods named in ``failing`` raise ``OSError``."""

    def __init__(self, *failing: str) -> None:
        super().__init__()
        self.failing = set(failing)

    def __getattribute__(self, name: str) -> Any:
        if not name.startswith("_") and name in object.__getattribute__(self, "__dict__").get(
            "failing", ()
        ):

            async def fail(*args: Any, **kwargs: Any) -> Any:
                raise OSError(f"{name}: database down")

            return fail
        return super().__getattribute__(name)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Any]:
        async with super().transaction() as tx:
            tx.failing = self.failing  # type: ignore[attr-defined]  # writes in it fail alike
            yield tx


def error_of(response: Any) -> str:
    return query_of(response.redirect or "")["error"][0]


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


# ---- e-mail: sending the link ------------------------------------------------------------


async def test_without_an_address_nothing_is_sent(outbox: Outbox) -> None:
    adapter = MemoryAdapter()
    client = Client(email_gate(adapter, outbox))
    csrf = await client.csrf()
    response = await client.post("/signin/email", form={"csrfToken": csrf})
    assert error_of(response) == "EmailSignin"
    assert outbox.sent == []


@pytest.mark.parametrize("method", ["get_user_by_email", "create_verification_token"])
async def test_adapter_failure_while_sending_is_email_signin(
    outbox: Outbox, method: str, caplog: pytest.LogCaptureFixture
) -> None:
    adapter = Broken(method)
    client = Client(email_gate(adapter, outbox))
    response = await request_link(client)
    assert error_of(response) == "EmailSignin"
    assert outbox.sent == [], "no link without a stored token"
    assert adapter.dump()["verification_tokens"] == []
    assert "database down" not in caplog.text, "only the exception type is logged"


async def test_failing_normaliser_is_email_signin(outbox: Outbox) -> None:
    def normalise(raw: str) -> str:
        raise RuntimeError("boom")

    client = Client(
        email_gate(MemoryAdapter(), outbox, provider={"normalize_identifier": normalise})
    )
    response = await request_link(client)
    assert error_of(response) == "EmailSignin"
    assert outbox.sent == []


@pytest.mark.parametrize(
    "returned", ["two@@example.com", "a@example.com\r\nBcc: eve@example.com", 42, "x" * 400]
)
async def test_normaliser_must_return_one_address(outbox: Outbox, returned: Any) -> None:
    client = Client(
        email_gate(MemoryAdapter(), outbox, provider={"normalize_identifier": lambda raw: returned})
    )
    response = await request_link(client)
    assert error_of(response) == "EmailSignin"
    assert outbox.sent == []


@pytest.mark.parametrize("token", ["short", 12345, "x" * 257])
async def test_custom_token_must_be_long_enough(outbox: Outbox, token: Any) -> None:
    adapter = MemoryAdapter()
    client = Client(
        email_gate(adapter, outbox, provider={"generate_verification_token": lambda: token})
    )
    response = await request_link(client)
    assert error_of(response) == "EmailSignin"
    assert outbox.sent == []
    assert adapter.dump()["verification_tokens"] == []


async def test_custom_token_is_used(outbox: Outbox) -> None:
    token = "t" * 22
    adapter = MemoryAdapter()
    client = Client(
        email_gate(adapter, outbox, provider={"generate_verification_token": lambda: token})
    )
    await request_link(client)
    _, query = outbox.link()
    assert query["token"] == token
    response = await follow(client, outbox)
    assert response.redirect == ORIGIN
    assert SESSION in client.jar


async def test_failed_send_and_failed_cleanup_still_refuse(
    outbox: Outbox, caplog: pytest.LogCaptureFixture
) -> None:
    adapter = Broken("use_verification_token")
    outbox.fail = ConnectionRefusedError("smtp down")
    client = Client(email_gate(adapter, outbox))
    with caplog.at_level(logging.ERROR, "authgate"):
        response = await request_link(client)
    assert error_of(response) == "EmailSignin"
    assert "removing the unsent token failed" in caplog.text


async def test_sign_in_callback_sees_the_stored_user(outbox: Outbox) -> None:
    adapter = MemoryAdapter()
    proven = datetime(2026, 1, 1, tzinfo=UTC)
    await adapter.create_user({"email": "ada@example.com", "emailVerified": proven, "name": "Ada"})
    seen: list[Any] = []
    client = Client(
        email_gate(
            adapter,
            outbox,
            callbacks=Callbacks(sign_in=lambda user: not seen.append(user)),  # type: ignore[func-returns-value]
        )
    )
    await request_link(client)
    assert seen[0]["name"] == "Ada"
    assert seen[0]["id"] == "1"


async def test_sign_in_callback_never_sees_a_user_that_only_claims_the_address(
    outbox: Outbox,
) -> None:
    adapter = MemoryAdapter()
    await adapter.create_user({"email": "ada@example.com", "emailVerified": None, "name": "Eve"})
    seen: list[Any] = []
    client = Client(
        email_gate(
            adapter,
            outbox,
            callbacks=Callbacks(sign_in=lambda user: not seen.append(user)),  # type: ignore[func-returns-value]
        )
    )
    await request_link(client)
    await follow(client, outbox)
    fresh = {"id": "ada@example.com", "email": "ada@example.com", "emailVerified": None}
    assert seen == [fresh, fresh]


# ---- e-mail: using the link --------------------------------------------------------------


async def test_token_too_long_or_email_missing_is_verification(outbox: Outbox) -> None:
    client = Client(email_gate(MemoryAdapter(), outbox))
    long = await client.get("/callback/email", query={"token": "x" * 513, "email": "a@b.co"})
    assert error_of(long) == "Verification"
    missing = await client.get("/callback/email", query={"token": "x"})
    assert error_of(missing) == "Verification"


@pytest.mark.parametrize("method", ["use_verification_token", "get_user_by_email"])
async def test_adapter_failure_on_the_link_is_callback(outbox: Outbox, method: str) -> None:
    adapter = Broken()
    client = Client(email_gate(adapter, outbox))
    await request_link(client)
    adapter.failing.add(method)
    response = await follow(client, outbox)
    assert error_of(response) == "Callback"
    assert SESSION not in client.jar
    await works_again(adapter, client, outbox)


async def works_again(adapter: Broken, client: Client, outbox: Outbox) -> None:
    """Storage is back: the same link signs in, once."""
    assert len(adapter.dump()["verification_tokens"]) == 1, "the link was not used up"
    adapter.failing.clear()
    assert (await follow(client, outbox)).redirect == ORIGIN
    assert SESSION in client.jar
    assert adapter.dump()["verification_tokens"] == []
    assert error_of(await follow(Client(client.gate), outbox)) == "Verification", "single use"


async def test_a_failing_account_write_is_callback_after_every_attempt(
    outbox: Outbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="authgate")
    adapter = Broken()
    proven = datetime(2026, 1, 1, tzinfo=UTC)
    await adapter.create_user({"email": "ada@example.com", "emailVerified": proven})
    before = adapter.dump()["users"]
    client = Client(email_gate(adapter, outbox))
    await request_link(client)
    adapter.failing.add("update_user")  # the link proves the address again: the write fails
    response = await follow(client, outbox)
    assert error_of(response) == "Callback"
    assert SESSION not in client.jar
    assert adapter.dump()["users"] == before
    assert "CALLBACK_EMAIL_ERROR" in caplog.text
    assert "SIGNIN_RETRY" in caplog.text
    await works_again(adapter, client, outbox)


async def test_create_user_failure_is_email_create_account(outbox: Outbox) -> None:
    adapter = Broken()
    client = Client(email_gate(adapter, outbox))
    await request_link(client)
    adapter.failing.add("create_user")
    response = await follow(client, outbox)
    assert error_of(response) == "EmailCreateAccount"
    assert SESSION not in client.jar
    assert adapter.dump()["users"] == []
    await works_again(adapter, client, outbox)


async def test_session_write_failure_rolls_the_user_back(outbox: Outbox) -> None:
    adapter = Broken()
    client = Client(email_gate(adapter, outbox))
    await request_link(client)
    adapter.failing.add("create_session")
    response = await follow(client, outbox)
    assert error_of(response) == "Callback"
    assert SESSION not in client.jar
    assert adapter.dump()["users"] == [], "the transaction left nothing behind"
    await works_again(adapter, client, outbox)


@pytest.mark.parametrize(
    ("hook", "location"),
    [
        (lambda: False, f"{URL}/error?error=AccessDenied"),
        (lambda: "", f"{URL}/error?error=AccessDenied"),
        (lambda: "/welcome", f"{ORIGIN}/welcome"),
        (lambda: "https://elsewhere.example/x", "https://elsewhere.example/x"),
        (lambda: "javascript:alert(1)", f"{URL}/error?error=Configuration"),
    ],
)
async def test_sign_in_callback_answers_on_the_link(
    outbox: Outbox, hook: Any, location: str
) -> None:
    allowed = {"first": True}

    def sign_in(email: Any) -> Any:
        if email is not None and allowed.pop("first", False):
            return True  # let the link be sent
        return hook()

    adapter = MemoryAdapter()
    client = Client(email_gate(adapter, outbox, callbacks=Callbacks(sign_in=sign_in)))
    await request_link(client)
    response = await follow(client, outbox)
    assert response.status == 302
    assert response.redirect == location
    assert SESSION not in client.jar
    assert adapter.dump()["users"] == []
    assert len(adapter.dump()["verification_tokens"]) == 1, "refused: the link stays usable"


class BannedError(SignInError):
    code = "Banned"


@pytest.mark.parametrize(
    ("exc", "code"), [(BannedError(), "Banned"), (RuntimeError("x"), "Configuration")]
)
async def test_sign_in_callback_raising(outbox: Outbox, exc: Exception, code: str) -> None:
    def sign_in(email: Any) -> bool:
        if email is not None:
            return True
        raise exc

    client = Client(email_gate(MemoryAdapter(), outbox, callbacks=Callbacks(sign_in=sign_in)))
    await request_link(client)
    response = await follow(client, outbox)
    assert response.status == 302
    assert error_of(response) == code


# ---- an adapter with JWT sessions --------------------------------------------------------


async def test_jwt_sessions_with_an_adapter(outbox: Outbox) -> None:
    calls: list[Any] = []

    def jwt(token: Any, trigger: Any, is_new_user: Any) -> Any:
        calls.append((trigger, is_new_user))
        return {**token, "role": "reader"}

    adapter = MemoryAdapter()
    gate = email_gate(
        adapter,
        outbox,
        session=SessionConfig(strategy="jwt"),
        callbacks=Callbacks(jwt=jwt),
        pages=PagesConfig(new_user=f"{ORIGIN}/hello"),
    )
    client = Client(gate)
    await request_link(client)
    first = await follow(client, outbox)
    assert first.redirect == f"{ORIGIN}/hello?callbackUrl=http%3A%2F%2Flocalhost%3A3000"
    claims = decode_session(first)
    [user] = adapter.dump()["users"]
    assert claims["sub"] == user["id"]
    assert claims["email"] == "ada@example.com"
    assert claims["role"] == "reader"
    assert adapter.dump()["sessions"] == [], "the session is the cookie, not a row"

    await request_link(client)
    second = await follow(client, outbox)
    assert second.redirect == ORIGIN
    assert calls == [("signUp", True), ("signIn", False)]


@pytest.mark.parametrize(
    ("jwt", "code"),
    [
        (lambda: None, "AccessDenied"),
        (lambda token: {}, "AccessDenied"),
        (lambda: 1 / 0, "Configuration"),
    ],
)
async def test_jwt_callback_refusing_with_an_adapter(outbox: Outbox, jwt: Any, code: str) -> None:
    gate = email_gate(
        MemoryAdapter(),
        outbox,
        session=SessionConfig(strategy="jwt"),
        callbacks=Callbacks(jwt=jwt),
    )
    client = Client(gate)
    await request_link(client)
    response = await follow(client, outbox)
    assert response.status == 302
    assert error_of(response) == code
    assert SESSION not in client.jar


# ---- credentials with database sessions ----------------------------------------------------


def db_credentials_gate(adapter: Any, **config: Any) -> Any:
    provider = Credentials(
        authorize=check_password,
        credentials={"username": {"label": "Username"}, "password": {"type": "password"}},
        database_session=True,
    )
    return make_gate(providers=[provider], adapter=adapter, **config)


async def test_account_lookup_failure_before_sign_in_callback_is_callback() -> None:
    client = Client(db_credentials_gate(Broken("get_user_by_account")))
    response = await client.sign_in()
    assert error_of(response) == "Callback"
    assert SESSION not in client.jar


async def test_credentials_without_database_session_stay_out_of_the_adapter() -> None:
    adapter = MemoryAdapter()
    gate = make_gate(adapter=adapter, session=SessionConfig(strategy="jwt"))
    client = Client(gate)
    response = await client.sign_in()
    assert response.redirect == ORIGIN
    assert decode_session(response)["sub"] == "1"
    assert adapter.dump()["users"] == []


async def test_session_update_gives_the_session_callback_the_new_data() -> None:
    seen: list[Any] = []

    def session_cb(session: Any, trigger: Any, new_session: Any) -> Any:
        seen.append((trigger, new_session))
        return {**session, "theme": (new_session or {}).get("theme")}

    client = Client(db_credentials_gate(MemoryAdapter(), callbacks=Callbacks(session=session_cb)))
    await client.sign_in()
    csrf = await client.csrf()
    response = await client.post(
        "/session", json_body={"csrfToken": csrf, "data": {"theme": "dark"}}
    )
    assert body_json(response)["theme"] == "dark"
    assert seen[-1] == ("update", {"theme": "dark"})


async def test_failing_session_callback_is_an_empty_session() -> None:
    def session_cb(session: Any) -> Any:
        raise RuntimeError("bug")

    gate = db_credentials_gate(MemoryAdapter(), callbacks=Callbacks(session=session_cb))
    client = Client(gate)
    await client.sign_in()
    response = await client.get("/session")
    assert response.status == 200
    assert body_json(response) == {}
    request = AuthRequest.build(
        method="GET", path="/", headers=[("cookie", f"{SESSION}={client.jar[SESSION]}")]
    )
    assert await gate.get_session(request, now=NOW) is None


async def test_session_without_a_cookie_is_empty() -> None:
    gate = db_credentials_gate(MemoryAdapter())
    response = await Client(gate).get("/session")
    assert body_json(response) == {}
    assert await gate.get_session(AuthRequest.build(method="GET", path="/"), now=NOW) is None


async def test_server_helpers_with_database_sessions() -> None:
    adapter = MemoryAdapter()
    gate = db_credentials_gate(adapter)
    client = Client(gate)
    await client.sign_in()
    cookie = ("cookie", f"{SESSION}={client.jar[SESSION]}")
    request = AuthRequest.build(method="GET", path="/", headers=[cookie])
    assert gate.get_token(request) is None, "the cookie is an opaque token"
    session = await gate.get_session(request, now=NOW)
    assert session is not None
    assert session["user"]["email"] == "ada@example.com"
    unknown = AuthRequest.build(
        method="GET", path="/", headers=[("cookie", f"{SESSION}={'0' * 64}")]
    )
    assert await gate.get_session(unknown, now=NOW) is None


async def test_sign_out_when_the_adapter_fails(caplog: pytest.LogCaptureFixture) -> None:
    signed_out: list[Any] = []
    adapter = Broken()
    client = Client(
        db_credentials_gate(adapter, events=Events(sign_out=lambda session: signed_out.append(1)))
    )
    await client.sign_in()
    adapter.failing.add("delete_session")
    csrf = await client.csrf()
    with caplog.at_level(logging.ERROR, "authgate"):
        response = await client.post("/signout", form={"csrfToken": csrf})
    assert response.redirect == f"{URL}/error?error=SignOut"
    assert SESSION in client.jar, "the cookie is kept: the session was not ended (row 90)"
    assert "SIGNOUT_ERROR" in caplog.text
    assert signed_out == []


async def test_sign_out_without_a_session_cookie() -> None:
    signed_out: list[Any] = []
    client = Client(
        db_credentials_gate(
            MemoryAdapter(), events=Events(sign_out=lambda session: signed_out.append(1))
        )
    )
    csrf = await client.csrf()
    response = await client.post("/signout", form={"csrfToken": csrf})
    assert response.redirect == ORIGIN
    assert signed_out == []


async def test_session_expiry_push_on_a_vanished_row() -> None:
    class Vanishing(MemoryAdapter):
        async def update_session(self, session_token: str, *, expires: Any) -> Any:
            return None  # deleted between the read and the write

    gate = db_credentials_gate(Vanishing(), session=SessionConfig(update_age=0))
    client = Client(gate)
    await client.sign_in()
    response = await client.get("/session", now=NOW + 60)
    assert body_json(response) == {}


async def test_jwt_sessions_with_an_adapter_and_no_jwt_callback(outbox: Outbox) -> None:
    adapter = MemoryAdapter()
    client = Client(email_gate(adapter, outbox, session=SessionConfig(strategy="jwt")))
    await request_link(client)
    response = await follow(client, outbox)
    claims = decode_session(response)
    assert claims["sub"] == adapter.dump()["users"][0]["id"]
    assert body_json(await client.get("/session"))["user"]["email"] == "ada@example.com"
