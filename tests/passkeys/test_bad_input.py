"""Every bad passkey input: the documented error, logged reason, no session, nothing written.

Refusals are ``WebAuthnVerificationError`` (``/error?error=…``, 401 in v4's JSON mode) with a
``WEBAUTHN_<REASON>`` log line; never a 500, never a session cookie, never a row. On SQLite
and PostgreSQL, in both wire profiles (the ``adapter`` and ``profile`` fixtures).
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from typing import TYPE_CHECKING, Any

import cbor2
import pytest
from sqlalchemy import func, select

from _support.soft_authenticator import UP, UV, b64url
from authgate.providers import Passkey
from blackbox.conftest import NOW, body_json, encode_cookie_value

from .conftest import Browser, browser, error_of, key, passkey_gate

if TYPE_CHECKING:
    from collections.abc import Callable

    from _support.soft_authenticator import SoftAuthenticator
    from authgate.http import AuthResponse

pytestmark = pytest.mark.anyio

CODE = "WebAuthnVerificationError"


async def _rows(adapter: Any) -> tuple[int, ...]:
    """Rows of users, accounts, sessions and authenticators: a fingerprint of what is stored."""
    tables = adapter.tables
    await adapter.create_tables()
    async with adapter.engine.connect() as connection:
        return tuple(
            [
                await connection.scalar(select(func.count()).select_from(table))
                for table in (tables.users, tables.accounts, tables.sessions, tables.authenticator)
            ]
        )


def refused(
    response: AuthResponse, caplog: pytest.LogCaptureFixture, reason: str, code: str = CODE
) -> None:
    assert response.status != 500
    assert error_of(response) == code, response.redirect
    assert not [c for c in response.cookies if "session-token" in c.name and c.max_age != 0]
    tag = "WEBAUTHN_" + reason.upper().replace("-", "_")
    assert any(tag in r.getMessage() for r in caplog.records), [
        r.getMessage() for r in caplog.records
    ]


async def logged_post(
    visitor: Browser, caplog: pytest.LogCaptureFixture, action: str, data: Any, **extra: str
) -> AuthResponse:
    """``visitor.post`` with only its own log records in ``caplog``."""
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="authgate"):
        return await visitor.post(action, data, **extra)


async def answered(gate: Any, passkey: SoftAuthenticator) -> tuple[Browser, dict[str, Any]]:
    """A visitor who asked for authentication options, and the key's answer to them."""
    visitor = browser(gate)
    answer = await visitor.options_json(action="authenticate")
    return visitor, passkey.authenticate(answer["options"])


@pytest.fixture
def gate(adapter: Any, profile: str) -> Any:
    return passkey_gate(adapter, profile)


@pytest.fixture
async def enrolled(gate: Any) -> SoftAuthenticator:
    """A credential of alice@example.com (signed up in another browser)."""
    passkey = key()
    assert (await browser(gate).sign_up(passkey, "alice@example.com")).status == 302
    return passkey


async def _authenticate(
    gate: Any, passkey: SoftAuthenticator, caplog: pytest.LogCaptureFixture, **changes: Any
) -> AuthResponse:
    visitor = browser(gate)
    answer = await visitor.options_json(action="authenticate")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="authgate"):
        response = await visitor.post(
            "authenticate", passkey.authenticate(answer["options"], **changes)
        )
    assert await visitor.session() in ({}, None), "no session"
    return response


async def _register(
    visitor: Browser, passkey: SoftAuthenticator, caplog: pytest.LogCaptureFixture, **changes: Any
) -> AuthResponse:
    answer = await visitor.options_json(action="register", email="bob@example.com")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="authgate"):
        return await visitor.post(
            "register", passkey.register(answer["options"], **changes), email="bob@example.com"
        )


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"client": {"origin": "http://evil.example"}}, "origin"),
        ({"client": {"origin": "http://localhost:3001"}}, "origin"),
        ({"client": {"crossOrigin": True}}, "origin"),
        ({"client": {"topOrigin": "http://evil.example"}}, "origin"),
        ({"client": {"type": "webauthn.create"}}, "malformed"),
        ({"client": {"challenge": b64url(b"x" * 32)}}, "challenge"),
        ({"rp_id": "evil.example"}, "rp-id"),
        ({"flags": UP}, "user-verification"),
        ({"flags": 0}, "user-verification"),
        ({"tamper": True}, "signature"),
    ],
    ids=lambda v: v if isinstance(v, str) else "-".join(map(str, v)),
)
async def test_bad_assertions(
    gate: Any,
    adapter: Any,
    enrolled: SoftAuthenticator,
    caplog: pytest.LogCaptureFixture,
    changes: dict[str, Any],
    reason: str,
) -> None:
    response = await _authenticate(gate, enrolled, caplog, **changes)
    refused(response, caplog, reason)


async def test_unknown_credential(gate: Any, caplog: pytest.LogCaptureFixture) -> None:
    stranger = key()
    refused(await _authenticate(gate, stranger, caplog), caplog, "unknown-credential")


async def test_counter_regression_is_refused_and_logged(
    gate: Any, adapter: Any, caplog: pytest.LogCaptureFixture
) -> None:
    passkey = key()
    passkey.counter = 10
    await browser(gate).sign_up(passkey, "c@example.com")
    response = await _authenticate(gate, passkey, caplog, counter=3)
    refused(response, caplog, "counter")
    assert any("regression" in r.getMessage() for r in caplog.records)


async def test_replayed_challenge(gate: Any, enrolled: SoftAuthenticator, caplog: Any) -> None:
    visitor, data = await answered(gate, enrolled)
    cookies = dict(visitor.client.jar)
    assert (await visitor.post("authenticate", data)).status == 302
    attacker = browser(gate)
    attacker.client.jar.update({k: v for k, v in cookies.items() if "session" not in k})
    response = await logged_post(attacker, caplog, "authenticate", data)
    refused(response, caplog, "challenge")


async def test_expired_challenge(gate: Any, enrolled: SoftAuthenticator, caplog: Any) -> None:
    visitor, data = await answered(gate, enrolled)
    visitor.client.now = NOW + 301
    response = await logged_post(visitor, caplog, "authenticate", data)
    refused(response, caplog, "challenge")


async def test_challenge_of_another_ceremony(
    gate: Any, adapter: Any, enrolled: SoftAuthenticator, caplog: Any
) -> None:
    # A registration challenge cannot finish an authentication, nor the reverse (Auth.js
    # accepts either cookie for both).
    visitor = browser(gate)
    created = await visitor.options_json(action="register", email="eve@example.com")
    fake = {"challenge": created["options"]["challenge"]}
    response = await logged_post(visitor, caplog, "authenticate", enrolled.authenticate(fake))
    refused(response, caplog, "challenge")

    other = browser(gate)
    answer = await other.options_json(action="authenticate")
    newcomer = key()
    options = {
        "challenge": answer["options"]["challenge"],
        "user": {"id": b64url(b"u" * 16)},
    }
    response = await logged_post(
        other, caplog, "register", newcomer.register(options), email="m@example.com"
    )
    refused(response, caplog, "challenge")
    assert await adapter.get_user_by_email("m@example.com") is None


async def test_missing_challenge_cookie(
    gate: Any, enrolled: SoftAuthenticator, caplog: Any
) -> None:
    visitor = browser(gate)
    answer = await visitor.options_json(action="authenticate")
    visitor.client.jar = {k: v for k, v in visitor.client.jar.items() if "challenge" not in k}
    response = await logged_post(
        visitor, caplog, "authenticate", enrolled.authenticate(answer["options"])
    )
    refused(response, caplog, "challenge")


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "not json",
        "[1, 2]",
        '{"id": 5}',
        '{"id": "%%%", "response": {"clientDataJSON": "e30"}}',
        '{"id": "AAAA"}',
        '{"id": "AAAA", "response": {"clientDataJSON": 7}}',
        '{"id": "AAAA", "response": {"clientDataJSON": "' + "A" * 4000 + '"}}',
        '{"id": "AAAA", "type": "public-key", "response": {"clientDataJSON": "bm90IGpzb24",'
        ' "authenticatorData": "AA", "signature": "AA"}}',
        "[" * 5000,
    ],
    ids=[
        "none",
        "empty",
        "text",
        "array",
        "numeric-id",
        "bad-base64-id",
        "no-response",
        "numeric-client-data",
        "oversized-client-data",
        "client-data-not-json",
        "deep",
    ],
)
async def test_malformed_responses(
    gate: Any, enrolled: SoftAuthenticator, caplog: Any, data: str | None
) -> None:
    visitor = browser(gate)
    await visitor.options_json(action="authenticate")
    response = await logged_post(visitor, caplog, "authenticate", data)
    refused(response, caplog, "malformed")


async def test_oversized_response(gate: Any, enrolled: SoftAuthenticator, caplog: Any) -> None:
    visitor, data = await answered(gate, enrolled)
    data["padding"] = "x" * 17_000
    response = await logged_post(visitor, caplog, "authenticate", data)
    assert response.status in (302, 400, 413)  # the body's field limit may answer first
    if response.status == 302:
        refused(response, caplog, "malformed")


async def test_unknown_action(gate: Any, caplog: Any) -> None:
    visitor = browser(gate)
    response = await logged_post(visitor, caplog, "login", {"id": "AAAA"})
    refused(response, caplog, "malformed")
    bad = await visitor.options(action="steal")
    assert bad.status == 400
    assert body_json(bad) == {"error": "Invalid action"}


async def test_missing_csrf_token(gate: Any, enrolled: SoftAuthenticator) -> None:
    visitor = browser(gate)
    answer = await visitor.options_json(action="authenticate")
    form = {"action": "authenticate", "data": json.dumps(enrolled.authenticate(answer["options"]))}
    response = await visitor.client.post("/callback/passkey", form=form)
    assert response.status == 302
    assert "csrf=true" in (response.redirect or "") or "MissingCSRF" in (response.redirect or "")
    assert await visitor.session() in ({}, None)


# ---- registration -------------------------------------------------------------------------


async def test_registering_another_users_credential_is_refused(
    gate: Any, adapter: Any, enrolled: SoftAuthenticator, caplog: Any
) -> None:
    # Auth.js signs the registrant in as the credential's owner (credential ids are public).
    bob = browser(gate)
    before = await _rows(adapter)
    response = await _register(bob, enrolled, caplog)
    refused(response, caplog, "credential-taken")
    assert await bob.session() in ({}, None)
    assert await _rows(adapter) == before
    assert await adapter.get_user_by_email("bob@example.com") is None


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"client": {"origin": "http://evil.example"}}, "origin"),
        ({"client": {"crossOrigin": True}}, "origin"),
        ({"client": {"type": "webauthn.get"}}, "malformed"),
        ({"rp_id": "evil.example"}, "rp-id"),
        ({"flags": UP}, "user-verification"),
        ({"fmt": "tpm", "att_stmt": {"ver": "2.0"}}, "attestation"),
        ({"fmt": "android-safetynet", "att_stmt": {"ver": "1", "response": b"x"}}, "attestation"),
        ({"fmt": "fido-u2f", "att_stmt": {"sig": b"x", "x5c": [b"x"]}}, "attestation"),
        ({"fmt": "packed", "att_stmt": {"alg": -7, "sig": b"\x30\x00"}}, "attestation"),
        ({"fmt": "none", "att_stmt": {"sig": b"x"}}, "attestation"),
    ],
    ids=lambda v: v if isinstance(v, str) else "-".join(map(str, v)),
)
async def test_bad_registrations(
    gate: Any, adapter: Any, caplog: Any, changes: dict[str, Any], reason: str
) -> None:
    before = await _rows(adapter)
    visitor = browser(gate)
    response = await _register(visitor, key(), caplog, **changes)
    refused(response, caplog, reason)
    assert await _rows(adapter) == before
    assert await adapter.get_user_by_email("bob@example.com") is None


async def test_an_algorithm_never_offered_is_refused(
    adapter: Any, profile: str, caplog: Any
) -> None:
    gate = passkey_gate(adapter, profile, provider=Passkey(allow_sign_up=True, algorithms=(-7,)))
    eddsa = type(key())(origin=key().origin, rp_id="localhost", alg=-8)
    visitor = browser(gate)
    answer = await visitor.options_json(action="register", email="bob@example.com")
    assert [p["alg"] for p in answer["options"]["pubKeyCredParams"]] == [-7]
    with caplog.at_level(logging.WARNING, logger="authgate"):
        response = await visitor.post(
            "register", eddsa.register(answer["options"]), email="bob@example.com"
        )
    refused(response, caplog, "algorithm")


async def test_sign_up_with_a_taken_address_links_nothing(
    gate: Any, adapter: Any, enrolled: SoftAuthenticator
) -> None:
    before = await _rows(adapter)
    visitor = browser(gate)
    response = await visitor.sign_up(key(), "ALICE@example.com")
    assert error_of(response) in ("OAuthAccountNotLinked", "Configuration")
    assert await visitor.session() in ({}, None)
    assert await _rows(adapter) == before


@pytest.mark.parametrize(
    "email",
    ["", "not-an-address", "a@b", "a@example.com, b@example.com", "a@example.com\r\nBcc: x"],
)
async def test_sign_up_email_is_validated(gate: Any, email: str) -> None:
    response = await browser(gate).options(action="register", email=email)
    assert response.status == 400
    assert body_json(response)["error"] in ("Invalid email", "Invalid request")
    assert not [c for c in response.cookies if c.name.endswith(".challenge")]


async def test_sign_up_needs_opt_in(adapter: Any, profile: str) -> None:
    gate = passkey_gate(adapter, profile, provider=Passkey())
    response = await browser(gate).options(action="register", email="new@example.com")
    assert response.status == 400
    assert body_json(response) == {"error": "Invalid request"}
    # Without an action and an address: authentication options, not a registration.
    assert body_json(await browser(gate).options(email="new@example.com"))["action"] == (
        "authenticate"
    )


async def test_registration_session_must_not_change(
    gate: Any, adapter: Any, enrolled: SoftAuthenticator, caplog: Any
) -> None:
    alice = browser(gate)
    assert (await alice.sign_in(enrolled)).status == 302
    answer = await alice.options_json(action="register")
    # The session cookie goes away (signed out elsewhere / expired) before the response comes.
    alice.client.jar = {k: v for k, v in alice.client.jar.items() if "session-token" not in k}
    newcomer = key()
    response = await logged_post(alice, caplog, "register", newcomer.register(answer["options"]))
    refused(response, caplog, "session")
    stored = await adapter.get_authenticator(base64.b64encode(newcomer.credential_id).decode())
    assert stored is None


async def test_options_for_a_provider_that_is_not_a_passkey(gate: Any) -> None:
    visitor = browser(gate)
    visitor.provider_id = "nope"
    response = await visitor.options()
    assert response.status == 400


async def test_one_assertion_posted_twice_at_once_signs_in_once(
    gate: Any, enrolled: SoftAuthenticator
) -> None:
    visitor, data = await answered(gate, enrolled)
    token = await visitor.client.csrf()
    twin = browser(gate)
    twin.client.jar = dict(visitor.client.jar)
    form = {"csrfToken": token, "action": "authenticate", "data": json.dumps(data)}
    responses = await asyncio.gather(
        visitor.client.post("/callback/passkey", form=form),
        twin.client.post("/callback/passkey", form=form),
    )
    codes = sorted(str(error_of(r)) for r in responses)
    assert codes == ["None", CODE], "the challenge is used once, even at the same moment"


async def test_one_credential_added_twice_at_once_is_stored_once(
    gate: Any, adapter: Any, enrolled: SoftAuthenticator
) -> None:
    alice = browser(gate)
    assert (await alice.sign_in(enrolled)).status == 302
    newcomer = key()
    posts = []
    for _ in range(2):
        answer = await alice.options_json(action="register")
        form = {
            "csrfToken": await alice.client.csrf(),
            "action": "register",
            "data": json.dumps(newcomer.register(answer["options"])),
        }
        posts.append((dict(alice.client.jar), form))
    clients = [browser(gate).client for _ in posts]
    for client, (jar, _) in zip(clients, posts, strict=True):
        client.jar = jar
    responses = await asyncio.gather(
        *(c.post("/callback/passkey", form=f) for c, (_, f) in zip(clients, posts, strict=True))
    )
    assert all(r.status != 500 for r in responses)
    assert sorted(str(error_of(r)) for r in responses) == ["None", CODE]
    user = await adapter.get_user_by_email("alice@example.com")
    assert len(await adapter.list_authenticators_by_user_id(user["id"])) == 2


def _replace(response: dict[str, Any], **fields: Any) -> None:
    for name, value in fields.items():
        if value is None:
            del response["response"][name]
        else:
            response["response"][name] = value


def _with_auth_data(passkey: SoftAuthenticator, auth_data: bytes) -> str:
    return b64url(cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data}))


def _bad_cose_key(passkey: SoftAuthenticator) -> bytes:
    good = passkey.auth_data(flags=UP | UV, attested=True)
    return good[: -len(passkey.cose_key())] + cbor2.dumps({1: 2, 3: "not an algorithm"})


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda r, k: r.update(id=""), "malformed"),
        (lambda r, k: _replace(r, clientDataJSON=b64url(b"not json")), "malformed"),
        (lambda r, k: _replace(r, clientDataJSON=b64url(b" " * 2049)), "malformed"),
        (lambda r, k: _replace(r, attestationObject=None), "malformed"),
        (lambda r, k: _replace(r, attestationObject=b64url(b"\xff\x00")), "malformed"),
        (
            lambda r, k: _replace(
                r, attestationObject=_with_auth_data(k, k.auth_data(flags=UP | UV))
            ),
            "malformed",
        ),
        (
            lambda r, k: _replace(r, attestationObject=_with_auth_data(k, _bad_cose_key(k))),
            "malformed",
        ),
    ],
    ids=[
        "empty-id",
        "client-data-not-json",
        "client-data-too-large",
        "no-attestation-object",
        "attestation-not-cbor",
        "no-attested-credential",
        "public-key-does-not-parse",
    ],
)
async def test_malformed_registrations(
    gate: Any,
    adapter: Any,
    caplog: pytest.LogCaptureFixture,
    mutate: Callable[[dict[str, Any], SoftAuthenticator], object],
    reason: str,
) -> None:
    before = await _rows(adapter)
    visitor, passkey = browser(gate), key()
    answer = await visitor.options_json(action="register", email="bob@example.com")
    data = passkey.register(answer["options"])
    mutate(data, passkey)
    response = await logged_post(visitor, caplog, "register", data, email="bob@example.com")
    refused(response, caplog, reason)
    assert await _rows(adapter) == before
    assert await adapter.get_user_by_email("bob@example.com") is None


@pytest.mark.parametrize("cookie", ["tampered", "twice"])
async def test_bad_challenge_cookie(
    gate: Any, enrolled: SoftAuthenticator, caplog: pytest.LogCaptureFixture, cookie: str
) -> None:
    visitor = browser(gate)
    answer = await visitor.options_json(action="authenticate")
    data = json.dumps(enrolled.authenticate(answer["options"]))
    form = {"csrfToken": await visitor.client.csrf(), "action": "authenticate", "data": data}
    jar = visitor.client.jar
    name = next(k for k in jar if "challenge" in k)
    pairs = [f"{k}={encode_cookie_value(v)}" for k, v in jar.items()]
    if cookie == "tampered":
        pairs.append(f"{name}={jar[name][:-4]}AAAA")
        pairs.remove(f"{name}={encode_cookie_value(jar[name])}")
    else:
        pairs.append(f"{name}={encode_cookie_value(jar[name])}")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="authgate"):
        response = await visitor.client.post(
            "/callback/passkey", form=form, cookie_header="; ".join(pairs)
        )
    refused(response, caplog, "challenge")
