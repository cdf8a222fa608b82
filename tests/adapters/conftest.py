"""Adapters under test: memory, SQLite (file and in-memory) and a real PostgreSQL server."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from _support.postgres_server import PostgresServer, running_postgres

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole run (skips, or fails with CI=true, without it)."""
    with running_postgres() as server:
        yield server
