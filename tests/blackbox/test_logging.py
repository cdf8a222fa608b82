"""SECURITY.md, decision 14: secrets, passwords, tokens and cookies never reach the logs."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from authgate import Callbacks, Events

from .conftest import CSRF, PASSWORD, SECRET, SESSION, Client, credentials_provider, make_gate

pytestmark = pytest.mark.anyio


def noisy_jwt(token: dict[str, Any], trigger: str | None = None) -> dict[str, Any]:
    if trigger == "update":
        raise RuntimeError("jwt callback failed")
    return token


def failing_event(**_: Any) -> None:
    raise RuntimeError("event failed")


async def test_a_full_run_never_logs_secrets_or_tokens(caplog: pytest.LogCaptureFixture) -> None:
    gate = make_gate(
        debug=True,
        callbacks=Callbacks(jwt=noisy_jwt),
        events=Events(sign_in=failing_event, sign_out=failing_event, session=failing_event),
    )
    client = Client(gate)
    secrets: set[str] = {SECRET, PASSWORD}
    with caplog.at_level(logging.DEBUG):
        csrf = await client.csrf()
        secrets |= {csrf, client.jar[CSRF]}
        await client.sign_in(password="wrong " + PASSWORD)
        await client.sign_in()
        token = client.jar[SESSION]
        secrets.add(token)
        await client.get("/session")
        secrets.add(client.jar[SESSION])
        await client.post("/session", json_body={"csrfToken": csrf, "data": {"x": PASSWORD}})
        await client.post("/_log", form={"level": "error", "code": "X", "token": token})
        await client.get("/session", cookie_header=f"{SESSION}={token[:-3]}abc")
        await client.sign_in()
        secrets.add(client.jar[SESSION])
        csrf = await client.csrf()  # the bare cookie header above replaced the token
        secrets |= {csrf, client.jar[CSRF]}
        await client.post("/signout", form={"csrfToken": csrf})
    assert caplog.records, "the run should have logged something (events, rejected tokens)"
    logged = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    for value in secrets:
        assert value not in logged
    assert "SESSION_EVENT_ERROR" in caplog.text
    assert "SIGN_IN_EVENT_ERROR" in caplog.text
    assert "SIGN_OUT_EVENT_ERROR" in caplog.text


async def test_an_authorize_exception_is_logged_without_the_credentials(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def authorize(credentials: dict[str, Any], request: Any) -> None:
        raise KeyError("missing")

    client = Client(make_gate(providers=[credentials_provider(authorize)]))
    with caplog.at_level(logging.DEBUG):
        await client.sign_in()
    assert "CALLBACK_CREDENTIALS_HANDLER_ERROR" in caplog.text
    assert PASSWORD not in caplog.text
    assert SECRET not in caplog.text
