"""The double-submit CSRF token: cookie ``token|hash``, both 64 hex characters (v4's shape).

SECURITY.md, decision 1: the hash is an HMAC of the token under the CSRF key derived from the
secret (v4: ``sha256(token + secret)``, the construction it also used for e-mail tokens); token
and hash are compared in constant time, and a malformed or duplicated cookie is simply "no
token" (a new one is minted), never an exception.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from typing import Any

from authgate._crypto.tokens import equal, keyed_hex, random_hex
from authgate.http import mutable_twin

_HEX64 = re.compile(r"[0-9a-f]{64}")

logger = logging.getLogger("authgate")


@dataclass(frozen=True, slots=True)
class CsrfState:
    token: str
    cookie_value: str | None  # set when a new cookie must be sent
    verified: bool


def trusted_token(cookie_value: str | None, key: bytes) -> str | None:
    """The token in a cookie we issued, or ``None`` if the cookie is absent or forged."""
    if not cookie_value or len(cookie_value) != 129:
        return None
    return _verified(cookie_value, key)


@functools.lru_cache(maxsize=256)
def _verified(cookie_value: str, key: bytes) -> str | None:
    # A pure memo: a browser sends the same CSRF cookie on every request, and its HMAC check
    # was about a tenth of GET /session. Only 129-character values get here.
    token, sep, digest = cookie_value.partition("|")
    if not sep or not _HEX64.fullmatch(token) or not _HEX64.fullmatch(digest):
        return None
    return token if equal(digest, keyed_hex(key, token)) else None


def mint(key: bytes) -> tuple[str, str]:
    """A new token and the cookie value that carries it."""
    token = random_hex(32)
    return token, f"{token}|{keyed_hex(key, token)}"


def resolve(
    cookie_value: str | None, body_token: object, *, key: bytes, is_post: bool
) -> CsrfState:
    """Trust the cookie's token if we signed it; a POST is verified when the body echoes it."""
    token = trusted_token(cookie_value, key)
    if token is None:
        if is_post and not cookie_value and isinstance(body_token, str):
            _report_missing_cookie()
        token, value = mint(key)
        return _new_state(token, value, False)
    if not is_post:
        return _kept(token)
    verified = isinstance(body_token, str) and equal(body_token, token)
    return CsrfState(token, None, verified)


_StateTwin = mutable_twin(CsrfState)


def _new_state(token: str, cookie_value: str | None, verified: bool) -> CsrfState:
    # ``CsrfState(...)`` without the frozen ``__init__`` (see ``authgate.http.new_request``).
    twin: Any = _StateTwin(token, cookie_value, verified)
    twin.__class__ = CsrfState
    return twin  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=256)
def _kept(token: str) -> CsrfState:
    # A pure memo (CsrfState is frozen): a GET with a good cookie, on every request.
    return CsrfState(token, None, verified=False)


@functools.cache  # once per process: a hint for the developer, not a request log
def _report_missing_cookie() -> None:
    # The form carried a token but the browser sent no cookie: the page that rendered the
    # form most likely dropped the cookie (issue 15's footgun); the post is refused silently.
    logger.debug(
        "CSRF_COOKIE_MISSING: a POST carried a csrfToken but no CSRF cookie, so it was refused "
        "(the redirect to ?csrf=true). The page that rendered the form must send the cookie of "
        "its CSRF token: set CsrfToken.cookies on the response you actually return (Starlette/"
        "FastAPI: authgate.integrations.starlette.set_cookies). Logged once per process"
    )
