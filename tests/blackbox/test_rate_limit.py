"""Sign-in throttling on the in-memory backend (SECURITY.md, decision 13).

Time is passed in (``now``); nothing sleeps.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from authgate import AuthConfig, AuthGate, ConfigurationError
from authgate.ratelimit import MemoryBackend, Policy, RateLimit, several_workers

from .conftest import (
    NOW,
    ORIGIN,
    PASSWORD,
    SESSION,
    URL,
    Client,
    body_json,
    check_password,
    credentials_provider,
    make_gate,
    set_cookies,
)

pytestmark = pytest.mark.anyio

THROTTLED = f"{URL}/error?error=TooManyRequests"
FAILED = f"{URL}/error?error=CredentialsSignin&provider=credentials"


class Spy:
    """An ``authorize`` that counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, credentials: Any, request: Any) -> Any:
        self.calls += 1
        return check_password(credentials, request)


def gate_with(spy: Spy | None = None, **limit: Any) -> AuthGate:
    provider = credentials_provider(spy or Spy())
    return make_gate(providers=[provider], rate_limit=RateLimit(**limit))


async def attempt(
    client: Client,
    username: str = "ada",
    password: str = "wrong",  # noqa: S107
    *,
    now: float = NOW,
    **form: str,
) -> Any:
    client.now = now
    return await client.sign_in(username, password, **form)


async def test_after_the_free_failures_an_immediate_retry_is_throttled() -> None:
    spy = Spy()
    client = Client(gate_with(spy), client_host="203.0.113.7")
    for _ in range(5):
        assert (await attempt(client)).redirect == FAILED
    response = await attempt(client)
    assert (response.status, response.redirect) == (302, THROTTLED)
    assert spy.calls == 5  # the throttled attempt never reached authorize
    assert SESSION not in set_cookies(response)
    # Even the right password is throttled: the answer reveals nothing.
    assert (await attempt(client, password=PASSWORD)).redirect == THROTTLED
    assert spy.calls == 5


async def test_json_mode_answers_429_with_retry_after() -> None:
    client = Client(gate_with(), client_host="203.0.113.7")
    for _ in range(5):
        await attempt(client)
    response = await attempt(client, json="true")
    assert response.status == 429
    assert response.header("retry-after") == "1"
    assert body_json(response) == {"url": THROTTLED}


async def test_unknown_and_existing_accounts_get_identical_answers() -> None:
    answers = {}
    for username in ("ada", "nobody-here"):
        client = Client(gate_with(), client_host="203.0.113.7")
        seen = []
        for _ in range(7):
            r = await attempt(client, username)
            seen.append((r.status, r.redirect, r.header("retry-after"), sorted(set_cookies(r))))
        answers[username] = seen
    assert answers["ada"] == answers["nobody-here"]
    assert answers["ada"][-1][1] == THROTTLED


async def test_delays_grow_exponentially_then_refuse_for_a_window_never_forever() -> None:
    policy = Policy(free=2, base_delay=1, max_delay=4, max_attempts=7, window=100)
    client = Client(gate_with(per_identifier=policy), client_host="203.0.113.7")
    now = NOW
    waits = []
    for _ in range(2):
        assert (await attempt(client, now=now)).redirect == FAILED
    for _ in range(5):
        throttled = await attempt(client, json="true", now=now)
        assert throttled.status == 429
        wait = int(throttled.header("retry-after") or 0)
        waits.append(wait)
        assert (await attempt(client, json="true", now=now + wait - 0.5)).status == 429
        now += wait
        assert (await attempt(client, now=now)).redirect == FAILED
    assert waits == [1, 2, 4, 4, 4]  # doubling, capped at max_delay
    refused = await attempt(client, json="true", now=now)
    assert refused.header("retry-after") == "100"  # max_attempts reached: the window
    assert (await attempt(client, json="true", now=now + 99)).status == 429
    assert (await attempt(client, now=now + 100)).redirect == FAILED  # forgotten: no lockout


async def test_throttled_attempts_do_not_extend_the_wait() -> None:
    client = Client(gate_with(), client_host="203.0.113.7")
    for _ in range(5):
        await attempt(client)
    for i in range(50):
        assert (await attempt(client, now=NOW + i * 0.01)).redirect == THROTTLED
    assert (await attempt(client, now=NOW + 1)).redirect == FAILED


async def test_a_success_resets_the_identifier() -> None:
    spy = Spy()
    client = Client(gate_with(spy), client_host="203.0.113.7")
    for _ in range(4):
        await attempt(client)
    assert (await attempt(client, password=PASSWORD)).redirect == "http://localhost:3000"
    for _ in range(5):
        assert (await attempt(client)).redirect == FAILED
    assert (await attempt(client)).redirect == THROTTLED


async def test_the_identifier_is_throttled_from_every_ip() -> None:
    gate = gate_with()
    for i in range(5):
        await attempt(Client(gate, client_host=f"198.51.100.{i}"))
    assert (await attempt(Client(gate, client_host="192.0.2.99"))).redirect == THROTTLED
    # another account from those addresses is not affected
    assert (await attempt(Client(gate, client_host="198.51.100.1"), "bob")).redirect == FAILED


@pytest.mark.parametrize("spelling", ["ADA", "  ada ", "\uff21\uff44\uff41", "ada"])
async def test_identifiers_are_normalised(spelling: str) -> None:
    gate = gate_with()
    for _ in range(5):
        await attempt(Client(gate, client_host="198.51.100.1"))
    assert (await attempt(Client(gate, client_host="198.51.100.2"), spelling)).redirect == THROTTLED


async def json_attempt(client: Client, username: Any) -> Any:
    token = await client.csrf()
    body = {"csrfToken": token, "username": username, "password": "wrong"}
    return await client.post("/callback/credentials", json_body=body)


@pytest.mark.parametrize(
    ("first", "then"),
    [
        (4711, 4711),
        (4711, "4711"),
        ("4711", 4711.0),
        (True, "true"),
        (["ada"], ["ada"]),
        ({"b": 1, "a": "Ada"}, {"a": "ada", "b": 1}),
    ],
)
async def test_identifier_values_of_any_json_type_are_counted(first: Any, then: Any) -> None:
    # authorize receives the JSON body whole, so {"username": 4711} is an account too.
    gate = gate_with()
    for i in range(5):
        assert (await json_attempt(Client(gate, client_host=f"198.51.100.{i}"), first)).redirect
    throttled = await json_attempt(Client(gate, client_host="192.0.2.99"), then)
    assert throttled.redirect == THROTTLED


@pytest.mark.parametrize("blank", [None, "", "  "])
async def test_blank_identifier_values_share_no_account_budget(blank: Any) -> None:
    gate = gate_with()
    for i in range(6):
        response = await json_attempt(Client(gate, client_host=f"198.51.100.{i}"), blank)
        assert response.redirect == FAILED


async def test_the_email_field_is_the_identifier_when_there_is_no_username() -> None:
    gate = gate_with()
    for _ in range(5):
        await Client(gate).sign_in("", "x", email="Ada@Example.com")
    response = await Client(gate).sign_in("", "x", email="ada@example.com")
    assert response.redirect == THROTTLED


@pytest.mark.parametrize("fields", [("login",), ["login"]])
async def test_a_configured_identifier_field(fields: Any) -> None:
    gate = gate_with(identifier_fields=fields)
    for _ in range(5):
        await Client(gate).sign_in("", "x", login="ada")
    assert (await Client(gate).sign_in("", "x", login="ada")).redirect == THROTTLED


async def test_one_ip_spraying_many_accounts_is_throttled() -> None:
    gate = gate_with()
    for i in range(20):
        assert (
            await attempt(Client(gate, client_host="203.0.113.7"), f"user{i}")
        ).redirect == FAILED
    assert (await attempt(Client(gate, client_host="203.0.113.7"), "fresh")).redirect == THROTTLED
    assert (await attempt(Client(gate, client_host="203.0.113.8"), "fresh")).redirect == FAILED


@pytest.mark.parametrize(
    "forged",
    [lambda i: f"10.0.0.{i}", lambda i: f"10.0.0.{i}, 203.0.113.{i}", lambda i: "garbage"],
)
async def test_a_forged_x_forwarded_for_does_not_reset_the_ip_count(forged: Any) -> None:
    gate = gate_with()
    for i in range(20):
        client = Client(gate, client_host="203.0.113.7", headers=[("x-forwarded-for", forged(i))])
        await attempt(client, f"user{i}")
    client = Client(gate, client_host="203.0.113.7", headers=[("x-forwarded-for", "192.0.2.1")])
    assert (await attempt(client, "fresh")).redirect == THROTTLED


async def test_a_trusted_proxy_count_reads_the_right_hop() -> None:
    gate = gate_with(trusted_proxies=1)
    proxy = "10.0.0.2"
    for i in range(20):
        # the client forges what it likes on the left; the proxy appends the real address
        headers = [("x-forwarded-for", f"1.2.3.{i}, 203.0.113.7")]
        await attempt(Client(gate, client_host=proxy, headers=headers), f"user{i}")
    same = [("x-forwarded-for", "9.9.9.9, 203.0.113.7")]
    assert (await attempt(Client(gate, client_host=proxy, headers=same), "x")).redirect == THROTTLED
    other = [("x-forwarded-for", "203.0.113.8")]
    assert (await attempt(Client(gate, client_host=proxy, headers=other), "x")).redirect == FAILED


async def test_trusted_proxy_cidrs_walk_from_the_right() -> None:
    gate = gate_with(trusted_proxies=["10.0.0.0/8", "::1"])
    for i in range(20):
        headers = [("x-forwarded-for", f"7.7.7.{i}, 203.0.113.7, 10.1.1.1")]
        await attempt(Client(gate, client_host="10.0.0.2", headers=headers), f"u{i}")
    headers = [("x-forwarded-for", "203.0.113.7, 10.9.9.9")]
    assert (
        await attempt(Client(gate, client_host="10.0.0.3", headers=headers), "x")
    ).redirect == THROTTLED
    # a peer that is not a trusted proxy: its own address counts, the header is ignored
    headers = [("x-forwarded-for", "203.0.113.7")]
    assert (
        await attempt(Client(gate, client_host="198.51.100.5", headers=headers), "x")
    ).redirect == FAILED


async def test_ipv6_clients_are_bucketed_by_their_64() -> None:
    gate = gate_with()
    for i in range(20):
        await attempt(Client(gate, client_host=f"2001:db8:1:2::{i + 1:x}"), f"u{i}")
    assert (
        await attempt(Client(gate, client_host="2001:db8:1:2:ffff::1"), "x")
    ).redirect == THROTTLED
    assert (await attempt(Client(gate, client_host="2001:db8:1:3::1"), "x")).redirect == FAILED


async def test_the_backend_holds_no_identifier_or_address() -> None:
    backend = MemoryBackend()
    client = Client(gate_with(backend=backend), client_host="203.0.113.7")
    await attempt(client, "ada@example.com")
    keys = list(backend._entries)
    assert len(keys) == 2
    assert not [k for k in keys if "ada" in k or "203.0.113" in k or "example" in k]


async def test_memory_is_bounded() -> None:
    backend = MemoryBackend(max_entries=10)
    gate = gate_with(backend=backend)
    for i in range(30):
        await attempt(Client(gate, client_host=f"198.51.100.{i}"), f"user{i}")
    assert len(backend) == 10


async def test_the_session_route_never_touches_the_limiter() -> None:
    class Refusing(MemoryBackend):
        async def hit(self, key: str, policy: Policy, now: float) -> float:
            raise AssertionError("the limiter ran")

    client = Client(gate_with(backend=Refusing()))
    for path in ("/session", "/csrf", "/providers", "/signin"):
        assert (await client.get(path)).status == 200


async def test_a_failing_backend_fails_closed_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(MemoryBackend):
        async def hit(self, key: str, policy: Policy, now: float) -> float:
            raise ConnectionError("backend down at 10.1.2.3")

    spy = Spy()
    client = Client(gate_with(spy, backend=Broken()))
    with caplog.at_level(logging.ERROR, logger="authgate"):
        response = await attempt(client, password=PASSWORD, json="true")
    assert response.status == 429
    assert response.header("retry-after") == "30"
    assert spy.calls == 0
    assert "RATE_LIMIT_UNAVAILABLE" in caplog.text
    assert "10.1.2.3" not in caplog.text


async def test_a_backend_failing_after_success_still_signs_in(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Flaky(MemoryBackend):
        async def reset(self, key: str) -> None:
            raise ConnectionError

    client = Client(gate_with(backend=Flaky()))
    with caplog.at_level(logging.ERROR, logger="authgate"):
        response = await attempt(client, password=PASSWORD)
    assert response.redirect == "http://localhost:3000"
    assert "RATE_LIMIT_UNAVAILABLE" in caplog.text


async def test_the_error_route_forwards_the_code_to_the_sign_in_page() -> None:
    client = Client(make_gate())
    response = await client.get("/error", query={"error": "TooManyRequests"})
    assert response.redirect == f"{URL}/signin?error=TooManyRequests"
    page = await client.get("/signin", query={"error": "TooManyRequests"})
    assert b"Too many sign-in attempts. Try again later." in page.body


async def test_disabled_rate_limit_never_throttles_and_warns(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="authgate"):
        gate = make_gate(rate_limit=None)
    assert "RATE_LIMIT_DISABLED" in caplog.text
    client = Client(gate)
    for _ in range(30):
        assert (await attempt(client)).redirect == FAILED


def test_the_default_is_on_with_a_memory_backend() -> None:
    config = AuthConfig(providers=[credentials_provider()], secret="x" * 32)
    assert isinstance(config.rate_limit, RateLimit)
    assert isinstance(config.rate_limit.backend, MemoryBackend)
    other = AuthConfig(providers=[credentials_provider()], secret="x" * 32)
    assert other.rate_limit is not None
    assert other.rate_limit.backend is not config.rate_limit.backend


@pytest.mark.parametrize(
    "env",
    [
        {"WEB_CONCURRENCY": "4"},
        {"UVICORN_WORKERS": "2"},
        {"GUNICORN_CMD_ARGS": "--bind :80 -w 3"},
        {"GUNICORN_CMD_ARGS": "--workers=2"},
    ],
)
def test_memory_backend_under_several_workers_warns(
    env: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    assert several_workers(env) is not None
    with caplog.at_level(logging.WARNING, logger="authgate"):
        make_gate(env=env)
    assert "RATE_LIMIT_PER_PROCESS" in caplog.text


@pytest.mark.parametrize("env", [{}, {"WEB_CONCURRENCY": "1"}, {"GUNICORN_CMD_ARGS": "-w 1"}])
def test_one_worker_does_not_warn(env: dict[str, str], caplog: pytest.LogCaptureFixture) -> None:
    assert several_workers(env, check_process=False) is None
    with caplog.at_level(logging.WARNING, logger="authgate"):
        make_gate(env=env)
    assert "RATE_LIMIT_PER_PROCESS" not in caplog.text


@pytest.mark.parametrize(
    "kwargs",
    [
        {"trusted_proxies": ["not-an-ip"]},
        {"trusted_proxies": -1},
        {"trusted_proxies": "10.0.0.0/8"},
        {"identifier_fields": "username"},
        {"backend": object()},
        {"per_ip": "x"},
        {"unavailable_retry_after": 0},
    ],
)
def test_invalid_rate_limit_settings_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises((ConfigurationError, TypeError, AttributeError)):
        make_gate(rate_limit=RateLimit(**kwargs))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"free": 0},
        {"free": 5, "max_attempts": 4},
        {"base_delay": 0},
        {"base_delay": 10, "max_delay": 5},
        {"max_delay": 10_000, "window": 100},
    ],
)
def test_invalid_policies_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        Policy(**kwargs)


def test_rate_limit_must_be_a_rate_limit() -> None:
    with pytest.raises(ConfigurationError):
        AuthConfig(providers=[credentials_provider()], rate_limit={"free": 1})  # type: ignore[arg-type]


async def test_an_extra_identifier_field_does_not_dodge_the_account_count() -> None:
    """An e-mail login form: a made-up ``username`` on each attempt must not reset the count.

    ``username`` comes first in ``identifier_fields``; if only the first present field counted,
    an attacker adding ``username=<random>`` would get fresh identifier budgets for the
    victim's address on every attempt (spread over many IPs, never throttled).
    """
    calls: list[str] = []

    def by_email(credentials: Any, request: Any) -> Any:
        calls.append(credentials.get("email", ""))
        email, password = credentials.get("email"), credentials.get("password")
        if email == "ada@example.com" and password == PASSWORD:
            return {"id": "1", "email": "ada@example.com"}
        return None

    fields = {"email": {"label": "E-mail"}, "password": {"type": "password"}}
    gate = make_gate(providers=[credentials_provider(by_email, credentials=fields)])
    for i in range(5):
        client = Client(gate, client_host=f"203.0.113.{i + 1}")
        response = await client.sign_in(f"x{i}", "wrong", email="ada@example.com")
        assert response.redirect == FAILED
    client = Client(gate, client_host="198.51.100.9")
    response = await client.sign_in("fresh", "wrong", email="ada@example.com")
    assert response.redirect == THROTTLED
    assert len(calls) == 5
    # Without the extra field: still the address's budget.
    response = await Client(gate, client_host="198.51.100.10").sign_in(
        "", "wrong", email="ada@example.com"
    )
    assert response.redirect == THROTTLED


async def test_a_success_with_two_identifiers_does_not_clear_either_count() -> None:
    """Signing in to one's own account with the victim's address in another field resets nothing."""

    def by_email(credentials: Any, request: Any) -> Any:
        email, password = credentials.get("email"), credentials.get("password")
        if email == "eve@example.com" and password == PASSWORD:
            return {"id": "2", "email": "eve@example.com"}
        return None

    fields = {"email": {"label": "E-mail"}, "password": {"type": "password"}}
    gate = make_gate(providers=[credentials_provider(by_email, credentials=fields)])
    for i in range(4):
        client = Client(gate, client_host=f"203.0.113.{i + 1}")
        assert (await client.sign_in("", "wrong", email="ada@example.com")).redirect == FAILED
    eve = Client(gate, client_host="198.51.100.1")
    signed_in = await eve.sign_in("ada@example.com", PASSWORD, email="eve@example.com")
    assert signed_in.redirect == ORIGIN
    client = Client(gate, client_host="198.51.100.2")
    assert (await client.sign_in("", "wrong", email="ada@example.com")).redirect == THROTTLED
