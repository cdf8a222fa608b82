"""A revoked JWT is refused by the next read of every worker: two uvicorn processes, one Redis.

Each worker is a real ``uvicorn`` process serving ``_support/revocation_app.py`` on its own
port; both share a ``redis-server`` on loopback. A session is signed in through one worker,
read through both (so both caches hold it as live), ended through one, and read once more
through each: the very next read must refuse it. In CI a missing ``redis-server`` fails.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from _support.app_workers import worker
from _support.redis_server import running_redis

if TYPE_CHECKING:
    from collections.abc import Iterator

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def workers() -> Iterator[tuple[str, str]]:
    with running_redis() as redis:
        prefix = f"authgate-test:{uuid.uuid4().hex}:"
        with worker(redis, prefix) as first, worker(redis, prefix) as second:
            yield first, second


@pytest.fixture
def opened() -> Iterator[list[httpx.Client]]:
    made: list[httpx.Client] = []
    yield made
    for client in made:
        client.close()


def sign_in(origin: str, user: str, opened: list[httpx.Client]) -> httpx.Client:
    client = httpx.Client(base_url=origin, timeout=10)
    opened.append(client)
    csrf = client.get("/api/auth/csrf").json()["csrfToken"]
    form = {"csrfToken": csrf, "username": user, "password": PASSWORD, "json": "true"}
    answer = client.post("/api/auth/callback/credentials", data=form)
    assert answer.status_code == 200, answer.text
    assert "next-auth.session-token" in client.cookies
    return client


def session_via(origin: str, client: httpx.Client) -> Any:
    """The session the worker at ``origin`` reads from ``client``'s cookie (one read)."""
    cookies = {"next-auth.session-token": client.cookies["next-auth.session-token"]}
    return httpx.get(f"{origin}/me", cookies=cookies, timeout=10).json()["session"]


def test_the_two_workers_are_two_processes(workers: tuple[str, str]) -> None:
    pids = {httpx.get(f"{origin}/me", timeout=10).json()["pid"] for origin in workers}
    assert len(pids) == 2


@pytest.mark.parametrize("round_", range(3))
def test_end_sessions_through_one_worker_is_refused_by_the_next_read_of_both(
    workers: tuple[str, str], round_: int, opened: list[httpx.Client]
) -> None:
    first, second = workers
    user = f"user-{round_}-{uuid.uuid4().hex[:6]}"
    laptop, phone = sign_in(first, user, opened), sign_in(second, user, opened)
    bystander = sign_in(first, f"other-{round_}", opened)
    for origin in workers:  # both caches now hold the user as "nothing ended"
        for client in (laptop, phone):
            assert session_via(origin, client)["user"]["name"] == "Ada"
    ended_through = workers[round_ % 2]
    assert httpx.post(f"{ended_through}/admin/end-sessions", params={"user": user}).is_success
    for origin in workers:
        for client in (laptop, phone):
            assert session_via(origin, client) is None
        assert session_via(origin, bystander) is not None
    cookies = {"next-auth.session-token": laptop.cookies["next-auth.session-token"]}
    answer = httpx.get(f"{second}/api/auth/session", cookies=cookies, timeout=10)
    assert answer.json() == {}
    assert "Max-Age=0" in answer.headers["set-cookie"], "the ended session's cookie is cleared"


@pytest.mark.parametrize("round_", range(3))
def test_end_one_device_through_one_worker_is_refused_by_the_next_read_of_both(
    workers: tuple[str, str], round_: int, opened: list[httpx.Client]
) -> None:
    first, second = workers
    user = f"device-{round_}-{uuid.uuid4().hex[:6]}"
    laptop, phone = sign_in(first, user, opened), sign_in(second, user, opened)
    for origin in workers:
        assert session_via(origin, phone) is not None
    sid = phone.get("/sid").json()["sid"]
    through = workers[round_ % 2]
    answer = httpx.post(f"{through}/admin/end-session", params={"user": user, "sid": sid})
    assert answer.is_success
    for origin in workers:
        assert session_via(origin, phone) is None
        assert session_via(origin, laptop)["user"]["name"] == "Ada"


def test_sign_out_on_one_worker_ends_the_copy_read_by_the_other(
    workers: tuple[str, str], opened: list[httpx.Client]
) -> None:
    first, second = workers
    client = sign_in(first, f"signout-{uuid.uuid4().hex[:6]}", opened)
    kept = client.cookies["next-auth.session-token"]
    assert session_via(second, client) is not None
    csrf = client.get("/api/auth/csrf").json()["csrfToken"]
    answer = client.post("/api/auth/signout", data={"csrfToken": csrf, "json": "true"})
    assert answer.status_code == 200
    copy = httpx.get(f"{second}/me", cookies={"next-auth.session-token": kept}, timeout=10)
    assert copy.json()["session"] is None
