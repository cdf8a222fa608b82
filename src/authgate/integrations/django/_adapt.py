"""Django request → :class:`AuthRequest`, :class:`AuthResponse` → Django response.

Cookies are set as ``Set-Cookie`` lines exactly as the engine wrote them (one per cookie, a
repeated name kept): Django's own cookie code would quote or reorder them.
"""

from __future__ import annotations

from http.cookies import Morsel
from typing import TYPE_CHECKING, Any

from django.http import HttpResponse, RawPostDataException

from authgate.integrations.wsgi import read_body, request_from_environ

if TYPE_CHECKING:
    from django.http import HttpRequest

    from authgate.http import AuthRequest, AuthResponse, Cookie

__all__ = ["add_cookies", "auth_request", "django_response", "read_request_body"]


_NO_ATTRIBUTES = dict.fromkeys(Morsel._reserved, "")  # type: ignore[attr-defined]


class _RawMorsel(Morsel[str]):
    """A ``Morsel`` whose ``Set-Cookie`` line is the engine's serialisation, verbatim."""

    def __init__(self, cookie: Cookie) -> None:
        # What Morsel() and .set() leave behind, without their per-attribute loop and key
        # check (the engine's cookie names are valid tokens): one response sets three.
        dict.update(self, _NO_ATTRIBUTES)
        raw = self._raw = cookie.serialize()
        self._key, self._value = cookie.name, cookie.value
        self._coded_value = raw.partition(";")[0].partition("=")[2]

    def OutputString(self, attrs: Any = None) -> str:  # noqa: N802 - Morsel's name
        return self._raw

    def output(self, attrs: Any = None, header: str = "Set-Cookie:") -> str:
        return f"{header} {self._raw}" if header else self._raw


def auth_request(request: HttpRequest, body: bytes = b"") -> AuthRequest:
    """The :class:`AuthRequest` of a Django request (path with the script prefix)."""
    return request_from_environ(request.META, body, path=request.path, scheme=request.scheme)


def read_request_body(request: HttpRequest) -> bytes | AuthResponse:
    """The body under the limit (refused before reading when the length says it is too big)."""
    length = request.META.get("CONTENT_LENGTH")
    try:
        return read_body(request, length, terminated=True)
    # Django >= 5.0's read() serves a body read earlier from memory and does not raise this
    # (tests/frameworks/test_django.py reads it in a middleware first): defence in depth.
    except RawPostDataException:  # pragma: no cover - unreachable on Django >= 5.0
        return read_body(_Buffered(request.body), str(len(request.body)), terminated=True)


class _Buffered:  # pragma: no cover - used only by the branch above
    def __init__(self, data: bytes) -> None:
        self._data = data

    def read(self, size: int = -1, /) -> bytes:
        data, self._data = self._data[:size], self._data[size:]
        return data


def add_cookies(response: HttpResponse, cookies: list[Cookie]) -> None:
    """Add ``Set-Cookie`` lines to ``response`` (keys made unique so none replaces another)."""
    for cookie in cookies:
        key = cookie.name
        n = 0
        while key in response.cookies:
            n += 1
            key = f"{cookie.name}\x00{n}"
        dict.__setitem__(response.cookies, key, _RawMorsel(cookie))


def django_response(response: AuthResponse) -> HttpResponse:
    """Copy an :class:`AuthResponse` into an ``HttpResponse`` (headers and cookies verbatim)."""
    result = HttpResponse(response.body, status=response.status)
    if response.header("content-type") is None:
        del result["Content-Type"]
    for name, value in response.headers:
        result[name] = value
    add_cookies(result, response.cookies)
    return result
