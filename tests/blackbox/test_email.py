"""E-mail (magic link) sign-in, black-box (SECURITY.md, decisions 10 and 11)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest

from authgate import Events, PagesConfig
from authgate._crypto.keys import hkdf_sha256
from authgate.adapters.memory import MemoryAdapter
from authgate.providers import Email, VerificationRequest

from .conftest import NOW, SECRET, SESSION, URL, Client, body_json, make_gate, query_of

if TYPE_CHECKING:
    from authgate.adapters import Adapter

pytestmark = pytest.mark.anyio


class Outbox:
    def __init__(self) -> None:
        self.sent: list[VerificationRequest] = []
        self.fail: Exception | None = None

    async def __call__(self, request: VerificationRequest) -> None:
        if self.fail is not None:
            raise self.fail
        self.sent.append(request)

    def link(self) -> tuple[str, dict[str, str]]:
        url = self.sent[-1].url
        parts = urlsplit(url)
        return parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}


def email_gate(adapter: Adapter, outbox: Outbox, **config: Any) -> Any:
    provider_options = config.pop("provider", {})
    provider = Email(send_verification_request=outbox, **provider_options)
    return make_gate(providers=[provider], adapter=adapter, **config)


async def request_link(client: Client, email: str = "ada@example.com", **kw: Any) -> Any:
    csrf = await client.csrf()
    return await client.post("/signin/email", form={"csrfToken": csrf, "email": email}, **kw)


async def follow(client: Client, outbox: Outbox, **kw: Any) -> Any:
    path, query = outbox.link()
    return await client.get(path, query=query, absolute=True, **kw)


@pytest.fixture
def adapter() -> MemoryAdapter:
    return MemoryAdapter()


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


async def test_the_link_is_stored_hashed_before_it_is_sent(adapter: MemoryAdapter) -> None:
    stored_when_sent: list[Any] = []

    async def sender(request: VerificationRequest) -> None:
        stored_when_sent.append(adapter.dump()["verification_tokens"])

    client = Client(make_gate(providers=[Email(send_verification_request=sender)], adapter=adapter))
    response = await request_link(client, " Ada@Example.COM ")
    assert response.redirect == f"{URL}/verify-request?provider=email&type=email"
    [[stored]] = stored_when_sent
    assert stored["identifier"] == "ada@example.com"
    assert stored["expires"] == datetime.fromtimestamp(NOW + 600, UTC), "10 minutes"


async def test_link_signs_in_once(adapter: MemoryAdapter, outbox: Outbox) -> None:
    events: list[str] = []
    client = Client(
        email_gate(
            adapter,
            outbox,
            events=Events(create_user=lambda user: events.append(f"create:{user['email']}")),
        )
    )
    await client.get("/signin", query={"callbackUrl": "/welcome"})
    await request_link(client)
    [request] = outbox.sent
    assert request.identifier == "ada@example.com"
    _, query = outbox.link()
    token = query["token"]
    assert len(token) >= 43, "256 bits"
    assert query["email"] == "ada@example.com"
    assert query["callbackUrl"] == "http://localhost:3000/welcome"
    [stored] = adapter.dump()["verification_tokens"]
    key = hkdf_sha256(
        SECRET, salt="authgate purpose keys", info="authgate email-token key", length=32
    )
    assert stored["token"] == hmac.new(key, token.encode(), hashlib.sha256).hexdigest()
    assert stored["token"] != hashlib.sha256((token + SECRET).encode()).hexdigest()  # v4's
    assert token not in str(adapter.dump())

    response = await follow(client, outbox, now=NOW + 30)
    assert response.redirect == "http://localhost:3000/welcome"
    assert SESSION in client.jar
    body = body_json(await client.get("/session"))
    assert body["user"]["email"] == "ada@example.com"
    [user] = adapter.dump()["users"]
    assert user["emailVerified"] == datetime.fromtimestamp(NOW + 30, UTC)
    assert events == ["create:ada@example.com"]

    again = await follow(Client(client.gate), outbox)
    assert query_of(again.redirect or "")["error"] == ["Verification"], "single use"


async def test_new_user_page_on_first_sign_in_only(adapter: MemoryAdapter, outbox: Outbox) -> None:
    events: list[Any] = []
    gate = email_gate(
        adapter,
        outbox,
        pages=PagesConfig(new_user="/welcome"),
        events=Events(update_user=lambda user: events.append(user["email"])),
    )
    client = Client(gate)
    await request_link(client)
    first = await follow(client, outbox)
    assert (
        first.redirect == "http://localhost:3000/welcome?callbackUrl=http%3A%2F%2Flocalhost%3A3000"
    )
    await request_link(client)
    second = await follow(client, outbox)
    assert second.redirect == "http://localhost:3000"
    assert events == ["ada@example.com"]
    assert len(adapter.dump()["users"]) == 1
    assert len(adapter.dump()["sessions"]) == 1, "the previous session was replaced"


async def test_expired_or_wrong_address_is_verification(
    adapter: MemoryAdapter, outbox: Outbox
) -> None:
    client = Client(email_gate(adapter, outbox))
    await request_link(client)
    path, query = outbox.link()
    wrong = await client.get(path, query={**query, "email": "eve@example.com"}, absolute=True)
    assert query_of(wrong.redirect or "")["error"] == ["Verification"]
    late = await client.get(path, query=query, absolute=True, now=NOW + 601)
    assert query_of(late.redirect or "")["error"] == ["Verification"]
    assert SESSION not in client.jar


async def test_missing_token_is_the_configuration_page(
    adapter: MemoryAdapter, outbox: Outbox
) -> None:
    client = Client(email_gate(adapter, outbox))
    response = await client.get("/callback/email", query={"email": "ada@example.com"})
    assert query_of(response.redirect or "")["error"] == ["configuration"]


async def test_head_never_uses_the_token(adapter: MemoryAdapter, outbox: Outbox) -> None:
    client = Client(email_gate(adapter, outbox))
    await request_link(client)
    path, query = outbox.link()
    head = await client.request("HEAD", path, query=query, absolute=True)
    assert head.status == 400
    response = await follow(client, outbox)
    assert SESSION in client.jar, response.redirect


@pytest.mark.parametrize(
    "address",
    [
        "",
        "nope",
        "a@b@example.com",
        '"a@b"@example.com',
        "ada@example.com,eve@example.com",
        "ada@example.com, eve@example.com",
        "ada@example.com;eve@example.com",
        "Ada <ada@example.com>",
        "ada@localhost",
        "ada@example..com",
        "@example.com",
        "ada@",
        "ada@example.com\r\nBcc: eve@example.com",
        "ada\uff20example.com\uff20evil.com",
    ],
)
async def test_refused_addresses_send_nothing(
    adapter: MemoryAdapter, outbox: Outbox, address: str
) -> None:
    client = Client(email_gate(adapter, outbox))
    response = await request_link(client, address)
    assert query_of(response.redirect or "")["error"] == ["EmailSignin"]
    assert outbox.sent == []
    assert adapter.dump()["verification_tokens"] == []


async def test_nfkc_full_width_at_sign_is_one_address(
    adapter: MemoryAdapter, outbox: Outbox
) -> None:
    client = Client(email_gate(adapter, outbox))
    await request_link(client, "\uff21\uff24\uff21\uff20example.com")
    assert outbox.sent[0].identifier == "ada@example.com"


async def test_a_failed_send_leaves_no_usable_token(adapter: MemoryAdapter, outbox: Outbox) -> None:
    outbox.fail = ConnectionRefusedError("smtp down")
    client = Client(email_gate(adapter, outbox))
    response = await request_link(client)
    assert query_of(response.redirect or "")["error"] == ["EmailSignin"]
    assert adapter.dump()["verification_tokens"] == []


async def test_custom_normaliser_and_sign_in_callback(
    adapter: MemoryAdapter, outbox: Outbox
) -> None:
    from authgate import Callbacks

    seen: list[Any] = []

    def sign_in(user: Any, email: Any) -> bool:
        seen.append(email)
        return not user["email"].lower().startswith("blocked")

    gate = email_gate(
        adapter,
        outbox,
        provider={"normalize_identifier": lambda raw: raw.strip().upper()},
        callbacks=Callbacks(sign_in=sign_in),
    )
    client = Client(gate)
    await request_link(client, " x@Example.com ")
    assert outbox.sent[0].identifier == "X@EXAMPLE.COM"
    assert seen[0] == {"verificationRequest": True}
    refused = await request_link(client, "blocked@example.com")
    assert query_of(refused.redirect or "")["error"] == ["AccessDenied"]
    assert len(outbox.sent) == 1


async def test_email_sign_in_is_rate_limited(adapter: MemoryAdapter, outbox: Outbox) -> None:
    client = Client(email_gate(adapter, outbox))
    codes = []
    for _ in range(8):
        response = await request_link(client)
        codes.append(query_of(response.redirect or "").get("error", ["sent"])[0])
    assert codes[:5] == ["sent"] * 5
    assert "TooManyRequests" in codes[5:]
    assert len(outbox.sent) < 8


async def test_confirm_page_signs_in_only_with_a_post(
    adapter: MemoryAdapter, outbox: Outbox
) -> None:
    client = Client(email_gate(adapter, outbox, provider={"confirm": True}))
    await request_link(client)
    page = await follow(client, outbox)
    assert page.status == 200
    html = page.body.decode()
    assert 'action="http://localhost:3000/api/auth/callback/email" method="POST"' in html
    assert "ada@example.com" not in html.replace('value="ada@example.com"', "")
    assert adapter.dump()["verification_tokens"], "showing the page uses nothing up"
    _, query = outbox.link()
    forged = await client.post(
        "/callback/email", form={"token": query["token"], "email": query["email"]}
    )
    assert forged.redirect == f"{URL}/signin?csrf=true"
    csrf = await client.csrf()
    response = await client.post(
        "/callback/email",
        form={"csrfToken": csrf, "token": query["token"], "email": query["email"]},
    )
    assert response.redirect == "http://localhost:3000"
    assert SESSION in client.jar
