"""The sign-in limiter the engine calls: keys, client IP, and the two-key protocol.

Internal: built by ``authgate._core.options`` from :class:`~authgate.ratelimit.RateLimit` and the
secret; it holds no state of its own (the counters live in the backend).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import math
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from authgate._crypto.keys import RATE_LIMIT, purpose_key
from authgate.ratelimit import parse_proxies

if TYPE_CHECKING:
    from collections.abc import Mapping

    from authgate.http import AuthRequest
    from authgate.ratelimit import IPNetwork, Policy, RateLimit

logger = logging.getLogger("authgate")

MAX_IDENTIFIER_CHARS = 1024


@dataclass(frozen=True, slots=True)
class Attempt:
    """A counted attempt: the keys to settle when its outcome is known."""

    ip_key: str
    identifier_keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Throttled:
    """The attempt must not proceed; ``retry_after`` whole seconds (>= 1)."""

    retry_after: int


def _parse_ip(value: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not value:
        return None
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1 : value.index("]")]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def bucket(address: ipaddress.IPv4Address | ipaddress.IPv6Address | None, raw: str | None) -> str:
    """The throttling bucket of an address: itself for IPv4, its /64 for IPv6."""
    if address is None:
        return f"other:{(raw or 'unknown')[:200]}"
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def client_ip(request: AuthRequest, trusted: int | tuple[IPNetwork, ...]) -> str:
    """The client's bucket: the socket peer, or from ``X-Forwarded-For`` through trusted proxies.

    A forged ``X-Forwarded-For`` only adds entries on the left, which are never read.
    """
    peer = request.client_host
    if not trusted:
        return bucket(_parse_ip(peer), peer)
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",")]
    hops = [h for h in hops if h]
    if isinstance(trusted, int):
        # n proxies each append what they saw: the client is the n-th entry from the right.
        if not hops:
            return bucket(_parse_ip(peer), peer)
        chosen = hops[-trusted] if len(hops) >= trusted else hops[0]
        address = _parse_ip(chosen)
        return bucket(address, peer) if address is not None else bucket(_parse_ip(peer), peer)
    current = _parse_ip(peer)
    if current is None:
        return bucket(None, peer)
    for hop in reversed(hops):
        if not any(current in net for net in trusted):
            break
        previous = _parse_ip(hop)
        if previous is None:  # garbage only ever comes from the client's side: stop here
            break
        current = previous
    return bucket(current, peer)


def normalise_identifier(value: object) -> str | None:
    """The key of an identifier value; ``None`` when absent or blank.

    Text is NFKC-normalised, trimmed and case-folded (``Ada@Example.com`` and
    ``ada@example.com`` are one key). A JSON body can send any type, and ``authorize`` sees it
    whole, so every other value counts too: a number as its decimal text (``4711``,
    ``"4711"`` and ``4711.0`` are one key), anything else as canonical JSON.
    """
    if value is None or isinstance(value, str):
        text = value or ""
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif isinstance(value, (bool, int, float)):
        text = json.dumps(value)
    else:
        text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=repr)
    text = unicodedata.normalize("NFKC", text[:MAX_IDENTIFIER_CHARS]).strip().casefold()
    return text or None


class SignInLimiter:
    """Counts sign-in attempts against a client IP and an identifier."""

    def __init__(self, config: RateLimit, secret: str) -> None:
        self.config = config
        self.backend = config.backend
        self._trusted = parse_proxies(config.trusted_proxies)
        # Keys are HMACs under a key derived from the secret: no identifier or IP in the backend,
        # and no dictionary attack on the stored hashes without the secret.
        self._key = purpose_key(secret, RATE_LIMIT)

    def _hash(self, kind: str, value: str) -> str:
        # surrogatepass: whatever reaches here is hashed, never an exception (a lone surrogate).
        data = f"{kind}\x00{value}".encode("utf-8", "surrogatepass")
        digest = hmac.new(self._key, data, hashlib.sha256)
        return f"{kind}:{digest.hexdigest()[:40]}"

    def client_ip(self, request: AuthRequest) -> str:
        return client_ip(request, self._trusted)

    def identifiers(self, fields: Mapping[str, Any]) -> tuple[str, ...]:
        """Every non-empty identifier field of the form, normalised (duplicates once).

        All of them count, whatever their type: were only the first one (or only strings)
        counted, a made-up ``username`` next to the ``email`` an ``authorize`` reads, or
        ``{"username": 4711}``, would give every attempt a fresh budget.
        """
        found: dict[str, None] = {}
        for name in self.config.identifier_fields:
            key = normalise_identifier(fields.get(name))
            if key is not None:
                found[key] = None
        return tuple(found)

    def _throttled(self, seconds: float) -> Throttled:
        return Throttled(max(1, math.ceil(seconds)))

    async def acquire(
        self, *, identifiers: tuple[str, ...], client: str, now: float
    ) -> Attempt | Throttled:
        """Count an attempt against the IP, then each identifier; fail closed on backend errors."""
        ip_key = self._hash("ip", client)
        id_keys = tuple(self._hash("id", identifier) for identifier in identifiers)
        try:
            wait = await self.backend.hit(ip_key, self.config.per_ip, now)
            if wait > 0:
                return self._throttled(wait)
            for i, id_key in enumerate(id_keys):
                wait = await self.backend.hit(id_key, self.config.per_identifier, now)
                if wait > 0:
                    # A throttled attempt costs nothing.
                    for counted in (ip_key, *id_keys[:i]):
                        await self.backend.refund(counted)
                    return self._throttled(wait)
        except Exception as exc:  # noqa: BLE001 - any backend failure: fail closed
            logger.error(
                "RATE_LIMIT_UNAVAILABLE: the rate-limit backend failed (%s); refusing sign-in",
                type(exc).__name__,
            )
            return Throttled(self.config.unavailable_retry_after)
        return Attempt(ip_key, id_keys)

    async def acquire_client(
        self, scope: str, policy: Policy, *, client: str, now: float
    ) -> Throttled | None:
        """Count a request of ``scope`` against the client IP alone; fail closed likewise."""
        try:
            wait = await self.backend.hit(self._hash(scope, client), policy, now)
        except Exception as exc:  # noqa: BLE001 - any backend failure: fail closed
            logger.error(
                "RATE_LIMIT_UNAVAILABLE: the rate-limit backend failed (%s); refusing %s",
                type(exc).__name__,
                scope,
            )
            return Throttled(self.config.unavailable_retry_after)
        return self._throttled(wait) if wait > 0 else None

    async def succeeded(self, attempt: Attempt) -> None:
        """A correct sign-in: forget the identifier's failures, refund the IP's attempt.

        With several identifiers nothing is forgotten: which one ``authorize`` vouched for is
        unknown, and a success on one's own account must not clear a victim's count.
        """
        try:
            if len(attempt.identifier_keys) == 1:
                await self.backend.reset(attempt.identifier_keys[0])
            await self.backend.refund(attempt.ip_key)
        except Exception as exc:  # noqa: BLE001 - the sign-in itself succeeded
            logger.error(
                "RATE_LIMIT_UNAVAILABLE: could not reset counters after a sign-in (%s)",
                type(exc).__name__,
            )
