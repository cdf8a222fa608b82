"""``keyed_hex`` (the CSRF token's HMAC) is RFC 2104's HMAC-SHA256, with the key set up once."""

from __future__ import annotations

import hmac

import pytest

from authgate._crypto.tokens import keyed_hex


@pytest.mark.parametrize("size", [0, 1, 32, 63, 64, 65, 200])
@pytest.mark.parametrize("data", ["", "token", "ünïcödé \U0001f600", "\ud800 lone surrogate"])
def test_it_is_hmac_sha256_for_every_key_length(size: int, data: str) -> None:
    key = bytes(range(7, 7 + size % 249)) + b"k" * max(0, size - 249)
    expected = hmac.digest(key, data.encode("utf-8", "surrogatepass"), "sha256").hex()
    assert keyed_hex(key, data) == expected
    assert keyed_hex(key, data) == expected, "the kept key state is not changed by a call"


def test_rfc_4231_test_case_2() -> None:
    digest = keyed_hex(b"Jefe", "what do ya want for nothing?")
    assert digest == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
