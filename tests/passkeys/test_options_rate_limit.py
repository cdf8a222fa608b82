"""``GET /webauthn-options/:id`` is throttled per client IP (SECURITY.md, decision 19).

Every answer stores a challenge row; beyond ``RateLimit(webauthn_options_per_ip)`` the route
answers ``429 {"error": "Too many requests"}`` with ``Retry-After`` and stores nothing.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

import pytest

from authgate.adapters.memory import MemoryAdapter
from authgate.ratelimit import MemoryBackend, Policy, RateLimit
from blackbox.conftest import NOW, Client

from .conftest import passkey_gate

if TYPE_CHECKING:
    from authgate.http import AuthResponse

pytestmark = pytest.mark.anyio

STRICT = Policy(free=3, max_attempts=5, base_delay=10.0, max_delay=10.0, window=60.0)


class CountingAdapter(MemoryAdapter):
    """Counts the challenge rows written."""

    def __init__(self) -> None:
        super().__init__()
        self.challenges = 0

    async def create_verification_token(self, token: Any) -> Any:
        self.challenges += 1
        return await super().create_verification_token(token)


async def options(client: Client, now: float = NOW) -> AuthResponse:
    return await client.get("/webauthn-options/passkey", query={"action": "authenticate"}, now=now)


def throttled(response: AuthResponse) -> None:
    assert response.status == 429
    assert json.loads(response.body) == {"error": "Too many requests"}
    assert int(dict(response.headers)["retry-after"]) >= 1
    assert not [c for c in response.cookies if "challenge" in c.name and c.max_age != 0]


async def test_per_ip_budget(profile: str) -> None:
    adapter = CountingAdapter()
    gate = passkey_gate(adapter, profile, rate_limit=RateLimit(webauthn_options_per_ip=STRICT))
    flood = Client(gate, client_host="198.51.100.7")
    for _ in range(3):
        assert (await options(flood)).status == 200
    throttled(await options(flood))
    assert adapter.challenges == 3, "a throttled request stores no challenge"

    other = Client(gate, client_host="198.51.100.8")
    assert (await options(other)).status == 200, "another client has its own budget"
    assert (await options(flood, NOW + 10)).status == 200, "after the delay, one more"
    throttled(await options(flood, NOW + 10))


async def test_default_budget() -> None:
    gate = passkey_gate(MemoryAdapter())
    client = Client(gate, client_host="198.51.100.9")
    for _ in range(RateLimit().webauthn_options_per_ip.free):
        assert (await options(client)).status == 200
    throttled(await options(client))


async def test_a_failing_backend_fails_closed(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(MemoryBackend):
        async def hit(self, key: str, policy: Policy, now: float) -> float:
            raise ConnectionError("redis is down")

    adapter = CountingAdapter()
    gate = passkey_gate(adapter, rate_limit=RateLimit(backend=Broken()))
    with caplog.at_level(logging.ERROR, logger="authgate"):
        throttled(await options(Client(gate)))
    assert any("RATE_LIMIT_UNAVAILABLE" in r.getMessage() for r in caplog.records)
    assert adapter.challenges == 0


async def test_off_without_a_limiter() -> None:
    gate = passkey_gate(MemoryAdapter(), rate_limit=None)
    client = Client(gate)
    for _ in range(RateLimit().webauthn_options_per_ip.free + 5):
        assert (await options(client)).status == 200
