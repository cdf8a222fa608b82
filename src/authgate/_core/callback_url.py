"""Resolve the ``callbackUrl`` through the ``redirect`` callback, refusing what is not a URL.

SECURITY.md, decision 3: an invalid or foreign value falls back to the base URL (v4 answers some
with a 500 and lets a planted cookie lock users out).
"""

from __future__ import annotations

import functools
import logging
import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from authgate._core.callables import AsyncHook

logger = logging.getLogger("authgate")

MAX_URL_CHARS = 2048
# Backslashes and control/space characters are where URL parsers disagree (WHATWG drops tabs
# and newlines and reads "\" as "/"); a real callback URL needs none of them.
_UNCLEAN = re.compile(r"[\x00-\x20\x7f\\]")


def _clean(url: str) -> bool:
    return 0 < len(url) <= MAX_URL_CHARS and _UNCLEAN.search(url) is None


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of an absolute http(s) URL (default port dropped), or ``None``."""
    if not _clean(url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username is not None:
        return None
    if parts.password is not None or "@" in parts.netloc:  # pragma: no cover - username catches it
        return None
    host = parts.hostname
    if ":" in host:
        host = f"[{host}]"
    default = 443 if parts.scheme == "https" else 80
    return f"{parts.scheme}://{host}" + (f":{port}" if port not in (None, default) else "")


def is_valid(url: str) -> bool:
    """A relative path (``/...``) or an absolute http(s) URL that parses unambiguously."""
    if not _clean(url):
        return False
    if url.startswith("/"):
        return True
    return origin_of(url) is not None


def default_redirect(url: str, base_url: str) -> str:
    """Same-origin URLs only; relative paths are resolved against ``base_url``."""
    if url.startswith("/"):
        return f"{base_url}{url}"
    return url if origin_of(url) == base_url else base_url


@functools.lru_cache(maxsize=256)
def _default(candidate: str, base_url: str) -> str:
    # A pure function of its arguments: every request of a browser carries the same cookie.
    return default_redirect(candidate, base_url) if is_valid(candidate) else base_url


def resolve_default(candidate: str | None, base_url: str) -> str:
    """:func:`resolve` without a ``redirect`` callback (synchronous)."""
    return base_url if candidate is None else _default(candidate, base_url)


async def resolve(candidate: str | None, *, base_url: str, redirect: AsyncHook | None) -> str:
    """The absolute URL to send the user to after the flow (``base_url`` when in doubt)."""
    if redirect is None:
        return resolve_default(candidate, base_url)
    if candidate is None:
        return base_url
    if not is_valid(candidate):
        return base_url
    try:
        result = await redirect(url=candidate, base_url=base_url)
    except Exception:
        # It runs on every request: a bug in it must not turn every route into a 500.
        logger.exception(
            "REDIRECT_CALLBACK_ERROR: the redirect callback raised; using the base URL"
        )
        return base_url
    if not isinstance(result, str) or origin_of(result) is None:
        logger.error("redirect callback returned an invalid URL; using the base URL")
        return base_url
    return result
