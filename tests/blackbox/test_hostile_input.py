"""Hostile and malformed input: a documented answer, never a 500, never a session cookie."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from .conftest import CSRF, PASSWORD, SESSION, URL, Client, body_json, make_gate, set_cookies

if TYPE_CHECKING:
    from authgate.http import AuthResponse

pytestmark = pytest.mark.anyio

CSRF_TRUE = f"{URL}/signin?csrf=true"


async def post_raw(
    body: bytes, content_type: str | None, path: str = "/callback/credentials"
) -> AuthResponse:
    client = Client(make_gate())
    await client.csrf()
    return await client.post(path, body=body, content_type=content_type)


@pytest.mark.parametrize(
    ("body", "content_type", "status", "message"),
    [
        (b"{not json", "application/json", 400, b"Bad Request: request body is not valid JSON"),
        (b"[1, 2]", "application/json", 400, b"Bad Request: JSON body must be an object"),
        (b'"text"', "application/json", 400, b"Bad Request: JSON body must be an object"),
        (b"[" * 5000, "application/json", 400, b"Bad Request: request body is not valid JSON"),
        (
            json.dumps({"data": [[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]}).encode(),
            "application/json",
            400,
            b"Bad Request: JSON body is nested too deeply",
        ),
        (
            json.dumps({f"k{i}": i for i in range(100)}).encode(),
            "application/json",
            400,
            b"Bad Request: too many fields",
        ),
        (
            b"a=1&a=2",
            "application/x-www-form-urlencoded",
            400,
            b"Bad Request: a form field is repeated",
        ),
        (
            b"csrfToken=x&csrfToken=y",
            "application/x-www-form-urlencoded",
            400,
            b"Bad Request: a form field is repeated",
        ),
        (
            b"&".join(b"f%d=1" % i for i in range(100)),
            "application/x-www-form-urlencoded",
            400,
            b"Bad Request: too many fields",
        ),
        (
            b'{"csrfToken": "junk", "csrfToken": "junk2"}',
            "application/json",
            400,
            b"Bad Request: a JSON field is repeated",
        ),
        (
            b'{"data": {"a": 1, "a": 2}}',
            "application/json",
            400,
            b"Bad Request: a JSON field is repeated",
        ),
        (
            b'{"username": "\\ud800", "password": "x"}',
            "application/json",
            400,
            b"Bad Request: JSON body contains a lone UTF-16 surrogate",
        ),
        (
            b'{"data": ["ok", {"\\udfff": 1}]}',
            "application/json",
            400,
            b"Bad Request: JSON body contains a lone UTF-16 surrogate",
        ),
        (b"username=ada", None, 415, b"Bad Request: a request body needs a Content-Type"),
        (b'{"username": "ada"}', "", 415, b"Bad Request: a request body needs a Content-Type"),
        (
            b"username=\xff\xfe",
            "application/x-www-form-urlencoded",
            400,
            b"Bad Request: request body is not valid UTF-8",
        ),
        (
            b"username=%FF%FE",
            "application/x-www-form-urlencoded",
            400,
            b"Bad Request: form field is not valid UTF-8",
        ),
        (
            b'{"a": "\xff"}',
            "application/json",
            400,
            b"Bad Request: request body is not valid UTF-8",
        ),
        (b"x" * (64 * 1024 + 1), "application/x-www-form-urlencoded", 413, None),
        (b"username=ada", "text/plain", 415, b"Bad Request: unsupported content type 'text/plain'"),
        (b"--b\r\n", "multipart/form-data; boundary=b", 415, None),
        (b"<x/>", "application/xml", 415, None),
    ],
)
@pytest.mark.parametrize("path", ["/callback/credentials", "/session", "/signout", "/_log"])
async def test_bad_bodies_get_a_plain_error_without_cookies(
    body: bytes, content_type: str | None, status: int, message: bytes | None, path: str
) -> None:
    response = await post_raw(body, content_type, path)
    assert response.status == status
    if message is not None:
        assert response.body == message
    assert response.cookies == []
    assert response.redirect is None


async def test_a_body_at_the_size_limit_is_accepted() -> None:
    # four fields, each under the 16 KiB field limit, exactly 64 KiB in all
    padding = "&".join(f"p{i}=" + "x" * (16380 if i < 3 else 16381) for i in range(4))
    assert len(padding) == 64 * 1024
    response = await post_raw(padding.encode(), "application/x-www-form-urlencoded")
    assert (response.status, response.redirect) == (302, CSRF_TRUE)


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "application/vnd.api+json"]
)
async def test_json_media_types_are_accepted(content_type: str) -> None:
    client = Client(make_gate())
    csrf = await client.csrf()
    body = json.dumps({"csrfToken": csrf, "username": "ada", "password": PASSWORD}).encode()
    response = await client.post("/callback/credentials", body=body, content_type=content_type)
    assert response.status == 302
    assert SESSION in set_cookies(response)


async def test_a_form_body_is_accepted_where_json_is_usual() -> None:
    client = Client(make_gate())
    await client.sign_in()
    csrf = await client.csrf()
    response = await client.post("/session", form={"csrfToken": csrf, "data": "x"})
    assert response.status == 200
    assert body_json(response)["user"]["name"] == "Ada"


async def test_a_body_without_content_type_never_signs_in() -> None:
    # docs/compatibility.md row 8: only urlencoded and JSON bodies are read.
    client = Client(make_gate())
    csrf = await client.csrf()
    body = f"csrfToken={csrf}&username=ada&password={PASSWORD.replace(' ', '+')}".encode()
    response = await client.post("/callback/credentials", body=body)
    assert response.status == 415
    assert SESSION not in set_cookies(response)


async def test_a_duplicated_json_csrf_token_is_refused_like_a_repeated_form_field() -> None:
    client = Client(make_gate())
    csrf = await client.csrf()
    fields = f'"username": "ada", "password": "{PASSWORD}"'
    body = f'{{"csrfToken": "junk", "csrfToken": "{csrf}", {fields}}}'.encode()
    response = await client.post(
        "/callback/credentials", body=body, content_type="application/json"
    )
    assert response.status == 400
    assert SESSION not in set_cookies(response)


@pytest.mark.parametrize("field", ["username", "password", "csrfToken", "callbackUrl", "email"])
async def test_a_lone_surrogate_in_any_json_field_is_a_400_never_a_500(field: str) -> None:
    client = Client(make_gate())
    fields = {"csrfToken": await client.csrf(), "username": "ada", "password": PASSWORD}
    body = json.dumps({**fields, field: "x\ud800y"}).encode()
    response = await client.post(
        "/callback/credentials", body=body, content_type="application/json"
    )
    assert response.status == 400
    assert SESSION not in set_cookies(response)


@pytest.mark.parametrize(
    "value",
    [123, None, {"$ne": ""}, ["a"], True, "", "g" * 64, "A" * 64],
)
async def test_non_string_or_wrong_csrf_tokens_fail_the_check(value: object) -> None:
    client = Client(make_gate())
    await client.csrf()
    body = {"csrfToken": value, "username": "ada", "password": PASSWORD}
    response = await client.post("/callback/credentials", json_body=body)
    assert response.redirect == CSRF_TRUE
    assert SESSION not in set_cookies(response)


async def test_a_csrf_token_in_the_query_or_a_header_does_not_count() -> None:
    client = Client(make_gate())
    token = await client.csrf()
    response = await client.post(
        "/callback/credentials",
        form={"username": "ada", "password": PASSWORD},
        query={"csrfToken": token},
        headers=[("x-csrf-token", token)],
    )
    assert response.redirect == CSRF_TRUE


@pytest.mark.parametrize(
    "cookie_header",
    [
        f"{CSRF}=%ZZ%",
        f"{CSRF}=%FF%FE",
        f"{CSRF}=%E0%A4%A",
        f"{CSRF}={'a' * 64}%7C{'b' * 64}",
        f"{CSRF}={'a' * 64}|{'b' * 64}|c",
        f'{CSRF}="quoted"',
        f"{CSRF}=; {SESSION}=%%%",
        f"{SESSION}=%C0%AF",
        "no-equals-sign; ;;=value; =",
        f"{SESSION}.abc=x; {SESSION}.99999=y; {SESSION}.-1=z",
    ],
)
async def test_garbage_cookies_are_no_token_never_a_500(cookie_header: str) -> None:
    client = Client(make_gate())
    response = await client.get("/session", cookie_header=cookie_header)
    assert (response.status, response.body) == (200, b"{}")
    assert CSRF in set_cookies(response)  # a fresh token replaces whatever was there
    assert all(c.max_age == 0 for c in response.cookies if c.name.startswith(SESSION))
    post = await client.post(
        "/callback/credentials",
        form={"csrfToken": "a" * 64, "username": "ada", "password": PASSWORD},
        cookie_header=cookie_header,
    )
    assert post.redirect == CSRF_TRUE
    assert not [c for c in post.cookies if c.name.startswith(SESSION) and c.max_age != 0]


async def test_huge_cookie_headers_are_no_session_never_a_500() -> None:
    chunks = "; ".join(f"{SESSION}.{i}={'A' * 4000}" for i in range(40))
    client = Client(make_gate())
    response = await client.get("/session", cookie_header=chunks + "; other=" + "b" * 100_000)
    assert (response.status, response.body) == (200, b"{}")
    assert sum(1 for c in response.cookies if c.max_age == 0) == 40


async def test_a_huge_single_session_cookie_is_no_session() -> None:
    client = Client(make_gate(), jar={SESSION: "e" * 1_000_000})
    response = await client.get("/session")
    assert (response.status, response.body) == (200, b"{}")
    assert set_cookies(response)[SESSION].max_age == 0


@pytest.mark.parametrize(
    "query",
    ["callbackUrl=%FF%FE", "callbackUrl=%", "callbackUrl=%00", "error=%FF", "a=" + "b" * 100_000],
)
async def test_odd_query_strings_never_crash(query: str) -> None:
    client = Client(make_gate())
    for path in ("/signin", "/session", "/error", "/csrf"):
        response = await client.get(path, query=query)
        assert response.status in (200, 302), path


async def test_a_body_on_get_is_ignored() -> None:
    client = Client(make_gate())
    response = await client.get("/session", body=b"\xff" * 10, content_type="text/plain")
    assert (response.status, response.body) == (200, b"{}")


async def test_credentials_fields_of_unexpected_types_are_refused_by_authorize() -> None:
    client = Client(make_gate())
    csrf = await client.csrf()
    body = {"csrfToken": csrf, "username": {"$gt": ""}, "password": ["x"], "json": "true"}
    response = await client.post("/callback/credentials", json_body=body)
    assert response.status == 401
    assert SESSION not in set_cookies(response)


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (
            b"username=" + b"a" * (16 * 1024 + 1),
            "application/x-www-form-urlencoded",
            b"a field is longer than 16384 characters",
        ),
        (
            json.dumps({"username": "a" * (16 * 1024 + 1)}).encode(),
            "application/json",
            b"a field is longer than 16384 characters",
        ),
        (
            b"k" * 257 + b"=1",
            "application/x-www-form-urlencoded",
            b"a field name is longer than 256 characters",
        ),
        (
            json.dumps({"k" * 257: 1}).encode(),
            "application/json",
            b"a field name is longer than 256 characters",
        ),
    ],
)
async def test_overlong_fields_are_a_400_before_any_work(
    body: bytes, content_type: str | None, message: bytes
) -> None:
    response = await post_raw(body, content_type)
    assert (response.status, response.body) == (400, b"Bad Request: " + message)
    assert response.cookies == []


async def test_fields_at_the_length_limits_are_accepted() -> None:
    client = Client(make_gate())
    csrf = await client.csrf()
    form = {"csrfToken": csrf, "username": "a" * (16 * 1024), "k" * 256: "1", "password": "x"}
    response = await client.post("/callback/credentials", form=form)
    assert response.redirect == f"{URL}/error?error=CredentialsSignin&provider=credentials"


async def test_sixteen_kib_of_session_chunks_is_no_session_never_a_500() -> None:
    chunks = "; ".join(f"{SESSION}.{i}={'A' * 4096}" for i in range(5))
    response = await Client(make_gate()).get("/session", cookie_header=chunks)
    assert (response.status, response.body) == (200, b"{}")
    assert {c.name for c in response.cookies if c.max_age == 0} >= {
        f"{SESSION}.{i}" for i in range(5)
    }
