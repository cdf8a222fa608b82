"""Cookie values are percent-encoded exactly like JavaScript's ``encodeURIComponent``."""

from __future__ import annotations

from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from authgate.http import Cookie, _encode_uri_component


def encode_uri_component(value: str) -> str:
    # ECMAScript's definition for well-formed strings: UTF-8 bytes, unreserved kept.
    return quote(value, safe="!~*'()")


@given(st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=127)))
def test_ascii_values(value: str) -> None:
    assert _encode_uri_component(value) == encode_uri_component(value)


@given(st.text(alphabet=st.characters(codec="utf-8")))
def test_any_value(value: str) -> None:
    assert _encode_uri_component(value) == encode_uri_component(value)


def test_the_cookies_of_a_first_visit() -> None:
    csrf = "a" * 64 + "|" + "b" * 64
    assert _encode_uri_component(csrf) == "a" * 64 + "%7C" + "b" * 64
    assert _encode_uri_component("http://h:3000/a?b=%20c&d=é") == (
        "http%3A%2F%2Fh%3A3000%2Fa%3Fb%3D%2520c%26d%3D%C3%A9"
    )
    assert Cookie(name="x", value="100%|done").serialize().startswith("x=100%25%7Cdone;")
