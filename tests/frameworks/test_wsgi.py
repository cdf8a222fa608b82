"""AuthWSGIApp and get_session(environ): body limits, mount prefixes, every Set-Cookie."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import pytest

from authgate.integrations.asgi import MAX_BODY_BYTES
from authgate.integrations.wsgi import (
    AuthWSGIApp,
    get_csrf_token,
    get_session,
    read_body,
    request_from_environ,
    status_line,
)

from .support import make_gate, sign_in, wsgi_client

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable


def hello(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """The wrapped app: the session of the request, through the sync get_session."""
    session = get_session(environ, environ["test.gate"])
    name = session["user"]["name"] if session else "nobody"
    start_response("200 OK", [("content-type", "text/plain")])
    return [f"hello {name} at {environ['PATH_INFO']}".encode()]


def app_for(gate: Any) -> AuthWSGIApp:
    def inner(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ["test.gate"] = gate
        return hello(environ, start_response)

    return AuthWSGIApp(gate, app=inner)


def test_sign_in_then_the_wrapped_app_reads_the_session() -> None:
    gate = make_gate()
    with wsgi_client(app_for(gate)) as http:
        assert http.get("/page").text == "hello nobody at /page"
        response = sign_in(http)
        assert response.status_code == 302
        assert http.get("/page").text == "hello Ada at /page"
        assert http.get("/api/auth/session").json()["user"]["name"] == "Ada"


def test_each_cookie_is_its_own_set_cookie_header() -> None:
    with wsgi_client(AuthWSGIApp(make_gate())) as http:
        response = http.get("/api/auth/csrf")
    lines = response.headers.get_list("set-cookie")
    assert [line.split("=", 1)[0] for line in lines] == [
        "next-auth.csrf-token",
        "next-auth.callback-url",
    ]


def test_without_a_wrapped_app_other_paths_are_404() -> None:
    with wsgi_client(AuthWSGIApp(make_gate())) as http:
        assert http.get("/elsewhere").status_code == 404
        assert http.get("/api/authx/session").status_code == 404


def test_under_a_mount_prefix_the_script_name_is_part_of_the_path() -> None:
    gate = make_gate(url="http://testserver/app/api/auth")
    with wsgi_client(app_for(gate), script_name="/app") as http:
        csrf = http.get("/api/auth/csrf")
        assert csrf.status_code == 200
        assert sign_in(http).status_code == 302
        assert http.get("/page").text == "hello Ada at /page"


class Exploding(io.BytesIO):
    def read(self, size: int | None = -1, /) -> bytes:
        raise AssertionError("the body was read")


def call(app: AuthWSGIApp, **environ: Any) -> tuple[str, list[tuple[str, str]], bytes]:
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answer.update(status=status, headers=headers)

    base = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/auth/_log",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
    }
    body = b"".join(app({**base, **environ}, start_response))
    return answer["status"], answer["headers"], body


def test_a_declared_length_over_the_limit_is_413_before_reading() -> None:
    app = AuthWSGIApp(make_gate())
    status, _, body = call(
        app, CONTENT_LENGTH=str(MAX_BODY_BYTES + 1), **{"wsgi.input": Exploding()}
    )
    assert status == "413 Request Entity Too Large"
    assert body == b"Payload Too Large: request body limit exceeded"


class Counting(io.BytesIO):
    largest = 0

    def read(self, size: int | None = -1, /) -> bytes:
        Counting.largest = max(Counting.largest, size or 0)
        return super().read(size)


def test_a_chunked_body_over_the_limit_is_413_reading_at_most_limit_plus_one() -> None:
    app = AuthWSGIApp(make_gate())
    stream = Counting(b"x" * (10 * MAX_BODY_BYTES))
    status, _, _ = call(app, **{"wsgi.input": stream, "wsgi.input_terminated": True})
    assert status.startswith("413")
    assert Counting.largest == MAX_BODY_BYTES + 1


def test_a_chunked_body_without_a_terminated_input_is_not_read() -> None:
    app = AuthWSGIApp(make_gate())
    status, _, _ = call(
        app, REQUEST_METHOD="GET", PATH_INFO="/api/auth/csrf", **{"wsgi.input": Exploding()}
    )
    assert status == "200 OK"


@pytest.mark.parametrize("length", ["-1", "12abc", "1e3", " "])
def test_an_invalid_content_length_is_400(length: str) -> None:
    status, _, body = call(AuthWSGIApp(make_gate()), CONTENT_LENGTH=length)
    assert status == "400 Bad Request"
    assert body == b"Bad Request: invalid Content-Length"


def test_a_utf8_path_and_query_arrive_decoded() -> None:
    # A WSGI server passes the raw bytes as latin-1 strings.
    request = request_from_environ(
        {
            "PATH_INFO": "/api/auth/ü".encode().decode("latin-1"),
            "SCRIPT_NAME": "/app",
            "QUERY_STRING": "callbackUrl=/ü".encode().decode("latin-1"),
            "HTTP_COOKIE": "a=1",
            "HTTP_X_FORWARDED_FOR": "10.0.0.1",
            "CONTENT_TYPE": "text/plain",
            "REMOTE_ADDR": "127.0.0.1",
        }
    )
    assert request.path == "/app/api/auth/ü"
    assert request.query == {"callbackUrl": "/ü"}
    assert request.cookies == {"a": "1"}
    assert request.headers["x-forwarded-for"] == "10.0.0.1"
    assert request.headers["content-type"] == "text/plain"
    assert request.client_host == "127.0.0.1"


def test_a_path_already_decoded_to_text_is_kept() -> None:
    # Django's ASGI handler fills META with real text, not latin-1 stand-ins for bytes.
    request = request_from_environ({"PATH_INFO": "/api/auth/☃", "QUERY_STRING": "a=☃"})
    assert request.path == "/api/auth/☃"
    assert request.query == {"a": "☃"}


def test_a_body_shorter_than_its_declared_length_is_what_arrived() -> None:
    assert read_body(io.BytesIO(b"abc"), "10", terminated=False) == b"abc"


def test_status_lines_name_the_status_or_say_unknown() -> None:
    assert status_line(302) == "302 Found"
    assert status_line(299) == "299 Unknown"


def test_get_csrf_token_gives_the_token_and_the_cookie_that_holds_it() -> None:
    csrf = get_csrf_token({"PATH_INFO": "/form"}, make_gate())
    assert len(csrf.token) == 64
    [cookie] = csrf.cookies
    assert cookie.name == "next-auth.csrf-token"
    assert cookie.value.startswith(csrf.token + "|")
