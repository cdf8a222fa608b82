"""Compact JSON encoding for the per-request hot path (the session body and token claims)."""

from __future__ import annotations

import json
from json import encoder as _encoder
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["compact_encoder"]


def compact_encoder(*, allow_nan: bool = True) -> Callable[[object], str]:
    """``json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=...)``, cheaper.

    ``JSONEncoder.encode`` builds a new C encoder on every call; this one is built once. It
    keeps no circular-reference markers between calls (a shared marker table would be wrong
    across threads): a self-containing value raises ``RecursionError`` instead of
    ``ValueError``. Without the C accelerator it is ``JSONEncoder.encode``.
    """
    slow = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=allow_nan)
    make = getattr(_encoder, "c_make_encoder", None)  # typeshed leaves the accelerator out
    if make is None:  # pragma: no cover - CPython always has the accelerator
        return slow.encode
    fast: Any = make(
        None, slow.default, _encoder.encode_basestring, None, ":", ",", False, False, allow_nan
    )

    def encode(value: object) -> str:
        if isinstance(value, str):
            return _encoder.encode_basestring(value)
        return "".join(fast(value, 0))

    return encode
