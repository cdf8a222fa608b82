"""Passkeys (WebAuthn): ceremony options, challenges, verification (py_webauthn) and the flow."""
