"""Two-factor sign-in (``AuthConfig(two_factor=TwoFactor(...))``).

- :mod:`.totp`: RFC 6238 codes (pyotp), the secret sealed at rest, the QR code (segno, SVG).
- :mod:`.recovery`: the single-use recovery codes, stored hashed.
- :mod:`.pending`: the sealed, short-lived, single-use cookie between the two factors.
- :mod:`.step`: the step of the sign-in pipeline ("user verified → second factor → session"),
  and the sign-in methods (``amr``) a session carries.

A factor is one kind of thing a user proves at the step; TOTP and recovery codes are the two
today. The step asks "has this user enrolled a factor?" and "is this answer right for one of
them?", so another kind (WebAuthn) joins by adding its own check to :func:`.step.check_answer`.
"""
