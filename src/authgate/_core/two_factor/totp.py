"""TOTP (RFC 6238) with pyotp; the secret sealed at rest; the enrolment QR code with segno.

pyotp and segno (the ``two-factor`` extra) are imported where they are used: authgate imports
without them, and a gate with ``two_factor`` configured checks they are there when it is built.
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING

from authgate._crypto.sealed import Sealer

if TYPE_CHECKING:
    import pyotp

    from authgate.two_factor import TwoFactor

SECRET_PURPOSE = "two-factor secret"


def new_secret() -> str:
    """160 random bits, base32 (RFC 4226 §4 recommends 160)."""
    import pyotp

    return pyotp.random_base32(32)


def seal_secret(secrets: tuple[str, ...], secret: str) -> str:
    """What the database stores: the secret under a key derived from the auth secret."""
    return Sealer(secrets, SECRET_PURPOSE).seal({"s": secret})


def open_secret(secrets: tuple[str, ...], sealed: str) -> str | None:
    """The secret of a stored value, or ``None`` if it does not open (another secret, tampered)."""
    data = Sealer(secrets, SECRET_PURPOSE).open(sealed)
    secret = None if data is None else data.get("s")
    return secret if isinstance(secret, str) else None


def _totp(config: TwoFactor, secret: str) -> pyotp.TOTP:
    import pyotp

    return pyotp.TOTP(secret, digits=config.digits, interval=config.period)


def matching_step(config: TwoFactor, secret: str, code: str, now: float) -> int | None:
    """The time step whose code ``code`` is, within ``config.window`` steps of now.

    Every candidate is computed and compared in constant time (no early exit on a match).
    """
    if len(code) != config.digits or not code.isascii() or not code.isdigit():
        return None
    totp = _totp(config, secret)
    current = int(now // config.period)
    found = None
    for step in range(current - config.window, current + config.window + 1):
        expected = totp.at(step * config.period)
        if hmac.compare_digest(expected.encode(), code.encode()):
            found = step
    return found


def provisioning_uri(config: TwoFactor, secret: str, account: str, issuer: str) -> str:
    """The ``otpauth://`` URI apps read from the QR code."""
    return _totp(config, secret).provisioning_uri(name=account, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The QR code of ``uri`` as an inline SVG element (black on white, no XML declaration)."""
    import segno

    return str(segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff"))


def group(secret: str) -> str:
    """The secret shown as text, in groups of four for typing."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
