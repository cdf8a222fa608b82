"""Hypothesis: JSON bodies of any shape reach every POST endpoint and never produce a 5xx.

The values mix what a JavaScript client can send and Python's ``json`` reads: lone UTF-16
surrogates (``"\\ud800"``), numbers of every kind (huge, negative, ``1e400``, ``NaN``), booleans,
``null``, nested lists and objects, duplicated keys, and the right CSRF token next to them, so
the bodies get past the CSRF check into the actions, the limiter and ``authorize``.

Bounded: 100 examples per test, no deadline.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from authgate import AuthConfig, AuthGate, AuthRequest, SessionConfig
from authgate.adapters.memory import MemoryAdapter
from authgate.providers import Credentials, Email, VerificationRequest
from authgate.ratelimit import RateLimit
from authgate.ratelimit._limiter import Attempt, SignInLimiter

from .test_fuzz_routes import PASSWORD, SETTINGS, authorize, loop

if TYPE_CHECKING:
    import asyncio

SECRET = "fuzz-json-secret-2b7e41"
ORIGIN = "http://localhost:3000"
BASE = "/api/auth"
FEW = settings(SETTINGS, max_examples=100)
__all__ = ["loop"]  # the event-loop fixture, shared with test_fuzz_routes


async def outbox(request: VerificationRequest) -> None:
    return None


GATE = AuthGate(
    AuthConfig(
        providers=[
            Credentials(authorize=authorize, credentials={"username": {}, "password": {}}),
            Email(send_verification_request=outbox),
        ],
        adapter=MemoryAdapter(),
        session=SessionConfig(strategy="jwt"),
        secret=SECRET,
        url=ORIGIN + BASE,
        rate_limit=RateLimit(),
    ),
    env={},
)
_csrf = GATE.get_csrf_token(AuthRequest.build(method="GET", path=f"{BASE}/csrf"))
CSRF_TOKEN = _csrf.token
CSRF_COOKIE = _csrf.cookies[0].value.replace("|", "%7C")

ENDPOINTS = [
    "callback/credentials",
    "signin/email",
    "signin/credentials",
    "session",
    "signout",
    "_log",
    "callback/email",
]
FIELDS = ["csrfToken", "username", "password", "email", "callbackUrl", "json", "data", "level"]

surrogates = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, categories=["Cs"])
# st.text() never yields surrogates, so strings are joined from characters.
hostile_text = st.lists(
    st.one_of(st.characters(codec="utf-8"), surrogates, st.sampled_from("@'`\"\\<>,;\x00\n")),
    max_size=20,
).map("".join)
scalars = st.one_of(
    hostile_text,
    st.integers(),
    st.integers(min_value=10**30, max_value=10**60),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.sampled_from(["ada", PASSWORD, CSRF_TOKEN, "ada@example.com", "true", ""]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(hostile_text, inner, max_size=3)
    ),
    max_leaves=8,
)


def encode(pairs: list[tuple[str, Any]]) -> bytes:
    """A JSON object written pair by pair (so keys may repeat); ``\\ud800`` stays escaped."""
    members = ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in pairs)
    return ("{" + members + "}").encode()


bodies = st.lists(
    st.tuples(st.one_of(st.sampled_from(FIELDS), hostile_text), values), max_size=6
).map(lambda pairs: [("csrfToken", CSRF_TOKEN), *pairs])


@FEW
@given(endpoint=st.sampled_from(ENDPOINTS), pairs=bodies, json_mode=st.booleans())
@example(
    endpoint="callback/credentials",
    pairs=[("csrfToken", CSRF_TOKEN), ("username", "\ud800")],
    json_mode=False,
)
@example(
    endpoint="callback/credentials",
    pairs=[("csrfToken", CSRF_TOKEN), ("username", 4711)],
    json_mode=True,
)
@example(
    endpoint="signin/email",
    pairs=[("csrfToken", CSRF_TOKEN), ("email", "a\udc00@b.co")],
    json_mode=False,
)
@example(
    endpoint="signin/email",
    pairs=[("csrfToken", CSRF_TOKEN), ("email", ["a@b.co"])],
    json_mode=True,
)
def test_any_json_body_gets_an_answer_below_500(
    loop: asyncio.AbstractEventLoop, endpoint: str, pairs: list[tuple[str, Any]], json_mode: bool
) -> None:
    body = encode(pairs)
    request = AuthRequest.build(
        method="POST",
        path=f"{BASE}/{endpoint}",
        query_string="json=true" if json_mode else "",
        headers=[
            ("host", "localhost:3000"),
            ("content-type", "application/json"),
            ("cookie", f"next-auth.csrf-token={CSRF_COOKIE}"),
        ],
        body=body,
        client_host="203.0.113.9",
    )
    response = loop.run_until_complete(GATE.handle(request, now=1_800_000_000.0))
    assert 200 <= response.status < 500, (response.status, body)
    for cookie in response.cookies:
        if cookie.name == "next-auth.session-token":
            assert cookie.max_age == 0 or not cookie.value, body


@FEW
@given(fields=st.dictionaries(st.sampled_from(["username", "email", "x"]), values, max_size=3))
def test_the_limiter_keys_any_identifier_value(
    loop: asyncio.AbstractEventLoop, fields: dict[str, Any]
) -> None:
    # Defence in depth below the body parser: whatever reaches the limiter is hashed.
    limiter = SignInLimiter(RateLimit(), SECRET)
    identifiers = limiter.identifiers(fields)
    assert all(isinstance(i, str) and i for i in identifiers)
    result = loop.run_until_complete(
        limiter.acquire(identifiers=identifiers, client="203.0.113.9", now=1.0)
    )
    assert isinstance(result, Attempt)  # a first attempt: counted, never a backend error
