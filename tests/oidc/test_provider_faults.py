"""An identity provider that is slow or answers garbage, on the wire (issue 14's IdP faults).

The real ``oidc-provider`` runs behind a reverse proxy on loopback (``_support.faulty_proxy``)
whose issuer it is; the proxy forwards faithfully until a test makes one endpoint slow (past
the provider's ``timeout``), answer a 502 HTML page, invalid JSON, JSON under the wrong
content type, half a body (valid length, or a dropped connection), or an id_token whose
signature does not verify. Each fault ends on the documented answer (``OAuthSignin`` when the
discovery document fails, ``OAuthCallback`` at the callback), never a 500, nothing stored, and
the same gate signs in as soon as the provider is healthy again: no failure is cached.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from _support.faulty_proxy import Faults, faulty_proxy
from _support.oidc_provider import oidc_provider
from _support.redis_server import free_port
from authgate.adapters.sqlalchemy import SQLAlchemyAdapter
from blackbox.conftest import Client

from .test_oidc_adapter import Recorder, make_gate, rows, sign_in
from .test_oidc_provider import APP, CALLBACK

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator
    from pathlib import Path

    from authgate import AuthGate

pytestmark = pytest.mark.anyio

SESSION = "next-auth.session-token"
CHECKS = ("next-auth.state", "next-auth.pkce.code_verifier", "next-auth.nonce")
ERROR = f"{APP}/api/auth/error?error="
TIMEOUT = 1.0  # OIDC(timeout=...): the proxy's "slow" waits three times as long


@pytest.fixture(scope="module")
def provider() -> Iterator[tuple[str, Faults]]:
    """The proxy's origin (the provider's issuer) and its faults."""
    with faulty_proxy() as (origin, faults):
        port = free_port()
        with oidc_provider([CALLBACK], port=port, issuer=origin) as issuer:
            assert issuer == origin
            faults.upstream = f"http://127.0.0.1:{port}"
            faults.delay = 3 * TIMEOUT
            yield origin, faults


@pytest.fixture
def faults(provider: tuple[str, Faults]) -> Iterator[Faults]:
    """The proxy's faults, healthy again after each test."""
    found = provider[1]
    found.modes.clear()
    found.served.clear()
    yield found
    found.modes.clear()


@pytest.fixture
async def adapter(tmp_path: Path) -> AsyncIterator[SQLAlchemyAdapter]:
    db = SQLAlchemyAdapter(tmp_path / "auth.db")
    await db.get_user_by_email("nobody@example.com")  # the tables exist from the start
    yield db
    await db.close()


@pytest.fixture
async def gate(provider: tuple[str, Faults], adapter: SQLAlchemyAdapter) -> AsyncIterator[AuthGate]:
    """A fresh gate per test: nothing cached from another test's discovery or JWKS."""
    async with httpx.AsyncClient() as outbound:
        yield make_gate(provider[0], outbound, adapter, Recorder(), timeout=TIMEOUT)


def nothing_stored(adapter: SQLAlchemyAdapter, client: Client) -> None:
    """No session cookie, no check cookie left, no user, account or session row."""
    assert SESSION not in client.jar
    for name in CHECKS:
        assert name not in client.jar, name
    for table in ("users", "accounts", "sessions"):
        assert rows(adapter, table) == [], table


async def recovers(gate: AuthGate, adapter: SQLAlchemyAdapter, faults: Faults) -> None:
    """The provider healthy again: the same gate signs in, once, at the first try."""
    faults.modes.clear()
    client = Client(gate, now=None)
    landed = await sign_in(client, "ada")
    assert landed.redirect == f"{APP}/welcome", landed.redirect
    assert SESSION in client.jar
    assert len(rows(adapter, "users")) == 1
    assert len(rows(adapter, "sessions")) == 1


FAULTS = [
    *[("discovery", m) for m in ("slow", "html", "not-json", "wrong-type", "truncated", "short")],
    *[("token", m) for m in ("slow", "html", "not-json", "wrong-type", "truncated", "short")],
    ("token", "bad-id-token"),
    *[("userinfo", m) for m in ("slow", "html", "not-json", "wrong-type", "truncated", "short")],
    *[("jwks", m) for m in ("slow", "html", "not-json")],
]


async def start(client: Client) -> Any:
    """``POST /signin/oidc``: where the discovery document is fetched."""
    csrf = await client.csrf()
    form = {"csrfToken": csrf, "callbackUrl": f"{APP}/welcome"}
    return await client.post("/signin/oidc", form=form)


@pytest.mark.parametrize(("kind", "mode"), FAULTS, ids=[f"{k}-{m}" for k, m in FAULTS])
async def test_a_fault_ends_on_the_documented_error_and_the_gate_recovers(
    kind: str,
    mode: str,
    gate: AuthGate,
    adapter: SQLAlchemyAdapter,
    faults: Faults,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Discovery fails at ``/signin`` (``OAuthSignin``); the rest at the callback."""
    faults.modes[kind] = mode
    client = Client(gate, now=None)
    with caplog.at_level(logging.ERROR, logger="authgate"):
        if kind == "discovery":
            ended = await start(client)
            code, logged = "OAuthSignin", "SIGNIN_OAUTH_ERROR"
        else:
            ended = await sign_in(client, "ada")
            code, logged = "OAuthCallback", "OAUTH_CALLBACK_ERROR"
    assert (kind, mode) in faults.served, "the fault was on the wire"
    assert ended.status == 302, "a redirect to the error page, never a 500"
    assert ended.redirect == f"{ERROR}{code}", ended.redirect
    assert logged in caplog.text
    nothing_stored(adapter, client)
    await recovers(gate, adapter, faults)


@pytest.mark.parametrize("kind", ["discovery", "token", "userinfo"])
async def test_json_under_text_plain_is_still_read(
    kind: str, gate: AuthGate, adapter: SQLAlchemyAdapter, faults: Faults
) -> None:
    """Only an HTML or XML content type is refused outright: some providers send their JSON
    as ``text/plain``, and the body is checked as strictly either way (SECURITY.md, decision 8).
    """
    faults.modes[kind] = "text-plain"
    client = Client(gate, now=None)
    landed = await sign_in(client, "ada")
    assert (kind, "text-plain") in faults.served
    assert landed.redirect == f"{APP}/welcome", landed.redirect
    assert len(rows(adapter, "sessions")) == 1
