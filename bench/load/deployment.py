"""The deployment `make load` runs, on loopback, from the test suite's own fixtures.

PostgreSQL, Redis, an aiosmtpd SMTP server and the ``oidc-provider`` identity provider
(``tests/_support``), then nginx in front of two app instances of ``bench/load/app.py``, each
``uvicorn --workers N`` (``tests/_support/app_workers.py`` and ``nginx_server.py``). Each shared
component can be stopped and started again on the same port (the fault schedule).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from _support.app_workers import uvicorn_instance  # noqa: E402
from _support.nginx_server import running_nginx  # noqa: E402
from _support.oidc_provider import oidc_provider  # noqa: E402
from _support.postgres_server import PostgresServer  # noqa: E402
from _support.redis_server import RedisServer, free_port  # noqa: E402
from _support.smtp_server import LINK, Inbox, running_smtp  # noqa: E402

if TYPE_CHECKING:
    import subprocess
    from collections.abc import Iterator

    from aiosmtpd.smtp import Envelope

HERE = Path(__file__).resolve().parent
PASSWORD = "load test password 0123"  # bench/load/locustfile.py signs in with it


class SpoolInbox(Inbox):
    """An inbox that also writes each mail's sign-in link to ``<spool>/<address>.link``, where
    the locust users (another process) pick it up."""

    def __init__(self, spool: Path) -> None:
        super().__init__()
        self.spool = spool

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:  # noqa: N802
        answer = await super().handle_DATA(server, session, envelope)
        text = self.messages[-1].get_body(("plain",))
        found = LINK.search(text.get_content()) if text is not None else None
        if found:
            for address in envelope.rcpt_tos:
                path = self.spool / f"{address}.link"
                path.with_suffix(".tmp").write_text(found.group())
                path.with_suffix(".tmp").rename(path)  # whole or not at all
        del self.messages[:], self.recipients[:]  # keep memory flat in long runs
        return answer


class Restartable:
    """A component run by a context manager, stopped and started again on the same port."""

    def __init__(self, name: str, factory: Any) -> None:
        self.name, self._factory = name, factory
        self._stack: contextlib.ExitStack | None = None

    def start(self) -> None:
        stack = contextlib.ExitStack()
        stack.enter_context(self._factory())
        self._stack = stack

    def stop(self) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            stack.close()


class Components:
    """PostgreSQL, Redis, SMTP and the identity provider, for one harness run."""

    def __init__(self, work: Path, public: str) -> None:
        self.public = public
        self.postgres = PostgresServer()
        self.redis = RedisServer()
        self.spool = work / "spool"
        self.spool.mkdir(parents=True, exist_ok=True)
        self.inbox = SpoolInbox(self.spool)
        self.smtp_port = free_port()
        self.issuer_port = free_port()
        self.issuer = f"http://127.0.0.1:{self.issuer_port}"
        callback = f"{public}/api/auth/callback/oidc"
        self.smtp = Restartable("smtp", lambda: running_smtp(port=self.smtp_port, inbox=self.inbox))
        self.idp = Restartable("idp", lambda: oidc_provider([callback], port=self.issuer_port))

    @contextlib.contextmanager
    def running(self, accounts: int) -> Iterator[Components]:
        try:
            with ThreadPoolExecutor() as pool:  # initdb and node take seconds: side by side
                started = [pool.submit(self.postgres.start), pool.submit(self.idp.start)]
                self.redis.start()
                self.smtp.start()
                for future in started:
                    future.result()
            asyncio.run(seed(self.postgres.url, accounts))
            yield self
        finally:
            for stop in (self.idp.stop, self.smtp.stop, self.redis.stop, self.postgres.stop):
                with contextlib.suppress(Exception):
                    stop()

    def stop(self, name: str) -> None:
        """An outage of one component: ``postgres``, ``redis``, ``smtp`` or ``idp``."""
        {
            "postgres": self.postgres.halt,
            "redis": self.redis.stop,
            "smtp": self.smtp.stop,
            "idp": self.idp.stop,
        }[name]()

    def start(self, name: str) -> None:
        """The component back, same port and (PostgreSQL) same data."""
        {
            "postgres": self.postgres.resume,
            "redis": self.redis.start,
            "smtp": self.smtp.start,
            "idp": self.idp.start,
        }[name]()

    def pids(self) -> dict[str, int]:
        """The processes to sample besides the app workers (their children are summed)."""
        found = {}
        for name, process in (("postgres", self.postgres.process), ("redis", self.redis.process)):
            if process is not None:
                found[name] = process.pid
        return found


async def seed(url: str, accounts: int) -> None:
    """The tables, and ``accounts`` password accounts ``load-<n>@example.com``."""
    from authgate.adapters.sqlalchemy import SQLAlchemyAdapter
    from authgate.passwords import hash_password

    adapter = SQLAlchemyAdapter(url)
    try:
        await adapter.create_tables()
        hashed = hash_password(PASSWORD)  # one argon2id hash: seeding stays fast
        for number in range(accounts):
            user = await adapter.create_user(
                {"email": f"load-{number}@example.com", "emailVerified": None, "name": "Load"}
            )
            await adapter.set_password_hash(user["id"], hashed)
            # Credentials(database_session=True) finds its user by this account.
            await adapter.link_account(
                {
                    "userId": user["id"],
                    "type": "credentials",
                    "provider": "credentials",
                    "providerAccountId": user["id"],
                }
            )
    finally:
        await adapter.close()


@contextlib.contextmanager
def app_instances(
    components: Components, workers: int, port: int, pool: tuple[int, int], sessions: str
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """nginx on ``port`` in front of two instances of ``uvicorn --workers <workers>``."""
    env = {
        "LOAD_DATABASE_URL": components.postgres.url,
        "LOAD_REDIS_URL": components.redis.url,
        "LOAD_SMTP_PORT": str(components.smtp_port),
        "LOAD_ISSUER": components.issuer,
        "LOAD_SECRET": secrets.token_hex(32),
        "LOAD_URL": f"{components.public}/api/auth",
        "LOAD_POOL_SIZE": str(pool[0]),
        "LOAD_MAX_OVERFLOW": str(pool[1]),
        "LOAD_SESSIONS": sessions,
    }
    with contextlib.ExitStack() as stack:
        managers = [
            uvicorn_instance("app:app", env, app_dir=HERE, workers=workers, ready_within=300)
            for _ in "ab"
        ]
        with ThreadPoolExecutor() as pool:  # each takes seconds to import and answer
            entered = [pool.submit(manager.__enter__) for manager in managers]
        for manager, future in zip(managers, entered, strict=True):
            if future.exception() is None:
                stack.push(manager)
        instances = [future.result() for future in entered]
        ports = [int(origin.rsplit(":", 1)[1]) for origin, _ in instances]
        stack.enter_context(running_nginx(ports, port=port))
        yield [process for _, process in instances]
