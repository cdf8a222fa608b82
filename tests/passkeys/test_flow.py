"""Passkey ceremonies that succeed, on SQLite and PostgreSQL, in both wire profiles."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from authgate import SessionConfig
from blackbox.conftest import NOW, URL, body_json, set_cookies

from .conftest import browser, error_of, key, passkey_gate

pytestmark = pytest.mark.anyio


def _std_b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


async def test_sign_up_sign_out_sign_in(adapter: Any, profile: str) -> None:
    gate = passkey_gate(adapter, profile)
    alice = browser(gate)
    passkey = key()
    response = await alice.sign_up(passkey, " Alice@Example.COM ")
    assert response.status == 302
    assert response.redirect == "http://localhost:3000"
    session = await alice.session()
    assert session["user"]["email"] == "alice@example.com", "the address is normalised"

    # Rows exactly as @auth/core writes them: standard base64 ids and keys, account type webauthn.
    stored = await adapter.get_authenticator(_std_b64(passkey.credential_id))
    assert stored is not None
    user = await adapter.get_user_by_email("alice@example.com")
    assert user is not None
    assert user["emailVerified"] is None, "a passkey proves no address"
    assert stored["userId"] == user["id"]
    assert stored["providerAccountId"] == stored["credentialID"]
    assert base64.b64decode(stored["credentialPublicKey"]) == passkey.cose_key()
    assert stored["counter"] == 0
    assert stored["credentialDeviceType"] == "multiDevice"
    assert stored["credentialBackedUp"] is True
    assert stored["transports"] == "internal,hybrid"
    owner = await adapter.get_user_by_account("passkey", stored["credentialID"])
    assert owner is not None
    assert owner["id"] == user["id"]

    later = browser(gate)  # a new browser: no session
    response = await later.sign_in(passkey)
    assert response.status == 302
    assert response.redirect == "http://localhost:3000"
    assert (await later.session())["user"]["email"] == "alice@example.com"
    challenge_cookie = [c for c in response.cookies if c.name.endswith(".challenge")]
    assert challenge_cookie
    assert challenge_cookie[0].max_age == 0, "the challenge is cleared"


async def test_a_signed_in_user_adds_a_passkey_and_keeps_the_session(
    adapter: Any, profile: str
) -> None:
    gate = passkey_gate(adapter, profile)
    alice = browser(gate)
    first, second = key(), key()
    await alice.sign_up(first, "alice@example.com")
    before = dict(alice.client.jar)
    answer = await alice.options_json(action="register")
    excluded = [c["id"] for c in answer["options"]["excludeCredentials"]]
    assert excluded == [base64.urlsafe_b64encode(first.credential_id).rstrip(b"=").decode()]
    assert answer["options"]["authenticatorSelection"]["userVerification"] == "required"
    assert answer["options"]["authenticatorSelection"]["residentKey"] == "required"
    response = await alice.post(
        "register", second.register(answer["options"]), callbackUrl=f"{URL}/passkeys"
    )
    assert response.status == 302
    assert response.redirect == f"{URL}/passkeys"
    session_cookies = [c for c in response.cookies if "session-token" in c.name]
    assert session_cookies == [], "adding a passkey does not touch the session"
    assert {k: v for k, v in alice.client.jar.items() if "session" in k} == {
        k: v for k, v in before.items() if "session" in k
    }
    user = await adapter.get_user_by_email("alice@example.com")
    assert user is not None
    mine = await adapter.list_authenticators_by_user_id(user["id"])
    assert len(mine) == 2

    fresh = browser(gate)
    assert (await fresh.sign_in(second)).status == 302
    assert (await fresh.session())["user"]["email"] == "alice@example.com"


async def test_database_sessions(adapter: Any) -> None:
    gate = passkey_gate(adapter, session=SessionConfig(strategy="database"))
    alice = browser(gate)
    passkey = key()
    assert (await alice.sign_up(passkey, "alice@example.com")).status == 302
    fresh = browser(gate)
    assert (await fresh.sign_in(passkey)).status == 302
    assert (await fresh.session())["user"]["email"] == "alice@example.com"
    second = key()
    assert (await fresh.add(second)).status == 302, "registration reads the database session"


async def test_options_shapes(adapter: Any, profile: str) -> None:
    gate = passkey_gate(adapter, profile)
    anonymous = browser(gate)
    response = await anonymous.options()
    assert response.status == 200
    body = body_json(response)
    assert body["action"] == "authenticate"
    options = body["options"]
    assert options["rpId"] == "localhost"
    assert options["userVerification"] == "required"
    assert options["timeout"] == 300_000
    assert options.get("allowCredentials", []) == [], "no credential ids before sign-in"
    [cookie] = [c for c in response.cookies if c.name.endswith(".challenge")]
    prefix = "authjs" if profile == "authjs-v5" else "next-auth"
    assert cookie.name == f"{prefix}.challenge"
    assert cookie.http_only
    assert cookie.max_age == 300
    assert options["challenge"] not in cookie.value, "the challenge is sealed"

    answer = await anonymous.options_json(action="register", email="new@example.com")
    created = answer["options"]
    assert created["rp"] == {"id": "localhost", "name": "localhost"}
    assert created["user"]["name"] == "new@example.com"
    assert [p["alg"] for p in created["pubKeyCredParams"]] == [-8, -7, -257]
    assert created["attestation"] == "none"


async def test_eddsa_credentials(adapter: Any) -> None:
    gate = passkey_gate(adapter)
    alice = browser(gate)
    passkey = key()
    passkey = type(passkey)(origin=passkey.origin, rp_id=passkey.rp_id, alg=-8)
    assert (await alice.sign_up(passkey, "ed@example.com")).status == 302
    assert (await browser(gate).sign_in(passkey)).status == 302


async def test_counter_is_stored_and_must_grow(adapter: Any) -> None:
    gate = passkey_gate(adapter)
    passkey = key()
    passkey.counter = 5
    await browser(gate).sign_up(passkey, "count@example.com")
    assert (await browser(gate).sign_in(passkey, counter=9)).status == 302
    stored = await adapter.get_authenticator(_std_b64(passkey.credential_id))
    assert stored["counter"] == 9
    refused = await browser(gate).sign_in(passkey, counter=9)
    assert error_of(refused) == "WebAuthnVerificationError"
    assert (await adapter.get_authenticator(_std_b64(passkey.credential_id)))["counter"] == 9


async def test_several_origins_exact_match(adapter: Any) -> None:
    from authgate.providers import Passkey

    provider = Passkey(
        rp_id="localhost",
        origins=("http://localhost:3000", "http://app.localhost:3000"),
        allow_sign_up=True,
    )
    gate = passkey_gate(adapter, provider=provider)
    passkey = key()
    passkey.origin = "http://app.localhost:3000"
    assert (await browser(gate).sign_up(passkey, "o@example.com")).status == 302
    passkey.origin = "http://localhost:3000"
    assert (await browser(gate).sign_in(passkey)).status == 302
    passkey.origin = "http://localhost:3000/"
    assert error_of(await browser(gate).sign_in(passkey)) == "WebAuthnVerificationError"
    assert set_cookies is not None  # imported helpers stay used
    assert NOW
