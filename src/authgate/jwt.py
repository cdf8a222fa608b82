"""Session tokens in next-auth v4's or Auth.js v5's format: encode, decode, read from requests.

- ``profile="nextauth-v4"`` (the default): a compact JWE (``dir`` + ``A256GCM``) under a key
  derived with HKDF-SHA256 from the secret (salt ``""`` for session tokens).
- ``profile="authjs-v5"``: ``dir`` + ``A256CBC-HS512`` with a ``kid``, the key derived with the
  cookie name as salt (mandatory); ``A256GCM`` v5 tokens are decoded too.

So a Next.js app using next-auth v4 or Auth.js v5 and a Python app using authgate can read each
other's sessions when they share the secret.

>>> token = encode({"sub": "1", "name": "Ada"}, "secret")
>>> decode(token, "secret")["name"]
'Ada'
"""

from __future__ import annotations

import functools
import math
import os
import time
from typing import TYPE_CHECKING, Any

from authgate._crypto.jwe import JWEError, KeyRing
from authgate._crypto.jwe_v5 import V5KeyRing
from authgate._crypto.keys import v4_key
from authgate._crypto.remembered import RememberingRing
from authgate.config import DEFAULT_MAX_AGE, Profile
from authgate.errors import TokenError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from authgate.http import AuthRequest
    from authgate.types import JWT

__all__ = ["CLOCK_TOLERANCE", "JWTCodec", "decode", "encode", "get_token"]

CLOCK_TOLERANCE = 15
"""Seconds of clock skew accepted on ``exp`` / ``nbf`` (next-auth v4's ``clockTolerance``)."""

SESSION_COOKIE = "next-auth.session-token"
SECURE_SESSION_COOKIE = "__Secure-next-auth.session-token"
V5_SESSION_COOKIE = "authjs.session-token"
V5_SECURE_SESSION_COOKIE = "__Secure-authjs.session-token"
PROFILES: tuple[Profile, ...] = ("nextauth-v4", "authjs-v5")


def session_cookie_name(profile: Profile = "nextauth-v4", *, secure: bool = False) -> str:
    """The session cookie name of ``profile`` (``__Secure-`` prefixed when ``secure``)."""
    name = V5_SESSION_COOKIE if profile == "authjs-v5" else SESSION_COOKIE
    return f"__Secure-{name}" if secure else name


def _secrets(secret: str | Sequence[str]) -> tuple[str, ...]:
    secrets = (secret,) if isinstance(secret, str) else tuple(secret)
    if not secrets or any(not isinstance(s, str) or not s for s in secrets):
        raise ValueError("secret must be a non-empty string or a non-empty list of them")
    return secrets


class JWTCodec:
    """Encodes and decodes tokens under fixed secrets; keys are derived once, here.

    Args:
        secret: One secret, or several for rotation (the first encodes, any decodes).
        salt: v4: ``""`` for session tokens, the cookie name for the check cookies.
            v5: always the cookie name (``authjs.session-token``); required.
        profile: ``"nextauth-v4"`` (default) or ``"authjs-v5"``.
        remember: Keep the claims of up to this many recently encoded or decoded tokens, so a
            token decoded again is not decrypted again (``exp``/``nbf`` are still checked on
            every decode). ``0`` (default): decrypt every time.
    """

    __slots__ = ("_ring",)

    def __init__(
        self,
        secret: str | Sequence[str],
        *,
        salt: str = "",
        profile: Profile = "nextauth-v4",
        remember: int = 0,
    ) -> None:
        secrets = _secrets(secret)
        self._ring: KeyRing | V5KeyRing | RememberingRing
        if profile == "authjs-v5":
            if not salt:
                raise ValueError(
                    "Auth.js v5 tokens need salt= the cookie name, e.g. 'authjs.session-token'"
                )
            self._ring = V5KeyRing(list(secrets), salt)
        elif profile == "nextauth-v4":
            self._ring = KeyRing([v4_key(s, salt) for s in secrets])
        else:
            raise ValueError(f"unknown token profile {profile!r}; use one of {PROFILES}")
        if remember > 0:
            self._ring = RememberingRing(self._ring, remember)

    def forget(self) -> None:
        """Forget the remembered tokens (``remember``): the next decode of each decrypts it."""
        if isinstance(self._ring, RememberingRing):
            self._ring.forget()

    def encode(
        self, token: Mapping[str, Any], *, max_age: int = DEFAULT_MAX_AGE, now: float | None = None
    ) -> str:
        """Encrypt ``token``, setting ``iat``, ``exp`` and a fresh ``jti`` (overwriting any)."""
        issued = math.floor(time.time() if now is None else now)
        # One os.urandom call for the jti and the IV of this seal: fresh bytes, each used once.
        fresh = os.urandom(16 + self._ring.IV_BYTES)
        claims = {**token, "iat": issued, "exp": issued + max_age, "jti": _uuid4(fresh)}
        return self._ring.seal_json(claims, fresh[16:])

    def decode(self, token: str, *, now: float | None = None) -> JWT:
        """Decrypt and validate ``token``.

        Raises:
            TokenError: It is malformed, was encrypted under another secret, was tampered with,
                or has expired (beyond :data:`CLOCK_TOLERANCE`).
        """
        try:
            claims = self._ring.open_json(token)
        except JWEError as exc:
            raise TokenError(str(exc)) from exc
        if now is None:
            now = time.time()
        exp = claims.get("exp")
        # What encode() writes (integer iat and exp, no nbf), checked here: every read runs it.
        if type(exp) is int and type(claims.get("iat")) is int and "nbf" not in claims:
            if exp <= now - CLOCK_TOLERANCE:
                raise TokenError(_EXPIRED)
        else:
            _check_times(claims, now)
        return claims


_EXPIRED = '"exp" claim timestamp check failed'


def _check_times(claims: dict[str, Any], now: float) -> None:
    for name in ("exp", "nbf", "iat"):
        # Present means it must be a number, null included (as jose in next-auth).
        value = claims.get(name, 0)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TokenError(f'"{name}" claim must be a number')
    exp = claims.get("exp")
    if exp is not None and exp <= now - CLOCK_TOLERANCE:
        raise TokenError(_EXPIRED)
    nbf = claims.get("nbf")
    if nbf is not None and nbf > now + CLOCK_TOLERANCE:
        raise TokenError('"nbf" claim timestamp check failed')


@functools.lru_cache(maxsize=32)
def _codec(secrets: tuple[str, ...], salt: str, profile: Profile = "nextauth-v4") -> JWTCodec:
    return JWTCodec(secrets, salt=salt, profile=profile)


def encode(
    token: Mapping[str, Any],
    secret: str | Sequence[str],
    *,
    max_age: int = DEFAULT_MAX_AGE,
    salt: str = "",
    now: float | None = None,
    profile: Profile = "nextauth-v4",
) -> str:
    """Encode ``token`` like next-auth v4's (or @auth/core's) ``encode({token, secret, ...})``."""
    return _codec(_secrets(secret), salt, profile).encode(token, max_age=max_age, now=now)


def decode(
    token: str,
    secret: str | Sequence[str],
    *,
    salt: str = "",
    now: float | None = None,
    profile: Profile = "nextauth-v4",
) -> JWT:
    """Decode a token like next-auth v4's (or @auth/core's) ``decode({token, secret, salt})``.

    Raises:
        TokenError: The token is invalid or expired.
    """
    return _codec(_secrets(secret), salt, profile).decode(token, now=now)


def read_chunked_cookie(cookies: Mapping[str, str], name: str) -> str | None:
    """Join a cookie that may be split into ``name.0``, ``name.1``, ... (next-auth chunking)."""
    from authgate._core.session_reader import join_chunks  # late: _core imports us

    return join_chunks(cookies, name)


def get_token(
    request: AuthRequest,
    secret: str | Sequence[str],
    *,
    secure_cookie: bool = False,
    cookie_name: str | None = None,
    raw: bool = False,
    now: float | None = None,
    profile: Profile = "nextauth-v4",
    salt: str | None = None,
) -> JWT | str | None:
    """Read the session token of ``request`` (cookie, else ``Authorization: Bearer``).

    Returns the decoded claims (or the raw token with ``raw=True``), or ``None`` when there is
    no valid token. Never raises for a bad token. With ``profile="authjs-v5"`` the cookie is
    ``authjs.session-token`` and ``salt`` defaults to the cookie name, as in @auth/core.
    """
    from authgate._core.session_reader import TokenSource, find_token

    name = cookie_name or session_cookie_name(profile, secure=secure_cookie)
    v5 = profile == "authjs-v5"
    source = TokenSource((name,), skip_empty=v5, bearer=True)
    found = find_token(request.cookies, request.headers, source)
    if found is None:
        return None
    if raw:
        return found[1]
    if salt is None:
        salt = name if v5 else ""
    try:
        return decode(found[1], secret, salt=salt, now=now, profile=profile)
    except TokenError:
        return None


# The RFC 4122 variant character of a UUID v4, by the hex digit the random byte had there:
# byte 8 becomes 0b10xxxxxx (its top two bits replaced), so its high digit is 8, 9, a or b.
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def _uuid4(fresh: bytes) -> str:
    """``str(uuid.UUID(bytes=fresh[:16], version=4))``, without the UUID object.

    It runs on every re-issue. The version digit (byte 6's high half) is ``4``; the variant
    digit comes from :data:`_VARIANT`: the same string as ``uuid``'s, bit for bit.
    """
    h = fresh.hex()  # of 16 bytes or more: the first 32 digits are used
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"
