"""Passkey tests: a gate with the Passkey provider on SQLite or a real PostgreSQL, both profiles.

Everything is driven through ``AuthGate.handle`` with responses made by
:class:`_support.soft_authenticator.SoftAuthenticator` (real keys, real CBOR).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from _support.postgres_server import PostgresServer, running_postgres
from _support.soft_authenticator import SoftAuthenticator
from authgate.adapters.sqlalchemy import SQLAlchemyAdapter
from authgate.providers import Passkey
from blackbox.conftest import ORIGIN, Client, make_gate

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator
    from pathlib import Path

    from authgate.http import AuthResponse


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole run (skips, or fails with CI=true, without it)."""
    with running_postgres() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgres"])
async def adapter(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    if request.param == "sqlite":
        made = SQLAlchemyAdapter(tmp_path / "auth.db")
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        # Fresh tables per test (the server is shared by the whole run).
        prefix = f"pk{secrets.token_hex(4)}_"
        made = SQLAlchemyAdapter(server.url, create=True, table_prefix=prefix)
    try:
        yield made
    finally:
        await made.close()


@pytest.fixture(params=["nextauth-v4", "authjs-v5"])
def profile(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@dataclass
class Browser:
    """A client with a passkey API shaped like next-auth/webauthn's ``signIn("passkey")``."""

    client: Client
    provider_id: str = "passkey"

    async def options(self, **query: str) -> AuthResponse:
        return await self.client.get(f"/webauthn-options/{self.provider_id}", query=query)

    async def options_json(self, **query: str) -> dict[str, Any]:
        response = await self.options(**query)
        assert response.status == 200, response.body
        body: dict[str, Any] = json.loads(response.body)
        return body

    async def post(self, action: str, data: Any, **extra: str) -> AuthResponse:
        form = {"csrfToken": await self.client.csrf(), "action": action, **extra}
        if data is not None:
            form["data"] = data if isinstance(data, str) else json.dumps(data)
        return await self.client.post(f"/callback/{self.provider_id}", form=form)

    async def sign_up(self, key: SoftAuthenticator, email: str) -> AuthResponse:
        answer = await self.options_json(action="register", email=email)
        assert answer["action"] == "register"
        return await self.post("register", key.register(answer["options"]), email=email)

    async def add(self, key: SoftAuthenticator) -> AuthResponse:
        answer = await self.options_json(action="register")
        return await self.post("register", key.register(answer["options"]))

    async def sign_in(self, key: SoftAuthenticator, **changes: Any) -> AuthResponse:
        answer = await self.options_json(action="authenticate")
        assert answer["action"] == "authenticate"
        return await self.post("authenticate", key.authenticate(answer["options"], **changes))

    async def session(self) -> Any:
        return json.loads((await self.client.get("/session")).body)


def passkey_gate(adapter: Any, profile: str = "nextauth-v4", **config: Any) -> Any:
    provider = config.pop("provider", None) or Passkey(allow_sign_up=True)
    config.setdefault("providers", [provider])
    return make_gate(adapter=adapter, profile=profile, **config)


def browser(gate: Any) -> Browser:
    return Browser(Client(gate))


def key() -> SoftAuthenticator:
    return SoftAuthenticator(origin=ORIGIN, rp_id=urlsplit(ORIGIN).hostname or "")


def error_of(response: AuthResponse) -> str | None:
    """The ``error`` code of a redirect (v4 /error?error=, v5 likewise)."""
    from blackbox.conftest import query_of

    location = response.redirect or ""
    errors = query_of(location).get("error")
    return errors[0] if errors else None
