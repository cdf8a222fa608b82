"""Batched session reads on a real PostgreSQL answer exactly what single reads answer.

Hypothesis draws the tokens (any text: Unicode, NUL, lone surrogates, near-duplicates), which
of them are stored, and which are asked for (repeats included). With the read pool's one
connection held, every read joins one batch; its answers must be the stored rows of exactly
the tokens asked for, and equal to what the same reads answer one by one on a free connection.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from authgate._core.plain_text import plain_text
from authgate.adapters.sqlalchemy import SQLAlchemyAdapter

if TYPE_CHECKING:
    from collections.abc import Iterator

    from _support.postgres_server import PostgresServer

TOKENS = st.one_of(
    st.text(min_size=1, max_size=40),
    st.sampled_from(["a", "A", "a ", " a", "é", "e\u0301", "\x00", "\ud800", "ß", "SS"]),
)


class Harness:
    """One adapter (one read connection) on one event loop, for every example."""

    def __init__(self, url: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.adapter = SQLAlchemyAdapter(
            url, create=True, table_prefix=f"b{secrets.token_hex(4)}_", read_connections=1
        )
        self.user_id = self.run(self._user())

    def run(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)

    async def _user(self) -> str:
        await self.adapter.create_tables()
        user = await self.adapter.create_user(
            {"name": "Ada", "email": "ada@example.com", "emailVerified": None}
        )
        return user["id"]

    async def check(self, stored: set[str], asked: list[str]) -> None:
        adapter = self.adapter
        async with adapter.engine.begin() as connection:
            await connection.execute(delete(adapter.tables.sessions))
        expires = datetime.now(UTC) + timedelta(days=1)
        for token in stored:
            await adapter.create_session(
                {"sessionToken": token, "userId": self.user_id, "expires": expires}
            )
        assert await adapter.get_session_and_user("warm-up") is None  # opens the connection
        assert adapter._direct is not None
        pool = adapter._direct.current
        assert pool is not None
        before = pool.batched_queries
        await pool._slots.acquire()  # the one connection is busy: every read joins a batch
        try:
            reads = [asyncio.ensure_future(adapter.get_session_and_user(t)) for t in asked]
            for _ in range(5):
                await asyncio.sleep(0)
            batched = {t for t in asked if plain_text(t)}
            assert set(pool._pending or ()) == batched
        finally:
            pool._slots.release()
        answers = await asyncio.gather(*reads)
        assert pool.batched_queries == before + (1 if batched else 0)
        for token, answer in zip(asked, answers, strict=True):
            if token in stored:
                assert answer is not None
                assert answer[0]["sessionToken"] == token
                assert answer[1]["email"] == "ada@example.com"
            else:
                assert answer is None, f"{token!r} is not stored"
        alone = [await adapter.get_session_and_user(t) for t in asked]
        assert alone == answers, "a batch answers what single reads answer"


@pytest.fixture(scope="module")
def harness(postgres: PostgresServer) -> Iterator[Harness]:
    made = Harness(postgres.url)
    try:
        yield made
    finally:
        made.run(made.adapter.close())
        made.loop.close()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(TOKENS, min_size=1, max_size=12, unique=True).flatmap(
        lambda tokens: st.tuples(
            st.just(tokens),
            st.sets(st.sampled_from(tokens).filter(plain_text)),
            st.lists(st.sampled_from(tokens), min_size=1, max_size=20),
        )
    )
)
def test_a_batch_answers_what_single_reads_answer(
    harness: Harness, drawn: tuple[list[str], set[str], list[str]]
) -> None:
    _, stored, asked = drawn
    harness.run(harness.check(stored, asked))
