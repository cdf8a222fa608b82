"""The application `make load` deploys: FastAPI + authgate on PostgreSQL and Redis.

Configured by environment variables (the harness, ``bench/load/run.py``, sets them):
``LOAD_DATABASE_URL``, ``LOAD_REDIS_URL``, ``LOAD_SMTP_PORT``, ``LOAD_ISSUER``, ``LOAD_SECRET``,
``LOAD_URL`` (the public auth URL, nginx's), ``LOAD_POOL_SIZE`` / ``LOAD_MAX_OVERFLOW``,
``LOAD_SESSIONS`` (``database``, the default, or ``jwt``).

- database sessions in PostgreSQL (``SQLAlchemyAdapter``, a sized pool), or JWT sessions
  revocable through Redis (``RedisRevocationStore``); users, accounts and e-mail tokens are in
  PostgreSQL either way;
- Credentials: the user's argon2id hash from the adapter, verified in a thread;
- Email through the SMTP server, OIDC against the identity provider;
- sign-in throttling in Redis behind one trusted proxy (nginx). All load comes from one
  address, so the per-IP policy is wide; the per-address policy is the default;
- ``GET /api/me``: an API route behind ``session_dependency`` (401 without a session).
"""

from __future__ import annotations

import os
from typing import Annotated, Any

from fastapi import Depends, FastAPI

from authgate import AuthConfig, AuthGate, SessionConfig
from authgate.adapters.sqlalchemy import SQLAlchemyAdapter
from authgate.integrations.asgi import AuthApp
from authgate.integrations.fastapi import session_dependency
from authgate.passwords import verify_password_async
from authgate.providers import OIDC, Credentials, Email
from authgate.ratelimit import Policy, RateLimit
from authgate.ratelimit.redis import RedisBackend
from authgate.revocation.redis import RedisRevocationStore

CLIENT_ID = "authgate-test"  # tests/_support/oidc_provider.py
CLIENT_SECRET = "authgate-test-secret-0123456789abcdef"

adapter = SQLAlchemyAdapter(
    os.environ["LOAD_DATABASE_URL"],
    engine_options={
        "pool_size": int(os.environ.get("LOAD_POOL_SIZE", "5")),
        "max_overflow": int(os.environ.get("LOAD_MAX_OVERFLOW", "5")),
        "pool_timeout": 5,
    },
)


async def authorize(credentials: dict[str, Any], request: Any) -> dict[str, Any] | None:
    email = str(credentials.get("email") or "")
    user = await adapter.get_user_by_email(email) if email else None
    stored = await adapter.get_password_hash(user["id"]) if user else None
    # argon2 costs tens of milliseconds of CPU: in a worker thread, at most 2 x cores at once.
    if await verify_password_async(stored, credentials.get("password")):
        return user
    return None


jwt = os.environ.get("LOAD_SESSIONS", "database") == "jwt"
redis = os.environ["LOAD_REDIS_URL"]
gate = AuthGate(
    AuthConfig(
        adapter=adapter,
        session=SessionConfig(strategy="jwt" if jwt else "database"),
        revocation=RedisRevocationStore(url=redis, prefix="authgate-load:rv:") if jwt else None,
        providers=[
            Credentials(authorize=authorize, database_session=not jwt),
            Email(server=f"smtp://127.0.0.1:{os.environ['LOAD_SMTP_PORT']}"),
            OIDC(
                id="oidc",
                issuer=os.environ["LOAD_ISSUER"],
                client_id=CLIENT_ID,
                client_secret=CLIENT_SECRET,
            ),
        ],
        secret=os.environ["LOAD_SECRET"],
        url=os.environ["LOAD_URL"],
        rate_limit=RateLimit(
            backend=RedisBackend(url=redis, prefix="authgate-load:rl:"),
            per_ip=Policy(free=1_000_000, max_attempts=1_000_000),
            trusted_proxies=1,
        ),
    ),
    env={},
)

app = FastAPI()
signed_in = session_dependency(gate)


@app.get("/api/me")
async def me(session: Annotated[Any, Depends(signed_in)]) -> dict[str, Any]:
    """The API route behind the session dependency."""
    return {"user": session["user"], "pid": os.getpid()}


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    """The adapter and Redis, as ``gate.health()`` sees them."""
    return await gate.health()


app.mount("/api/auth", AuthApp(gate))
