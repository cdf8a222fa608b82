"""Every password-account route, black-box, on every adapter and both session strategies."""

from __future__ import annotations

from typing import Any

import pytest

from blackbox.conftest import SESSION, body_json, query_of

from .conftest import EMAIL, STRONG, Setup, sign_in, sign_up, signed_up, verify

pytestmark = pytest.mark.anyio

NEW = "another long passphrase, 2nd"


async def session_user(client: Any) -> Any:
    return body_json(await client.get("/session")).get("user")


async def test_sign_up_verify_sign_in(setup: Setup) -> None:
    client = setup.client()
    response = await sign_up(client, name="Grace")
    assert response.status == 302
    assert response.redirect == "http://localhost:3000/api/auth/signup?sent=1&provider=password"
    mail = setup.mailbox.last("verify-email", EMAIL)
    assert mail.url.startswith("http://localhost:3000/api/auth/verify-email?token=")

    refused = await sign_in(client)
    assert refused.status == 302
    assert query_of(refused.redirect or "")["error"] == ["EmailNotVerified"]
    assert SESSION not in client.jar
    assert len([m for m in setup.mailbox.sent if m.kind == "verify-email"]) == 2, "a new link"

    page = await verify(setup, client)
    assert page.status == 200
    assert b"Address confirmed" in page.body
    user = await setup.adapter.get_user_by_email(EMAIL)
    assert user["emailVerified"] is not None
    assert user["name"] == "Grace"

    again = await client.get("/verify-email", query=setup.mailbox.link_params("verify-email"))
    assert again.status == 200 or again.status == 302
    assert query_of(again.redirect or "?error=x").get("error") is not None or again.status == 200

    signed = await sign_in(client)
    assert signed.status == 302
    assert signed.redirect == "http://localhost:3000"
    assert (await session_user(client))["email"] == EMAIL


async def test_verify_link_is_single_use(setup: Setup) -> None:
    client = setup.client()
    await sign_up(client)
    params = setup.mailbox.link_params("verify-email")
    assert (await client.get("/verify-email", query=params)).status == 200
    second = await client.get("/verify-email", query=params)
    assert second.status == 302
    assert query_of(second.redirect or "")["error"] == ["Verification"]


async def test_wrong_password_and_unknown_user_are_refused_alike(setup: Setup) -> None:
    await signed_up(setup)
    client = setup.client()
    wrong = await sign_in(client, password="not the password at all")
    unknown = await sign_in(client, email="nobody@example.com")
    for response in (wrong, unknown):
        assert response.status == 302
        assert query_of(response.redirect or "")["error"] == ["CredentialsSignin"]
    assert SESSION not in client.jar


async def test_weak_passwords_are_refused_without_a_write(setup: Setup) -> None:
    client = setup.client()
    for password, code in (
        ("short", "PasswordTooShort"),
        ("x" * 257, "PasswordTooLong"),
        ("1QAZ2WSX3EDC4RFV", "PasswordTooCommon"),
        ("grace@example.com", "PasswordTooCommon"),
    ):
        response = await sign_up(client, password=password, json="true")
        assert response.status == 400, password
        assert body_json(response) == {"error": code}
    page = await sign_up(client, password="short")
    assert page.status == 400
    assert b"Use a longer password." in page.body
    assert await setup.adapter.get_user_by_email(EMAIL) is None
    assert setup.mailbox.sent == []


async def test_unicode_passwords_are_normalised(setup: Setup) -> None:
    client = setup.client()
    composed = "caf\u00e9 au lait sous la pluie"
    assert (await sign_up(client, password=composed)).status == 302
    await verify(setup, client)
    decomposed = "cafe\u0301 au lait sous la pluie"  # NFKC makes it the same password
    assert (await sign_in(client, password=decomposed)).status == 302
    assert SESSION in client.jar


async def test_forgot_reset_then_old_password_refused(setup: Setup) -> None:
    other = await signed_up(setup)
    client = setup.client()
    token = await client.csrf()
    response = await client.post("/forgot-password", form={"csrfToken": token, "email": EMAIL})
    assert response.status == 302
    assert response.redirect == (
        "http://localhost:3000/api/auth/forgot-password?sent=1&provider=password"
    )
    params = setup.mailbox.link_params("reset-password")
    mail = setup.mailbox.last("reset-password")
    assert mail.expires is not None
    page = await client.get("/reset-password", query=params)
    assert page.status == 200
    assert b'name="token"' in page.body

    weak = await client.post(
        "/reset-password", form={"csrfToken": token, **params, "password": "short"}
    )
    assert weak.status == 400, "a refused password keeps the link usable"
    done = await client.post(
        "/reset-password", form={"csrfToken": token, **params, "password": NEW}
    )
    assert done.status == 302
    assert done.redirect == "http://localhost:3000/api/auth/reset-password?done=1&provider=password"
    reused = await client.post(
        "/reset-password", form={"csrfToken": token, **params, "password": NEW + "!"}
    )
    assert query_of(reused.redirect or "")["error"] == ["Verification"], "single use"

    assert query_of((await sign_in(client)).redirect or "")["error"] == ["CredentialsSignin"]
    assert (await sign_in(client, password=NEW)).status == 302
    assert SESSION in client.jar
    if setup.strategy == "database":
        assert await session_user(other) is None, "the reset ended the other sessions"


async def test_reset_link_expires_within_the_hour(setup: Setup) -> None:
    await signed_up(setup)
    client = setup.client()
    token = await client.csrf()
    await client.post("/forgot-password", form={"csrfToken": token, "email": EMAIL})
    params = setup.mailbox.link_params("reset-password")
    assert client.now is not None
    late = await client.post(
        "/reset-password",
        form={"csrfToken": token, **params, "password": NEW},
        now=client.now + 3600,
    )
    assert query_of(late.redirect or "")["error"] == ["Verification"]


async def test_change_password(setup: Setup) -> None:
    client = await signed_up(setup)
    other = await signed_up_again(setup)
    page = await client.get("/change-password")
    assert page.status == 200
    token = await client.csrf()
    wrong = await client.post(
        "/change-password",
        form={"csrfToken": token, "currentPassword": "nope nope nope", "newPassword": NEW},
    )
    assert wrong.status == 400
    assert b"The current password is not right." in wrong.body
    done = await client.post(
        "/change-password",
        form={"csrfToken": token, "currentPassword": STRONG, "newPassword": NEW},
    )
    assert done.status == 302
    assert (await session_user(client))["email"] == EMAIL, "this session stays"
    if setup.strategy == "database":
        assert await session_user(other) is None, "the other session ended"
    fresh = setup.client()
    assert query_of((await sign_in(fresh)).redirect or "")["error"] == ["CredentialsSignin"]
    assert (await sign_in(fresh, password=NEW)).status == 302


async def signed_up_again(setup: Setup) -> Any:
    client = setup.client()
    assert (await sign_in(client)).status == 302
    return client


async def test_change_password_needs_a_session(setup: Setup) -> None:
    client = setup.client()
    page = await client.get("/change-password")
    assert page.status == 302
    assert "error=SessionRequired" in (page.redirect or "")
    token = await client.csrf()
    response = await client.post(
        "/change-password",
        form={"csrfToken": token, "currentPassword": STRONG, "newPassword": NEW},
    )
    assert query_of(response.redirect or "")["error"] == ["SessionRequired"]
