"""The adapter contract (authgate.testing.adapter_contract) on every adapter authgate ships."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from authgate.adapters import Adapter, AuthenticatorAdapter
from authgate.adapters.memory import MemoryAdapter
from authgate.adapters.sqlalchemy import SQLAlchemyAdapter, database_url
from authgate.testing.account_contract import ACCOUNT_CHECKS, applies
from authgate.testing.adapter_contract import AUTHENTICATOR_CHECKS, CHECKS, run_adapter_contract

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from _support.postgres_server import PostgresServer

pytestmark = pytest.mark.anyio

KINDS = ["memory", "sqlite-file", "sqlite-memory", "postgres"]


@pytest.fixture(params=KINDS)
async def adapter(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    kind = request.param
    if kind == "memory":
        yield MemoryAdapter()
        return
    if kind == "sqlite-file":
        made = SQLAlchemyAdapter(tmp_path / "nested" / "auth.db")
    elif kind == "sqlite-memory":
        made = SQLAlchemyAdapter(":memory:")
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        made = SQLAlchemyAdapter(server.url, create=True)
    try:
        yield made
    finally:
        await made.close()


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__.removeprefix("check_"))
async def test_contract(check: Any, adapter: Adapter) -> None:
    await check(adapter)


def test_adapters_satisfy_the_protocol() -> None:
    assert isinstance(MemoryAdapter(), Adapter)
    assert isinstance(SQLAlchemyAdapter(":memory:"), Adapter)


async def test_run_adapter_contract_in_one_call() -> None:
    await run_adapter_contract(MemoryAdapter)


async def test_run_adapter_contract_names_the_failing_check() -> None:
    class Forgetful(MemoryAdapter):
        async def use_verification_token(self, identifier: str, token: str) -> Any:
            found = await super().use_verification_token(identifier, token)
            if found is not None:  # "forgets" to delete it: not single use
                await self.create_verification_token(found)
            return found

    with pytest.raises(AssertionError, match="check_verification_token_single_use"):
        await run_adapter_contract(Forgetful)


def test_database_url() -> None:
    assert database_url("auth.db") == "sqlite+aiosqlite:///auth.db"
    assert database_url(":memory:") == "sqlite+aiosqlite://"
    assert database_url("sqlite:///x.db") == "sqlite+aiosqlite:///x.db"
    assert database_url("postgresql://u:p@h/db") == "postgresql+asyncpg://u:p@h/db"
    assert database_url("postgresql+asyncpg://h/db") == "postgresql+asyncpg://h/db"


async def test_sqlite_file_is_created_on_first_use(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "auth.db"
    adapter = SQLAlchemyAdapter(path)
    try:
        assert not path.exists()
        assert await adapter.get_user_by_email("a@example.com") is None
        assert path.exists()
    finally:
        await adapter.close()


@pytest.mark.parametrize(
    "check", AUTHENTICATOR_CHECKS, ids=lambda c: c.__name__.removeprefix("check_")
)
async def test_authenticator_contract(check: Any, adapter: Adapter) -> None:
    await check(adapter)


@pytest.mark.parametrize("check", ACCOUNT_CHECKS, ids=lambda c: c.__name__.removeprefix("check_"))
async def test_account_capabilities_contract(check: Any, adapter: Adapter) -> None:
    assert applies(check, adapter), "every shipped adapter has every capability"
    await check(adapter)


def test_adapters_have_the_authenticator_capability() -> None:
    assert isinstance(MemoryAdapter(), AuthenticatorAdapter)
    assert isinstance(SQLAlchemyAdapter(":memory:"), AuthenticatorAdapter)


async def test_run_adapter_contract_holds_authenticators_to_their_checks() -> None:
    class Forgetful(MemoryAdapter):
        async def rename_authenticator(self, credential_id: str, name: str | None) -> Any:
            return await self.get_authenticator(credential_id)  # never stores the name

    with pytest.raises(AssertionError, match="check_authenticator_counter_name_and_delete"):
        await run_adapter_contract(Forgetful)
