"""Issue 9: keys v4 leaves out (``undefined``) stay out at sign-in, for every provider type.

An OIDC provider that sends no ``picture``: v4's token has no ``picture``, its session user is
``{name, email}``, and the callbacks, events and a user the adapter creates have no ``image``.
A value the provider sends as ``null`` stays ``null``.
"""

from __future__ import annotations

from typing import Any

import pytest

from authgate import Callbacks, Events
from authgate.adapters.memory import MemoryAdapter
from authgate.providers import Credentials
from blackbox.conftest import Client, body_json, decode_session, make_gate

from .fake_idp import SUBJECT, FakeIdP
from .test_flow import NOW, finish, make, start  # type: ignore[attr-defined]

pytestmark = pytest.mark.anyio


@pytest.fixture
def idp() -> FakeIdP:
    return FakeIdP(now=NOW)


def recorder() -> tuple[dict[str, Any], Callbacks, Events]:
    seen: dict[str, Any] = {}

    def jwt(token: Any, user: Any = None) -> Any:
        if user is not None:
            seen["jwt_user"] = dict(user)
            seen["jwt_token"] = dict(token)
        return token

    def on_sign_in(user: Any, profile: Any) -> None:
        seen.update(event_user=dict(user), event_profile=profile and dict(profile))

    def on_create(user: Any) -> None:
        seen["created"] = dict(user)

    return seen, Callbacks(jwt=jwt), Events(sign_in=on_sign_in, create_user=on_create)


@pytest.mark.parametrize("with_adapter", [False, True], ids=["jwt", "jwt+adapter"])
async def test_oidc_without_picture_leaves_image_out(idp: FakeIdP, with_adapter: bool) -> None:
    idp.userinfo = {"sub": SUBJECT, "name": "Ada Lovelace", "email": "ada@example.com"}
    seen, callbacks, events = recorder()
    extra: dict[str, Any] = {"adapter": MemoryAdapter()} if with_adapter else {}
    if with_adapter:
        from authgate import SessionConfig

        extra["session"] = SessionConfig(strategy="jwt")
    client = Client(make(idp, callbacks=callbacks, events=events, **extra))
    response = await finish(client, await start(client, idp))
    claims = decode_session(response)
    assert "picture" not in claims
    assert "picture" not in seen["jwt_token"]
    assert "image" not in seen["jwt_user"]
    assert "image" not in seen["event_user"]
    assert "image" not in seen["event_profile"]
    assert body_json(await client.get("/session"))["user"] == {
        "name": "Ada Lovelace",
        "email": "ada@example.com",
    }
    if with_adapter:
        assert "image" not in seen["created"]


async def test_a_null_the_provider_sends_stays_null(idp: FakeIdP) -> None:
    idp.userinfo = {"sub": SUBJECT, "name": "Ada", "email": "ada@example.com", "picture": None}
    client = Client(make(idp))
    response = await finish(client, await start(client, idp))
    assert decode_session(response)["picture"] is None
    assert body_json(await client.get("/session"))["user"]["image"] is None


async def test_credentials_user_keys_pass_as_returned() -> None:
    seen, callbacks, events = recorder()
    provider = Credentials(authorize=lambda credentials, request: {"id": "1", "name": "Ada"})
    client = Client(make_gate(providers=[provider], callbacks=callbacks, events=events))
    response = await client.sign_in()
    claims = decode_session(response)
    assert {"email", "picture"}.isdisjoint(claims)
    assert seen["event_user"] == {"id": "1", "name": "Ada"}
    assert seen["jwt_user"] == {"id": "1", "name": "Ada"}
    assert body_json(await client.get("/session"))["user"] == {"name": "Ada"}
