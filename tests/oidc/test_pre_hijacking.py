"""Defect 4 of issue 9: account pre-hijacking through an unverified OAuth e-mail address.

The attacker signs in first through a real OpenID provider (oidc-provider on loopback) whose
account claims the victim's address with ``email_verified: false``. The victim later signs in
with a magic link for that address: they must land in a user of their own, never in the
attacker's, and the attacker's account must not reach the victim's user afterwards.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from _support.oidc_provider import CLIENT_ID, CLIENT_SECRET
from authgate import AuthConfig, AuthGate
from authgate.providers import OIDC, Email
from blackbox.conftest import SECRET, Client, body_json

from .test_oidc_adapter import APP, SESSION, adapter, issuer, rows, sign_in  # type: ignore[attr-defined]

if TYPE_CHECKING:
    from authgate.adapters.sqlalchemy import SQLAlchemyAdapter
    from authgate.providers.email import VerificationRequest

pytestmark = pytest.mark.anyio

__all__ = ["adapter", "issuer"]  # fixtures, re-used


class Outbox:
    def __init__(self) -> None:
        self.sent: list[VerificationRequest] = []

    async def __call__(self, request: VerificationRequest) -> None:
        self.sent.append(request)


def gate(
    issuer: str, outbound: httpx.AsyncClient, adapter: SQLAlchemyAdapter, outbox: Outbox, **kw: Any
) -> AuthGate:
    return AuthGate(
        AuthConfig(
            providers=[
                OIDC(
                    id="oidc", issuer=issuer, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, **kw
                ),
                Email(send_verification_request=outbox),
            ],
            secret=SECRET,
            url=f"{APP}/api/auth",
            http_client=outbound,
            adapter=adapter,
        ),
        env={},
    )


async def magic_link(client: Client, outbox: Outbox, email: str) -> Any:
    csrf = await client.csrf()
    await client.post("/signin/email", form={"csrfToken": csrf, "email": email})
    parts = urlsplit(outbox.sent[-1].url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    return await client.get(parts.path, query=query, absolute=True)


async def session_user_id(client: Client, adapter: SQLAlchemyAdapter) -> int:
    [row] = [s for s in rows(adapter, "sessions") if s["sessionToken"] == client.jar[SESSION]]
    return int(row["userId"])


@pytest.mark.parametrize("linking", [False, True], ids=["default", "dangerous-linking"])
async def test_an_unverified_oauth_address_never_reaches_the_owner(
    issuer: str, adapter: SQLAlchemyAdapter, linking: bool
) -> None:
    outbox = Outbox()
    async with httpx.AsyncClient() as outbound:
        auth = gate(
            issuer, outbound, adapter, outbox, allow_dangerous_email_account_linking=linking
        )
        attacker = Client(auth, now=None)
        landed = await sign_in(attacker, "unverified-victim")
        assert landed.redirect == f"{APP}/welcome", landed.redirect
        [claimed] = rows(adapter, "users")
        assert claimed["email"] == "victim@example.com"
        assert claimed["emailVerified"] is None, "stored, but as unverified"

        victim = Client(auth, now=None)
        arrived = await magic_link(victim, outbox, "victim@example.com")
        assert SESSION in victim.jar, arrived.redirect
        owner = await session_user_id(victim, adapter)
        assert owner != claimed["id"], "the magic link landed in the attacker's user"
        users = {u["id"]: u for u in rows(adapter, "users")}
        assert users[owner]["email"] == "victim@example.com"
        assert users[owner]["emailVerified"] is not None
        assert users[claimed["id"]]["email"] is None, "the unproven claim was taken away"
        assert body_json(await victim.get("/session"))["user"]["email"] == "victim@example.com"

        # The attacker's next sign-in reaches only the attacker's own user.
        again = Client(auth, now=None)
        await sign_in(again, "unverified-victim")
        assert await session_user_id(again, adapter) == claimed["id"]
        assert body_json(await again.get("/session"))["user"].get("email") is None
        accounts = rows(adapter, "accounts")
        assert [a["userId"] for a in accounts] == [claimed["id"]]
