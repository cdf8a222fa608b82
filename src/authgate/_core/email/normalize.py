"""The default address normaliser: next-auth 4.24.15's rules, stricter (SECURITY.md, decision 11).

v4 (``providers/email.ts``): NFKC, trim, exactly one ``@``, no ``"``, lower-case, non-empty
parts, the domain cut at the first ``,`` and required to contain a dot. authgate refuses any
address v4 would have to cut: a comma, semicolon, angle bracket, whitespace or control
character anywhere means "not one address" (CVE-2022-35924, GHSA-5jpx-9hw9-2fx4,
GHSA-7rqj-j65f-68wh).

Refused is only what makes an address ambiguous or injectable: the characters of quoted local
parts, comments, groups, lists, display names and domain literals (``" ( ) , : ; < > [ ]`` and
the backslash), whitespace and control characters, and a domain that is not a host name.
Everything else RFC 5322 allows in a dot-atom local part stays valid: ``o'brien``, the
backtick, ``+tag``, ``=``, ``#``, ``{}``, digits only, non-ASCII (SMTPUTF8), IDN domains.
"""

from __future__ import annotations

import unicodedata

MAX_LENGTH = 254  # RFC 5321 path limit
MAX_LOCAL = 64
_FORBIDDEN = frozenset('"(),:;<>[]\\ \t\r\n\x00')
MAX_LABEL = 63


def _host_label(label: str) -> bool:
    """Letters, digits and marks of any script (IDN), with hyphens inside."""
    return (
        len(label) <= MAX_LABEL
        and not label.startswith("-")
        and not label.endswith("-")
        and all(c == "-" or c.isalnum() or unicodedata.category(c)[0] == "M" for c in label)
    )


class InvalidEmailError(ValueError):
    """Not exactly one e-mail address."""


def normalize_email(raw: str) -> str:
    """``raw`` as one canonical address, or :class:`InvalidEmailError`."""
    if not isinstance(raw, str):
        raise InvalidEmailError("not a string")
    value = unicodedata.normalize("NFKC", raw).strip()
    if not value or len(value) > MAX_LENGTH:
        raise InvalidEmailError("empty or too long")
    if any(c in _FORBIDDEN or unicodedata.category(c)[0] in "CZ" for c in value):
        raise InvalidEmailError("a character that cannot be in one plain address")
    if value.count("@") != 1:
        raise InvalidEmailError("not exactly one @")
    local, domain = value.lower().split("@")
    if not local or not domain or len(local) > MAX_LOCAL:
        raise InvalidEmailError("empty part")
    labels = domain.split(".")
    if len(labels) < 2 or any(not label for label in labels):
        raise InvalidEmailError("the domain needs dots between non-empty labels")
    if not all(_host_label(label) for label in labels):
        raise InvalidEmailError("the domain is not a host name")
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise InvalidEmailError("misplaced dot in the local part")
    return f"{local}@{domain}"


def check_custom(value: object) -> str:
    """What a user's ``normalize_identifier`` returned must still be one header-safe address."""
    if (
        not isinstance(value, str)
        or value.count("@") != 1
        or not value.strip()
        or len(value) > MAX_LENGTH
        or any(c in "\r\n\x00,;<>" for c in value)
    ):
        raise InvalidEmailError("normalize_identifier returned something that is not an address")
    return value
