"""Calls to OAuth providers, with the limits of SECURITY.md, decision 8.

https only (plain http only to a loopback host outside production), TLS verified by the client,
no redirects followed, a timeout per call, bodies read up to a size cap, JSON objects only.
Errors say what went wrong without repeating what was sent (codes, verifiers, secrets) or the
body (tokens).
"""

from __future__ import annotations

import ipaddress
import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

if TYPE_CHECKING:
    from collections.abc import Mapping

    from authgate._core.telemetry import Telemetry

MAX_BODY = 1024 * 1024
DEFAULT_TIMEOUT = 10.0
_LOOPBACK_NAMES = frozenset({"localhost"})
_ERROR_CODE = re.compile(r"[A-Za-z0-9_.-]{1,64}")


class ProviderError(Exception):
    """A call to the provider failed; the message is safe to log (no secrets, no body)."""


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def where(url: str) -> str:
    """``scheme://host/path`` of ``url``: what a log line may say about a call."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


class OutboundHTTP:
    """The restricted client every provider call goes through.

    It is also what ``userinfo_request`` receives.
    """

    __slots__ = ("_client", "_insecure_loopback", "_label", "_max_body", "_timeout")

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        allow_loopback_http: bool,
        timeout: float = DEFAULT_TIMEOUT,
        max_body: int = MAX_BODY,
        label: tuple[str, Telemetry] | None = None,
    ) -> None:
        """``label``: the provider id and the gate's telemetry, to time each call."""
        self._client = client
        self._label = label
        self._insecure_loopback = allow_loopback_http
        self._timeout = timeout
        self._max_body = max_body

    def check_url(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme == "https" and parts.hostname:
            return
        loopback = parts.hostname is not None and _is_loopback(parts.hostname)
        if parts.scheme == "http" and loopback and self._insecure_loopback:
            return
        raise ProviderError(f"refusing to call {where(url)}: https is required")

    async def get_json(
        self, url: str, *, headers: Mapping[str, str] | None = None, endpoint: str = "other"
    ) -> dict[str, Any] | list[Any]:
        return await self.request("GET", url, headers=headers, endpoint=endpoint)

    async def post_form(
        self,
        url: str,
        data: Mapping[str, str],
        *,
        headers: Mapping[str, str] | None = None,
        endpoint: str = "other",
    ) -> dict[str, Any] | list[Any]:
        return await self.request("POST", url, headers=headers, data=data, endpoint=endpoint)

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        endpoint: str = "other",
    ) -> dict[str, Any] | list[Any]:
        """Call ``url``; ``endpoint`` names the kind of call for telemetry (``token``, ...)."""
        self.check_url(url)
        if self._label is None:
            return await self._call(method, url, headers, data, None)
        provider, telemetry = self._label
        with telemetry.outbound(provider, endpoint, method) as attributes:
            return await self._call(method, url, headers, data, attributes)

    async def _call(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        data: Mapping[str, str] | None,
        attributes: dict[str, Any] | None,
    ) -> dict[str, Any] | list[Any]:
        sent = {"accept": "application/json", **(headers or {})}
        try:
            async with self._client.stream(
                method,
                url,
                headers=sent,
                data=data,
                follow_redirects=False,
                timeout=httpx.Timeout(self._timeout),
            ) as response:
                status = response.status_code
                if attributes is not None:
                    attributes["http.response.status_code"] = status
                content_type = response.headers.get("content-type", "")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > self._max_body:
                    raise ProviderError(f"{where(url)} answered more than {self._max_body} bytes")
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > self._max_body:
                        raise ProviderError(
                            f"{where(url)} answered more than {self._max_body} bytes"
                        )
        except httpx.TimeoutException as exc:
            raise ProviderError(f"{where(url)} timed out after {self._timeout} s") from exc
        except httpx.HTTPError as exc:
            raise ProviderError(f"{where(url)} failed: {type(exc).__name__}") from exc
        return _json(url, status, content_type, bytes(body))


def _json(url: str, status: int, content_type: str, body: bytes) -> dict[str, Any] | list[Any]:
    if 300 <= status < 400:
        raise ProviderError(f"{where(url)} answered a redirect ({status}), not followed")
    kind = content_type.split(";", 1)[0].strip().lower()
    parsed: Any = None
    if "html" not in kind and "xml" not in kind:
        try:
            parsed = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            parsed = None
    if status >= 400:
        # An OAuth error object's code is safe to log (RFC 6749 §5.2); its description may
        # echo what was sent, so it is left out.
        code = parsed.get("error") if isinstance(parsed, dict) else None
        detail = f" ({code})" if isinstance(code, str) and _ERROR_CODE.fullmatch(code) else ""
        raise ProviderError(f"{where(url)} answered HTTP {status}{detail}")
    if not isinstance(parsed, (dict, list)):
        raise ProviderError(f"{where(url)} did not answer JSON ({kind or 'no content type'})")
    return parsed
