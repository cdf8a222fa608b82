"""``authgate db init`` / ``authgate db sql``."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from typing import TYPE_CHECKING

from authgate.cli import main

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


def test_db_init_creates_the_authjs_tables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "auth.db"
    assert main(["db", "init", str(path)]) == 0
    assert main(["db", "init", str(path)]) == 0, "idempotent"
    with closing(sqlite3.connect(path)) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        columns = {r[1] for r in db.execute("PRAGMA table_info(accounts)")}
    assert {"users", "accounts", "sessions", "verification_token"} <= tables
    assert {"userId", "providerAccountId", "access_token", "expires_at"} <= columns
    assert "tables ready" in capsys.readouterr().out


def test_db_init_with_a_prefix(tmp_path: Path) -> None:
    path = tmp_path / "auth.db"
    assert main(["db", "init", str(path), "--prefix", "auth_"]) == 0
    with closing(sqlite3.connect(path)) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "auth_users" in tables


def test_db_sql_prints_postgres_ddl(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "sql"]) == 0
    out = capsys.readouterr().out
    assert "CREATE TABLE users" in out
    assert '"emailVerified" TIMESTAMP WITH TIME ZONE' in out
    assert '"sessionToken" VARCHAR(255) NOT NULL' in out
    assert "CREATE TABLE verification_token" in out


def test_db_init_without_a_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AUTHGATE_DATABASE_URL", raising=False)
    assert main(["db", "init"]) == 2


def test_db_init_failure_hides_the_url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = "postgresql+asyncpg://user:s3cret@127.0.0.1:1/db"
    assert main(["db", "init", url]) == 1
    captured = capsys.readouterr()
    assert "s3cret" not in captured.out + captured.err
