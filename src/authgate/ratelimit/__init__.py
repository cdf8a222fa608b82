"""Sign-in throttling: per identifier and per client IP, progressive, never a permanent lockout.

SECURITY.md, decision 13 (ASVS 6.3.1, NIST SP 800-63B §3.2.2). next-auth has no throttling at all.

Every credentials sign-in attempt (``POST /callback/<credentials id>``) is counted against two
keys before ``authorize`` runs: the client IP and the identifier the user typed (each of
:attr:`RateLimit.identifier_fields` present in the form, normalised, then hashed with a key
derived from the secret, so no e-mail address or IP reaches the backend). A key has
:attr:`Policy.free` free attempts; after that each attempt must wait an exponentially growing
delay after the previous one (``base_delay * 2**n``, at most ``max_delay``); after
``max_attempts`` the key is refused for ``window`` seconds. A key is forgotten ``window``
seconds after its last counted attempt, so there is no permanent lockout. A successful sign-in
resets the identifier and refunds the IP's attempt. An attempt that is throttled costs nothing
and extends nothing.

Backends: :class:`MemoryBackend` (the default; one process) and
:class:`~authgate.ratelimit.redis.RedisBackend` (several processes or machines; needs the
``redis`` extra). If the backend fails, sign-in is refused (fail closed) and the error logged.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from authgate._validate import names
from authgate.errors import ConfigurationError, ErrorCode
from authgate.ratelimit._workers import several_workers
from authgate.ratelimit.memory import MemoryBackend

if TYPE_CHECKING:
    from authgate.ratelimit.redis import RedisBackend

__all__ = [
    "THROTTLED_CODE",
    "MemoryBackend",
    "Policy",
    "RateLimit",
    "RateLimitBackend",
    "RedisBackend",
    "several_workers",
]

THROTTLED_CODE = ErrorCode.TooManyRequests
"""The ``?error=`` code of a throttled sign-in (shown on the sign-in page)."""

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """How many attempts one key gets, and how it slows down after that.

    Attributes:
        free: Attempts allowed without any delay.
        base_delay: Seconds to wait after the first attempt beyond ``free``; doubles each time.
        max_delay: Cap of that delay.
        max_attempts: After this many attempts the key is refused for ``window``.
        window: Seconds after the last counted attempt until the key is forgotten.
    """

    free: int = 5
    base_delay: float = 1.0
    max_delay: float = 60.0
    max_attempts: int = 20
    window: float = 15 * 60.0

    def __post_init__(self) -> None:
        if not (isinstance(self.free, int) and self.free >= 1):
            raise ConfigurationError("Policy(free) must be an integer >= 1")
        if not (isinstance(self.max_attempts, int) and self.max_attempts >= self.free):
            raise ConfigurationError("Policy(max_attempts) must be an integer >= free")
        if not 0 < self.base_delay <= self.max_delay <= self.window:
            raise ConfigurationError("Policy: need 0 < base_delay <= max_delay <= window (seconds)")

    def retry_after(self, count: int, last: float, now: float) -> float:
        """Wait before another attempt, after ``count`` attempts (the last at ``last``)."""
        if count < self.free:
            return 0.0
        if count >= self.max_attempts:
            wait = self.window
        else:
            wait = min(self.base_delay * 2.0 ** (count - self.free), self.max_delay)
        return max(0.0, last + wait - now)


@runtime_checkable
class RateLimitBackend(Protocol):
    """Where attempt counters live. Each operation must be atomic per key."""

    async def hit(self, key: str, policy: Policy, now: float) -> float:
        """Count an attempt unless the key must wait; return 0, or the seconds to wait."""
        ...

    async def refund(self, key: str) -> None:
        """Take back one counted attempt (a success must not cost an IP its budget)."""
        ...

    async def reset(self, key: str) -> None:
        """Forget the key (a successful sign-in of that identifier)."""
        ...


def parse_proxies(value: int | Sequence[str] | None) -> int | tuple[IPNetwork, ...]:
    """Validate ``trusted_proxies``: a hop count, or addresses/CIDRs of your proxies."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, (int, Sequence)) or isinstance(value, str):
        raise ConfigurationError(
            "RateLimit(trusted_proxies) must be a number of proxies or a list of CIDRs"
        )
    if isinstance(value, int):
        if value < 0:
            raise ConfigurationError("RateLimit(trusted_proxies) must be >= 0")
        return value
    networks = []
    for item in value:
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except (TypeError, ValueError) as exc:
            raise ConfigurationError(
                f"RateLimit(trusted_proxies): {item!r} is not an IP address or CIDR"
            ) from exc
    return tuple(networks)


@dataclass(frozen=True, slots=True, kw_only=True)
class RateLimit:
    """Sign-in throttling settings (``AuthConfig(rate_limit=...)``; ``None`` disables it).

    Attributes:
        backend: Where counters live: :class:`MemoryBackend` (default; one process only) or
            :class:`~authgate.ratelimit.redis.RedisBackend` (shared by every worker).
        per_identifier: Policy for one account identifier, whatever IP it comes from.
        per_ip: Policy for one client IP (IPv6: its /64), whatever account it tries.
        identifier_fields: Form fields naming the account; every non-empty one counts.
        trusted_proxies: ``None``/``0``: the client IP is the socket's peer and
            ``X-Forwarded-For`` is ignored. A number ``n``: the app is only reachable through
            ``n`` proxies that append to ``X-Forwarded-For``; the client is the n-th address from
            the right. A list of addresses/CIDRs: walk ``X-Forwarded-For`` from the right while
            the hop is one of these proxies.
        unavailable_retry_after: ``Retry-After`` seconds when the backend fails (fail closed).
        webauthn_options_per_ip: Policy for ``GET {base}/webauthn-options/<passkey>`` per client
            IP (each answer stores a challenge): beyond it the route answers ``429``.
    """

    backend: RateLimitBackend = field(default_factory=MemoryBackend)
    per_identifier: Policy = field(default_factory=Policy)
    per_ip: Policy = field(
        default_factory=lambda: Policy(free=20, max_attempts=100, max_delay=60.0)
    )
    identifier_fields: tuple[str, ...] = ("username", "email")
    trusted_proxies: int | Sequence[str] | None = None
    unavailable_retry_after: int = 30
    webauthn_options_per_ip: Policy = field(
        default_factory=lambda: Policy(
            free=30, base_delay=1.0, max_delay=30.0, max_attempts=200, window=300.0
        )
    )

    def __post_init__(self) -> None:
        if not isinstance(self.backend, RateLimitBackend):
            raise ConfigurationError(
                "RateLimit(backend) must have async hit(), refund() and reset() methods"
            )
        for name in ("per_identifier", "per_ip", "webauthn_options_per_ip"):
            if not isinstance(getattr(self, name), Policy):
                raise ConfigurationError(f"RateLimit({name}) must be a Policy")
        fields = names("RateLimit(identifier_fields)", self.identifier_fields)
        object.__setattr__(self, "identifier_fields", fields)
        parse_proxies(self.trusted_proxies)
        if not isinstance(self.unavailable_retry_after, int) or self.unavailable_retry_after < 1:
            raise ConfigurationError("RateLimit(unavailable_retry_after) must be >= 1 second")


def __getattr__(name: str) -> Any:
    if name == "RedisBackend":  # imported lazily: it needs the optional ``redis`` package
        from authgate.ratelimit.redis import RedisBackend

        return RedisBackend
    raise AttributeError(name)
