"""Checks shared by the configuration objects: lists of names, and the values they may hold.

Configuration is written the way NextAuth users write it (``checks=["pkce", "state"]``), so any
sequence is accepted where a tuple is stored; a bare string is refused (``"pkce"`` is not a list
of checks). A refusal names the value that is wrong and what is allowed.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from authgate.errors import ConfigurationError


def one_of(label: str, value: object, allowed: Collection[str]) -> None:
    """Refuse ``value`` unless it is one of ``allowed``, naming both."""
    if not isinstance(value, str) or value not in allowed:
        raise ConfigurationError(f"{label}={value!r}: use one of {', '.join(map(repr, allowed))}")


def names(label: str, value: object, allowed: Collection[str] | None = None) -> tuple[str, ...]:
    """``value`` (a list, tuple or other sequence of non-empty strings) as a tuple.

    ``allowed``: the only names it may hold; an unknown one is named in the error.
    """
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise ConfigurationError(
            f"{label}={value!r} must be a list of names, e.g. {list(allowed or ['name'])[:2]!r}"
        )
    wrong = [item for item in value if not isinstance(item, str) or not item]
    if wrong:
        raise ConfigurationError(f"{label}: {wrong[0]!r} is not a name")
    if allowed is not None:
        unknown = [item for item in value if item not in allowed]
        if unknown:
            raise ConfigurationError(
                f"{label}: unknown {', '.join(map(repr, unknown))}; "
                f"use some of {', '.join(map(repr, allowed))}"
            )
    return tuple(value)
