"""E-mail sign-in through a real SMTP server (aiosmtpd on loopback) with aiosmtplib."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from _support.redis_server import free_port
from _support.smtp_server import running_smtp, self_signed_certificate, silent_server
from authgate import ConfigurationError, Theme
from authgate.adapters.memory import MemoryAdapter
from authgate.providers import Email, SMTPServer

from .conftest import SESSION, Client, body_json, make_gate, query_of

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.anyio


async def request_link(client: Client, email: str = "ada@example.com") -> str | None:
    csrf = await client.csrf()
    response = await client.post("/signin/email", form={"csrfToken": csrf, "email": email})
    return response.redirect


async def test_the_mail_arrives_and_its_link_signs_in() -> None:
    adapter = MemoryAdapter()
    with running_smtp() as (port, inbox):
        provider = Email(server=f"smtp://127.0.0.1:{port}", from_="Auth <auth@example.com>")
        client = Client(
            make_gate(providers=[provider], adapter=adapter, theme=Theme(brand_color="#c2410c"))
        )
        redirect = await request_link(client, "Ada@Example.com")
        assert redirect is not None
        assert "verify-request" in redirect
        [message] = inbox.messages
    assert inbox.recipients == [["ada@example.com"]]
    assert message["Subject"] == "Sign in to localhost:3000"
    assert message["From"] == "Auth <auth@example.com>"
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "#c2410c" in html, "theme colours"
    assert "ada@example.com" not in html.lower(), "the address is not rendered"
    link = inbox.link()
    parts = urlsplit(link)
    response = await client.get(parts.path, query=parts.query, absolute=True)
    assert response.redirect == "http://localhost:3000"
    assert body_json(await client.get("/session"))["user"]["email"] == "ada@example.com"
    assert SESSION in client.jar


async def test_smtp_down_is_email_signin_and_no_token() -> None:
    adapter = MemoryAdapter()
    server = SMTPServer(host="127.0.0.1", port=free_port(), timeout=2)
    client = Client(make_gate(providers=[Email(server=server)], adapter=adapter))
    redirect = await request_link(client)
    assert query_of(redirect or "")["error"] == ["EmailSignin"]
    assert adapter.dump()["verification_tokens"] == []


async def test_smtp_timeout_is_email_signin_and_no_token() -> None:
    adapter = MemoryAdapter()
    with silent_server() as port:
        server = SMTPServer(host="127.0.0.1", port=port, timeout=0.5)
        client = Client(make_gate(providers=[Email(server=server)], adapter=adapter))
        redirect = await request_link(client)
    assert query_of(redirect or "")["error"] == ["EmailSignin"]
    assert adapter.dump()["verification_tokens"] == []


# -- TLS (SECURITY.md, decision 10): no link over a connection an attacker can read -------------


@pytest.mark.parametrize(
    "server",
    [
        "smtp://smtp.example.com",
        "smtp://user:pw@smtp.example.com:587",
        "smtp://192.0.2.10:25",
        "smtp://[2001:db8::1]:25",
    ],
)
def test_a_remote_smtp_server_requires_starttls_by_default(server: str) -> None:
    assert Email(server=server).server == SMTPServer.from_url(server)
    assert SMTPServer.from_url(server).start_tls is True  # v4/nodemailer: only when offered


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "127.8.0.1", "::1", "mail.localhost"])
def test_a_loopback_smtp_server_may_stay_plain(host: str) -> None:
    assert SMTPServer(host=host).start_tls is None


def test_refusing_starttls_to_a_remote_server_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="require_tls=False"):
        SMTPServer(host="smtp.example.com", start_tls=False)
    assert SMTPServer(host="smtp.example.com", use_tls=True, start_tls=False).use_tls
    opted_out = SMTPServer(host="relay.internal", start_tls=False, require_tls=False)
    assert opted_out.start_tls is False


async def test_a_server_without_starttls_gets_no_link_when_tls_is_required() -> None:
    adapter = MemoryAdapter()
    with running_smtp() as (port, inbox):
        server = SMTPServer(host="127.0.0.1", port=port, require_tls=True, timeout=5)
        client = Client(make_gate(providers=[Email(server=server)], adapter=adapter))
        redirect = await request_link(client)
    assert query_of(redirect or "")["error"] == ["EmailSignin"]
    assert inbox.messages == []
    assert adapter.dump()["verification_tokens"] == []


async def test_the_link_arrives_over_starttls_with_a_verified_certificate(tmp_path: Path) -> None:
    cert, key = self_signed_certificate(tmp_path)
    adapter = MemoryAdapter()
    with running_smtp(starttls=(cert, key)) as (port, inbox):
        server = SMTPServer(
            host="127.0.0.1", port=port, require_tls=True, cert_bundle=str(cert), timeout=5
        )
        client = Client(make_gate(providers=[Email(server=server)], adapter=adapter))
        redirect = await request_link(client)
        assert redirect is not None
        assert "verify-request" in redirect
    assert len(inbox.messages) == 1
    assert inbox.link().startswith("http://localhost:3000/api/auth/callback/email?")


async def test_a_certificate_that_does_not_verify_gets_no_link(tmp_path: Path) -> None:
    cert, key = self_signed_certificate(tmp_path)
    adapter = MemoryAdapter()
    with running_smtp(starttls=(cert, key)) as (port, inbox):
        server = SMTPServer(host="127.0.0.1", port=port, require_tls=True, timeout=5)
        client = Client(make_gate(providers=[Email(server=server)], adapter=adapter))
        redirect = await request_link(client)
    assert query_of(redirect or "")["error"] == ["EmailSignin"]
    assert inbox.messages == []


@pytest.mark.parametrize(
    "address",
    ["o'brien@example.com", "d`angelo@example.com", "ada+tag@example.com", "1234@my-co.example"],
)
async def test_unusual_but_valid_addresses_get_their_link(address: str) -> None:
    with running_smtp() as (port, inbox):
        provider = Email(server=f"smtp://127.0.0.1:{port}")
        client = Client(make_gate(providers=[provider], adapter=MemoryAdapter()))
        redirect = await request_link(client, address)
        assert redirect is not None
        assert "verify-request" in redirect
    assert inbox.recipients == [[address]]
    parts = urlsplit(inbox.link())
    await client.get(parts.path, query=parts.query, absolute=True)
    assert body_json(await client.get("/session"))["user"]["email"] == address
