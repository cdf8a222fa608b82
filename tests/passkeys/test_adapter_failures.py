"""Passkeys over a failing store: the right error, logged, no session, nothing half-written.

:class:`FailingAdapter` is the real :class:`MemoryAdapter` whose named methods raise from a
given call on (a database that goes away mid-request); its transactions roll back as usual.
"""

from __future__ import annotations

import base64
import json
import logging
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import pytest

from authgate.adapters.memory import MemoryAdapter
from authgate.providers import Passkey
from blackbox.conftest import query_of

from .conftest import Browser, browser, error_of, key, passkey_gate

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from _support.soft_authenticator import SoftAuthenticator
    from authgate.adapters import Adapter
    from authgate.http import AuthResponse

pytestmark = pytest.mark.anyio


class StoreDownError(RuntimeError):
    """The failure of :class:`FailingAdapter`."""


class FailingAdapter(MemoryAdapter):
    """``fail[name] = n``: method ``name`` succeeds ``n`` more times, then raises."""

    fail: dict[str, int]

    def __init__(self) -> None:
        super().__init__()
        self.fail = {}

    def _check(self, name: str) -> None:
        left = self.fail.get(name)
        if left is None:
            return
        if left <= 0:
            raise StoreDownError(name)
        self.fail[name] = left - 1

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Adapter]:
        async with super().transaction() as tx:
            tx.fail = self.fail  # type: ignore[attr-defined]
            yield tx

    async def get_user(self, *args: Any, **kwargs: Any) -> Any:
        # "get_user" counts down to a user deleted by a parallel request (not an error).
        try:
            self._check("get_user")
        except StoreDownError:
            return None
        return await super().get_user(*args, **kwargs)


def _failing(name: str) -> Any:
    async def method(self: FailingAdapter, *args: Any, **kwargs: Any) -> Any:
        self._check(name)
        return await getattr(MemoryAdapter, name)(self, *args, **kwargs)

    return method


for _name in (
    "create_verification_token",
    "use_verification_token",
    "get_authenticator",
    "list_authenticators_by_user_id",
    "get_user_by_account",
    "update_authenticator_counter",
    "create_authenticator",
    "rename_authenticator",
    "unlink_account",
    "get_session_and_user",
):
    setattr(FailingAdapter, _name, _failing(_name))


def b64(passkey: SoftAuthenticator) -> str:
    return base64.b64encode(passkey.credential_id).decode()


def no_session(response: AuthResponse) -> None:
    assert not [c for c in response.cookies if "session-token" in c.name and c.max_age != 0]


async def failed_callback(
    visitor: Browser,
    caplog: pytest.LogCaptureFixture,
    action: str,
    data: Any,
    *,
    json_mode: bool = True,
) -> AuthResponse:
    """A callback the store breaks: v4's ``Callback`` error (``503`` in JSON mode, as the
    other passkey routes answer an outage), logged, no session."""
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="authgate"):
        response = await visitor.post(action, data, **({"json": "true"} if json_mode else {}))
    if json_mode:
        assert response.status == 503, response.body
        assert query_of(json.loads(response.body)["url"])["error"] == ["Callback"]
    else:
        assert response.status == 302
        assert error_of(response) == "Callback", response.redirect
    assert any("CALLBACK_WEBAUTHN_ERROR" in r.getMessage() for r in caplog.records)
    no_session(response)
    return response


@pytest.fixture
def adapter() -> FailingAdapter:
    return FailingAdapter()


@pytest.fixture
def gate(adapter: FailingAdapter) -> Any:
    return passkey_gate(adapter)


@pytest.fixture
async def alice(gate: Any) -> tuple[Browser, SoftAuthenticator]:
    """alice@example.com, signed up with a passkey and signed in."""
    visitor, passkey = browser(gate), key()
    assert (await visitor.sign_up(passkey, "alice@example.com")).status == 302
    return visitor, passkey


async def test_options_when_the_challenge_cannot_be_stored(
    gate: Any, adapter: FailingAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    adapter.fail["create_verification_token"] = 0
    with caplog.at_level(logging.ERROR, logger="authgate"):
        response = await browser(gate).options(action="authenticate")
    assert response.status == 503
    assert not [c for c in response.cookies if "challenge" in c.name and c.max_age != 0], (
        "no challenge cookie"
    )
    assert any("WEBAUTHN_OPTIONS_ERROR" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("json_mode", [True, False], ids=["json", "page"])
async def test_callback_when_the_challenge_cannot_be_used(
    gate: Any,
    adapter: FailingAdapter,
    alice: tuple[Browser, SoftAuthenticator],
    caplog: pytest.LogCaptureFixture,
    json_mode: bool,
) -> None:
    visitor = browser(gate)
    answer = await visitor.options_json(action="authenticate")
    adapter.fail["use_verification_token"] = 0
    data = alice[1].authenticate(answer["options"])
    await failed_callback(visitor, caplog, "authenticate", data, json_mode=json_mode)
    assert await visitor.session() in ({}, None)


async def test_sign_in_when_the_credential_cannot_be_read(
    gate: Any,
    adapter: FailingAdapter,
    alice: tuple[Browser, SoftAuthenticator],
    caplog: pytest.LogCaptureFixture,
) -> None:
    visitor = browser(gate)
    answer = await visitor.options_json(action="authenticate")
    adapter.fail["get_authenticator"] = 0
    await failed_callback(visitor, caplog, "authenticate", alice[1].authenticate(answer["options"]))


@pytest.mark.parametrize("method", ["get_user_by_account", "update_authenticator_counter"])
async def test_sign_in_when_the_user_or_counter_fails(
    gate: Any,
    adapter: FailingAdapter,
    alice: tuple[Browser, SoftAuthenticator],
    caplog: pytest.LogCaptureFixture,
    method: str,
) -> None:
    passkey = alice[1]
    before = await adapter.get_authenticator(b64(passkey))
    visitor = browser(gate)
    answer = await visitor.options_json(action="authenticate")
    adapter.fail[method] = 0
    await failed_callback(visitor, caplog, "authenticate", passkey.authenticate(answer["options"]))
    del adapter.fail[method]
    assert await adapter.get_authenticator(b64(passkey)) == before, "the counter is unchanged"


async def test_sign_in_with_a_credential_whose_account_is_gone(
    gate: Any, adapter: FailingAdapter, alice: tuple[Browser, SoftAuthenticator]
) -> None:
    passkey = alice[1]
    await adapter.unlink_account("passkey", b64(passkey))  # the authenticator row stays
    response = await browser(gate).sign_in(passkey)
    assert error_of(response) == "WebAuthnVerificationError"
    no_session(response)


async def test_adding_a_passkey_when_the_taken_check_fails(
    adapter: FailingAdapter,
    alice: tuple[Browser, SoftAuthenticator],
    caplog: pytest.LogCaptureFixture,
) -> None:
    visitor = alice[0]
    answer = await visitor.options_json(action="register")
    new = key()
    adapter.fail["get_authenticator"] = 0
    await failed_callback(visitor, caplog, "register", new.register(answer["options"]))
    del adapter.fail["get_authenticator"]
    assert await adapter.get_authenticator(b64(new)) is None
    assert await adapter.get_user_by_account("passkey", b64(new)) is None


@pytest.mark.parametrize("check_fails_too", [False, True], ids=["store-fails", "all-fails"])
async def test_adding_a_passkey_when_the_write_fails_rolls_back(
    adapter: FailingAdapter,
    alice: tuple[Browser, SoftAuthenticator],
    caplog: pytest.LogCaptureFixture,
    check_fails_too: bool,
) -> None:
    visitor = alice[0]
    answer = await visitor.options_json(action="register")
    new = key()
    adapter.fail["create_authenticator"] = 0
    if check_fails_too:  # the "stored meanwhile?" check after the failure fails as well
        adapter.fail["get_authenticator"] = 1
    await failed_callback(visitor, caplog, "register", new.register(answer["options"]))
    adapter.fail.clear()
    assert await adapter.get_authenticator(b64(new)) is None
    assert await adapter.get_user_by_account("passkey", b64(new)) is None, "link rolled back"
    assert (await visitor.session())["user"]["email"] == "alice@example.com", "session kept"


async def test_registering_for_a_user_deleted_meanwhile(
    adapter: FailingAdapter, alice: tuple[Browser, SoftAuthenticator]
) -> None:
    visitor = alice[0]
    answer = await visitor.options_json(action="register")
    user = await adapter.get_user_by_email("alice@example.com")
    assert user is not None
    await adapter.delete_user(user["id"])
    new = key()
    response = await visitor.post("register", new.register(answer["options"]))
    assert error_of(response) == "WebAuthnVerificationError"
    assert await adapter.get_authenticator(b64(new)) is None
    assert await adapter.get_user_by_account("passkey", b64(new)) is None
    again = await visitor.options(action="register")
    assert again.status == 400, "no options for a user who is gone"


async def test_user_deleted_between_the_session_check_and_the_options(
    adapter: FailingAdapter, alice: tuple[Browser, SoftAuthenticator]
) -> None:
    adapter.fail["get_user"] = 1  # the session's user is read once, then gone
    response = await alice[0].options(action="register")
    assert response.status == 400
    assert not [c for c in response.cookies if "challenge" in c.name and c.max_age != 0]


async def test_user_deleted_during_the_registration_write(
    adapter: FailingAdapter, alice: tuple[Browser, SoftAuthenticator]
) -> None:
    visitor = alice[0]
    answer = await visitor.options_json(action="register")
    new = key()
    adapter.fail["get_user"] = 1  # the session check reads the user; the transaction does not
    response = await visitor.post("register", new.register(answer["options"]))
    adapter.fail.clear()
    assert error_of(response) == "WebAuthnVerificationError"
    assert await adapter.get_authenticator(b64(new)) is None
    assert await adapter.get_user_by_account("passkey", b64(new)) is None


async def test_options_without_action_for_a_signed_in_user(
    alice: tuple[Browser, SoftAuthenticator],
) -> None:
    response = await alice[0].options()
    assert response.status == 400
    assert not [c for c in response.cookies if "challenge" in c.name and c.max_age != 0]


async def test_sign_up_challenge_after_sign_up_was_turned_off(adapter: FailingAdapter) -> None:
    visitor = browser(passkey_gate(adapter))
    answer = await visitor.options_json(action="register", email="bob@example.com")
    later = browser(passkey_gate(adapter, provider=Passkey(allow_sign_up=False)))
    later.client.jar.update(visitor.client.jar)
    visitor = later
    response = await visitor.post("register", key().register(answer["options"]))
    assert error_of(response) == "WebAuthnVerificationError"
    no_session(response)
    assert await adapter.get_user_by_email("bob@example.com") is None


async def test_passkeys_page_when_the_store_fails(
    adapter: FailingAdapter,
    alice: tuple[Browser, SoftAuthenticator],
    caplog: pytest.LogCaptureFixture,
) -> None:
    visitor, passkey = alice
    adapter.fail["list_authenticators_by_user_id"] = 0
    with caplog.at_level(logging.ERROR, logger="authgate"):
        page = await visitor.client.get("/passkeys")
    assert page.status == 503
    assert any("PASSKEYS_ERROR" in r.getMessage() for r in caplog.records)
    del adapter.fail["list_authenticators_by_user_id"]
    token = await visitor.client.csrf()
    for op, method in (("rename", "rename_authenticator"), ("remove", "unlink_account")):
        adapter.fail[method] = 0
        response = await visitor.client.post(
            "/passkeys",
            form={"csrfToken": token, "op": op, "credentialID": b64(passkey), "name": "x"},
        )
        assert response.status == 503
        del adapter.fail[method]
    stored = await adapter.get_authenticator(b64(passkey))
    assert stored is not None, "the removal was rolled back"
    assert stored.get("name") is None
    assert await adapter.get_user_by_account("passkey", b64(passkey)) is not None


async def test_passkeys_page_post_needs_a_session_and_no_provider_id(gate: Any) -> None:
    visitor = browser(gate)
    token = await visitor.client.csrf()
    form = {"csrfToken": token, "op": "remove", "credentialID": "AAAA"}
    response = await visitor.client.post("/passkeys", form=form)
    assert response.status == 302
    assert "/signin?callbackUrl=" in (response.redirect or "")
    assert (await visitor.client.post("/passkeys/passkey", form=form)).status == 400


async def test_passkey_routes_when_the_session_cannot_be_read(
    adapter: FailingAdapter,
    alice: tuple[Browser, SoftAuthenticator],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The database cannot say who is signed in: an outage (503), logged, not "signed out"
    (a sign-in page, a sign-up ceremony); fine once it is back."""
    visitor, passkey = alice
    token = await visitor.client.csrf()
    answer = await visitor.options_json(action="register")
    new = key()

    adapter.fail["get_session_and_user"] = 0
    with caplog.at_level(logging.ERROR, logger="authgate"):
        page = await visitor.client.get("/passkeys")
        form = {"csrfToken": token, "op": "rename", "credentialID": b64(passkey), "name": "x"}
        renamed = await visitor.client.post("/passkeys", form=form)
        options = await visitor.options(action="register")
        registered = await visitor.post("register", new.register(answer["options"]), json="true")
    assert page.status == renamed.status == options.status == 503
    assert not [c for c in options.cookies if "challenge" in c.name and c.max_age != 0]
    assert registered.status == 503, registered.body
    assert query_of(json.loads(registered.body)["url"])["error"] == ["Callback"]
    no_session(registered)
    logged = caplog.text
    for label in ("PASSKEYS_ERROR", "WEBAUTHN_OPTIONS_ERROR", "CALLBACK_WEBAUTHN_ERROR"):
        assert f"{label}: the adapter failed" in logged, label
    assert await adapter.get_authenticator(b64(new)) is None, "nothing registered"

    del adapter.fail["get_session_and_user"]
    assert (await visitor.client.get("/passkeys")).status == 200
    assert (await visitor.options(action="register")).status == 200
