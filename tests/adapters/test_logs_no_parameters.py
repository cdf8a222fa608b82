"""A failing database never puts a session token or an address into the logs (SECURITY.md,
decision 14).

SQLAlchemy's errors render the statement's bound parameters (``[parameters: ('<token>',)]``);
the adapter's engine hides them, so the ``exc_info`` of ``SESSION_ERROR`` carries none.
"""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text

from authgate import AuthConfig, AuthGate, AuthRequest
from authgate.adapters.sqlalchemy import SQLAlchemyAdapter
from blackbox.conftest import NOW, SECRET, Client, body_json, credentials_provider

pytestmark = pytest.mark.anyio

TOKEN = "ab" * 32


async def test_database_errors_log_no_bound_parameters(
    caplog: pytest.LogCaptureFixture,
) -> None:
    adapter = SQLAlchemyAdapter(":memory:")
    await adapter.create_tables()
    async with adapter.engine.begin() as conn:
        await conn.execute(text('DROP TABLE "sessions"'))
    gate = AuthGate(
        AuthConfig(
            providers=[credentials_provider(database_session=True)],
            adapter=adapter,
            secret=SECRET,
            url="http://localhost:3000",
        ),
        env={},
    )
    client = Client(gate, now=NOW)
    client.jar["next-auth.session-token"] = TOKEN
    with caplog.at_level(logging.DEBUG):
        assert body_json(await client.get("/session")) == {}
        assert await gate.get_session(_request_with(TOKEN), now=NOW) is None
    # authgate's records with their tracebacks (the database driver's own DEBUG lines aside).
    formatter = logging.Formatter()
    text_logged = "".join(
        formatter.format(record) for record in caplog.records if record.name.startswith("authgate")
    )
    assert "SESSION_ERROR" in text_logged
    assert TOKEN not in text_logged
    await adapter.close()


def _request_with(token: str) -> AuthRequest:
    return AuthRequest.build(
        method="GET", path="/", headers=[("cookie", f"next-auth.session-token={token}")]
    )
