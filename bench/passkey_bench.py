"""Server CPU per sign-in: a passkey (options + verification) next to a password (argon2id).

Run: ``.venv/bin/python bench/passkey_bench.py [--rounds N] [--adapter memory|sqlite]``.
Prints CPU milliseconds (``time.process_time``, this process only) per complete sign-in, counted
around the gate's own work; the software authenticator's signing in between is not counted.
Never asserts: timings depend on the machine and on what else runs on it.

- **passkey**: ``GET /webauthn-options/passkey`` (challenge, its single-use row, sealed cookie)
  then ``POST /callback/passkey`` (challenge consumed, py_webauthn ES256 verification, counter
  update, the sign-in pipeline, a JWT session cookie). Both requests also pay the CSRF work.
- **password**: ``GET /csrf`` then ``POST /callback/credentials`` whose ``authorize`` checks an
  argon2id hash made with :func:`authgate.passwords.hash_password` (the library's defaults).
- **key 2FA**: what a security key adds as the second factor (``TwoFactor(security_keys=True)``)
  after a ``Password`` sign-in, not counting that sign-in: ``GET /webauthn-options/passkey?
  action=two-factor`` (the pending cookie opened, the user's credentials listed, a challenge)
  then ``POST /two-factor`` (the assertion verified, the pending id used, the JWT session).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from _support.soft_authenticator import SoftAuthenticator
from authgate import AuthConfig, AuthGate, AuthRequest, SessionConfig, TwoFactor
from authgate.adapters.memory import MemoryAdapter
from authgate.passwords import hash_password, verify_password
from authgate.providers import Credentials, Passkey, Password

ORIGIN = "http://localhost:3000"
PASSWORD = "correct horse battery staple"


class Jar:
    """A cookie jar and a CPU meter around ``gate.handle``."""

    def __init__(self, gate: AuthGate) -> None:
        self.gate = gate
        self.cookies: dict[str, str] = {}
        self.cpu = 0.0

    async def call(self, method: str, path: str, query: str = "", form: Any = None) -> Any:
        headers = [("cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))]
        body = b""
        if form is not None:
            body = urlencode(form).encode()
            headers.append(("content-type", "application/x-www-form-urlencoded"))
        request = AuthRequest.build(
            method=method, path=f"/api/auth{path}", query_string=query, headers=headers, body=body
        )
        start = time.process_time()
        response = await self.gate.handle(request)
        self.cpu += time.process_time() - start
        for cookie in response.cookies:
            if cookie.max_age == 0:
                self.cookies.pop(cookie.name, None)
            else:
                self.cookies[cookie.name] = cookie.value
        return response


def _signed_in(response: Any) -> None:
    if response.status != 302 or "error" in (response.redirect or ""):
        raise SystemExit(f"sign-in failed: {response}")


async def _adapter(kind: str) -> Any:
    if kind == "memory":
        return MemoryAdapter()
    from authgate.adapters.sqlalchemy import SQLAlchemyAdapter

    return SQLAlchemyAdapter(Path(tempfile.mkdtemp(prefix="authgate-bench-")) / "auth.db")


async def run(rounds: int, kind: str) -> dict[str, list[float]]:
    adapter = await _adapter(kind)
    hashed = hash_password(PASSWORD)

    def authorize(credentials: dict[str, Any], request: Any) -> dict[str, Any] | None:
        if verify_password(hashed, credentials.get("password")):
            return {"id": "1", "email": "ada@example.com"}
        return None

    gate = AuthGate(
        AuthConfig(
            providers=[Credentials(authorize=authorize), Passkey(allow_sign_up=True)],
            adapter=adapter,
            session=SessionConfig(strategy="jwt"),
            secret="bench-secret-0123456789abcdef0123456789",
            url=f"{ORIGIN}/api/auth",
            rate_limit=None,
        ),
        env={},
    )
    key = SoftAuthenticator(origin=ORIGIN, rp_id="localhost")
    signup = Jar(gate)
    answer = json.loads(
        (
            await signup.call(
                "GET", "/webauthn-options/passkey", "action=register&email=ada%40example.com"
            )
        ).body
    )
    csrf = json.loads((await signup.call("GET", "/csrf")).body)["csrfToken"]
    data = json.dumps(key.register(answer["options"]))
    form = {"csrfToken": csrf, "action": "register", "data": data, "email": "ada@example.com"}
    assert (await signup.call("POST", "/callback/passkey", form=form)).status == 302

    results: dict[str, list[float]] = {"passkey": [], "password": []}
    for _ in range(rounds):
        jar = Jar(gate)
        csrf = json.loads((await jar.call("GET", "/csrf")).body)["csrfToken"]
        jar.cpu = 0.0  # the CSRF token is the page's work, not the sign-in's
        options = json.loads(
            (await jar.call("GET", "/webauthn-options/passkey", "action=authenticate")).body
        )
        data = json.dumps(key.authenticate(options["options"]))
        form = {"csrfToken": csrf, "action": "authenticate", "data": data}
        response = await jar.call("POST", "/callback/passkey", form=form)
        _signed_in(response)
        results["passkey"].append(jar.cpu * 1000)

        jar = Jar(gate)
        csrf = json.loads((await jar.call("GET", "/csrf")).body)["csrfToken"]
        jar.cpu = 0.0
        form = {"csrfToken": csrf, "password": PASSWORD}
        response = await jar.call("POST", "/callback/credentials", form=form)
        _signed_in(response)
        results["password"].append(jar.cpu * 1000)
    results["key 2FA"] = await second_factor(adapter, key, rounds)
    close = getattr(adapter, "close", None)
    if close is not None:
        await close()
    return results


async def second_factor(adapter: Any, key: SoftAuthenticator, rounds: int) -> list[float]:
    """CPU ms of the security-key step after a password sign-in of ada (who has the key)."""
    user = await adapter.get_user_by_email("ada@example.com")
    await adapter.update_user({"id": user["id"], "emailVerified": datetime.now(UTC)})
    await adapter.set_password_hash(user["id"], hash_password(PASSWORD))
    await adapter.link_account(
        {"userId": user["id"], "type": "credentials", "provider": "password"}
        | {"providerAccountId": user["id"]}
    )
    gate = AuthGate(
        AuthConfig(
            providers=[Password(send_mail=_no_mail), Passkey()],
            adapter=adapter,
            session=SessionConfig(strategy="jwt"),
            two_factor=TwoFactor(security_keys=True),
            secret="bench-secret-0123456789abcdef0123456789",
            url=f"{ORIGIN}/api/auth",
            rate_limit=None,
        ),
        env={},
    )
    costs = []
    for _ in range(rounds):
        jar = Jar(gate)
        csrf = json.loads((await jar.call("GET", "/csrf")).body)["csrfToken"]
        form = {"csrfToken": csrf, "email": "ada@example.com", "password": PASSWORD}
        first = await jar.call("POST", "/callback/password", form=form)
        assert (first.redirect or "").endswith("/two-factor"), first
        jar.cpu = 0.0  # the password's cost is the row above
        options = json.loads(
            (await jar.call("GET", "/webauthn-options/passkey", "action=two-factor")).body
        )
        data = json.dumps(key.authenticate(options["options"]))
        response = await jar.call("POST", "/two-factor", form={"csrfToken": csrf, "data": data})
        _signed_in(response)
        costs.append(jar.cpu * 1000)
    return costs


async def _no_mail(mail: Any) -> None:
    raise AssertionError("no mail here")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--adapter", choices=["memory", "sqlite"], default="memory")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    results = asyncio.run(run(args.rounds, args.adapter))
    print(f"adapter={args.adapter} rounds={args.rounds} load average={load:.2f}")
    for name, values in results.items():
        warm = values[2:] or values
        print(
            f"{name:>8}: median {statistics.median(warm):7.2f} ms CPU per sign-in "
            f"(min {min(warm):.2f}, max {max(warm):.2f})"
        )
    ratio = statistics.median(results["password"][2:]) / statistics.median(results["passkey"][2:])
    print(f"password / passkey: {ratio:.1f}x")


if __name__ == "__main__":
    main()
