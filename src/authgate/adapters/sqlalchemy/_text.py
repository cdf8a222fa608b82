"""Which text a database column can hold: lookups by anything else find nothing."""

from __future__ import annotations

__all__ = ["storable"]


def storable(token: str) -> bool:
    """Whether ``token`` is text a database column can hold (so a stored value may equal it).

    A NUL or a lone surrogate (a cookie's ``%00``, a link's ``email=%00``) is in no stored
    value, and PostgreSQL rejects it with an error: a lookup by such text finds nothing, never
    a driver error (which would log a traceback and, for the session read, drop the read's
    connections on every such request). Anything but a ``str`` is left to the database.
    """
    if type(token) is not str:
        return True
    if "\x00" in token:
        return False
    if token.isascii():
        return True
    try:
        token.encode()
    except UnicodeEncodeError:
        return False
    return True
