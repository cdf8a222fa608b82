"""The deployment recipe: nginx in front of two app instances sharing Redis, ``trusted_proxies=1``.

nginx (Debian package) round-robins over two uvicorn processes (proxy headers off in uvicorn:
authgate reads ``X-Forwarded-For`` itself, through ``RateLimit(trusted_proxies=1)``). A browser
signs in through nginx, lands on one instance and reads its session through the other; the
client address the limiter sees is the one nginx appended, never a forged entry. Then Redis
restarts under the running deployment: nothing is refused once it is back. In CI a missing
nginx or redis-server fails the run.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx
import pytest

from _support.app_workers import worker
from _support.nginx_server import nginx_path, running_nginx
from _support.redis_server import RedisServer, free_port, running_redis

if TYPE_CHECKING:
    from collections.abc import Iterator

PASSWORD = "correct horse battery staple"
CLIENT = "127.0.0.2"  # the browser's address: not nginx's (127.0.0.1), so the two differ


@pytest.fixture(scope="module")
def deployment() -> Iterator[tuple[str, RedisServer]]:
    nginx_path()
    with running_redis() as redis:
        prefix = f"authgate-test:{uuid.uuid4().hex}:"
        public = f"http://127.0.0.1:{free_port()}"
        port = urlsplit(public).port
        with (
            worker(redis, prefix, public_url=public, trusted_proxies=1) as first,
            worker(redis, prefix, public_url=public, trusted_proxies=1) as second,
            running_nginx([urlsplit(o).port or 0 for o in (first, second)], port=port) as origin,
        ):
            yield origin, redis


@pytest.fixture
def browser(deployment: tuple[str, RedisServer]) -> Iterator[httpx.Client]:
    transport = httpx.HTTPTransport(local_address=CLIENT)
    with httpx.Client(base_url=deployment[0], transport=transport, timeout=10) as client:
        yield client


def sign_in(browser: httpx.Client, user: str, password: str = PASSWORD) -> httpx.Response:
    csrf = browser.get("/api/auth/csrf").json()["csrfToken"]
    form = {"csrfToken": csrf, "username": user, "password": password, "json": "true"}
    return browser.post("/api/auth/callback/credentials", data=form)


def test_a_session_made_through_one_instance_is_read_through_the_other(
    browser: httpx.Client,
) -> None:
    assert sign_in(browser, f"ada-{uuid.uuid4().hex[:6]}").status_code == 200
    seen = set()
    for _ in range(4):  # round robin: both instances answer
        answer = browser.get("/me").json()
        assert answer["session"]["user"]["name"] == "Ada"
        seen.add(answer["pid"])
    assert len(seen) == 2
    assert browser.get("/api/auth/session").json()["user"]["name"] == "Ada"


def test_x_forwarded_for_is_read_through_the_trusted_proxy_only(browser: httpx.Client) -> None:
    for _ in range(2):  # both instances
        assert browser.get("/client").json() == {"client": CLIENT}
        forged = browser.get("/client", headers={"x-forwarded-for": "198.51.100.9"})
        assert forged.json() == {"client": CLIENT}, "the forged entry is left of nginx's"


def test_a_redis_restart_under_the_deployment_is_not_a_refusal(
    deployment: tuple[str, RedisServer], browser: httpx.Client
) -> None:
    user = f"restart-{uuid.uuid4().hex[:6]}"
    assert sign_in(browser, user).status_code == 200
    redis = deployment[1]
    redis.stop()
    down = sign_in(browser, user)  # the limiter fails closed while Redis is down
    assert down.status_code == 429
    assert browser.get("/me").json()["session"] is None, "revocation fails closed too"
    assert "next-auth.session-token" in browser.cookies, "but the cookie is kept"
    redis.start()
    for _ in range(4):  # both instances, pooled connections that died with the old server
        assert sign_in(browser, user).status_code == 200
        assert browser.get("/me").json()["session"]["user"]["name"] == "Ada"
