"""E-mail sign-in through a real SMTP server (aiosmtpd on loopback) with aiosmtplib."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from _support.redis_server import free_port
from _support.smtp_server import running_smtp, silent_server
from authgate import Theme
from authgate.adapters.memory import MemoryAdapter
from authgate.providers import Email, SMTPServer

from .conftest import SESSION, Client, body_json, make_gate, query_of

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
