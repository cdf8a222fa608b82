"""What a new password must be: NIST SP 800-63B-4 §3.1.1.2, not folklore.

- At least ``min_length`` characters (15 for a single factor, configurable down to 8) and up to
  ``max_length`` (at least 64) allowed, counted as Unicode code points after NFKC
  normalisation (the same normalisation is applied before hashing and before verifying, so a
  password typed with a different keyboard or input method still matches).
- Every character is allowed, spaces included; no composition rules, no expiry.
- Not a common password: a list shipped with the package (``common-passwords.txt``: the 8+
  character entries of the 30,000 most common passwords zxcvbn ships, from leaked-password
  corpora), checked locally, plus the provider's ``blocklist`` and the context (the address and
  its local part).
"""

from __future__ import annotations

import functools
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Iterable

    from authgate.providers.password import Password

__all__ = [
    "TOO_COMMON",
    "TOO_LONG",
    "TOO_SHORT",
    "is_common",
    "normalize",
    "problem",
    "problem_for",
]

TOO_SHORT: Final = "PasswordTooShort"
TOO_LONG: Final = "PasswordTooLong"
TOO_COMMON: Final = "PasswordTooCommon"

_LIST: Final = Path(__file__).resolve().parent / "common-passwords.txt"


def normalize(password: str) -> str:
    """NFKC (NIST SP 800-63B-4 §3.1.1.2); lone surrogates become U+FFFD so they can be hashed."""
    cleaned = password.encode("utf-8", "replace").decode("utf-8")
    return unicodedata.normalize("NFKC", cleaned)


def _key(password: str) -> str:
    return normalize(password).casefold()


@functools.cache
def _common() -> frozenset[str]:
    lines = _LIST.read_text(encoding="utf-8").splitlines()
    return frozenset(_key(line) for line in lines if line and not line.startswith("#"))


def is_common(password: str, extra: Iterable[str] = ()) -> bool:
    """Whether ``password`` is on the shipped list or in ``extra`` (case-insensitive)."""
    key = _key(password)
    return key in _common() or key in {_key(word) for word in extra}


def problem(
    password: str,
    *,
    min_length: int,
    max_length: int,
    blocklist: Iterable[str] = (),
    email: str | None = None,
) -> str | None:
    """The error code of a new password that breaks a rule, or ``None`` when it is fine."""
    length = len(normalize(password))
    if length < min_length:
        return TOO_SHORT
    if length > max_length:
        return TOO_LONG
    context = list(blocklist)
    if email:
        context += [email, email.partition("@")[0]]
    if is_common(password, context):
        return TOO_COMMON
    return None


def problem_for(provider: Password, password: str, email: str | None) -> str | None:
    """:func:`problem` with the provider's settings."""
    return problem(
        password,
        min_length=provider.min_length,
        max_length=provider.max_length,
        blocklist=provider.blocklist,
        email=email,
    )
