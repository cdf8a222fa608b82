"""The framework-neutral HTTP boundary: AuthRequest, AuthResponse and Cookie.

Integrations convert their framework's request into an :class:`AuthRequest` and copy an
:class:`AuthResponse` back verbatim; all header and cookie encoding happens here, in one place.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qsl, quote, unquote

from authgate._json import compact_encoder

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = ["AuthRequest", "AuthResponse", "Cookie", "parse_cookie_header"]

SameSite = Literal["lax", "strict", "none"]

# encodeURIComponent leaves these unescaped; next-auth v4 cookie values are encoded that way.
_UNESCAPED = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~!*'()"
_RESERVED_CHAR = re.compile(r"[^A-Za-z0-9_.\-~!*'()]")
_ASCII_ESCAPES = {chr(i): f"%{i:02X}" for i in range(128)}
_JSON = compact_encoder()
_JSON_HEADERS = (("content-type", "application/json; charset=utf-8"),)
_NO_STORE_JSON = (
    *_JSON_HEADERS,
    ("cache-control", "private, no-cache, no-store"),
    ("pragma", "no-cache"),
    ("expires", "0"),
)
_HTML_HEADERS = (("content-type", "text/html; charset=utf-8"),)
_TEXT_HEADERS = (("content-type", "text/plain; charset=utf-8"),)
CONSTANT_HEADERS = frozenset((*_NO_STORE_JSON, *_HTML_HEADERS, *_TEXT_HEADERS))
"""The header tuples responses share (integrations may encode them once)."""
CONSTANT_HEADER_LISTS = (_NO_STORE_JSON, _JSON_HEADERS, _HTML_HEADERS, _TEXT_HEADERS)
"""The header lists of :meth:`AuthResponse.json`, ``html`` and ``text``, as tuples."""
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _ASCII_ESCAPES.get(char) or "".join(f"%{byte:02X}" for byte in char.encode())


def _encode_uri_component(value: str) -> str:
    """JavaScript's ``encodeURIComponent``: ``quote(value, safe="!~*'()")``, only faster.

    A session token needs no escaping and is checked with one byte-table pass; a value with
    one distinct reserved character (the CSRF cookie's ``|``) is one ``str.replace``; other
    short ASCII values (a callback URL: the same few on every first visit) are memoised.
    """
    if not value.isascii():
        return _RESERVED_CHAR.sub(_escape, value)
    reserved = value.encode("ascii").translate(None, _UNESCAPED)
    if not reserved:
        return value
    if reserved.count(reserved[0]) == len(reserved):  # one distinct character ("%" included)
        char = chr(reserved[0])
        return value.replace(char, _ASCII_ESCAPES[char])
    if len(value) <= _MEMO_ESCAPED:
        return _escaped_memo(value, reserved)
    return _escaped(value, reserved)


def _escaped(value: str, reserved: bytes) -> str:
    # ``value`` is ASCII; ``reserved`` its characters that need escaping (at least two kinds).
    chars = set(reserved.decode("ascii"))
    if "%" in chars:  # first: the escapes below bring their own "%"
        chars.discard("%")
        value = value.replace("%", "%25")
    for char in chars:
        value = value.replace(char, _ASCII_ESCAPES[char])
    return value


_MEMO_ESCAPED = 512  # longer values (none of ours) are escaped each time, not remembered
_escaped_memo = functools.lru_cache(maxsize=256)(_escaped)  # a pure memo: callback URLs


def _http_date(moment: datetime) -> str:
    """``email.utils.format_datetime(moment, usegmt=True)`` without the struct_time detour."""
    if moment.tzinfo is None or moment.tzinfo != UTC:
        raise ValueError("usegmt option requires a UTC datetime")
    return "%s, %02d %s %04d %02d:%02d:%02d GMT" % (  # noqa: UP031 - fastest here
        _DAYS[moment.weekday()],
        moment.day,
        _MONTHS[moment.month - 1],
        moment.year,
        moment.hour,
        moment.minute,
        moment.second,
    )


# Everything from "!" to "~", "%" included: already-encoded URLs are left as they are.
_PRINTABLE_ASCII = "".join(chr(c) for c in range(0x21, 0x7F))


def parse_cookie_header(header: str) -> tuple[dict[str, str], frozenset[str]]:
    """Parse a ``Cookie`` header the way the ``cookie`` npm package does.

    Returns the cookies (the first occurrence of a name wins, values percent-decoded when
    that is possible) and the set of names that occurred more than once.
    """
    cookies: dict[str, str] = {}
    duplicates: set[str] | None = None
    for part in header.split(";"):
        pair = _cookie_part(part) if len(part) <= _MEMO_PART else _parse_part(part)
        if pair is None:
            continue
        name, value = pair
        if name in cookies:
            if duplicates is None:
                duplicates = set()
            duplicates.add(name)
            continue
        cookies[name] = value
    return cookies, frozenset(duplicates) if duplicates else _NO_NAMES


# A browser sends the same Cookie header with every request until a cookie changes (the
# session token, at most once per /session call): whole headers up to this length are parsed
# once. The cookies are shared between the requests that sent the header, hence read-only.
_MEMO_HEADER = 4096


def shared_cookies(header: str) -> tuple[Mapping[str, str], frozenset[str]]:
    """:func:`parse_cookie_header` with the cookies read-only, memoised by the whole header."""
    if len(header) > _MEMO_HEADER:
        return parse_cookie_header(header)
    return _shared_cookies(header)


@functools.lru_cache(maxsize=512)
def _shared_cookies(header: str) -> tuple[Mapping[str, str], frozenset[str]]:
    cookies, duplicates = parse_cookie_header(header)
    return MappingProxyType(cookies), duplicates


def _parse_part(part: str) -> tuple[str, str] | None:
    # One "name=value" of the header: trimmed, unquoted, percent-decoded; None without a name.
    name, sep, value = part.partition("=")
    if not sep:
        return None
    name = name.strip()
    if not name:
        return None
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    return name, _cookie_value(value) if "%" in value else value


# A pure memo of the short parts: a browser sends the same CSRF, callback-url and other
# cookies on every request (the session token, re-issued each time, is longer).
_MEMO_PART = 256
_cookie_part = functools.lru_cache(maxsize=1024)(_parse_part)


_NO_NAMES: frozenset[str] = frozenset()


@functools.lru_cache(maxsize=512)
def _cookie_value(value: str) -> str:
    # A pure memo: a browser sends the same encoded CSRF and callback-url cookies every time.
    try:
        return unquote(value, errors="strict")
    except UnicodeDecodeError:
        return value


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthRequest:
    """An HTTP request as the engine sees it.

    Attributes:
        method: The upper-case HTTP method.
        path: The URL path as the client sent it (percent-decoded), including any mount prefix.
        query: Query parameters; for a repeated name the first value is kept.
        headers: Header names lower-cased; repeated headers joined with ``", "``.
        cookies: Parsed ``Cookie`` header (first occurrence of a name wins, values decoded).
        duplicate_cookies: Names that occurred more than once in the ``Cookie`` header.
        body: The raw request body (empty for GET).
        client_host: The peer address of the connection, if known.
        scheme: ``"http"`` or ``"https"``, as the server received the request.
    """

    method: str
    path: str
    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    cookies: Mapping[str, str] = field(default_factory=dict)
    duplicate_cookies: frozenset[str] = frozenset()
    body: bytes = b""
    client_host: str | None = None
    scheme: str = "http"

    @classmethod
    def build(
        cls,
        *,
        method: str,
        path: str,
        query_string: str | bytes = b"",
        headers: Iterable[tuple[str, str]] = (),
        body: bytes = b"",
        client_host: str | None = None,
        scheme: str = "http",
    ) -> AuthRequest:
        """Build a request from raw parts (what an ASGI or WSGI server hands over)."""
        query = parse_query(query_string)
        header_map: dict[str, str] = {}
        cookie_parts: list[str] = []
        for name, value in headers:
            lname = name.lower()
            if lname == "cookie":
                cookie_parts.append(value)
            elif lname in header_map:
                header_map[lname] = f"{header_map[lname]}, {value}"
            else:
                header_map[lname] = value
        cookies, duplicates = parse_cookie_header("; ".join(cookie_parts))
        if cookie_parts:
            header_map["cookie"] = "; ".join(cookie_parts)
        if cls is not AuthRequest:  # a subclass builds itself
            return cls(
                method=method.upper(),
                path=path,
                query=query,
                headers=header_map,
                cookies=cookies,
                duplicate_cookies=duplicates,
                body=body,
                client_host=client_host,
                scheme=scheme,
            )
        return new_request(
            method.upper(), path, query, header_map, cookies, duplicates, body, client_host, scheme
        )


def parse_query(query_string: str | bytes) -> dict[str, str]:
    """Query parameters; for a repeated name the first value is kept."""
    if not query_string:
        return {}
    if isinstance(query_string, bytes):
        query_string = query_string.decode("latin-1")
    query: dict[str, str] = {}
    for key, value in parse_qsl(query_string, keep_blank_values=True):
        query.setdefault(key, value)
    return query


# The frozen dataclasses' generated __init__ parses keywords and sets every field with
# object.__setattr__: ~18,000 instructions for an AuthRequest or a Cookie, about as much as
# the rest of converting a request. The hot paths build them here instead: a mutable twin
# with the same slots is filled positionally and then becomes the frozen class (the same
# layout, so Python allows the __class__ assignment); the result is an ordinary instance.


def mutable_twin(cls: type) -> Any:
    """A mutable dataclass with the fields of the frozen slots dataclass ``cls``, positional."""
    fields = dataclasses.fields(cls)
    return dataclasses.make_dataclass(f"_{cls.__name__}Twin", [f.name for f in fields], slots=True)


_RequestTwin = mutable_twin(AuthRequest)


def new_request(
    method: str,
    path: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    cookies: Mapping[str, str],
    duplicate_cookies: frozenset[str],
    body: bytes,
    client_host: str | None,
    scheme: str,
) -> AuthRequest:
    """``AuthRequest(...)`` with positional fields, cheaper (integrations' hot path)."""
    twin: Any = _RequestTwin(
        method, path, query, headers, cookies, duplicate_cookies, body, client_host, scheme
    )
    twin.__class__ = AuthRequest
    return twin  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True, kw_only=True)
class Cookie:
    """A ``Set-Cookie`` instruction.

    The value is percent-encoded like JavaScript's ``encodeURIComponent`` when serialised, as
    next-auth v4 does, so ``a|b`` travels as ``a%7Cb``.
    """

    name: str
    value: str
    path: str = "/"
    domain: str | None = None
    max_age: int | None = None
    expires: datetime | None = None
    http_only: bool = True
    secure: bool = False
    same_site: SameSite | None = "lax"

    def serialize(self) -> str:
        """Render the ``Set-Cookie`` header value (attribute order of the ``cookie`` package)."""
        expires = self.expires
        value = self.value
        max_age = self.max_age
        if expires is None:
            if len(value) <= _MEMO_LINE:
                return _line(
                    self.name,
                    value,
                    self.path,
                    self.domain,
                    max_age,
                    type(max_age),  # type: ignore[arg-type]  # a type is hashable
                    self.http_only,
                    self.secure,
                    self.same_site,
                )
            second = None
        else:
            if expires.tzinfo != UTC:
                raise ValueError("usegmt option requires a UTC datetime")
            second = math.floor(expires.timestamp())  # what the header carries
        attributes = _attributes(
            max_age,
            type(max_age),  # type: ignore[arg-type]  # a type is hashable
            self.domain,
            self.path,
            second,
            self.http_only,
            self.secure,
            self.same_site,
        )
        return f"{self.name}={_encode_uri_component(value)}{attributes}"


# Cookies without Expires and with values up to this length are serialised once: the
# callback-url cookie of every first visit, deletions (a random state or nonce is a miss).
_MEMO_LINE = 128


@functools.lru_cache(maxsize=256)
def _line(
    name: str,
    value: str,
    path: str,
    domain: str | None,
    max_age: int | None,
    max_age_type: type,
    http_only: bool,
    secure: bool,
    same_site: SameSite | None,
) -> str:
    # A pure memo (as _attributes).
    attributes = _attributes(
        max_age, max_age_type, domain, path, None, http_only, secure, same_site
    )
    return f"{name}={_encode_uri_component(value)}{attributes}"


@functools.lru_cache(maxsize=256)
def _attributes(
    max_age: int | None,
    max_age_type: type,
    domain: str | None,
    path: str,
    expires: int | None,
    http_only: bool,
    secure: bool,
    same_site: SameSite | None,
) -> str:
    # A pure memo: a deployment's cookies share a few attribute sets, and a session cookie's
    # Expires (whole seconds on the wire) changes once a second. ``max_age_type`` is part of
    # the key: 1, 1.0 and True are equal keys but different headers (the rest renders by
    # value or truthiness, which equal keys share).
    parts = [""]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if domain:
        parts.append(f"Domain={domain}")
    if path:
        parts.append(f"Path={path}")
    if expires is not None:
        parts.append(f"Expires={_http_date(datetime.fromtimestamp(expires, UTC))}")
    if http_only:
        parts.append("HttpOnly")
    if secure:
        parts.append("Secure")
    if same_site:
        parts.append(f"SameSite={same_site.capitalize()}")
    return "; ".join(parts) if len(parts) > 1 else ""


_CookieTwin = mutable_twin(Cookie)


def new_cookie(
    name: str,
    value: str,
    path: str,
    domain: str | None,
    max_age: int | None,
    expires: datetime | None,
    http_only: bool,
    secure: bool,
    same_site: SameSite | None,
) -> Cookie:
    """``Cookie(...)`` with positional fields, cheaper (see :func:`new_request`)."""
    twin: Any = _CookieTwin(
        name, value, path, domain, max_age, expires, http_only, secure, same_site
    )
    twin.__class__ = Cookie
    return twin  # type: ignore[no-any-return]


@dataclass(slots=True, kw_only=True)
class AuthResponse:
    """What the engine wants sent back. Integrations copy it verbatim.

    Attributes:
        status: The HTTP status.
        headers: Response headers, in order (``Set-Cookie`` excluded).
        body: The encoded body.
        cookies: Cookies to set, serialised with :meth:`Cookie.serialize`.
        redirect: The target when the response is a redirect (also in ``Location``).
    """

    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    cookies: list[Cookie] = field(default_factory=list)
    redirect: str | None = None

    @classmethod
    def json(cls, data: object, *, status: int = 200, no_store: bool = False) -> AuthResponse:
        """A JSON response; ``no_store`` adds the no-cache headers of ``/csrf`` and ``/session``."""
        headers = list(_NO_STORE_JSON if no_store else _JSON_HEADERS)
        return cls(status=status, headers=headers, body=_JSON(data).encode())

    @classmethod
    def html(cls, markup: str, *, status: int = 200) -> AuthResponse:
        """An HTML page."""
        return cls(status=status, headers=list(_HTML_HEADERS), body=markup.encode())

    @classmethod
    def text(cls, message: str, *, status: int) -> AuthResponse:
        """A plain-text answer (the ``400 not supported`` and similar errors)."""
        return cls(status=status, headers=list(_TEXT_HEADERS), body=message.encode())

    @classmethod
    def to(cls, location: str, *, status: int = 302) -> AuthResponse:
        """A redirect. In next-auth's ``json=true`` mode the engine turns it into ``{url}``.

        Characters outside printable ASCII are percent-encoded (UTF-8), as a WHATWG URL
        serialises them: a header cannot carry them (``/漢`` would fail to send, a 500).
        """
        location = quote(location, safe=_PRINTABLE_ASCII)
        return cls(status=status, headers=[("location", location)], redirect=location)

    def header(self, name: str) -> str | None:
        """The first value of a header, by case-insensitive name."""
        lname = name.lower()
        return next((v for k, v in self.headers if k.lower() == lname), None)

    def set_cookie_headers(self) -> list[str]:
        """Every ``Set-Cookie`` header value, in order."""
        return [cookie.serialize() for cookie in self.cookies]
