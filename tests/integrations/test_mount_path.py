"""A gate mounted somewhere its configuration does not say: a 404, and one log line saying why."""

from __future__ import annotations

import logging

import pytest
from fastapi import FastAPI

from authgate import AuthConfig, AuthGate
from authgate.integrations.asgi import AuthApp
from authgate.providers import Credentials
from integrations.support import SECRET, authorize, client

pytestmark = pytest.mark.anyio


def gate(url: str) -> AuthGate:
    return AuthGate(
        AuthConfig(providers=[Credentials(authorize=authorize)], secret=SECRET, url=url), env={}
    )


async def test_a_mount_that_differs_from_the_url_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    auth = gate("https://example.com/auth")  # the README's mount is /api/auth
    app = FastAPI()
    app.mount("/api/auth", AuthApp(auth))
    with caplog.at_level(logging.ERROR, logger="authgate"):
        async with client(app) as http:
            for _ in range(3):
                assert (await http.get("/api/auth/session")).status_code == 404
    lines = [r.getMessage() for r in caplog.records if "MOUNT_MISMATCH" in r.getMessage()]
    assert len(lines) == 1, lines
    assert "'/api/auth/session'" in lines[0]
    assert "'/auth'" in lines[0]
    assert "app.mount(auth.base_path, AuthApp(auth))" in lines[0]


@pytest.mark.parametrize(
    ("url", "mount"),
    [("https://example.com/auth", "/auth"), ("https://example.com", "/api/auth")],
)
async def test_mounting_at_base_path_answers_and_logs_nothing(
    url: str, mount: str, caplog: pytest.LogCaptureFixture
) -> None:
    auth = gate(url)
    assert auth.base_path == mount
    app = FastAPI()
    app.mount(auth.base_path, AuthApp(auth))
    with caplog.at_level(logging.ERROR, logger="authgate"):
        async with client(app) as http:
            assert (await http.get(f"{mount}/providers")).status_code == 200
            assert (await http.get(mount)).status_code in (307, 404)  # the mount root itself
    assert "MOUNT_MISMATCH" not in caplog.text
