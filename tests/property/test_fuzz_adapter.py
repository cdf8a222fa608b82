"""Hypothesis against the auth API with an adapter: a rejected request never writes.

The gates store users, accounts, database sessions and e-mail tokens in a
:class:`~authgate.adapters.memory.MemoryAdapter`, seeded before every example with a user, a
live, a sliding and an expired database session and a live and an expired e-mail token, and
wrapped in :class:`RecordingAdapter`, which logs every call of a write method (also the ones
made inside ``transaction()``). The providers: Credentials (``database_session=True``), Email
(its sender only records the mail) and an OAuth provider whose token and userinfo endpoints
always fail (an ``httpx.MockTransport``), so no OAuth sign-in can succeed.

Properties, for any method, path under the base path (every action, known and unknown provider
ids), query, ``Host`` / ``Origin`` / ``Sec-Fetch-Site`` / ``Content-Type`` header, cookie jar
(CSRF, session, callback-url and OAuth check cookies with right, stale and hostile values) and
body (form, JSON, binary, malformed):

- never a 5xx, except the documented ``error?error=Configuration`` page;
- a rejected request (4xx, a redirect to the error page or to ``signin?csrf=true``, a POST
  without the CSRF double-submit pair where one is required) writes nothing, sends no mail and
  sets no session cookie with a value. The one write a rejected request may cause is removing a
  row that was already dead (an expired session or e-mail token it presented): that changes no
  live state, and it is what reading such a row does on every path;
- an accepted request writes only what its route is for: ``POST /signin/email`` with the CSRF
  pair and a well-formed address stores exactly one verification token (and mails exactly one
  link to that address), nothing else; a credentials sign-in needs the right password; the
  e-mail link needs the stored token; sign-out deletes only the presented session; ``/session``
  only slides or removes the presented one, and never mints a new session token.

Bounded: 150 examples per fuzz test, no deadline; the module runs in a few seconds.
"""

from __future__ import annotations

import asyncio
import json
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from authgate import AuthConfig, AuthGate, AuthRequest, AuthResponse
from authgate._core.email.normalize import normalize_email
from authgate._crypto.keys import EMAIL_TOKEN, purpose_digest
from authgate.adapters.memory import MemoryAdapter
from authgate.config import SessionConfig
from authgate.providers import Credentials, Email
from authgate.providers.oauth import OAuth

from .test_fuzz_routes import (
    BASE,
    CSRF_COOKIE,
    CSRF_COOKIE_ENCODED,
    CSRF_TOKEN,
    HOSTILE_TOKENS,
    ORIGIN,
    PASSWORD,
    SECRET,
    ascii_text,
    authorize,
    build_request,
    check_response,
    content_types,
    text,
    urlish,
    weighted,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from authgate.providers.email import VerificationRequest

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

IDP = "https://idp.example"
ADA = "ada@example.com"
SESSION_MAX_AGE = 30 * 24 * 3600  # SessionConfig's default
UPDATE_AGE = 24 * 3600

# The seeded rows. Session tokens are 64 hex characters, as authgate mints them.
LIVE = "1" * 64
SLIDING = "2" * 64  # older than update_age: reading it moves its expiry
EXPIRED = "3" * 64
UNKNOWN = "4" * 64  # well-formed, never stored
LINK_TOKEN = "fuzz-link-token-0123456789abcdef"  # the e-mail link's token (only its hash stored)
STALE_LINK_TOKEN = "fuzz-stale-token-0123456789abcdef"  # stored, already expired

WRITE_METHODS = (
    "create_user",
    "update_user",
    "delete_user",
    "link_account",
    "unlink_account",
    "create_session",
    "update_session",
    "delete_session",
    "create_verification_token",
    "use_verification_token",
)
# These return None when they found nothing (and then changed nothing).
_CONDITIONAL = frozenset({"update_session", "delete_session", "use_verification_token"})


@dataclass(frozen=True, slots=True)
class Write:
    """One call of a write method: its name, arguments and result (or exception)."""

    method: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    result: Any

    @property
    def effective(self) -> bool:
        """Whether the call changed (or tried to change) a table."""
        return self.method not in _CONDITIONAL or self.result is not None

    @property
    def key(self) -> str:
        """The session token / token hash a conditional write was about."""
        return str(self.args[-1]) if self.args else ""


class RecordingAdapter:
    """A proxy for a :class:`MemoryAdapter` that logs every write method call.

    Reads go straight through. ``transaction()`` yields another recorder over the inner
    adapter's transaction that appends to the same log, so no write escapes it.
    """

    def __init__(self, inner: Any, log: list[Write] | None = None) -> None:
        self.inner = inner
        self.writes: list[Write] = [] if log is None else log

    def __getattr__(self, name: str) -> Any:  # the read methods
        return getattr(self.inner, name)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[RecordingAdapter]:
        async with self.inner.transaction() as tx:
            yield RecordingAdapter(tx, self.writes)


def _recorded(name: str) -> Any:
    async def write(self: RecordingAdapter, *args: Any, **kwargs: Any) -> Any:
        try:
            result = await getattr(self.inner, name)(*args, **kwargs)
        except Exception as exc:
            self.writes.append(Write(name, args, kwargs, exc))
            raise
        self.writes.append(Write(name, args, kwargs, result))
        return result

    write.__name__ = write.__qualname__ = name
    return write


for _name in WRITE_METHODS:
    setattr(RecordingAdapter, _name, _recorded(_name))


def seeded_adapter(now: float) -> MemoryAdapter:
    """Ada (with her credentials account), three sessions and two e-mail tokens."""
    adapter = MemoryAdapter()
    moment = datetime.fromtimestamp(now, UTC)

    async def seed() -> None:
        user = await adapter.create_user({"email": ADA, "emailVerified": moment, "name": "Ada"})
        uid = user["id"]
        await adapter.link_account(
            {
                "userId": uid,
                "type": "credentials",
                "provider": "credentials",
                "providerAccountId": "1",
            }
        )
        for token, expires in (
            (LIVE, moment + timedelta(seconds=SESSION_MAX_AGE - 60)),
            (SLIDING, moment + timedelta(seconds=SESSION_MAX_AGE - UPDATE_AGE - 60)),
            (EXPIRED, moment - timedelta(seconds=60)),
        ):
            await adapter.create_session({"sessionToken": token, "userId": uid, "expires": expires})
        for raw, expires in (
            (LINK_TOKEN, moment + timedelta(minutes=10)),
            (STALE_LINK_TOKEN, moment - timedelta(minutes=1)),
        ):
            await adapter.create_verification_token(
                {
                    "identifier": ADA,
                    "token": purpose_digest(SECRET, EMAIL_TOKEN, raw),
                    "expires": expires,
                }
            )

    # No await outside a loop here: MemoryAdapter's coroutines never suspend.
    coroutine = seed()
    try:
        coroutine.send(None)
    except StopIteration:
        pass
    else:  # pragma: no cover - MemoryAdapter never suspends
        raise AssertionError("MemoryAdapter suspended")
    return adapter


ADAPTER = RecordingAdapter(seeded_adapter(time.time()))
MAILS: list[VerificationRequest] = []
IDP_CALLS: list[str] = []


async def record_mail(request: VerificationRequest) -> None:
    MAILS.append(request)


def failing_idp(request: httpx.Request) -> httpx.Response:
    IDP_CALLS.append(str(request.url))
    if request.url.path == "/token":
        return httpx.Response(400, json={"error": "invalid_grant"})
    raise httpx.ConnectError("the provider is down", request=request)


HTTP = httpx.AsyncClient(transport=httpx.MockTransport(failing_idp))


def make_gate(**config: Any) -> AuthGate:
    providers = [
        Credentials(
            authorize=authorize,
            credentials={"username": {"label": "Username"}, "password": {"type": "password"}},
            database_session=True,
        ),
        Email(send_verification_request=record_mail),
        OAuth(
            id="corp",
            name="Corp",
            client_id="corp-client",
            client_secret="corp-secret",
            authorization=f"{IDP}/authorize",
            token=f"{IDP}/token",
            userinfo=f"{IDP}/userinfo",
        ),
    ]
    return AuthGate(
        AuthConfig(
            providers=providers,  # type: ignore[arg-type]
            secret=SECRET,
            adapter=ADAPTER,
            http_client=HTTP,
            **config,
        )
    )


GATES = {
    # Database sessions, the URL fixed (redirects must stay on ORIGIN), the default limiter.
    "db-fixed": make_gate(url=f"{ORIGIN}{BASE}"),
    # Database sessions, the URL from Host / X-Forwarded-*, no limiter (deeper paths).
    "db-trusting": make_gate(trust_host=True, rate_limit=None),
    # JWT sessions with an adapter (users and accounts stored, no session rows), v5 wire.
    "jwt-v5": make_gate(
        trust_host=True,
        rate_limit=None,
        profile="authjs-v5",
        session=SessionConfig(strategy="jwt"),
    ),
}

# ---- strategies ------------------------------------------------------------------------

PROVIDER_IDS = ["credentials", "email", "corp", "github", "Email", "email ", "%65mail"]
ACTIONS = [
    "providers",
    "session",
    "csrf",
    "signin",
    "signout",
    "verify-request",
    "error",
    "_log",
    "nope",
    *(f"signin/{p}" for p in PROVIDER_IDS),
    *(f"callback/{p}" for p in PROVIDER_IDS),
]
PREFIXES = ["next-auth.", "__Secure-next-auth.", "__Host-next-auth.", "authjs.", "__Secure-authjs."]
COOKIE_SUFFIXES = [
    "session-token",
    "session-token.0",
    "session-token.1",
    "csrf-token",
    "callback-url",
    "state",
    "pkce.code_verifier",
    "nonce",
]
COOKIE_NAMES = [p + s for p in PREFIXES for s in COOKIE_SUFFIXES]
SESSION_VALUES = [LIVE, SLIDING, EXPIRED, UNKNOWN, LIVE.upper(), LIVE[:-1], f" {LIVE}", ""]
CSRF_VALUES = [
    CSRF_COOKIE,
    CSRF_COOKIE_ENCODED,
    CSRF_TOKEN,
    CSRF_COOKIE[:-1] + "0",  # the hash does not match
    f"{CSRF_TOKEN}|{'0' * 64}",
    f"{CSRF_COOKIE}|{CSRF_COOKIE}",
]
EMAILS = [
    ADA,
    "new@example.com",
    " Ada@Example.COM ",
    "\uff41\uff44\uff41@example.com",  # full-width "ada": NFKC makes it ada@example.com
    "a@b",
    "a@b.c, evil@x.y",
    "<a@b.c>",
    "a@b.c\r\nBcc: x@y.z",
    '"a"@b.c',
    "a@@b.c",
    "@b.c",
    "a" * 300 + "@b.c",
    "",
]
LINK_TOKENS = [LINK_TOKEN, STALE_LINK_TOKEN, LINK_TOKEN.upper(), LINK_TOKEN + "x", "x" * 600, ""]

value = st.one_of(
    text,
    urlish,
    st.sampled_from(
        [*CSRF_VALUES, *SESSION_VALUES, *EMAILS, *LINK_TOKENS, "ada", PASSWORD, "true", "1"]
    ),
    st.sampled_from(HOSTILE_TOKENS),
)
methods = weighted(
    (8, st.sampled_from(["GET", "POST"])),
    (1, st.sampled_from(["PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "get", "post"])),
    (1, st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=10)),
)
paths = weighted(
    (12, st.builds(lambda a: f"{BASE}/{a}", st.sampled_from(ACTIONS))),
    (
        1,
        st.builds(
            lambda a, s: f"{BASE}/{a}{s}", st.sampled_from(ACTIONS), st.sampled_from(["/", "//"])
        ),
    ),
    (1, st.builds(lambda t: f"{BASE}/{t}", text)),
    (1, st.builds(lambda a, t: f"{BASE}/{a}/{t}", st.sampled_from(["signin", "callback"]), text)),
    (1, st.sampled_from([BASE, f"{BASE}/", "/", "/api/authx/session", ""])),
)
QUERY_KEYS = ["callbackUrl", "error", "email", "token", "csrf", "json", "code", "state", "iss"]
queries = st.one_of(
    st.dictionaries(st.sampled_from(QUERY_KEYS), value).map(urlencode),
    st.fixed_dictionaries(
        {"token": st.sampled_from(LINK_TOKENS), "email": st.sampled_from(EMAILS)},
        optional={"callbackUrl": urlish},
    ).map(urlencode),
    ascii_text,
)
cookie_names = weighted((6, st.sampled_from(COOKIE_NAMES)), (1, ascii_text))
random_jars = st.dictionaries(cookie_names, value, max_size=6)
session_jars = st.dictionaries(
    st.sampled_from([n for n in COOKIE_NAMES if "session-token" in n]),
    st.sampled_from(SESSION_VALUES),
    max_size=2,
)
jars = st.builds(
    lambda random, sessions, csrf: {**random, **sessions, **csrf},
    random_jars,
    session_jars,
    weighted(
        (2, st.just({"next-auth.csrf-token": CSRF_COOKIE_ENCODED})),
        (1, st.just({"authjs.csrf-token": CSRF_COOKIE_ENCODED})),
        (1, st.dictionaries(st.sampled_from(COOKIE_NAMES), st.sampled_from(CSRF_VALUES))),
        (1, st.just({})),
    ),
)
FIELDS = ["csrfToken", "email", "token", "callbackUrl", "json", "link", "username", "password"]
form_bodies = st.dictionaries(st.one_of(st.sampled_from(FIELDS), text), value, max_size=6).map(
    lambda d: urlencode(d).encode()
)
json_bodies = st.dictionaries(
    st.one_of(st.sampled_from(FIELDS), text),
    st.one_of(value, st.integers(), st.booleans(), st.none(), st.lists(text, max_size=3)),
    max_size=6,
).map(lambda d: json.dumps(d).encode())


# Close to a real request of each kind: each field right or wrong, so the checks after CSRF
# (the address, the token, the password, the link intent) are reached.
def near_fields(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    optional = {
        "callbackUrl": urlish,
        "json": st.sampled_from(["true", "false", ""]),
        "link": st.sampled_from(["true", "1", "TRUE", "false", ""]),
        "email": value,
        "token": value,
    }
    return st.fixed_dictionaries(
        {"csrfToken": weighted((4, st.just(CSRF_TOKEN)), (1, value)), **fields},
        optional={k: v for k, v in optional.items() if k not in fields},
    )


def right(choices: list[str]) -> st.SearchStrategy[str]:
    """Mostly the first (right) choice, else a wrong one, else anything."""
    return weighted((3, st.just(choices[0])), (2, st.sampled_from(choices)), (1, value))


SCENARIOS: list[tuple[str, str, st.SearchStrategy[dict[str, Any]]]] = [
    ("POST", "signin/email", near_fields(email=right(EMAILS))),
    (
        "POST",
        "callback/credentials",
        near_fields(username=right(["ada"]), password=right([PASSWORD])),
    ),
    (
        "GET",
        "callback/email",
        st.fixed_dictionaries({"token": right(LINK_TOKENS), "email": right(EMAILS)}),
    ),
    ("POST", "callback/email", near_fields(token=right(LINK_TOKENS), email=right(EMAILS))),
    ("POST", "signout", near_fields()),
    ("POST", "session", near_fields(data=st.one_of(value, st.none()))),
    ("GET", "session", st.just({})),
    ("POST", "signin/corp", near_fields(link=right(["true"]))),
    ("GET", "callback/corp", st.dictionaries(st.sampled_from(QUERY_KEYS), value)),
]
near_requests = st.sampled_from(SCENARIOS).flatmap(
    lambda s: st.tuples(
        st.just(s[0]),
        st.just(f"{BASE}/{s[1]}"),
        s[2],
        weighted(
            (4, st.just("application/x-www-form-urlencoded")),
            (2, st.just("application/json")),
            (1, content_types),
        ),
        st.booleans(),  # a clean request: right Host, no extra headers
        st.dictionaries(
            st.sampled_from(["next-auth.session-token", "authjs.session-token"]),
            weighted(
                (3, st.sampled_from([LIVE, SLIDING, EXPIRED])), (1, st.sampled_from(SESSION_VALUES))
            ),
            max_size=1,
        ),
    )
)
form_near = near_fields().map(lambda d: urlencode(d).encode())
bodies = weighted(
    (1, st.just(b"")),
    (2, form_bodies),
    (1, json_bodies),
    (2, form_near),
    (1, st.binary(max_size=200)),
    (1, st.sampled_from([b"[1]", b'"x"', b"{", b"a=1&a=2", b"%ff=%fe", b"[" * 2000, b"\xff\xfe"])),
)
header_values = {
    "origin": st.sampled_from(
        [ORIGIN, "http://evil.com", "null", "https://localhost:3000", "http://LOCALHOST:3000", ""]
    ),
    "sec-fetch-site": st.sampled_from(["same-origin", "same-site", "cross-site", "none", "x"]),
    "x-forwarded-host": st.sampled_from(["localhost:3000", "evil.com", "a b", ""]),
    "x-forwarded-proto": st.sampled_from(["http", "https", "ftp", ""]),
    "x-auth-return-redirect": st.sampled_from(["1", ""]),
    "referer": st.sampled_from([f"{ORIGIN}/login", "http://evil.com/", "", "not a url"]),
}
extra_headers = st.lists(
    st.sampled_from(sorted(header_values)).flatmap(
        lambda name: st.tuples(st.just(name), weighted((4, header_values[name]), (1, ascii_text)))
    ),
    max_size=3,
    unique_by=lambda h: h[0],
)
hosts = weighted(
    (8, st.sampled_from(["localhost:3000", "example.com", "[::1]:8000", "evil.com"])),
    (1, ascii_text),
)
posted_types = weighted(
    (3, st.sampled_from(["application/x-www-form-urlencoded"])), (2, content_types)
)


# ---- the oracle ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    runner = asyncio.Runner()
    yield runner.get_loop()
    loop = runner.get_loop()
    loop.run_until_complete(HTTP.aclose())
    runner.close()


def reset() -> float:
    """A freshly seeded adapter, empty logs; the time of the seed."""
    now = time.time()
    ADAPTER.inner = seeded_adapter(now)
    ADAPTER.writes.clear()
    MAILS.clear()
    IDP_CALLS.clear()
    return now


def route(path: str) -> tuple[str, str | None] | None:
    """``(action, provider id)`` as the engine reads the path, ``None`` outside the API."""
    if not path.startswith(f"{BASE}/"):
        return None
    segments = path[len(BASE) + 1 :].rstrip("/").split("/")
    if not segments[0] or len(segments) > 2 or any(not s for s in segments):
        return None
    return segments[0], segments[1] if len(segments) == 2 else None


def target_of(response: AuthResponse) -> str | None:
    """Where the response sends the browser: ``Location``, or the JSON ``{url}``."""
    if response.redirect is not None:
        return response.redirect
    if (response.header("content-type") or "").startswith("application/json"):
        data = json.loads(response.body)
        url = data.get("url") if isinstance(data, dict) else None
        if isinstance(url, str):
            return url
    return None


def is_rejected(response: AuthResponse) -> bool:
    """4xx/5xx, or a redirect to the error page or back to the sign-in page with an error."""
    if response.status >= 400:
        return True
    target = target_of(response)
    if target is None:
        return False
    parts = urlsplit(target)
    query = parse_qs(parts.query)
    if parts.path == f"{BASE}/error":
        return True
    return parts.path == f"{BASE}/signin" and ("error" in query or "csrf" in query)


def has_csrf_pair(request: AuthRequest) -> bool:
    """Necessary conditions of a verified CSRF double-submit (the property is an implication)."""
    cookie = any(
        name.endswith("csrf-token") and value == CSRF_COOKIE
        for name, value in request.cookies.items()
    )
    return cookie and CSRF_TOKEN.encode() in request.body


def session_values(response: AuthResponse) -> list[str]:
    return [c.value for c in response.cookies if "session-token" in c.name and c.value]


def is_dead(write: Write) -> bool:
    """Removing a row that had already expired: no live state changes."""
    if write.method not in ("delete_session", "use_verification_token"):
        return False
    row = write.result
    if not isinstance(row, dict) or row.get("expires") is None:
        return False
    expired: bool = row["expires"] <= datetime.now(UTC)
    return expired


def check_writes(request: AuthRequest, response: AuthResponse, gate_name: str, mails: int) -> str:
    """Assert the adapter properties for one answered request; a label for ``event``."""
    writes = [w for w in ADAPTER.writes if w.effective and not is_dead(w)]
    cookies = session_values(response)
    where = route(request.path)
    action, provider = where if where is not None else ("-", None)
    label = f"{gate_name} {request.method} {action}/{provider}"

    if is_rejected(response):
        assert not writes, (label, response.status, target_of(response), writes)
        # The only write *calls* a rejected request makes: the e-mail link's single-use
        # lookup (``use_verification_token`` is find-and-delete; here it found nothing or a
        # dead token) and the removal of an expired session it presented.
        assert all(w.method == "use_verification_token" or is_dead(w) for w in ADAPTER.writes), (
            label,
            ADAPTER.writes,
        )
        assert not cookies, (label, response.status, target_of(response))
        assert mails == 0, label
        return f"rejected {'with' if ADAPTER.writes else 'without'} write calls"

    methods = [w.method for w in writes]
    key = (request.method, action, provider)
    if key == ("POST", "signin", "email"):
        # The one write of an e-mail sign-in: one token, one mail, for the same address.
        assert has_csrf_pair(request), label
        assert methods == ["create_verification_token"], (label, writes)
        assert mails == 1, (label, mails)
        identifier = writes[0].args[0]["identifier"]
        assert MAILS[0].identifier == identifier
        assert normalize_email(identifier) == identifier, identifier
        return "e-mail link sent"
    assert mails == 0, label
    if key == ("POST", "callback", "credentials"):
        if writes or cookies:
            assert has_csrf_pair(request), label
            assert b"ada" in request.body, label
            assert set(methods) <= {"delete_session", "create_session"}, (label, writes)
            created = [w.result["sessionToken"] for w in writes if w.method == "create_session"]
            if gate_name != "jwt-v5":
                assert cookies == created, (label, cookies, created)
            return "credentials sign-in"
        return "credentials accepted without writes"
    if key in (("GET", "callback", "email"), ("POST", "callback", "email")):
        if writes or cookies:
            if request.method == "GET":
                assert request.query.get("token") == LINK_TOKEN, (label, request.query)
            else:
                assert LINK_TOKEN.encode() in request.body, label
                assert has_csrf_pair(request), label
            assert methods[0] == "use_verification_token", (label, writes)
            assert set(methods) <= {
                "use_verification_token",
                "update_user",
                "link_account",
                "create_session",
                "delete_session",
            }, (label, writes)
            return "e-mail link used"
        return "e-mail callback without writes"
    presented = set(request.cookies.values())
    if key == ("POST", "signout", None):
        assert has_csrf_pair(request) or not writes, label
        assert set(methods) <= {"delete_session"}, (label, writes)
        assert all(w.key in presented for w in writes), (label, writes)
        assert not cookies, label
        return "signed out" if writes else "sign-out without writes"
    if action == "session" or key[:2] == ("POST", "signin"):
        # Reading the presented session slides it (or removes it when it expired); the link
        # intent of POST /signin/<oauth> reads it too.
        assert set(methods) <= {"update_session"}, (label, writes)
        assert all(w.key in presented for w in writes), (label, writes)
        assert all(c in presented for c in cookies), (label, cookies)  # never a new token
        return "session slid" if writes else "read without writes"
    assert not writes, (label, writes)
    assert not cookies, (label, cookies)
    return "accepted without writes"


def check_origin(response: AuthResponse, origin: str | None) -> None:
    """Redirects stay on our origin, except an OAuth start to the provider."""
    target = response.redirect
    if origin is None or target is None or target.startswith(f"{IDP}/authorize?"):
        return
    assert target == origin or target.startswith(f"{origin}/"), target


# ---- the tests -------------------------------------------------------------------------


@SETTINGS
@given(
    method=methods,
    path=paths,
    query=queries,
    host=hosts,
    jar=jars,
    content_type=weighted((1, content_types), (2, posted_types)),
    body=bodies,
    extra=extra_headers,
    gate_name=st.sampled_from(sorted(GATES)),
    near=weighted((1, st.none()), (3, near_requests)),
)
# Regressions and anchors: a valid e-mail sign-in, the e-mail link, a sign-out without CSRF.
@example(
    method="POST",
    path=f"{BASE}/signin/email",
    query="",
    host="localhost:3000",
    jar={"next-auth.csrf-token": CSRF_COOKIE_ENCODED},
    content_type="application/x-www-form-urlencoded",
    body=urlencode({"csrfToken": CSRF_TOKEN, "email": " Ada@Example.COM "}).encode(),
    extra=[],
    gate_name="db-trusting",
    near=None,
)
@example(
    method="GET",
    path=f"{BASE}/callback/email",
    query=urlencode({"token": LINK_TOKEN, "email": ADA}),
    host="localhost:3000",
    jar={"next-auth.session-token": EXPIRED},
    content_type=None,
    body=b"",
    extra=[],
    gate_name="db-fixed",
    near=None,
)
@example(
    method="POST",
    path=f"{BASE}/signout",
    query="",
    host="localhost:3000",
    jar={"next-auth.session-token": LIVE, "next-auth.csrf-token": CSRF_COOKIE_ENCODED},
    content_type="application/x-www-form-urlencoded",
    body=b"csrfToken=nope",
    extra=[],
    gate_name="db-fixed",
    near=None,
)
def test_rejected_requests_never_write(
    loop: asyncio.AbstractEventLoop,
    method: str,
    path: str,
    query: str,
    host: str,
    jar: dict[str, str],
    content_type: str | None,
    body: bytes,
    extra: list[tuple[str, str]],
    gate_name: str,
    near: tuple[str, str, dict[str, Any], str | None, bool, dict[str, str]] | None,
) -> None:
    if near is not None:  # aim at one route with mostly right fields; the rest stays random
        method, path, fields, content_type, clean, sessions = near
        jar = {**jar, **sessions}
        if clean:
            host, extra = "localhost:3000", []
        if method == "GET":
            query, body = urlencode(fields), b""
        elif content_type == "application/json":
            body = json.dumps(fields).encode()
        else:
            body = urlencode(fields).encode()
    reset()
    request = build_request(method, path, query, host, jar, content_type, body, extra)
    response = loop.run_until_complete(GATES[gate_name].handle(request))
    origin = ORIGIN if gate_name == "db-fixed" else None
    check_response(response, origin=None)
    check_origin(response, origin)
    event(f"status {response.status}")
    event(check_writes(request, response, gate_name, len(MAILS)))
    if IDP_CALLS:
        event("reached the provider")


GATES_PREFIX = {"db-fixed": "next-auth.", "db-trusting": "next-auth.", "jwt-v5": "authjs."}
SESSION_ROUTES = [
    ("GET", "session"),
    ("POST", "session"),
    ("POST", "signout"),
    ("POST", "signin/corp"),
    ("POST", "signin/email"),
    ("POST", "callback/credentials"),
    ("GET", "callback/email"),
]


@SETTINGS
@given(
    route_=st.sampled_from(SESSION_ROUTES),
    session=st.sampled_from([LIVE, SLIDING, EXPIRED, UNKNOWN, None]),
    session_name=st.sampled_from(["next-auth.session-token", "authjs.session-token"]),
    csrf_cookie=weighted((4, st.just(CSRF_COOKIE)), (1, st.sampled_from([*CSRF_VALUES, None]))),
    csrf_field=weighted((4, st.just(CSRF_TOKEN)), (1, st.sampled_from([CSRF_TOKEN.upper(), ""]))),
    fields=st.fixed_dictionaries(
        {},
        optional={
            "link": st.sampled_from(["true", "false"]),
            "email": st.sampled_from(EMAILS),
            "token": st.sampled_from(LINK_TOKENS),
            "username": st.just("ada"),
            "password": st.sampled_from([PASSWORD, "wrong"]),
            "json": st.just("true"),
        },
    ),
    as_json=st.booleans(),
    gate_name=st.sampled_from(sorted(GATES)),
)
# Regression anchors: sign-out deletes exactly the presented session, and only with CSRF.
@example(
    route_=("POST", "signout"),
    session=LIVE,
    session_name="next-auth.session-token",
    csrf_cookie=CSRF_COOKIE,
    csrf_field=CSRF_TOKEN,
    fields={},
    as_json=False,
    gate_name="db-fixed",
)
@example(
    route_=("POST", "signin/corp"),
    session=EXPIRED,
    session_name="next-auth.session-token",
    csrf_cookie=CSRF_COOKIE,
    csrf_field=CSRF_TOKEN,
    fields={"link": "true"},
    as_json=False,
    gate_name="db-trusting",
)
def test_session_routes_write_only_what_they_are_for(
    loop: asyncio.AbstractEventLoop,
    route_: tuple[str, str],
    session: str | None,
    session_name: str,
    csrf_cookie: str | None,
    csrf_field: str,
    fields: dict[str, str],
    as_json: bool,
    gate_name: str,
) -> None:
    """The routes that read, slide, end or start a session, with every session and CSRF state."""
    method, action = route_
    jar = {}
    if session is not None:
        jar[session_name] = session
    if csrf_cookie is not None:
        jar["authjs.csrf-token" if gate_name == "jwt-v5" else "next-auth.csrf-token"] = csrf_cookie
    if csrf_field:
        fields = {**fields, "csrfToken": csrf_field}
    query, body, content_type = "", b"", None
    if method == "GET":
        query = urlencode(fields)
    elif as_json:
        body, content_type = json.dumps(fields).encode(), "application/json"
    else:
        body, content_type = urlencode(fields).encode(), "application/x-www-form-urlencoded"
    reset()
    request = build_request(
        method, f"{BASE}/{action}", query, "localhost:3000", jar, content_type, body, []
    )
    response = loop.run_until_complete(GATES[gate_name].handle(request))
    check_response(response, origin=None)
    check_origin(response, ORIGIN)
    event(check_writes(request, response, gate_name, len(MAILS)))
    writes = [w for w in ADAPTER.writes if w.effective]
    database = gate_name != "jwt-v5" and session_name == "next-auth.session-token"
    csrf = csrf_cookie in (CSRF_COOKIE, CSRF_COOKIE_ENCODED) and csrf_field == CSRF_TOKEN
    if (method, action) == ("POST", "signout"):
        # Exactly the presented live row goes, and only with the CSRF pair.
        deleted = [w.key for w in writes]
        expect = [session] if csrf and database and session in (LIVE, SLIDING, EXPIRED) else []
        assert deleted == expect, (deleted, expect)
        if session is not None and csrf and session_name.startswith(GATES_PREFIX[gate_name]):
            assert not session_values(response)
            assert any(c.name == session_name and not c.value for c in response.cookies)
    if (method, action) == ("GET", "session") and database:
        expect_method = {SLIDING: "update_session", EXPIRED: "delete_session"}.get(session or "")
        assert [w.method for w in writes] == ([expect_method] if expect_method else [])


@pytest.fixture(scope="module")
def oauth_start(loop: asyncio.AbstractEventLoop) -> tuple[dict[str, str], str]:
    """The check cookies and the ``state`` of a real ``POST /signin/corp`` on db-trusting."""
    reset()
    request = build_request(
        "POST",
        f"{BASE}/signin/corp",
        "",
        "localhost:3000",
        {"next-auth.csrf-token": CSRF_COOKIE_ENCODED},
        "application/x-www-form-urlencoded",
        urlencode({"csrfToken": CSRF_TOKEN}).encode(),
        [],
    )
    response = loop.run_until_complete(GATES["db-trusting"].handle(request))
    assert response.redirect is not None
    assert response.redirect.startswith(f"{IDP}/authorize?")
    state = parse_qs(urlsplit(response.redirect).query)["state"][0]
    checks = {c.name: c.value for c in response.cookies if c.value and "csrf" not in c.name}
    assert {"next-auth.state", "next-auth.pkce.code_verifier"} <= set(checks)
    assert not ADAPTER.writes
    return checks, state


@SETTINGS
@given(
    method=st.sampled_from(["GET", "GET", "POST"]),
    keep=st.sets(st.sampled_from(["next-auth.state", "next-auth.pkce.code_verifier"])),
    state=st.sampled_from(["right", "right", "wrong", "missing"]),
    params=st.dictionaries(
        st.sampled_from(["code", "error", "iss", "error_description", "id_token", "user"]),
        weighted((3, st.sampled_from(["abc", "access_denied", IDP, ""])), (1, value)),
    ),
    jar=random_jars,
    session=st.sampled_from([LIVE, SLIDING, EXPIRED, None]),
    origin=st.sampled_from([None, IDP, "http://evil.com", ORIGIN]),
)
def test_oauth_callback_never_writes_when_the_provider_fails(
    loop: asyncio.AbstractEventLoop,
    oauth_start: tuple[dict[str, str], str],
    method: str,
    keep: set[str],
    state: str,
    params: dict[str, str],
    jar: dict[str, str],
    session: str | None,
    origin: str | None,
) -> None:
    """With genuine check cookies the callback reaches the provider, which always fails."""
    checks, real_state = oauth_start
    fields = dict(params)
    if state != "missing":
        fields["state"] = real_state if state == "right" else real_state[::-1]
    jar = {**jar, **{k: v for k, v in checks.items() if k in keep}}
    if session is not None:
        jar["next-auth.session-token"] = session
    extra = [] if origin is None else [("origin", origin)]
    query, body, content_type = "", b"", None
    if method == "GET":
        query = urlencode(fields)
    else:
        body, content_type = urlencode(fields).encode(), "application/x-www-form-urlencoded"
    reset()
    request = build_request(
        method, f"{BASE}/callback/corp", query, "localhost:3000", jar, content_type, body, extra
    )
    response = loop.run_until_complete(GATES["db-trusting"].handle(request))
    check_response(response, origin=None)
    check_origin(response, ORIGIN)
    assert is_rejected(response), (response.status, target_of(response))
    check_writes(request, response, "db-trusting", len(MAILS))
    assert not [w for w in ADAPTER.writes if w.effective and not is_dead(w)]
    event("reached the provider" if IDP_CALLS else "stopped before the provider")
    if IDP_CALLS:
        assert all(c.startswith(f"{IDP}/token") for c in IDP_CALLS), IDP_CALLS


def test_the_recorder_sees_every_kind_of_write(loop: asyncio.AbstractEventLoop) -> None:
    """Guards the properties above against a recorder that sees nothing."""
    csrf_jar = {"next-auth.csrf-token": CSRF_COOKIE_ENCODED}
    form = "application/x-www-form-urlencoded"

    def post(path: str, fields: dict[str, str], jar: dict[str, str]) -> AuthResponse:
        body = urlencode({"csrfToken": CSRF_TOKEN, **fields}).encode()
        request = build_request(
            "POST", f"{BASE}/{path}", "", "localhost:3000", {**csrf_jar, **jar}, form, body, []
        )
        return loop.run_until_complete(GATES["db-trusting"].handle(request))

    reset()
    post("signin/email", {"email": "New@Example.com"}, {})
    assert [(w.method, w.args[0]["identifier"]) for w in ADAPTER.writes] == [
        ("create_verification_token", "new@example.com")
    ]
    assert [m.identifier for m in MAILS] == ["new@example.com"]

    reset()
    response = post("callback/credentials", {"username": "ada", "password": PASSWORD}, {})
    assert [w.method for w in ADAPTER.writes] == ["create_session"]
    assert session_values(response) == [ADAPTER.writes[0].result["sessionToken"]]

    reset()
    post("signout", {}, {"next-auth.session-token": LIVE})
    assert [(w.method, w.key) for w in ADAPTER.writes] == [("delete_session", LIVE)]

    reset()
    link = build_request(
        "GET",
        f"{BASE}/callback/email",
        urlencode({"token": LINK_TOKEN, "email": ADA}),
        "localhost:3000",
        {},
        None,
        b"",
        [],
    )
    response = loop.run_until_complete(GATES["db-trusting"].handle(link))
    methods = [w.method for w in ADAPTER.writes]
    assert methods[0] == "use_verification_token"
    assert "create_session" in methods
    assert session_values(response)
