"""OAuth check cookies under ``profile="authjs-v5"`` against the real ``@auth/core/jwt`` (0.41.3).

@auth/core ``checks.ts`` seals ``{value, provider}`` with its ``encode`` and the cookie name as
salt (``authjs.state``, ``authjs.pkce.code_verifier``, ``authjs.nonce``), 15 minutes. The
cookies authgate sets must decode there, and cookies sealed there must pass authgate's checks.
"""

from __future__ import annotations

import json
import time

import pytest

from authgate import AuthConfig, AuthGate
from authgate.providers import OIDC
from blackbox.conftest import SECRET, Client, query_of
from interop.authjs_node import batch
from oauth.fake_idp import CLIENT_ID, CLIENT_SECRET, ISSUER, FakeIdP, s256

pytestmark = pytest.mark.anyio

CHECKS = {
    "state": "authjs.state",
    "pkce": "authjs.pkce.code_verifier",
    "nonce": "authjs.nonce",
}


def v5_client(idp: FakeIdP, now: float) -> Client:
    provider = OIDC(
        id="idp",
        issuer=ISSUER,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        checks=("pkce", "state", "nonce"),
    )
    gate = AuthGate(
        AuthConfig(
            providers=[provider],
            secret=SECRET,
            url="http://localhost:3000",
            http_client=idp.client(),
            profile="authjs-v5",
        ),
        env={},
    )
    return Client(gate, now=now)


async def start(client: Client, idp: FakeIdP) -> dict[str, str]:
    token = await client.csrf()
    response = await client.post("/signin/idp", form={"csrfToken": token})
    assert response.redirect is not None
    params = {k: v[0] for k, v in query_of(response.redirect).items()}
    idp.nonce = params["nonce"]
    idp.code_challenge = params["code_challenge"]
    return params


async def test_authgate_check_cookies_decode_in_auth_core() -> None:
    now = time.time()  # @auth/core checks exp against the clock
    idp = FakeIdP(now=now)
    client = v5_client(idp, now)
    params = await start(client, idp)
    answers = batch(
        [
            {
                "op": "decode",
                "profile": "authjs-v5",
                "jwt": client.jar[name],
                "secret": SECRET,
                "salt": name,
            }
            for name in CHECKS.values()
        ]
        # Salted with another cookie's name: @auth/core refuses it.
        + [
            {
                "op": "decode",
                "profile": "authjs-v5",
                "jwt": client.jar["authjs.state"],
                "secret": SECRET,
                "salt": "authjs.nonce",
            }
        ]
    )
    decoded = dict(zip(CHECKS, answers[:3], strict=True))
    for check, answer in decoded.items():
        assert "error" not in answer, (check, answer)
        token = answer["token"]
        assert token["provider"] == "idp"
        assert token["exp"] - token["iat"] == 15 * 60
    assert decoded["state"]["token"]["value"] == params["state"]
    assert decoded["nonce"]["token"]["value"] == params["nonce"]
    assert len(decoded["pkce"]["token"]["value"]) >= 43
    assert "error" in answers[3]


async def test_auth_core_sealed_check_cookies_pass_authgate_checks() -> None:
    now = time.time()
    idp = FakeIdP(now=now)
    client = v5_client(idp, now)
    params = await start(client, idp)
    verifier = "v" * 43
    values = {"state": params["state"], "nonce": params["nonce"], "pkce": verifier}
    answers = batch(
        [
            {
                "op": "encode",
                "profile": "authjs-v5",
                "secret": SECRET,
                "salt": name,
                "maxAge": 900,
                "token": {"value": values[check], "provider": "idp"},
            }
            for check, name in CHECKS.items()
        ]
    )
    for (check, name), answer in zip(CHECKS.items(), answers, strict=True):
        assert "jwt" in answer, (check, answer)
        client.jar[name] = answer["jwt"]
    idp.code_challenge = s256(verifier)
    response = await client.get(
        "/callback/idp", query={"code": "the-CODE-123", "state": params["state"]}
    )
    assert response.redirect == "http://localhost:3000", response.redirect
    session = json.loads((await client.get("/session")).body)
    assert session["user"]["email"] == "ada@example.com"
