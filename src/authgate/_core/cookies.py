"""Cookie names and attributes (next-auth v4 ``cookie.ts``) and session-cookie chunking."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from authgate.http import Cookie, new_cookie

if TYPE_CHECKING:
    from collections.abc import Mapping

    from authgate.config import CookieOption

# next-auth v4 SessionStore: 4096 allowed, 163 estimated for name and attributes.
CHUNK_SIZE = 4096 - 163
CHECK_COOKIE_MAX_AGE = 15 * 60
WEBAUTHN_CHALLENGE_MAX_AGE = 5 * 60  # Auth.js: 15 minutes (compatibility.md)


@dataclass(frozen=True, slots=True)
class CookieSpec:
    """A cookie's name and attributes; values are filled in per response."""

    name: str
    secure: bool
    http_only: bool = True
    same_site: str = "lax"
    path: str = "/"
    domain: str | None = None
    max_age: int | None = None

    def make(
        self,
        value: str,
        *,
        expires: datetime | None = None,
        max_age: int | None = None,
        name: str | None = None,
    ) -> Cookie:
        return new_cookie(
            self.name if name is None else name,
            value,
            self.path,
            self.domain,
            max_age if max_age is not None else self.max_age,
            expires,
            self.http_only,
            self.secure,
            self.same_site,  # type: ignore[arg-type]
        )

    def delete(self, name: str | None = None) -> Cookie:
        return self.make("", max_age=0, name=name or self.name)


@dataclass(frozen=True, slots=True)
class CookieSet:
    """The cookies of one deployment (secure or not), after user overrides."""

    session_token: CookieSpec
    callback_url: CookieSpec
    csrf_token: CookieSpec
    pkce_code_verifier: CookieSpec
    state: CookieSpec
    nonce: CookieSpec
    webauthn_challenge: CookieSpec


def default_cookies(
    *, secure: bool, overrides: Mapping[str, CookieOption], prefix: str = "next-auth"
) -> CookieSet:
    """Build the cookie set; an override replaces a whole entry, as in v4."""
    secure_prefix = "__Secure-" if secure else ""
    host_prefix = "__Host-" if secure else ""
    specs = {
        "session_token": CookieSpec(f"{secure_prefix}{prefix}.session-token", secure),
        "callback_url": CookieSpec(f"{secure_prefix}{prefix}.callback-url", secure),
        "csrf_token": CookieSpec(f"{host_prefix}{prefix}.csrf-token", secure),
        "pkce_code_verifier": CookieSpec(
            f"{secure_prefix}{prefix}.pkce.code_verifier", secure, max_age=CHECK_COOKIE_MAX_AGE
        ),
        "state": CookieSpec(f"{secure_prefix}{prefix}.state", secure, max_age=CHECK_COOKIE_MAX_AGE),
        "nonce": CookieSpec(f"{secure_prefix}{prefix}.nonce", secure),
        "webauthn_challenge": CookieSpec(
            f"{secure_prefix}{prefix}.challenge", secure, max_age=WEBAUTHN_CHALLENGE_MAX_AGE
        ),
    }
    for key, option in overrides.items():
        specs[key] = CookieSpec(
            option.name,
            secure if option.secure is None else option.secure,
            http_only=option.http_only,
            same_site=option.same_site,
            path=option.path,
            domain=option.domain,
            max_age=option.max_age,
        )
    return CookieSet(**specs)


def session_chunk_names(cookies: Mapping[str, str], name: str) -> list[str]:
    """Every cookie of the request that belongs to the session cookie ``name``."""
    prefix = name + "."
    return [k for k in cookies if k == name or k.startswith(prefix)]


def write_session(
    spec: CookieSpec,
    value: str,
    *,
    expires: datetime,
    present: Mapping[str, str],
    chunk_size: int = CHUNK_SIZE,
) -> list[Cookie]:
    """Cookies that store ``value``, chunked above ``chunk_size`` characters (v4: 3933).

    Stale chunks of the request are deleted.
    """
    count = math.ceil(len(value) / chunk_size)
    if count <= 1 and _only(present, spec.name):  # the common case: one cookie, no chunks
        return [spec.make(value, expires=expires)]
    # Present chunks keep their place; those not rewritten below are deleted.
    out: dict[str, Cookie | None] = dict.fromkeys(session_chunk_names(present, spec.name))
    if count <= 1:
        out[spec.name] = spec.make(value, expires=expires)
    else:
        for i in range(count):
            name = f"{spec.name}.{i}"
            chunk = value[i * chunk_size : (i + 1) * chunk_size]
            out[name] = spec.make(chunk, expires=expires, name=name)
    return [spec.delete(name) if cookie is None else cookie for name, cookie in out.items()]


def _only(present: Mapping[str, str], name: str) -> bool:
    # No chunk of ``name`` in the request (at most the plain cookie).
    prefix = name + "."
    for key in present:
        if key.startswith(prefix):
            break
    else:
        return True
    return False


def clear_session(spec: CookieSpec, present: Mapping[str, str]) -> list[Cookie]:
    """Deletion cookies for every session chunk the request carried."""
    return [spec.delete(n) for n in session_chunk_names(present, spec.name)]


def expires_in(seconds: int, now: float) -> datetime:
    return datetime.fromtimestamp(now, UTC) + _delta(seconds)


@functools.lru_cache(maxsize=16)
def _delta(seconds: int) -> timedelta:
    # A pure memo: the same few lifetimes, on every re-issued session cookie.
    return timedelta(seconds=seconds)
