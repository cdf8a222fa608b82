"""Serve the auth API as a plain ASGI application (no framework needed).

>>> app.mount(auth.base_path, AuthApp(auth))        # Starlette / FastAPI
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any

from authgate._core.body import MAX_BODY_BYTES  # one limit: the core refuses the same size
from authgate.http import (
    CONSTANT_HEADER_LISTS,
    CONSTANT_HEADERS,
    AuthRequest,
    AuthResponse,
    new_request,
    parse_query,
    shared_cookies,
)

if TYPE_CHECKING:
    from authgate.gate import AuthGate
    from authgate.types import Session

__all__ = [
    "MAX_BODY_BYTES",
    "AuthApp",
    "PathPrefixes",
    "request_from_scope",
    "route_path",
    "send_response",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def full_path(scope: Scope) -> str:
    """The request path including the mount prefix (``root_path``).

    Servers and frameworks split ``root_path`` and ``path`` differently; this undoes either.
    """
    path: str = scope.get("path", "/")
    root: str = scope.get("root_path", "")
    if root and not path.startswith(root):
        return root + path
    return path


def route_path(scope: Scope) -> str:
    """The path the app routes on: ``path`` without the mount prefix (``root_path``).

    ``uvicorn --root-path /app`` and Starlette's ``Mount`` put the prefix into both ``path``
    and ``root_path``; routing (Starlette's ``get_route_path``) strips it again.
    """
    path: str = scope.get("path", "/")
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and (len(path) == len(root) or path[len(root)] == "/"):
        return path[len(root) :] or "/"
    return path


def _normalised(path: str) -> str:
    # Case-folded, repeated slashes collapsed, "." and ".." resolved: every spelling a router,
    # a proxy or a case-insensitive file system might take for the same place.
    segments: list[str] = []
    for segment in path.casefold().split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    return "/" + "/".join(segments)


class PathPrefixes:
    """Path prefixes such as ``["/admin", "/api/"]``: a prefix covers itself and everything below.

    A path matches when its route path (:func:`route_path`) or its normalised form
    (case-folded, ``//`` collapsed, dot segments resolved) is under a prefix: protection errs
    on the side of protecting. ``%2F`` arrives decoded in an ASGI ``path``, so it is a slash.
    """

    __slots__ = ("_prefixes",)

    def __init__(self, prefixes: Iterable[str]) -> None:
        self._prefixes = tuple(_normalised(p).rstrip("/") for p in prefixes)

    def __bool__(self) -> bool:
        return bool(self._prefixes)

    def match(self, path: str) -> bool:
        """Whether ``path`` (a route path) is under one of the prefixes."""
        if not self._prefixes:
            return False
        candidates = {path.casefold(), _normalised(path)}
        return any(
            candidate == prefix or candidate.startswith(prefix + "/") or prefix == ""
            for candidate in candidates
            for prefix in self._prefixes
        )


def request_from_scope(scope: Scope, body: bytes = b"") -> AuthRequest:
    """Convert an ASGI HTTP scope (and its body) into an :class:`AuthRequest`."""
    return _request(scope, body, query=True)


def _request(scope: Scope, body: bytes, *, query: bool) -> AuthRequest:
    raw = scope.get("headers", ())
    if type(raw) is not list:
        raw = list(raw)
    # What ASGI servers send (lower-case names, each once, one Cookie header) is read through
    # a dict of the raw bytes: the Cookie header is decoded now, the others when first read
    # (GET /session with a configured URL reads none). Repeated headers (joined) or upper-case
    # names take the general path.
    by_name = dict(raw)
    names = b"".join(by_name)
    if len(by_name) != len(raw) or names.lower() != names:
        return _general_request(scope, raw, body, query=query)
    cookie = by_name.get(b"cookie")
    cookies, duplicates = shared_cookies(cookie.decode("latin-1") if cookie is not None else "")
    path: str = scope.get("path", "/")  # full_path, inline: this runs on every request
    root: str = scope.get("root_path", "")
    if root and not path.startswith(root):
        path = root + path
    query_string = scope.get("query_string") if query else None
    client = scope.get("client")
    return new_request(
        scope.get("method", "GET").upper(),
        path,
        parse_query(query_string) if query_string else {},
        _Headers(by_name),
        cookies,
        duplicates,
        body,
        client[0] if client else None,
        scope.get("scheme", "http"),
    )


def _general_request(
    scope: Scope, raw: list[tuple[bytes, bytes]], body: bytes, *, query: bool
) -> AuthRequest:
    # Repeated headers (joined), upper-case names: AuthRequest.build's rules.
    client = scope.get("client")
    return AuthRequest.build(
        method=scope.get("method", "GET"),
        path=full_path(scope),
        query_string=scope.get("query_string", b"") if query else b"",
        headers=((k.decode("latin-1"), v.decode("latin-1")) for k, v in raw),
        body=body,
        client_host=client[0] if client else None,
        scheme=scope.get("scheme", "http"),
    )


class _Headers(Mapping[str, str]):
    """The request headers, decoded (latin-1) on first use: a read-only mapping.

    ``raw`` maps each lower-case header name to its value, as bytes, each name once.
    """

    __slots__ = ("_decoded", "_raw")

    def __init__(self, raw: dict[bytes, bytes]) -> None:
        self._raw = raw
        self._decoded: dict[str, str] | None = None

    def _headers(self) -> dict[str, str]:
        decoded = self._decoded
        if decoded is None:
            decoded = self._decoded = {
                k.decode("latin-1"): v.decode("latin-1") for k, v in self._raw.items()
            }
        return decoded

    def __getitem__(self, name: str) -> str:
        return self._headers()[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self._headers().get(name, default)

    def __contains__(self, name: object) -> bool:
        return name in self._headers()

    def __iter__(self) -> Iterator[str]:
        return iter(self._headers())

    def __len__(self) -> int:
        return len(self._raw)

    def __eq__(self, other: object) -> bool:
        return self._headers() == other

    __hash__ = None  # type: ignore[assignment]  # like a dict

    def __repr__(self) -> str:
        return repr(self._headers())


def _scope_cookies(scope: Scope) -> Mapping[str, str] | None:
    # The cookies of what ASGI servers send (see _request); None for anything else.
    raw = scope.get("headers", ())
    if type(raw) is not list:
        return None
    by_name = dict(raw)
    names = b"".join(by_name)
    if len(by_name) != len(raw) or names.lower() != names:
        return None
    cookie = by_name.get(b"cookie")
    return shared_cookies(cookie.decode("latin-1") if cookie is not None else "")[0]


SESSIONS = "authgate.sessions"
"""The scope key of the sessions read for this request, by gate (read once per request)."""


async def session_of_scope(scope: Scope, gate: AuthGate) -> Session | None:
    """``gate.get_session`` for this ASGI request, read once and kept in the scope.

    Several FastAPI dependencies, a middleware and the endpoint then share one decode.
    """
    cache: dict[AuthGate, Session | None] | None = scope.get(SESSIONS)
    if cache is None:
        cache = scope[SESSIONS] = {}
    elif gate in cache:
        return cache[gate]
    # The query and body are of no use to a session read; the whole request is built only
    # when the cookie names depend on it (no configured URL) or the headers are unusual.
    cookies = _scope_cookies(scope)
    if cookies is None:
        session = await gate.get_session(_request(scope, b"", query=False))
    else:
        session = await gate._session_of_cookies(cookies, lambda: _request(scope, b"", query=False))
    cache[gate] = session
    return session


async def read_body(receive: Receive, limit: int = MAX_BODY_BYTES) -> bytes | None:
    """The whole body, or ``None`` once it exceeds ``limit`` (the rest is not buffered)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


# The engine's constant headers, encoded once (responses share these tuples), and its constant
# header lists (JSON, no-store JSON, HTML, text), by their pairs.
_ENCODED = {
    pair: (pair[0].encode("latin-1"), pair[1].encode("latin-1")) for pair in CONSTANT_HEADERS
}
_ENCODED_LISTS: dict[tuple[tuple[str, str], ...], tuple[tuple[bytes, bytes], ...]] = {
    pairs: tuple(_ENCODED[pair] for pair in pairs) for pairs in CONSTANT_HEADER_LISTS
}


async def send_response(send: Send, response: AuthResponse) -> None:
    """Send an :class:`AuthResponse` over ASGI."""
    pairs = response.headers
    try:
        known = _ENCODED_LISTS.get(tuple(pairs))
    except TypeError:  # something unhashable in a header: the general path says what
        known = None
    if known is not None:
        headers = list(known)
    else:
        encoded = _ENCODED
        headers = [
            encoded.get(pair) or (pair[0].lower().encode("latin-1"), pair[1].encode("latin-1"))
            for pair in pairs
        ]
    for cookie in response.cookies:
        headers.append((b"set-cookie", cookie.serialize().encode("latin-1")))
    body = response.body
    headers.append((b"content-length", b"%d" % len(body)))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class AuthApp:
    """An ASGI app answering the auth API of ``gate``; mount it at ``gate.base_path``."""

    def __init__(self, gate: AuthGate) -> None:
        self.gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one ASGI HTTP request."""
        if scope["type"] != "http":
            return
        body: bytes | None = b""
        if scope.get("method") not in ("GET", "HEAD"):  # the engine reads no other body
            length = next((v for k, v in scope.get("headers", ()) if k == b"content-length"), b"0")
            too_long = length.isdigit() and int(length) > MAX_BODY_BYTES
            body = None if too_long else await read_body(receive)
        if body is None:
            await send_response(
                send,
                AuthResponse.text("Payload Too Large: request body limit exceeded", status=413),
            )
            return
        response = await self.gate.handle(_request(scope, body, query=True))
        await send_response(send, response)
