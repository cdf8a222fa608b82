"""The hot path's shortcuts build the same values as the public, slower spellings."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest

from authgate._core import routing
from authgate._core.cookies import CookieSpec, write_session
from authgate.http import AuthRequest, Cookie, new_cookie, new_request

NOW = datetime(2026, 12, 2, 7, 0, 0, 123456, tzinfo=UTC)


def test_new_request_is_an_ordinary_frozen_request() -> None:
    made = new_request(
        "POST", "/api/auth/x", {"a": "1"}, {"h": "v"}, {"c": "d"}, frozenset({"c"}), b"b",
        "127.0.0.1", "https",
    )  # fmt: skip
    assert type(made) is AuthRequest
    assert made == AuthRequest(
        method="POST", path="/api/auth/x", query={"a": "1"}, headers={"h": "v"},
        cookies={"c": "d"}, duplicate_cookies=frozenset({"c"}), body=b"b",
        client_host="127.0.0.1", scheme="https",
    )  # fmt: skip
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.method = "GET"  # type: ignore[misc]
    assert dataclasses.replace(made, method="GET").method == "GET"


def test_build_of_a_subclass_builds_the_subclass() -> None:
    @dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
    class Mine(AuthRequest):
        pass

    assert type(Mine.build(method="get", path="/")) is Mine


def test_new_cookie_is_an_ordinary_frozen_cookie() -> None:
    made = new_cookie("n", "v", "/p", "example.org", 5, NOW, False, True, "strict")
    assert type(made) is Cookie
    assert made == Cookie(
        name="n", value="v", path="/p", domain="example.org", max_age=5, expires=NOW,
        http_only=False, secure=True, same_site="strict",
    )  # fmt: skip
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.value = "w"  # type: ignore[misc]


def test_serialize_follows_the_expires_second_and_every_attribute() -> None:
    base = Cookie(name="n", value="a|b", expires=NOW)
    assert base.serialize() == (
        "n=a%7Cb; Path=/; Expires=Wed, 02 Dec 2026 07:00:00 GMT; HttpOnly; SameSite=Lax"
    )
    later = dataclasses.replace(base, expires=NOW + timedelta(seconds=1))
    assert "Expires=Wed, 02 Dec 2026 07:00:01 GMT;" in later.serialize()
    bare = Cookie(name="n", value="", path="", http_only=False, same_site=None)
    assert bare.serialize() == "n="
    full = Cookie(name="n", value="v", domain="d.example", max_age=0, secure=True)
    assert (
        full.serialize()
        == "n=v; Max-Age=0; Domain=d.example; Path=/; HttpOnly; Secure; SameSite=Lax"
    )


def test_serialize_of_a_cookie_without_expires_is_the_same_every_time_and_typed() -> None:
    """Short cookies without Expires are serialised once; the memo tells 1 from 1.0 and True."""
    url = Cookie(name="next-auth.callback-url", value="http://a.example:8000/x?y=1")
    expected = (
        "next-auth.callback-url=http%3A%2F%2Fa.example%3A8000%2Fx%3Fy%3D1; Path=/; HttpOnly; "
        "SameSite=Lax"
    )
    assert url.serialize() == url.serialize() == expected
    assert Cookie(name="n", value="v", max_age=1).serialize().startswith("n=v; Max-Age=1;")
    odd = Cookie(name="n", value="v", max_age=1.0)  # type: ignore[arg-type]
    assert odd.serialize().startswith("n=v; Max-Age=1.0;")
    long = Cookie(name="n", value="x|" * 100)
    assert long.serialize() == "n=" + "x%7C" * 100 + "; Path=/; HttpOnly; SameSite=Lax"


def test_serialize_refuses_a_non_utc_expiry_even_after_the_same_instant_in_utc() -> None:
    Cookie(name="n", value="v", expires=NOW).serialize()
    elsewhere = NOW.astimezone(timezone(timedelta(hours=1)))
    with pytest.raises(ValueError, match="UTC"):
        Cookie(name="n", value="v", expires=elsewhere).serialize()
    with pytest.raises(ValueError, match="UTC"):
        Cookie(name="n", value="v", expires=NOW.replace(tzinfo=None)).serialize()


@pytest.mark.parametrize(
    "present",
    [{}, {"s": "old"}, {"s.0": "a", "s.1": "b"}, {"s": "old", "s.2": "c", "other": "x"}],
)
def test_write_session_deletes_stale_chunks_on_the_short_path_too(present: dict[str, str]) -> None:
    spec = CookieSpec("s", secure=False)
    written = write_session(spec, "token", expires=NOW, present=present)
    stale = sorted(k for k in present if k.startswith("s."))
    assert [(c.name, c.value) for c in written if c.value] == [("s", "token")]
    assert sorted(c.name for c in written if not c.value) == stale


def test_routing_answers_the_same_for_remembered_and_long_paths() -> None:
    assert routing.parse("/api/auth/session", "/api/auth") == (routing.Action.SESSION, None)
    assert routing.parse("/api/auth/session", "/api/auth") == (routing.Action.SESSION, None)
    long_provider = "p" * 200
    assert routing.parse(f"/api/auth/signin/{long_provider}", "/api/auth") == (
        routing.Action.SIGNIN,
        long_provider,
    )
    for _ in range(2):
        with pytest.raises(routing.NotOursError):
            routing.parse("/elsewhere", "/api/auth")
