r"""Text a database column can hold: no NUL, no lone surrogate.

PostgreSQL rejects a NUL in text with an error, and a lone UTF-16 surrogate (from a JSON
``\ud800`` escape or a percent-decoded cookie) is not Unicode, so no driver can encode it.
Lookups by such text find nothing (the SQLAlchemy adapter) and sign-ins whose user or account
holds it are refused before anything is written (:mod:`authgate._core.sign_in_flow`).
"""

from __future__ import annotations

__all__ = ["plain_text"]


def plain_text(value: object) -> bool:
    r"""Whether ``value`` is text a database column can hold (anything but a ``str`` is).

    A NUL or a lone surrogate (a cookie's ``%00``, a link's ``email=%00``, an identity
    provider's ``"name": "\u0000"``) is in no stored value, and PostgreSQL rejects it with an
    error: a lookup by such text finds nothing, never a driver error (which would log a
    traceback and, for the session read, drop the read's connections on every such request).
    """
    if type(value) is not str:
        return True
    if "\x00" in value:
        return False
    if value.isascii():
        return True
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True
