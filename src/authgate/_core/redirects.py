"""Building the redirects the actions answer with."""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

from authgate.http import AuthResponse

_SAFE_CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def safe_code(code: str) -> str:
    """An error code fit for a URL and a page; anything odd becomes ``Configuration``."""
    return code if _SAFE_CODE.fullmatch(code) else "Configuration"


def append_query(url: str, params: dict[str, str]) -> str:
    """``url`` with ``params`` appended (``?`` or ``&``), values fully percent-encoded."""
    query = urlencode(params, quote_via=quote)
    return f"{url}{'&' if '?' in url else '?'}{query}"


def to_error(
    url: str, code: str, *, status: int = 302, provider: str | None = None
) -> AuthResponse:
    """Redirect to ``{url}/error?error=code`` (the status matters in JSON mode)."""
    params = {"error": safe_code(code)}
    if provider is not None:
        params["provider"] = provider
    return AuthResponse.to(append_query(f"{url}/error", params), status=status)
