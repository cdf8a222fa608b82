"""What the two-factor step costs next to the password check it follows (server CPU per request).

Measured in process, no server, no sockets, on whatever machine runs it (the development box is
a 2-core machine shared by several people: read the ratio, not the absolute numbers):

- ``argon2id verify``: the password check of a sign-in (``authgate.passwords.verify_password``,
  RFC 9106 low-memory profile: 64 MiB, t=3, p=4), the cost a Password / Credentials sign-in pays.
- ``two-factor check``: what ``POST /two-factor`` adds: open the sealed TOTP secret (AES-256-GCM
  with a key derived once per call, as the server does) and check a code over the ±1 step window
  (pyotp, constant-time compares).
- ``pending cookie open``: reading the sealed pending sign-in (AES-256-GCM + JSON).
- ``POST /two-factor`` end to end through ``AuthGate.handle`` with a MemoryAdapter (the
  adapter's replay check, the single-use pending id, the JWT session issued).

Each row: the best of 7 runs of ``n`` calls, CPU time (``time.process_time``) per call. The
TOTP check runs on the event loop: about ten microseconds does not block it; argon2id runs in
a worker thread for that reason. ``python bench/two_factor_bench.py``.
"""

from __future__ import annotations

import asyncio
import os
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import pyotp

from authgate import AuthConfig, AuthGate, AuthRequest, SessionConfig, TwoFactor
from authgate._core.two_factor import totp
from authgate._crypto.sealed import Sealer
from authgate.adapters.memory import MemoryAdapter
from authgate.passwords import hash_password, verify_password
from authgate.providers import Credentials

if TYPE_CHECKING:
    from collections.abc import Callable

SECRET = "bench-secret-0123456789abcdef0123456789"
TOTP_SECRET = pyotp.random_base32(32)
CONFIG = TwoFactor()


def best(fn: Callable[[], object], n: int, runs: int = 7) -> float:
    """Best CPU seconds per call over ``runs`` runs of ``n`` calls."""
    results = []
    for _ in range(runs):
        start = time.process_time()
        for _ in range(n):
            fn()
        results.append((time.process_time() - start) / n)
    return min(results)


def two_factor_check() -> None:
    sealed = totp.seal_secret((SECRET,), TOTP_SECRET)
    now = time.time()
    code = pyotp.TOTP(TOTP_SECRET).at(now)

    def check() -> None:
        secret = totp.open_secret((SECRET,), sealed)
        assert secret is not None
        assert totp.matching_step(CONFIG, secret, code, now) is not None

    print(f"  two-factor check (open + TOTP)   {best(check, 2000) * 1e6:10.1f} µs")


def pending_open() -> None:
    sealer = Sealer((SECRET,), "two-factor pending sign-in")
    token = sealer.seal({"sub": "1", "in": {"user": {"id": "1", "email": "a@b.c"}}, "exp": 1.0})
    cost = best(lambda: sealer.open(token), 5000)
    print(f"  pending cookie open              {cost * 1e6:10.1f} µs")


def argon2() -> float:
    stored = hash_password("a long and unusual passphrase 7")
    cost = best(lambda: verify_password(stored, "a long and unusual passphrase 7"), 3, runs=3)
    print(f"  argon2id verify (sign-in)        {cost * 1e6:10.1f} µs")
    return cost


async def end_to_end() -> float:
    adapter = MemoryAdapter()
    gate = AuthGate(
        AuthConfig(
            providers=[Credentials(authorize=lambda c, r: {"id": "1"}, credentials={})],
            secret=SECRET,
            url="http://localhost:3000/api/auth",
            adapter=adapter,
            session=SessionConfig(strategy="jwt"),
            two_factor=TwoFactor(),
            rate_limit=None,
        ),
        env={},
    )
    await adapter.enable_two_factor(
        {
            "userId": "credentials:1",
            "secret": totp.seal_secret((SECRET,), TOTP_SECRET),
            "lastStep": None,
            "createdAt": datetime.now(UTC),
        },
        [],
    )
    csrf = gate.get_csrf_token(AuthRequest.build(method="GET", path="/api/auth/csrf"))
    jar = f"next-auth.csrf-token={csrf.cookies[0].value.replace('|', '%7C')}"
    n, total = 200, 0.0
    for i in range(n):
        now = 1_800_000_000.0 + i * 30  # a fresh time step each time: no replay refusal
        first = await gate.handle(
            AuthRequest.build(
                method="POST",
                path="/api/auth/callback/credentials",
                headers=[("cookie", jar), ("content-type", "application/x-www-form-urlencoded")],
                body=urlencode({"csrfToken": csrf.token}).encode(),
            ),
            now=now,
        )
        pending = next(c for c in first.cookies if c.name == "next-auth.two-factor").value
        body = urlencode({"csrfToken": csrf.token, "code": pyotp.TOTP(TOTP_SECRET).at(now)})
        request = AuthRequest.build(
            method="POST",
            path="/api/auth/two-factor",
            headers=[
                ("cookie", f"{jar}; next-auth.two-factor={pending}"),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            body=body.encode(),
        )
        start = time.process_time()
        response = await gate.handle(request, now=now)
        total += time.process_time() - start
        assert response.status == 302, response.body
    cost = total / n
    print(f"  POST /two-factor end to end      {cost * 1e6:10.1f} µs")
    return cost


def main() -> None:
    load = os.getloadavg()[0]
    print(f"two-factor step vs argon2id sign-in, CPU per request (load average {load:.2f};")
    print("a shared machine: compare the rows, not the absolute numbers)\n")
    two_factor_check()
    pending_open()
    cost = argon2()
    e2e = asyncio.run(end_to_end())
    print(f"\n  POST /two-factor / argon2id verify: {e2e / cost:.3f}")


if __name__ == "__main__":
    main()
