"""The only package that touches cryptographic primitives (``cryptography``).

Everything else goes through :mod:`authgate.jwt` or the small functions re-exported here.
"""

from __future__ import annotations
