"""The default e-mail normaliser: unusual but valid addresses pass, hostile ones are refused.

Refused is only what makes an address ambiguous (several addresses, a display name, a quoted or
commented part, a domain literal) or injectable (whitespace and control characters).
"""

from __future__ import annotations

import pytest

from authgate._core.email.normalize import InvalidEmailError, normalize_email

VALID = {
    "o'brien@example.com": "o'brien@example.com",
    "O'Brien@Example.COM": "o'brien@example.com",
    "d`angelo@example.com": "d`angelo@example.com",
    "ada+newsletter@example.com": "ada+newsletter@example.com",
    "ada+tag+more@example.co.uk": "ada+tag+more@example.co.uk",
    "mary-jane@my-company.example": "mary-jane@my-company.example",
    "1234567890@example.com": "1234567890@example.com",
    "42@3com.example": "42@3com.example",
    "a@b.co": "a@b.co",
    "first.last@sub.domain.example": "first.last@sub.domain.example",
    "user%relay@example.com": "user%relay@example.com",
    "!#$&*=?^_{|}~@example.org": "!#$&*=?^_{|}~@example.org",
    "müller@bücher.example": "müller@bücher.example",
    "用户@例子.广告": "用户@例子.广告",
    "ada@xn--bcher-kva.example": "ada@xn--bcher-kva.example",
    "\u0440\u0443\u0441@\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444": (
        "\u0440\u0443\u0441@\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444"
    ),  # Cyrillic
    "hindi@हिन्दी.भारत": "hindi@हिन्दी.भारत",
    "ada\uff20example.com": "ada@example.com",  # full-width @: NFKC makes it one address
}

HOSTILE = [
    "ada@example.com,eve@evil.example",  # a list (CVE-2022-35924)
    "ada@example.com;eve@evil.example",
    "Ada <ada@example.com>",  # a display name
    "<ada@example.com>",
    '"eve@evil.example"@example.com',  # a quoted local part
    '"ada"@example.com',
    "ada(comment)@example.com",
    "group:ada@example.com;",
    "ada@[127.0.0.1]",  # a domain literal
    "ada\\@example.com@evil.example",
    "ada@example.com\r\nBcc: eve@evil.example",  # header injection
    "ada@example.com\nX: y",
    "ada @example.com",
    "ada@exa mple.com",
    "ada\x00@example.com",
    "ada\u200b@example.com",  # zero-width space (format character)
    "ada\u2028@example.com",
    "ada@evil.example@example.com",
    "ada",
    "@example.com",
    "ada@",
    "ada@localhost",
    "ada@example..com",
    "ada@-example.com",
    "ada@example-.com",
    "ada@exa_mple.com",
    "ada@example.com/evil",
    "ada@example.com#x",
    "ada@example.com?x=1",
    "ada@" + "a" * 64 + ".com",
    "a" * 65 + "@example.com",
    ".ada@example.com",
    "ada.@example.com",
    "a..da@example.com",
]


@pytest.mark.parametrize(("raw", "expected"), VALID.items())
def test_unusual_but_valid_addresses_are_accepted(raw: str, expected: str) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize("raw", HOSTILE)
def test_ambiguous_or_injectable_addresses_are_refused(raw: str) -> None:
    with pytest.raises(InvalidEmailError):
        normalize_email(raw)
