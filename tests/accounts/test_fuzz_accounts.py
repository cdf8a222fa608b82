"""Hypothesis over the password-account and two-factor routes: never a 5xx, never a write or a
session on a rejected request.

The gate (Password + two-factor, database sessions) runs on a :class:`MemoryAdapter` seeded with
a confirmed user who has a password, an enrolled TOTP factor, recovery codes and a live
database session, wrapped in a recorder of every write method (Auth.js's and the optional
capabilities). For any method, route, query, form (right, wrong, hostile and missing values of
every field, right or wrong CSRF token), cookie jar (the live session, garbage, a hostile
pending two-factor cookie) and JSON mode:

- the status is below 500 and every header is ASCII without line breaks;
- a rejected answer (4xx, a redirect to the error page, ``?csrf=true``, a refused form) writes
  nothing and sets no session cookie with a value.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import pyotp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _support.passwords import FAST_ARGON2
from authgate import AuthConfig, AuthGate, AuthRequest, SessionConfig, TwoFactor
from authgate._core.two_factor import recovery, totp
from authgate.adapters.memory import MemoryAdapter
from authgate.providers import Password
from property.test_fuzz_routes import check_response

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

SECRET = "accounts-fuzz-secret-8a7c"
ORIGIN = "http://localhost:3000"
BASE = "/api/auth"
NOW = 1_800_000_000.0
EMAIL = "ada@example.com"
PASSWORD = "a long and unusual passphrase 7"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
LIVE = "5" * 64
CODES = ["abcde-fghjk", "mnpqr-stuvw"]
PASSWORD_HASH = FAST_ARGON2.hash(PASSWORD)  # the parameters tests/conftest.py puts in place

WRITES = (
    "create_user",
    "update_user",
    "link_account",
    "create_session",
    "delete_session",
    "update_session",
    "create_verification_token",
    "use_verification_token",
    "set_password_hash",
    "delete_user_sessions",
    "enable_two_factor",
    "disable_two_factor",
    "use_totp_step",
    "use_recovery_code",
    "replace_recovery_codes",
    "set_session_methods",
)
# Writes that change nothing when they find nothing.
CONDITIONAL = {"use_verification_token", "use_totp_step", "use_recovery_code", "delete_session"}

SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


class Recorder:
    """Every write method call through the adapter (inside transactions too)."""

    def __init__(self, inner: Any, log: list[tuple[str, Any]] | None = None) -> None:
        self.inner = inner
        self.log: list[tuple[str, Any]] = [] if log is None else log

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.inner, name)
        if name not in WRITES:
            return attribute

        async def write(*args: Any, **kwargs: Any) -> Any:
            result = await attribute(*args, **kwargs)
            self.log.append((name, result))
            return result

        return write

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Recorder]:
        async with self.inner.transaction() as tx:
            yield Recorder(tx, self.log)

    def effective(self) -> list[str]:
        return [n for n, r in self.log if n not in CONDITIONAL or r not in (None, False)]


async def _seed() -> Recorder:
    adapter = MemoryAdapter()
    moment = datetime.fromtimestamp(NOW, UTC)
    user = await adapter.create_user({"email": EMAIL, "emailVerified": moment, "name": "Ada"})
    uid = user["id"]
    await adapter.link_account(
        {"userId": uid, "type": "credentials", "provider": "password", "providerAccountId": uid}
    )
    await adapter.set_password_hash(uid, PASSWORD_HASH)
    await adapter.create_session(
        {"sessionToken": LIVE, "userId": uid, "expires": moment + timedelta(days=30)}  # no slide
    )
    await adapter.enable_two_factor(
        {
            "userId": uid,
            "secret": totp.seal_secret((SECRET,), TOTP_SECRET),
            "lastStep": None,
            "createdAt": moment,
        },
        recovery.digests(SECRET, CODES),
    )
    return Recorder(adapter)


async def _noop(mail: Any) -> None:
    del mail


def _gate(adapter: Recorder) -> AuthGate:
    return AuthGate(
        AuthConfig(
            providers=[Password(send_mail=_noop)],
            secret=SECRET,
            url=f"{ORIGIN}{BASE}",
            adapter=adapter,
            session=SessionConfig(strategy="database"),
            two_factor=TwoFactor(),
            rate_limit=None,
        ),
        env={},
    )


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    runner = asyncio.Runner()
    yield runner.get_loop()
    runner.close()


_boot = asyncio.run(_seed())
_csrf = _gate(_boot).get_csrf_token(AuthRequest.build(method="GET", path=f"{BASE}/csrf"))
CSRF_TOKEN, CSRF_COOKIE = _csrf.token, _csrf.cookies[0].value

ROUTES = [
    "signup",
    "verify-email",
    "forgot-password",
    "reset-password",
    "change-password",
    "two-factor",
    "two-factor-setup",
]
text = st.text(max_size=30)
values = st.one_of(
    text,
    st.sampled_from(
        [
            EMAIL,
            PASSWORD,
            "short",
            "x" * 300,
            "\ud800",
            "nobody@example.com",
            "a@b",
            pyotp.TOTP(TOTP_SECRET).at(NOW),
            CODES[0],
            "enable",
            "disable",
            "regenerate",
            "",
            "0" * 6,
        ]
    ),
)
FIELDS = [
    "email",
    "password",
    "name",
    "token",
    "code",
    "recoveryCode",
    "op",
    "currentPassword",
    "newPassword",
    "provider",
    "callbackUrl",
]


@st.composite
def requests(draw: st.DrawFn) -> tuple[AuthRequest, bool]:
    method = draw(st.sampled_from(["GET", "POST"]))
    route = draw(st.sampled_from(ROUTES))
    form = {f: draw(values) for f in draw(st.lists(st.sampled_from(FIELDS), unique=True))}
    csrf = draw(st.sampled_from(["right", "wrong", "none"]))
    if csrf != "none":
        form["csrfToken"] = CSRF_TOKEN if csrf == "right" else "f" * 64
    if draw(st.booleans()):
        form["json"] = "true"
    jar = {"next-auth.csrf-token": CSRF_COOKIE.replace("|", "%7C")}
    session = draw(st.sampled_from([None, LIVE, "garbage", "6" * 64]))
    if session:
        jar["next-auth.session-token"] = session
    if draw(st.booleans()):
        jar["next-auth.two-factor"] = draw(st.sampled_from(["x", "e30", "a.b.c.d.e"]))
    query = {f: draw(values) for f in draw(st.lists(st.sampled_from(FIELDS), unique=True))}
    body = urlencode({k: v.encode("utf-8", "surrogatepass") for k, v in form.items()}).encode()
    headers = [
        ("host", "localhost:3000"),
        ("cookie", "; ".join(f"{k}={v}" for k, v in jar.items())),
        ("content-type", "application/x-www-form-urlencoded"),
    ]
    request = AuthRequest.build(
        method=method,
        path=f"{BASE}/{route}",
        query_string=urlencode({k: v.encode("utf-8", "surrogatepass") for k, v in query.items()}),
        headers=headers,
        body=body if method == "POST" else b"",
    )
    return request, csrf == "right"


def rejected(response: Any) -> bool:
    if response.status >= 400:
        return True
    target = response.redirect or ""
    return "/error?" in target or "csrf=true" in target


@SETTINGS
@given(case=requests())
def test_new_routes_never_fail_and_rejections_never_write(
    loop: asyncio.AbstractEventLoop, case: tuple[AuthRequest, bool]
) -> None:
    request, _ = case
    adapter = loop.run_until_complete(_seed())
    response = loop.run_until_complete(_gate(adapter).handle(request, now=NOW))
    check_response(response, origin=ORIGIN)
    if rejected(response):
        assert adapter.effective() == [], (response.status, response.redirect, adapter.log)
        assert not any(
            c.name == "next-auth.session-token" and c.value and c.max_age != 0
            for c in response.cookies
        )
