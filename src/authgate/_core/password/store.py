"""Hashing (off the event loop) and the provider's view of the adapter."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import anyio.to_thread

from authgate._core.password.policy import normalize
from authgate.providers.password import Password, default_hash_concurrency

if TYPE_CHECKING:
    from collections.abc import Iterable

    from authgate._core.context import RequestContext
    from authgate.adapters import PasswordStore

__all__ = [
    "hash_new",
    "hashing_limiter",
    "password_provider",
    "store_of",
    "verify",
]


def password_provider(ctx: RequestContext) -> Password | None:
    """The Password provider a request is for: ``?provider=``/``provider`` or the first one."""
    wanted = ctx.request.query.get("provider") or ctx.body.get("provider")
    providers = [p for p in ctx.options.providers.values() if isinstance(p, Password)]
    if isinstance(wanted, str):
        return next((p for p in providers if p.id == wanted), None)
    return providers[0] if providers else None


def store_of(ctx: RequestContext) -> PasswordStore:
    """The adapter as a :class:`PasswordStore` (checked when the gate was built)."""
    return cast("PasswordStore", ctx.options.adapter)


def hashing_limiter(providers: Iterable[object]) -> anyio.CapacityLimiter | None:
    """The gate's bound on argon2id runs at once (``Password(max_concurrent_hashes)``).

    Each run holds 64 MiB; anyio's default thread pool would let 40 run at once (2.5 GiB).
    ``None`` without a Password provider.
    """
    bounds = [
        p.max_concurrent_hashes or default_hash_concurrency()
        for p in providers
        if isinstance(p, Password)
    ]
    return anyio.CapacityLimiter(min(bounds)) if bounds else None


async def hash_new(ctx: RequestContext, password: str) -> str:
    """argon2id of the normalised password, in a worker thread (it takes tens of ms)."""
    # authgate.passwords needs argon2-cffi (the passwords extra): imported only when used.
    from authgate.passwords import _hash_unbounded  # the gate bounds it (max_concurrent_hashes)

    return await anyio.to_thread.run_sync(
        _hash_unbounded, normalize(password), limiter=ctx.options.password_hashing
    )


async def verify(ctx: RequestContext, stored: str | None, password: object) -> tuple[bool, bool]:
    """``(matches, needs_rehash)``; one full argon2id run even without a stored hash."""
    from authgate.passwords import _verify_unbounded, needs_rehash

    candidate = normalize(password) if isinstance(password, str) else password
    ok = await anyio.to_thread.run_sync(
        _verify_unbounded, stored, candidate, limiter=ctx.options.password_hashing
    )
    return ok, bool(ok and stored and needs_rehash(stored))
