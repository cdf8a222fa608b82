"""OpenTelemetry spans and metrics after real requests, read back through the real SDK.

The SDK's in-memory span exporter and metric reader are installed as the global providers once
for this module (OpenTelemetry allows one per process); authgate finds them through
``opentelemetry-api`` as any application's would.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import Counter, Histogram, MeterProvider
from opentelemetry.sdk.metrics.export import AggregationTemporality, InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from authgate.adapters.memory import MemoryAdapter
from authgate.integrations.asgi import AuthApp
from authgate.testing import FakeIdentityProvider
from blackbox.conftest import PASSWORD, SESSION, USER, Client, body_json, make_gate
from blackbox.test_database_sessions import db_gate

if TYPE_CHECKING:
    from collections.abc import Iterator

    from opentelemetry.sdk.trace import ReadableSpan

pytestmark = pytest.mark.anyio

SPANS = InMemorySpanExporter()
READER = InMemoryMetricReader(
    preferred_temporality={
        Counter: AggregationTemporality.DELTA,
        Histogram: AggregationTemporality.DELTA,
    }
)
_INSTALLED: list[TracerProvider] = []
_SEEN: list[tuple[str, dict[str, Any], Any]] = []  # the points of this test so far


@pytest.fixture(autouse=True)
def sdk() -> None:
    """The SDK installed once; each test starts with no spans and no metric points."""
    if not _INSTALLED:
        tracing = TracerProvider()
        tracing.add_span_processor(SimpleSpanProcessor(SPANS))
        trace.set_tracer_provider(tracing)
        metrics.set_meter_provider(MeterProvider(metric_readers=[READER]))
        _INSTALLED.append(tracing)
    drain()
    SPANS.clear()


@pytest.fixture(autouse=True, scope="module")
def stop_recording_after() -> Iterator[None]:
    """Later test modules of the same process keep no spans (the provider stays global)."""
    yield
    for tracing in _INSTALLED:
        tracing.shutdown()  # the exporter then drops what it is given
    SPANS.clear()


def drain() -> None:
    """Forget every metric point recorded so far."""
    READER.collect()
    _SEEN.clear()


def points(name: str) -> list[tuple[dict[str, Any], Any]]:
    """``(attributes, point)`` of metric ``name`` since the last :func:`drain`."""
    data = READER.get_metrics_data()  # delta temporality: only what is new since the last call
    for resource in data.resource_metrics if data else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                _SEEN.extend(
                    (metric.name, dict(p.attributes or {}), p) for p in metric.data.data_points
                )
    return [(attributes, point) for seen, attributes, point in _SEEN if seen == name]


def spans(name: str) -> list[ReadableSpan]:
    return [s for s in SPANS.get_finished_spans() if s.name == name]


def every_attribute_value() -> str:
    """All span attribute values finished so far, as one string (for "never in there" checks)."""
    return json.dumps([dict(s.attributes or {}) for s in SPANS.get_finished_spans()], default=str)


async def test_credentials_sign_ins_count_outcomes_and_leave_a_span() -> None:
    client = Client(make_gate())
    assert (await client.sign_in(password="wrong")).status == 302
    assert (await client.sign_in()).status == 302
    token = client.jar[SESSION]

    counted = {
        (a["authgate.outcome"], a.get("authgate.error.code")): p.value
        for a, p in points("authgate.sign_ins")
    }
    assert counted == {("refused", "CredentialsSignin"): 1, ("signed_in", None): 1}
    assert all(a["authgate.provider"] == "credentials" for a, _ in points("authgate.sign_ins"))
    assert all(
        type(a.get("authgate.error.code", "")) is str for a, _ in points("authgate.sign_ins")
    )

    refused, signed_in = spans("authgate callback")
    assert refused.attributes is not None
    assert signed_in.attributes is not None
    assert refused.attributes["authgate.outcome"] == "refused"
    assert refused.attributes["authgate.error.code"] == "CredentialsSignin"
    assert signed_in.attributes["authgate.outcome"] == "signed_in"
    assert signed_in.attributes["authgate.provider"] == "credentials"
    assert signed_in.attributes["http.response.status_code"] == 302
    text = every_attribute_value()
    for secret in (token, PASSWORD, "wrong", USER["email"], "ada"):
        assert secret not in text


async def test_a_throttled_sign_in_is_counted_as_such() -> None:
    from authgate.ratelimit import Policy, RateLimit

    client = Client(make_gate(rate_limit=RateLimit(per_identifier=Policy(free=1, max_attempts=1))))
    await client.sign_in(password="wrong")
    await client.sign_in(password="wrong")
    outcomes = sorted(a["authgate.outcome"] for a, _ in points("authgate.sign_ins"))
    assert outcomes == ["refused", "throttled"]


async def test_session_reads_count_each_outcome_with_a_duration() -> None:
    gate = make_gate()
    client = Client(gate)
    await client.sign_in()
    drain()  # the sign-in's own reads are not this test's
    await client.get("/session")
    await client.get("/session")
    await client.get("/session", cookie_header=f"{SESSION}=not-a-token")
    await Client(gate).get("/session")

    reads = {
        (a["authgate.session.strategy"], a["authgate.outcome"]): p.value
        for a, p in points("authgate.session.reads")
    }
    assert reads == {("jwt", "valid"): 2, ("jwt", "invalid"): 1, ("jwt", "none"): 1}
    durations = {a["authgate.outcome"]: p for a, p in points("authgate.session.read.duration")}
    assert durations["valid"].count == 2
    assert durations["valid"].sum > 0


async def test_get_session_of_the_integrations_is_a_session_read() -> None:
    gate = make_gate()
    app = AuthApp(gate)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://localhost:3000"
    ) as http:
        csrf = (await http.get("/api/auth/csrf")).json()["csrfToken"]
        await http.post(
            "/api/auth/callback/credentials",
            data={"csrfToken": csrf, "username": "ada", "password": PASSWORD},
        )
        drain()
    from authgate import AuthRequest

    cookies = {SESSION: http.cookies[SESSION]}
    request = AuthRequest(method="GET", path="/", cookies=cookies, headers={})
    assert await gate.get_session(request) is not None
    reads = [(a["authgate.outcome"], p.value) for a, p in points("authgate.session.reads")]
    assert reads == [("valid", 1)]


async def test_database_sessions_time_every_adapter_call() -> None:
    client = Client(db_gate(MemoryAdapter()))
    await client.sign_in()
    await client.get("/session")
    timed = {
        a["authgate.adapter.operation"]: p.count for a, p in points("authgate.adapter.duration")
    }
    # The sign-in ran in a transaction: its calls went through the bound adapter, timed too.
    assert timed["create_session"] == 1
    assert timed["get_session_and_user"] == 1
    assert all("error.type" not in a for a, _ in points("authgate.adapter.duration"))
    reads = [
        (a["authgate.session.strategy"], a["authgate.outcome"])
        for a, _ in points("authgate.session.reads")
    ]
    assert ("database", "valid") in reads


async def test_an_adapter_method_replaced_after_start_up_is_the_one_called_and_timed() -> None:
    adapter = MemoryAdapter()
    client = Client(db_gate(adapter))
    await client.sign_in()
    assert body_json(await client.get("/session"))["user"]["email"] == USER["email"]
    drain()
    original = adapter.get_session_and_user
    seen: list[str] = []

    async def replaced(session_token: str) -> Any:  # a failover, a proxy, a test double
        seen.append(session_token)
        return await original(session_token)

    adapter.get_session_and_user = replaced  # type: ignore[method-assign]
    assert body_json(await client.get("/session"))["user"]["email"] == USER["email"]
    assert len(seen) == 1, "the replacement is called, not the method found before"
    timed = [a["authgate.adapter.operation"] for a, _ in points("authgate.adapter.duration")]
    assert timed.count("get_session_and_user") == 1
    del adapter.get_session_and_user  # the class's method again
    assert body_json(await client.get("/session"))["user"]["email"] == USER["email"]
    assert len(seen) == 1


async def test_a_failing_adapter_call_is_timed_with_its_error_type() -> None:
    class Broken(MemoryAdapter):
        async def get_session_and_user(self, session_token: str) -> Any:
            raise ConnectionError("db down at 10.0.0.7")

    client = Client(db_gate(Broken()))
    await client.sign_in()
    drain()
    assert body_json(await client.get("/session")) == {}
    failed = [a for a, _ in points("authgate.adapter.duration")]
    assert failed == [
        {"authgate.adapter.operation": "get_session_and_user", "error.type": "ConnectionError"}
    ]
    outcomes = [a["authgate.outcome"] for a, _ in points("authgate.session.reads")]
    assert outcomes == ["unavailable"]


@pytest.fixture
def fake_idp() -> Iterator[FakeIdentityProvider]:
    with FakeIdentityProvider() as idp:
        yield idp


async def test_oauth_sign_in_times_each_call_to_the_provider(
    fake_idp: FakeIdentityProvider,
) -> None:
    gate = make_gate(providers=[fake_idp.provider()], url="http://testserver/api/auth")
    from starlette.applications import Starlette
    from starlette.routing import Mount

    app = Starlette(routes=[Mount("/api/auth", AuthApp(gate))])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        callback = await fake_idp.sign_in(http)
        assert callback.status_code == 302
        session = http.cookies[SESSION]

    calls = {
        (a["authgate.oauth.endpoint"], a["http.request.method"]): a
        for a, _ in points("authgate.oauth.http.duration")
    }
    assert set(calls) == {
        ("discovery", "GET"),
        ("token", "POST"),
        ("jwks", "GET"),
        ("userinfo", "GET"),
    }
    assert all(a["authgate.provider"] == "fake" for a in calls.values())
    assert all(a["http.response.status_code"] == 200 for a in calls.values())

    (callback_span,) = spans("authgate callback")
    token_span, *_ = spans("authgate oauth token")
    assert token_span.parent is not None
    assert token_span.parent.span_id == callback_span.context.span_id, "a child of the callback"
    assert token_span.kind is trace.SpanKind.CLIENT
    (start_span,) = spans("authgate signin")
    assert start_span.attributes is not None
    assert start_span.attributes["authgate.outcome"] == "continued"
    text = every_attribute_value()
    assert session not in text
    assert fake_idp.client_secret not in text
    assert "ada@example.com" not in text
    assert fake_idp.issuer not in text, "no URLs: the endpoint kind names the call"


async def test_a_provider_that_is_down_is_timed_with_the_error() -> None:
    from authgate.providers import OIDC

    provider = OIDC(
        id="gone", name="Gone", issuer="http://127.0.0.1:9", client_id="c", client_secret="s"
    )
    client = Client(make_gate(providers=[provider]))
    token = await client.csrf()
    response = await client.post("/signin/gone", form={"csrfToken": token})
    assert response.status == 302
    ((attributes, point),) = points("authgate.oauth.http.duration")
    assert attributes["authgate.oauth.endpoint"] == "discovery"
    assert attributes["error.type"] == "ProviderError"
    assert point.count == 1
    (span,) = spans("authgate oauth discovery")
    assert span.status.status_code is trace.StatusCode.ERROR
    outcomes = [
        (a["authgate.outcome"], a.get("authgate.error.code"))
        for a, _ in points("authgate.sign_ins")
    ]
    assert outcomes == [("refused", "OAuthSignin")], outcomes


def test_authgate_works_without_opentelemetry() -> None:
    script = textwrap.dedent(
        """
        import asyncio, sys
        sys.modules["opentelemetry"] = None  # as if the package were not installed
        from authgate import AuthConfig, AuthGate, AuthRequest
        from authgate.adapters.memory import MemoryAdapter
        from authgate.providers import Credentials

        def check(credentials, request):
            return {"id": "1", "name": "Ada"} if credentials.get("password") == "pw" else None

        async def main():
            for adapter in (None, MemoryAdapter()):
                provider = Credentials(authorize=check, database_session=adapter is not None)
                gate = AuthGate(
                    AuthConfig(providers=[provider], secret="s" * 32, url="http://localhost",
                               adapter=adapter),
                    env={},
                )
                assert gate._options.telemetry is None
                assert gate._options.adapter is adapter, "not wrapped"
                csrf = await gate.handle(AuthRequest(method="GET", path="/api/auth/csrf"))
                token = csrf.body.decode().split('"')[3]
                cookie = csrf.cookies[0]
                signed = await gate.handle(AuthRequest(
                    method="POST", path="/api/auth/callback/credentials",
                    headers={"content-type": "application/x-www-form-urlencoded"},
                    cookies={cookie.name: cookie.value},
                    body=f"csrfToken={token}&password=pw".encode(),
                ))
                session = {c.name: c.value for c in signed.cookies if c.value}
                got = await gate.get_session(AuthRequest(method="GET", path="/", cookies=session))
                assert got["user"]["name"] == "Ada", got
            assert "opentelemetry.trace" not in sys.modules
            print("ok")

        asyncio.run(main())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


async def test_a_method_patched_after_the_gate_was_built_is_still_called() -> None:
    adapter = MemoryAdapter()
    client = Client(db_gate(adapter))
    await client.sign_in()
    await client.get("/session")  # the wrapper of get_session_and_user now exists

    async def down(session_token: str) -> Any:
        raise ConnectionError("patched")

    adapter.get_session_and_user = down  # type: ignore[method-assign]
    drain()
    assert body_json(await client.get("/session")) == {}
    failed = [a.get("error.type") for a, _ in points("authgate.adapter.duration")]
    assert failed == ["ConnectionError"]


def _telemetry_in_subprocess(block: str, telemetry: str) -> subprocess.CompletedProcess[str]:
    script = textwrap.dedent(
        f"""
        import sys
        {block}
        from authgate import AuthConfig, AuthGate
        from authgate.errors import ConfigurationError
        from authgate.providers import Credentials

        try:
            gate = AuthGate(
                AuthConfig(providers=[Credentials(authorize=lambda c, r: None)], secret="s" * 32,
                           url="http://localhost", telemetry={telemetry}),
                env={{}},
            )
        except ConfigurationError as exc:
            print("error:", exc)
        else:
            print("on" if gate._options.telemetry is not None else "off")
        """
    )
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize(
    ("block", "telemetry", "expected"),
    [
        # The API alone (FastAPI's dependency): off by default, on when asked.
        ('sys.modules["opentelemetry.sdk"] = None', "None", "off"),
        ('sys.modules["opentelemetry.sdk"] = None', "True", "on"),
        # The SDK installed: on by default, off when asked.
        ("", "None", "on"),
        ("", "False", "off"),
        # No OpenTelemetry at all: asking for it is a start-up error, not a silent no-op.
        ('sys.modules["opentelemetry"] = None', "None", "off"),
        ('sys.modules["opentelemetry"] = None', "True", "error: telemetry=True needs"),
    ],
)
def test_when_telemetry_is_on(block: str, telemetry: str, expected: str) -> None:
    done = _telemetry_in_subprocess(block, telemetry)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith(expected), done.stdout
