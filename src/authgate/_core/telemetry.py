"""Optional OpenTelemetry spans and metrics (``pip install authgate[otel]``).

:func:`build` answers ``None`` when telemetry is off (``AuthConfig(telemetry=False)``, or by
default when the OpenTelemetry SDK is not installed): every hook in the engine is then one
``is None`` test, nothing else. With it installed, the instruments come from
the global tracer and meter providers (no-ops until the application installs the SDK), created
once per gate.

What is recorded (names in docs/guides/observability.md): sign-in outcomes, session reads,
adapter call latency, the latency of every call to an OAuth provider, a span around each
sign-in and callback. Attributes are provider ids, action names, operation names, outcomes,
error codes and exception type names: never a token, secret, cookie, address or user id.
"""

from __future__ import annotations

import importlib.util
import inspect
import time
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Any, Final

from authgate._core import audit
from authgate._core.routing import Action

try:
    from opentelemetry import metrics, trace
except ImportError:  # the optional extra is not installed: no telemetry at all
    _AVAILABLE = False
else:
    _AVAILABLE = True
# Only the API (a no-op without an SDK) is a dependency of other packages (FastAPI): by default
# the hooks are on only where an SDK could record what they report.
_SDK_INSTALLED = _AVAILABLE and importlib.util.find_spec("opentelemetry.sdk") is not None

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterator, Mapping

    from opentelemetry.trace import Span

    from authgate._core.context import RequestContext
    from authgate._core.session_reader import SessionRead
    from authgate.adapters import Adapter
    from authgate.http import AuthResponse

__all__ = ["Telemetry", "build", "read_outcome"]

SCOPE: Final = "authgate"
# The sign-in routes: a span each, and one outcome per request on the sign-in counter.
SIGN_IN_ACTIONS: Final = frozenset({Action.SIGNIN, Action.CALLBACK})
_OUTCOMES: Final = {
    "AUTH_SIGNIN": "signed_in",
    "AUTH_REFUSED": "refused",
    "AUTH_THROTTLED": "throttled",
    "AUTH_FAULT": "fault",
}
# Read outcomes: no cookie, a live session, a token that is no session (bad, expired, ended),
# the adapter or revocation store failed.
READ_OUTCOMES: Final = ("none", "valid", "invalid", "unavailable")


def read_outcome(found: SessionRead) -> str:
    """The ``authgate.outcome`` of one session read."""
    if found.token is None:
        return "none"
    if found.valid:
        return "valid"
    return "unavailable" if found.unavailable else "invalid"


class Telemetry:
    """The tracer and the instruments of one gate."""

    __slots__ = (
        "_adapter_attrs",
        "_adapter_time",
        "_http_time",
        "_read_attrs",
        "_read_time",
        "_reads",
        "_sign_ins",
        "_tracer",
    )

    def __init__(self) -> None:
        self._tracer = trace.get_tracer(SCOPE)
        meter = metrics.get_meter(SCOPE)
        self._sign_ins = meter.create_counter(
            "authgate.sign_ins",
            unit="{sign_in}",
            description="Sign-in requests by provider and outcome",
        )
        self._reads = meter.create_counter(
            "authgate.session.reads", unit="{read}", description="Session reads by outcome"
        )
        self._read_time = meter.create_histogram(
            "authgate.session.read.duration", unit="s", description="Duration of a session read"
        )
        self._adapter_time = meter.create_histogram(
            "authgate.adapter.duration", unit="s", description="Duration of an adapter call"
        )
        self._http_time = meter.create_histogram(
            "authgate.oauth.http.duration",
            unit="s",
            description="Duration of a call to an OAuth provider",
        )
        # Attribute sets built once: the per-read cost is two clock reads and two records.
        self._read_attrs = {
            (strategy, outcome): {
                "authgate.session.strategy": strategy,
                "authgate.outcome": outcome,
            }
            for strategy in ("jwt", "database")
            for outcome in READ_OUTCOMES
        }
        self._adapter_attrs: dict[str, Mapping[str, str]] = {}

    # -- session reads -----------------------------------------------------------------------

    def session_read(self, strategy: str, found: SessionRead, started: float) -> None:
        """Count one session read that began at ``started`` (``time.perf_counter()``)."""
        elapsed = time.perf_counter() - started
        # read_outcome(found), inline: it runs on every read.
        if found.token is None:
            outcome = "none"
        elif found.claims is not None or found.stored is not None:
            outcome = "valid"
        else:
            outcome = "unavailable" if found.unavailable else "invalid"
        attributes = self._read_attrs[strategy, outcome]
        self._reads.add(1, attributes)
        self._read_time.record(elapsed, attributes)

    # -- sign-in and callback ----------------------------------------------------------------

    @asynccontextmanager
    async def sign_in_span(self, ctx: RequestContext) -> AsyncIterator[Span]:
        """The span of one sign-in or callback request."""
        attributes = {"authgate.action": ctx.action.value}
        if ctx.provider_id is not None:
            attributes["authgate.provider"] = ctx.provider_id
        name = f"authgate {ctx.action.value}"
        with self._tracer.start_as_current_span(
            name, kind=trace.SpanKind.INTERNAL, attributes=attributes, record_exception=False
        ) as span:
            yield span

    def sign_in(self, ctx: RequestContext, response: AuthResponse, span: Span | None) -> None:
        """Record the outcome of a sign-in request on the counter and its span."""
        kind = audit.classify(ctx, response)
        outcome = _OUTCOMES.get(kind[0], "continued") if kind is not None else "continued"
        attributes = {"authgate.action": ctx.action.value, "authgate.outcome": outcome}
        if ctx.provider_id is not None:
            attributes["authgate.provider"] = ctx.provider_id
        code = getattr(response, "code", None)
        if isinstance(code, str):  # an ErrorCode (a StrEnum): exported as its plain value
            code = attributes["authgate.error.code"] = str(code)
        self._sign_ins.add(1, attributes)
        if span is not None:
            span.set_attributes(attributes)
            span.set_attribute("http.response.status_code", response.status)
            if outcome == "fault":
                span.set_status(trace.StatusCode.ERROR, code)

    # -- adapter -----------------------------------------------------------------------------

    def adapter(self, adapter: Adapter) -> Adapter:
        """``adapter`` with every coroutine method timed (``authgate.adapter.duration``)."""
        return TimedAdapter(adapter, self)

    def adapter_call(self, operation: str, started: float, error: BaseException | None) -> None:
        elapsed = time.perf_counter() - started
        if error is None:
            attributes = self._adapter_attrs.get(operation)
            if attributes is None:
                attributes = self._adapter_attrs.setdefault(
                    operation, {"authgate.adapter.operation": operation}
                )
        else:
            attributes = {
                "authgate.adapter.operation": operation,
                "error.type": type(error).__name__,
            }
        self._adapter_time.record(elapsed, attributes)

    # -- outbound HTTP -----------------------------------------------------------------------

    @contextmanager
    def outbound(self, provider: str, endpoint: str, method: str) -> Iterator[dict[str, Any]]:
        """Time one call to a provider; the caller adds ``http.response.status_code``."""
        attributes: dict[str, Any] = {
            "authgate.provider": provider,
            "authgate.oauth.endpoint": endpoint,
            "http.request.method": method,
        }
        started = time.perf_counter()
        with self._tracer.start_as_current_span(
            f"authgate oauth {endpoint}",
            kind=trace.SpanKind.CLIENT,
            attributes=attributes,
            record_exception=False,
        ) as span:
            try:
                yield attributes
            except BaseException as exc:
                attributes["error.type"] = type(exc).__name__
                span.set_status(trace.StatusCode.ERROR, type(exc).__name__)
                raise
            finally:
                self._http_time.record(time.perf_counter() - started, attributes)
                span.set_attributes(attributes)


class TimedAdapter:
    """An adapter whose coroutine methods record their duration; everything else passes."""

    def __init__(self, inner: Adapter, telemetry: Telemetry) -> None:
        self._inner = inner
        self._telemetry = telemetry
        # name -> (function, its object, what to hand out): see __getattr__.
        self._known: dict[str, tuple[object, object, Any]] = {}

    @property
    def wrapped(self) -> Adapter:
        """The adapter being timed."""
        return self._inner

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._inner, name)
        if name == "transaction":
            return self._transaction
        # Looked up on every call: the wrapper stays transparent to adapters whose methods
        # change after start-up (a failover, a proxy, a test double). What is handed out is
        # kept while the same function of the same object is found (a bound method is a new
        # object per lookup; its function and object are not).
        function = getattr(value, "__func__", value)
        owner = getattr(value, "__self__", None)
        known = self._known.get(name)
        if known is not None and known[0] is function and known[1] is owner:
            return known[2]
        handed = (
            _timed(value, name, self._telemetry) if inspect.iscoroutinefunction(value) else value
        )
        self._known[name] = (function, owner, handed)
        return handed

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[Adapter]:
        async with self._inner.transaction() as bound:
            yield self._telemetry.adapter(bound)


def _timed(method: Callable[..., Any], name: str, telemetry: Telemetry) -> Callable[..., Any]:
    async def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            result = await method(*args, **kwargs)
        except BaseException as exc:
            telemetry.adapter_call(name, started, exc)
            raise
        telemetry.adapter_call(name, started, None)
        return result

    timed.__name__ = name
    return timed


def build(enabled: bool | None = None) -> Telemetry | None:
    """The gate's telemetry (``AuthConfig.telemetry``), or ``None`` when it is off.

    Raises:
        ValueError: ``enabled`` is ``True`` and ``opentelemetry-api`` is not installed.
    """
    if enabled is None:
        enabled = _SDK_INSTALLED
    if not enabled:
        return None
    if not _AVAILABLE:
        raise ValueError("telemetry=True needs opentelemetry-api: pip install 'authgate[otel]'")
    return Telemetry()
