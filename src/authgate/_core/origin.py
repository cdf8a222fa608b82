"""Where the auth API lives for this request: the configured URL, or the Host header if trusted.

SECURITY.md, decision 12: a configured URL always wins; ``Host`` / ``X-Forwarded-*`` are used
only with ``trust_host`` (``AUTH_TRUST_HOST``), which is never on by default.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from authgate._core.options import InternalOptions
    from authgate.http import AuthRequest

_HOST = re.compile(
    r"(?:\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)(?::\d{1,5})?"
)


@dataclass(frozen=True, slots=True)
class Location:
    origin: str  # e.g. http://localhost:8000 (the ``baseUrl`` of the redirect callback)
    url: str  # e.g. http://localhost:8000/api/auth (``{url}`` in the spec)
    secure: bool


def _first(value: str | None) -> str | None:
    return value.split(",", 1)[0].strip() if value else None


@functools.lru_cache(maxsize=16)
def _fixed(origin: str, base_path: str, secure: bool) -> Location:
    # A pure memo (Location is frozen): a configured URL is the same on every request.
    return Location(origin, origin + base_path, secure)


def locate(request: AuthRequest, options: InternalOptions) -> Location | None:
    """The location of the API for ``request``; ``None`` when the Host header is unusable."""
    fixed = options.fixed_url
    if fixed is not None:
        return _fixed(fixed.origin, options.base_path, fixed.secure)
    headers = request.headers
    host = _first(headers.get("x-forwarded-host")) or headers.get("host", "")
    if not _HOST.fullmatch(host):
        return None
    scheme = (_first(headers.get("x-forwarded-proto")) or request.scheme).lower()
    if scheme not in ("http", "https"):
        return None
    host = host.lower()
    if (scheme == "http" and host.endswith(":80")) or (scheme == "https" and host.endswith(":443")):
        host = host.rsplit(":", 1)[0]
    origin = f"{scheme}://{host}"
    return Location(origin, origin + options.base_path, scheme == "https")


_DEFAULT_PORTS = {"http": "80", "https": "443"}


def _normalised_origin(value: str) -> str | None:
    scheme, sep, rest = value.strip().partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in _DEFAULT_PORTS or not _HOST.fullmatch(rest):
        return None
    host = rest.lower()
    if host.endswith(":" + _DEFAULT_PORTS[scheme]):
        host = host.rsplit(":", 1)[0]
    return f"{scheme}://{host}"


def cross_site(request: AuthRequest, location: Location) -> bool:
    """Whether a browser tells us this POST comes from another site (defence in depth).

    ``Sec-Fetch-Site: cross-site`` is refused. An ``Origin`` other than ours is refused unless
    ``Sec-Fetch-Site`` says ``same-site`` (a sibling subdomain's custom sign-in page).
    ``Origin: null`` is not refused: browsers send it for a form POST from a page with
    ``Referrer-Policy: no-referrer`` (Fetch §3.1), which the built-in pages use. A request with
    neither header (curl, a server, an old browser) is not refused: the CSRF token still applies.
    """
    headers = request.headers
    fetch_site = headers.get("sec-fetch-site", "").strip().lower()
    if fetch_site == "cross-site":
        return True
    origin = headers.get("origin")
    if origin is None or origin.strip() == "null" or fetch_site == "same-site":
        return False
    return _normalised_origin(origin) != location.origin
