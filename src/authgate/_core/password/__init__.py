"""Password accounts (``authgate.providers.Password``): the checks and writes behind the routes.

- :mod:`.policy`: what a new password must be (NIST SP 800-63B-4).
- :mod:`.store`: hashing off the event loop, the stored hash, the provider of a request.
- :mod:`.links`: the mailed single-use tokens (confirm the address, reset the password).
- :mod:`.forms`: one answer for a refused form, HTML page or JSON.

No answer depends on whether an account exists: sign-up with a taken address, a reset for an
unknown one and a sign-in with an unknown user answer exactly like the success path (the owner
of a taken address gets a mail instead), and each runs one argon2id operation either way.
"""
