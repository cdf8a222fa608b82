"""Hypothesis against the whole auth API: arbitrary requests never break it.

Properties, for any method, path (under and outside the base path), query, headers, cookies
(including the session, CSRF and callback-url cookies with hostile values) and body:

- the status is a valid HTTP status and never 5xx (the one exception is the wire contract's:
  the error page for ``?error=Configuration`` answers 500, as in v4);
- every header can be sent (ASCII, no CR/LF), every redirect stays on our origin;
- a session cookie with a value is only ever set by a real credentials sign-in (valid CSRF
  double-submit and the right password);
- and a well-formed sign-in, whatever is added around it, does sign in.

Bounded: ~200 examples per test, no deadline; the whole module runs in a few seconds.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from authgate import AuthConfig, AuthGate, AuthRequest, AuthResponse
from authgate import jwt as agjwt
from authgate.integrations.asgi import MAX_BODY_BYTES, AuthApp
from authgate.providers import Credentials

if TYPE_CHECKING:
    from collections.abc import Iterator

SECRET = "fuzz-secret-4c1d9e"
ORIGIN = "http://localhost:3000"
BASE = "/api/auth"
PASSWORD = "correct horse"
SESSION_NAMES = ("next-auth.session-token", "__Secure-next-auth.session-token")

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def authorize(credentials: dict[str, Any], request: AuthRequest) -> dict[str, Any] | None:
    if credentials.get("username") == "ada" and credentials.get("password") == PASSWORD:
        return {"id": "1", "name": "Ada", "email": "ada@example.com"}
    return None


def make_gate(**config: Any) -> AuthGate:
    provider = Credentials(
        authorize=authorize,
        credentials={"username": {"label": "Username"}, "password": {"type": "password"}},
    )
    return AuthGate(AuthConfig(providers=[provider], secret=SECRET, **config))


FIXED = make_gate(url=f"{ORIGIN}{BASE}")  # redirects must stay on ORIGIN
TRUSTING = make_gate(trust_host=True)  # the URL comes from Host / X-Forwarded-*
# The fuzzers above fail hundreds of sign-ins from one client, so FIXED's limiter (rightly)
# throttles that client; the "always signs in" property needs a gate without that history.
UNTHROTTLED = make_gate(url=f"{ORIGIN}{BASE}", rate_limit=None)

_csrf = FIXED.get_csrf_token(AuthRequest.build(method="GET", path=f"{BASE}/csrf"))
CSRF_TOKEN = _csrf.token
CSRF_COOKIE = _csrf.cookies[0].value  # "token|hash"
CSRF_COOKIE_ENCODED = CSRF_COOKIE.replace("|", "%7C")

# Cookie values that look right but must never be a session.
HOSTILE_TOKENS = [
    agjwt.encode({"sub": "1", "name": "x"}, SECRET, salt="next-auth.state"),  # a check cookie
    agjwt.encode({"sub": "1"}, SECRET, now=1_000_000_000, max_age=60),  # long expired
    agjwt.encode({"sub": "1"}, "another-secret"),  # someone else's
    "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA",
    "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.",
    "x" * 5000,
]

ACTIONS = [
    "providers",
    "session",
    "csrf",
    "signin",
    "signin/credentials",
    "signout",
    "callback/credentials",
    "callback/other",
    "verify-request",
    "error",
    "error/Configuration",
    "_log",
    "nope",
]
COOKIE_NAMES = [
    *SESSION_NAMES,
    "next-auth.session-token.0",
    "next-auth.session-token.1",
    "next-auth.session-token.999",
    "next-auth.session-token.x",
    "next-auth.csrf-token",
    "__Host-next-auth.csrf-token",
    "next-auth.callback-url",
    "__Secure-next-auth.callback-url",
    "next-auth.state",
    "next-auth.pkce.code_verifier",
]
FIELDS = ["csrfToken", "username", "password", "callbackUrl", "json", "data", "level", "code"]

text = st.text(max_size=40)
ascii_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)
urlish = st.one_of(
    text,
    st.sampled_from(
        [
            "/",
            "/dashboard",
            "//evil.com",
            "/\\evil.com",
            "http://evil.com",
            "https://localhost:3000/x",
            f"{ORIGIN}/ok?a=1",
            "javascript:alert(1)",
            "/%0d%0aSet-Cookie:x=1",
            "/\r\nX: y",
            "/漢字?q=é",
            "http://localhost:3000@evil.com/",
            "",
        ]
    ),
)
value = st.one_of(
    text,
    urlish,
    st.sampled_from([CSRF_TOKEN, CSRF_COOKIE, CSRF_COOKIE_ENCODED, "ada", PASSWORD, "true"]),
    st.sampled_from(HOSTILE_TOKENS),
)


def weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """Draw from one strategy, picked with the given weights (so most requests reach the
    actions instead of stopping at the 400/404 in front of them)."""
    return st.sampled_from([s for w, s in choices for _ in range(w)]).flatmap(lambda s: s)


methods = weighted(
    (8, st.sampled_from(["GET", "POST"])),
    (1, st.sampled_from(["PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "get"])),
    (1, st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=10)),
)
paths = weighted(
    (12, st.builds(lambda a: f"{BASE}/{a}", st.sampled_from(ACTIONS))),
    (4, st.just(f"{BASE}/callback/credentials")),
    (
        1,
        st.builds(
            lambda a, s: f"{BASE}/{a}{s}", st.sampled_from(ACTIONS), st.sampled_from(["/", "//"])
        ),
    ),
    (1, st.builds(lambda t: f"{BASE}/{t}", text)),
    (1, st.sampled_from([BASE, f"{BASE}/", "/", "/api", "/api/authx/session", "/dashboard", ""])),
    (1, text),
)
queries = st.one_of(
    st.dictionaries(st.sampled_from(["callbackUrl", "error", "email", "csrf", "json"]), value).map(
        lambda d: urlencode(d)
    ),
    ascii_text,
)
random_jars = st.dictionaries(
    st.one_of(st.sampled_from(COOKIE_NAMES), ascii_text), value, max_size=6
)
cookies = weighted(
    (1, random_jars),
    (1, random_jars.map(lambda jar: {**jar, "next-auth.csrf-token": CSRF_COOKIE_ENCODED})),
)
content_types = st.sampled_from(
    [
        None,
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=utf-8",
        "application/json",
        "application/vnd.api+json",
        "text/plain",
        "multipart/form-data; boundary=x",
        "",
        ";;;",
    ]
)
form_bodies = st.dictionaries(st.one_of(st.sampled_from(FIELDS), text), value, max_size=6).map(
    lambda d: urlencode(d).encode()
)
json_bodies = st.dictionaries(
    st.one_of(st.sampled_from(FIELDS), text),
    st.one_of(value, st.integers(), st.booleans(), st.none(), st.lists(text, max_size=3)),
    max_size=6,
).map(lambda d: json.dumps(d).encode())
# Close to a real sign-in: each field right or wrong, so the checks after CSRF are reached.
near_sign_in = st.fixed_dictionaries(
    {
        "csrfToken": weighted((3, st.just(CSRF_TOKEN)), (1, value)),
        "username": weighted((3, st.just("ada")), (1, value)),
        "password": weighted((3, st.just(PASSWORD)), (1, value)),
    },
    optional={"callbackUrl": urlish, "json": st.sampled_from(["true", "false", ""])},
).map(lambda d: urlencode(d).encode())
near_requests = st.tuples(
    near_sign_in,
    st.sampled_from([True, True, True, False]),
    st.sampled_from([None, "application/x-www-form-urlencoded", "text/plain"]),
)
bodies = weighted(
    (1, st.just(b"")),
    (2, form_bodies),
    (1, json_bodies),
    (3, near_sign_in),
    (1, st.binary(max_size=200)),
    (1, st.sampled_from([b"[1]", b'"x"', b"{", b"a=1&a=2", b"%ff=%fe", b"[" * 2000, b"\xff\xfe"])),
)
extra_headers = st.lists(
    st.tuples(
        st.sampled_from(
            ["x-forwarded-host", "x-forwarded-proto", "authorization", "origin", "x-random"]
        ),
        ascii_text,
    ),
    max_size=3,
)
valid_hosts = st.sampled_from(["localhost:3000", "example.com", "[::1]:8000", "evil.com"])
hosts = weighted((8, valid_hosts), (1, ascii_text))


def build_request(
    method: str,
    path: str,
    query: str,
    host: str,
    jar: dict[str, str],
    content_type: str | None,
    body: bytes,
    extra: list[tuple[str, str]],
) -> AuthRequest:
    headers = [("host", host), *extra]
    if jar:
        headers.append(("cookie", "; ".join(f"{k}={v}" for k, v in jar.items())))
    if content_type is not None:
        headers.append(("content-type", content_type))
    return AuthRequest.build(
        method=method, path=path, query_string=query, headers=headers, body=body
    )


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    runner = asyncio.Runner()
    yield runner.get_loop()
    runner.close()


def is_configuration_error_page(response: AuthResponse) -> bool:
    # The one 500 of the wire contract: next-auth's error page for ?error=Configuration
    # answers 500 (as in v4), whoever asks for it. It is a rendered page, not a failure.
    return (
        response.status == 500
        and (response.header("content-type") or "").startswith("text/html")
        and b"There is a problem with the server configuration" in response.body
    )


def check_response(response: AuthResponse, *, origin: str | None) -> None:
    assert 100 <= response.status <= 599
    if not is_configuration_error_page(response):
        assert response.status < 500, (response.status, response.body[:200])
    for name, header in response.headers:
        assert name.isascii()
        assert header.isascii(), (name, header)
        assert "\r" not in header
        assert "\n" not in header
    for line in response.set_cookie_headers():
        assert line.isascii()
        assert "\r" not in line
        assert "\n" not in line
    if response.redirect is not None:
        assert response.redirect.isascii()
        if origin is not None:
            assert response.redirect == origin or response.redirect.startswith(f"{origin}/")
    for cookie in response.cookies:
        if origin is not None and cookie.name.endswith("next-auth.callback-url") and cookie.value:
            assert cookie.value == origin or cookie.value.startswith(f"{origin}/"), cookie
    content_type = response.header("content-type") or ""
    if content_type.startswith("application/json"):
        data = json.loads(response.body)
        if origin is not None and isinstance(data, dict) and isinstance(data.get("url"), str):
            assert data["url"] == origin or data["url"].startswith(f"{origin}/")


def sets_session(response: AuthResponse) -> bool:
    return any(
        c.value and (c.name in SESSION_NAMES or c.name.startswith(SESSION_NAMES[0] + "."))
        for c in response.cookies
    )


def could_sign_in(request: AuthRequest) -> bool:
    """Necessary conditions of a credentials sign-in; the property is an implication."""
    return (
        request.method == "POST"
        and request.path.rstrip("/") == f"{BASE}/callback/credentials"
        and request.cookies.get("next-auth.csrf-token") == CSRF_COOKIE
        and CSRF_TOKEN.encode() in request.body
        and b"ada" in request.body
        and PASSWORD.replace(" ", "+").encode() in request.body.replace(b"%20", b"+")
    )


@SETTINGS
@given(
    method=methods,
    path=paths,
    query=queries,
    host=hosts,
    jar=cookies,
    content_type=content_types,
    body=bodies,
    extra=extra_headers,
    fixed=st.booleans(),
    near=weighted((2, st.none()), (1, near_requests)),
)
def test_any_request_is_answered_safely(
    loop: asyncio.AbstractEventLoop,
    method: str,
    path: str,
    query: str,
    host: str,
    jar: dict[str, str],
    content_type: str | None,
    body: bytes,
    extra: list[tuple[str, str]],
    fixed: bool,
    near: tuple[bytes, bool, str | None] | None,
) -> None:
    if near is not None:  # aim at the credentials callback; the rest stays random
        method, path = "POST", f"{BASE}/callback/credentials"
        body, with_cookie, content_type = near
        if with_cookie:
            jar = {**jar, "next-auth.csrf-token": CSRF_COOKIE_ENCODED}
    request = build_request(method, path, query, host, jar, content_type, body, extra)
    gate = FIXED if fixed else TRUSTING
    response = loop.run_until_complete(gate.handle(request))
    check_response(response, origin=ORIGIN if fixed else None)
    event(f"status {response.status}")
    if path == f"{BASE}/callback/credentials" and method == "POST":
        event(f"credentials callback: {response.redirect or response.status}"[:70])
    if sets_session(response):
        event("signed in")
        assert could_sign_in(request), request


@SETTINGS
@given(
    query=st.dictionaries(st.just("callbackUrl"), urlish).map(lambda d: urlencode(d)),
    callback_field=st.one_of(st.none(), urlish),
    json_mode=st.booleans(),
    as_json=st.booleans(),
    jar=st.dictionaries(
        st.sampled_from(["next-auth.callback-url", "next-auth.session-token", "other"]), value
    ),
    trailing_slash=st.booleans(),
)
# Regression: a non-ASCII callback URL could not be sent as a Location header (a 500).
@example(
    query="",
    callback_field="/漢字?q=é",
    json_mode=False,
    as_json=False,
    jar={},
    trailing_slash=False,
)
def test_well_formed_sign_in_always_signs_in(
    loop: asyncio.AbstractEventLoop,
    query: str,
    callback_field: str | None,
    json_mode: bool,
    as_json: bool,
    jar: dict[str, str],
    trailing_slash: bool,
) -> None:
    fields = {"csrfToken": CSRF_TOKEN, "username": "ada", "password": PASSWORD}
    if callback_field is not None:
        fields["callbackUrl"] = callback_field
    if json_mode:
        fields["json"] = "true"
    body = json.dumps(fields).encode() if as_json else urlencode(fields).encode()
    content_type = "application/json" if as_json else "application/x-www-form-urlencoded"
    path = f"{BASE}/callback/credentials" + ("/" if trailing_slash else "")
    request = build_request(
        "POST",
        path,
        query,
        "localhost:3000",
        {**jar, "next-auth.csrf-token": CSRF_COOKIE_ENCODED},
        content_type,
        body,
        [],
    )
    response = loop.run_until_complete(UNTHROTTLED.handle(request))
    check_response(response, origin=ORIGIN)
    assert sets_session(response)
    assert response.status == (200 if json_mode else 302)
    # And the cookie it set is a session next time.
    session_cookie = next(c for c in response.cookies if c.name == SESSION_NAMES[0] and c.value)
    claims = agjwt.decode(session_cookie.value, SECRET)
    assert claims["email"] == "ada@example.com"


@SETTINGS
@given(
    method=st.sampled_from(["GET", "POST", "PUT"]),
    path=paths,
    declared=st.one_of(
        st.none(),
        st.integers(0, 2 * MAX_BODY_BYTES).map(str),
        st.sampled_from(["-1", "abc", "1e9", "", " 5", "99999999999999999999"]),
    ),
    chunks=st.lists(
        st.one_of(st.binary(max_size=64), st.integers(1, 40_000).map(lambda n: b"a" * n)),
        max_size=4,
    ),
    headers=st.lists(st.tuples(st.binary(max_size=20), st.binary(max_size=40)), max_size=4),
    jar=cookies,
    disconnect=st.booleans(),
)
def test_asgi_app_never_fails(
    loop: asyncio.AbstractEventLoop,
    method: str,
    path: str,
    declared: str | None,
    chunks: list[bytes],
    headers: list[tuple[bytes, bytes]],
    jar: dict[str, str],
    disconnect: bool,
) -> None:
    raw_headers = [(b"host", b"localhost:3000"), *((k.lower(), v) for k, v in headers)]
    if declared is not None:
        raw_headers.append((b"content-length", declared.encode()))
    if jar:
        cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
        raw_headers.append((b"cookie", cookie.encode("utf-8")))
    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ] or [{"type": "http.request", "body": b"", "more_body": False}]
    if disconnect:
        messages[-1]["more_body"] = True
        messages.append({"type": "http.disconnect"})
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "root_path": "",
        "query_string": b"",
        "headers": raw_headers,
        "scheme": "http",
        "client": ("127.0.0.1", 1234),
    }
    loop.run_until_complete(AuthApp(TRUSTING)(scope, receive, send))  # type: ignore[arg-type]
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    status = sent[0]["status"]
    assert 100 <= status <= 599
    if status >= 500:
        assert path.startswith(f"{BASE}/error"), status
        assert b"There is a problem with the server configuration" in sent[1]["body"]
    total = sum(len(c) for c in chunks)
    declared_big = declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES
    # A GET's body is never read (the engine ignores it), so its size cannot matter.
    if method != "GET" and (declared_big or total > MAX_BODY_BYTES):
        assert status == 413
    else:
        assert status != 413
    response_headers = dict(sent[0]["headers"])
    assert int(response_headers[b"content-length"]) == len(sent[1]["body"])
    for name, header in sent[0]["headers"]:
        if name == b"set-cookie" and header.startswith(b"next-auth.session-token"):
            assert header.split(b";", 1)[0].endswith(b"="), header  # only deletions
