"""The claims of recently sealed or opened tokens, so a token seen again is not decrypted again.

A browser sends the same session cookie with every request until the next re-issue, and the
token ``/session`` re-issues is the one it sends next: both are found here, by their exact
text. A hit needs the whole token, character for character, as this ring sealed it or as
AES-GCM authenticated it under this ring's keys, so it stands for the same plaintext; nothing
else is skipped: the caller still checks ``exp``/``nbf`` (and the revocation store, when one is
configured) on every read. Only flat claims (string keys; string, number, boolean or null
values) are answered from here: for those the copy handed out equals what ``json.loads`` would
give and shares nothing a callback could change; other tokens are decrypted every time.
Bounded, oldest out first; each operation is one C-level call on an ``OrderedDict``, so it is
safe from threads.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Protocol

__all__ = ["DEFAULT_REMEMBERED", "MAX_REMEMBERED_CHARS", "RememberingRing", "Ring"]

DEFAULT_REMEMBERED = 1024
"""How many tokens a session codec remembers (about 1 KB each)."""

MAX_REMEMBERED_CHARS = 4096
"""Longer tokens (several cookie chunks) are always decrypted."""

_SCALARS = frozenset({str, int, float, bool, type(None)})


class Ring(Protocol):
    """What a key ring offers (``KeyRing``, ``V5KeyRing``)."""

    IV_BYTES: int  # the size of ``seal_json``'s ``iv``

    def seal_json(self, claims: dict[str, Any], iv: bytes | None = None) -> str: ...

    def open_json(self, token: str) -> dict[str, Any]: ...


def _flat(claims: dict[str, Any]) -> bool:
    # Exact types: a str or int subclass (an enum) would come back from JSON as its base type.
    scalars = _SCALARS
    for key, value in claims.items():
        if type(key) is not str or type(value) not in scalars:
            return False
    return True


# What is known of a remembered token's claims. They are checked when the token comes back,
# so a token that never does (most re-issued ones under a load generator) costs only a copy.
_UNCHECKED, _FLAT, _NESTED = 0, 1, 2


class RememberingRing:
    """``ring`` with the claims of up to ``limit`` recent tokens kept by their exact text."""

    __slots__ = ("IV_BYTES", "_claims", "_limit", "_ring")

    def __init__(self, ring: Ring, limit: int = DEFAULT_REMEMBERED) -> None:
        self._ring = ring
        self._limit = limit
        self.IV_BYTES = ring.IV_BYTES
        # OrderedDict: dropping the oldest is O(1) (a plain dict's first live entry is found by
        # skipping every deleted one before it: most of the cost of a call once full).
        self._claims: OrderedDict[str, tuple[dict[str, Any], int]] = OrderedDict()

    def seal_json(self, claims: dict[str, Any], iv: bytes | None = None) -> str:
        """Seal ``claims`` and keep them: the ring takes ``claims`` over, do not change it after.

        ``JWTCodec.encode`` hands over the dict it has just built, so this keeps it without a
        copy (opened tokens are copied: their claims also go back to the caller).
        """
        token = self._ring.seal_json(claims, iv)
        if len(token) <= MAX_REMEMBERED_CHARS:
            self._keep(token, claims)
        return token

    def open_json(self, token: str) -> dict[str, Any]:
        memo = self._claims
        entry = memo.get(token)
        if entry is None:
            claims = self._ring.open_json(token)
            self._remember(token, claims)
            return claims
        known, state = entry
        if state == _UNCHECKED:
            # Entries are replaced, never changed: another thread may be reading this one.
            state = _FLAT if _flat(known) else _NESTED
            memo[token] = (known, state)
        if state == _FLAT:
            return dict(known)
        return self._ring.open_json(token)

    def forget(self) -> None:
        """Forget every remembered token."""
        self._claims.clear()

    def _remember(self, token: str, claims: dict[str, Any]) -> None:
        if len(token) <= MAX_REMEMBERED_CHARS:
            self._keep(token, dict(claims))

    def _keep(self, token: str, claims: dict[str, Any]) -> None:
        memo = self._claims
        if len(memo) >= self._limit:
            try:  # noqa: SIM105 - contextlib.suppress costs more than the insert
                memo.popitem(last=False)
            except KeyError:  # another thread emptied it meanwhile
                pass
        memo[token] = (claims, _UNCHECKED)
