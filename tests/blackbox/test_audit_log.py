"""Structured log records of sign-in, sign-out, refusals, throttles and faults (authgate.audit).

Each record carries ``record.authgate`` (a dict) and never a token, password, e-mail address or
full client address.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pytest

from authgate._core.audit import client_prefix

from .conftest import PASSWORD, SESSION, Client, make_gate
from .test_adapter_failures import Broken
from .test_database_sessions import db_gate

if TYPE_CHECKING:
    from authgate import AuthGate

pytestmark = pytest.mark.anyio


def records(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [r.authgate for r in caplog.records if r.name == "authgate.audit"]  # type: ignore[attr-defined]


async def sign_in(gate: AuthGate, password: str = PASSWORD, ip: str = "203.0.113.77") -> Client:
    client = Client(gate, client_host=ip)
    await client.sign_in(password=password)
    return client


async def test_sign_in_and_sign_out_are_recorded_without_secrets(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="authgate.audit")
    client = await sign_in(make_gate())
    token = client.jar[SESSION]
    await client.get("/session")  # reads are not recorded
    await client.post("/signout", form={"csrfToken": await client.csrf()})
    assert records(caplog) == [
        {
            "event": "AUTH_SIGNIN",
            "action": "callback",
            "provider": "credentials",
            "status": 302,
            "client": "203.0.113.0/24",
        },
        {"event": "AUTH_SIGNOUT", "action": "signout", "status": 302, "client": "203.0.113.0/24"},
    ]
    text = caplog.text
    for secret in (token, PASSWORD, "ada@example.com", "203.0.113.77"):
        assert secret not in text
    assert "AUTH_SIGNIN action=callback provider=credentials status=302" in text


async def test_refusals_throttling_and_faults(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="authgate.audit")
    gate = make_gate()
    for _ in range(6):
        await sign_in(gate, password="wrong", ip="2001:db8:1:2::9")
    events = [(r["event"], r.get("code")) for r in records(caplog)]
    assert events[0] == ("AUTH_REFUSED", "CredentialsSignin")
    assert events[-1] == ("AUTH_THROTTLED", "TooManyRequests")
    assert {r["client"] for r in records(caplog)} == {"2001:db8:1::/48"}
    throttled = [r for r in caplog.records if "AUTH_THROTTLED" in r.getMessage()]
    assert throttled[0].levelno == logging.WARNING
    assert "wrong" not in caplog.text

    caplog.clear()
    adapter = Broken()
    client = await sign_in(db_gate(adapter))
    adapter.failing.add("delete_session")
    await client.post("/signout", form={"csrfToken": await client.csrf()})
    [fault] = [
        r for r in caplog.records if r.name == "authgate.audit" and r.levelno >= logging.ERROR
    ]
    assert fault.authgate["event"] == "AUTH_FAULT"  # type: ignore[attr-defined]
    assert fault.authgate["code"] == "SignOut"  # type: ignore[attr-defined]
    assert fault.authgate["status"] == 503  # type: ignore[attr-defined]


async def test_a_missing_csrf_token_is_a_refusal(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="authgate.audit")
    client = Client(make_gate())
    await client.post("/signout", form={"csrfToken": "forged"})
    assert [(r["event"], r["code"]) for r in records(caplog)] == [("AUTH_REFUSED", "MissingCSRF")]


@pytest.mark.parametrize(
    ("address", "prefix"),
    [
        ("198.51.100.200", "198.51.100.0/24"),
        ("2001:db8:abcd:12::1", "2001:db8:abcd::/48"),
        ("::ffff:192.0.2.1", "192.0.2.0/24"),
        ("2001:db8:1:2::/64", "2001:db8:1::/48"),
        ("10.0.0.0/8", "10.0.0.0/8"),
        ("not-an-ip", "invalid"),
        ("", None),
        (None, None),
    ],
)
def test_client_addresses_are_cut_to_a_prefix(address: str | None, prefix: str | None) -> None:
    assert client_prefix(address) == prefix
