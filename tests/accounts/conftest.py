"""Password accounts and two-factor, black-box through the gate, on SQL adapters.

``setup`` is parametrised over SQLite and a real PostgreSQL and both session strategies; each
test gets its own tables (a fresh prefix on PostgreSQL). The MemoryAdapter runs the same
routes under hypothesis (``test_fuzz_accounts``) and in the Credentials test.
"""

from __future__ import annotations

import re
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest

from _support.postgres_server import PostgresServer, running_postgres
from authgate import SessionConfig, TwoFactor
from authgate.adapters.memory import MemoryAdapter
from authgate.adapters.sqlalchemy import SQLAlchemyAdapter
from authgate.providers import Password, PasswordMail
from blackbox.conftest import Client, make_gate

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator
    from pathlib import Path

    from authgate import AuthGate

STRONG = "a long and unusual passphrase 7"
EMAIL = "grace@example.com"


@dataclass
class Mailbox:
    """Every mail the provider sent, in order."""

    sent: list[PasswordMail] = field(default_factory=list)

    async def __call__(self, mail: PasswordMail) -> None:
        self.sent.append(mail)

    def last(self, kind: str, to: str | None = None) -> PasswordMail:
        found = [m for m in self.sent if m.kind == kind and (to is None or m.to == to)]
        assert found, f"no {kind} mail in {[m.kind for m in self.sent]}"
        return found[-1]

    def link_params(self, kind: str) -> dict[str, str]:
        query = parse_qs(urlsplit(self.last(kind).url).query)
        return {k: v[0] for k, v in query.items()}


@dataclass
class Setup:
    gate: AuthGate
    adapter: Any
    mailbox: Mailbox
    strategy: str

    def client(self, **kw: Any) -> Client:
        return Client(self.gate, **kw)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    with running_postgres() as server:
        yield server


async def make_adapter(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if kind == "memory":
        return MemoryAdapter()
    if kind == "sqlite":
        return SQLAlchemyAdapter(tmp_path / "auth.db")
    server: PostgresServer = request.getfixturevalue("postgres")
    return SQLAlchemyAdapter(server.url, create=True, table_prefix=f"t{uuid.uuid4().hex[:10]}_")


def build(adapter: Any, strategy: str, mailbox: Mailbox, **kw: Any) -> AuthGate:
    kw.setdefault("two_factor", TwoFactor())
    provider_kw = kw.pop("provider", {})
    provider = Password(send_mail=mailbox, **provider_kw)
    providers = [provider, *kw.pop("extra_providers", [])]
    return make_gate(
        adapter=adapter,
        providers=providers,
        session=SessionConfig(strategy=strategy),  # type: ignore[arg-type]
        **kw,
    )


@asynccontextmanager
async def closing_setup(adapter: Any, strategy: str) -> AsyncIterator[Setup]:
    """A setup on ``adapter`` (an SQL adapter: closed afterwards)."""
    mailbox = Mailbox()
    try:
        yield Setup(build(adapter, strategy, mailbox), adapter, mailbox, strategy)
    finally:
        await adapter.close()


def memory_setup(gate: dict[str, Any] | None = None, **provider: Any) -> Setup:
    """A fast setup: MemoryAdapter, JWT sessions; ``gate`` adds to the config."""
    adapter, mailbox = MemoryAdapter(), Mailbox()
    built = make_gate(
        adapter=adapter,
        providers=[Password(send_mail=mailbox, **provider)],
        session=SessionConfig(strategy="jwt"),
        two_factor=TwoFactor(),
        **(gate or {}),
    )
    return Setup(built, adapter, mailbox, "jwt")


@pytest.fixture(
    params=[
        ("sqlite", "jwt"),
        ("sqlite", "database"),
        ("postgres", "jwt"),
        ("postgres", "database"),
    ],
    ids=lambda p: f"{p[0]}-{p[1]}",
)
async def setup(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Setup]:
    kind, strategy = request.param
    adapter = await make_adapter(kind, request, tmp_path)
    mailbox = Mailbox()
    try:
        yield Setup(build(adapter, strategy, mailbox), adapter, mailbox, strategy)
    finally:
        if kind != "memory":
            await adapter.close()


async def sign_up(client: Client, email: str = EMAIL, password: str = STRONG, **extra: str) -> Any:
    token = await client.csrf()
    form = {"csrfToken": token, "email": email, "password": password, **extra}
    return await client.post("/signup", form=form)


async def verify(setup: Setup, client: Client, email: str = EMAIL) -> Any:
    params = setup.mailbox.link_params("verify-email")
    assert params["email"] == email
    return await client.get("/verify-email", query=params)


async def sign_in(client: Client, email: str = EMAIL, password: str = STRONG, **extra: str) -> Any:
    token = await client.csrf()
    form = {"csrfToken": token, "email": email, "password": password, **extra}
    return await client.post("/callback/password", form=form)


async def signed_up(setup: Setup, email: str = EMAIL) -> Client:
    """A client whose account exists, is confirmed and is signed in."""
    client = setup.client()
    assert (await sign_up(client, email)).status == 302
    assert (await verify(setup, client, email)).status == 200
    response = await sign_in(client, email)
    assert response.status == 302, response.body
    return client


# ---- two-factor ---------------------------------------------------------------------------

SECRET_TEXT = re.compile(rb'id="totp-secret">([A-Z2-7 ]+)</code>')
CODES = re.compile(rb"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>")


def code_at(secret: str, moment: float) -> str:
    return pyotp.TOTP(secret).at(moment)


async def enrol(client: Client) -> tuple[str, list[str]]:
    """Enrol TOTP through the pages: the secret read off the page, a code computed from it."""
    page = await client.get("/two-factor-setup")
    assert page.status == 200, page.body
    found = SECRET_TEXT.search(page.body)
    assert found, "the secret is shown as text"
    secret = found.group(1).decode().replace(" ", "")
    assert b"<svg" in page.body, "the QR code is an inline SVG"
    token = await client.csrf()
    assert client.now is not None
    done = await client.post(
        "/two-factor-setup",
        form={"csrfToken": token, "op": "enable", "code": code_at(secret, client.now)},
    )
    assert done.status == 200, done.body
    codes = [c.decode() for c in CODES.findall(done.body)]
    assert len(codes) == 10
    return secret, codes


async def answer(client: Client, now: float | None = None, **fields: str) -> Any:
    token = await client.csrf()
    return await client.post("/two-factor", form={"csrfToken": token, **fields}, now=now)
