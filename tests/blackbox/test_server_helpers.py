"""The gate's server helpers (``get_session``, ``get_providers``) on their failure paths."""

from __future__ import annotations

from typing import Any

import pytest

from authgate import AuthRequest, Callbacks
from authgate.errors import AuthGateError

from .conftest import NOW, SESSION, Client, make_gate

pytestmark = pytest.mark.anyio


async def test_get_session_fails_closed_when_a_callback_raises(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[Any] = []

    def session_cb(session: Any) -> Any:
        calls.append(1)
        raise RuntimeError("bug")

    gate = make_gate(callbacks=Callbacks(session=session_cb))
    client = Client(gate)
    await client.sign_in()
    request = AuthRequest.build(
        method="GET", path="/", headers=[("cookie", f"{SESSION}={client.jar[SESSION]}")]
    )
    assert await gate.get_session(request, now=NOW) is None
    assert calls == [1]
    assert "SESSION_ERROR" in caplog.text


async def test_get_providers_builds_urls_from_the_request_without_a_configured_url() -> None:
    gate = make_gate(trust_host=True)
    request = AuthRequest.build(
        method="GET",
        path="/",
        headers=[("host", "app.example"), ("x-forwarded-proto", "https")],
    )
    providers = gate.get_providers(request)
    assert providers["credentials"]["callbackUrl"] == (
        "https://app.example/api/auth/callback/credentials"
    )
    assert gate.get_providers()["credentials"]["signinUrl"] == "/api/auth/signin/credentials"


@pytest.mark.parametrize("host", ["", "bad host", "a/b"])
async def test_server_helpers_refuse_a_request_with_an_unusable_host(host: str) -> None:
    gate = make_gate(trust_host=True)
    request = AuthRequest.build(method="GET", path="/", headers=[("host", host)])
    with pytest.raises(AuthGateError, match="invalid Host header"):
        await gate.sign_out(request, now=NOW)
    with pytest.raises(AuthGateError, match="invalid Host header"):
        await gate.update_session(request, {"name": "x"}, now=NOW)
