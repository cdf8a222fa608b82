"""Checks shared by the configuration objects: lists of names, and the values they may hold.

Configuration is written the way NextAuth users write it (``checks=["pkce", "state"]``), so any
sequence is accepted where a tuple is stored; a bare string is refused (``"pkce"`` is not a list
of checks). A refusal names the value that is wrong and what is allowed.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from authgate.errors import ConfigurationError

HEX_COLOR = re.compile(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
"""``#rgb`` / ``#rrggbb``: the colours the pages can turn into a translucent hover colour."""

# A CSS colour that can go into a <style> element or a mail's attribute without escaping: #hex,
# a colour function of numbers, or a named colour. Anything else (`;`, `}`, `<`, quotes) is not.
CSS_COLOR = re.compile(
    r"#[0-9a-fA-F]{3,8}"
    r"|(?:rgb|rgba|hsl|hsla|hwb|lab|lch|oklab|oklch)\([0-9a-zA-Z.,%/ +-]{1,60}\)"
    r"|[a-zA-Z]{3,30}"
)


def css_color(label: str, value: str) -> None:
    """Refuse a non-empty ``value`` that is not a :data:`CSS_COLOR`."""
    if value and not (isinstance(value, str) and CSS_COLOR.fullmatch(value)):
        raise ConfigurationError(
            f"{label}={value!r} is not a CSS colour authgate accepts: use #rgb/#rrggbb, "
            "rgb(...)/hsl(...), or a colour name"
        )


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
