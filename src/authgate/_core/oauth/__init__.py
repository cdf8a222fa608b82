"""OAuth 2.0 / OpenID Connect sign-in (next-auth v4 ``core/lib/oauth/``).

The authorization request, the check cookies, the callback (token exchange, id_token,
userinfo) and the outbound HTTP policy.

``flow.start`` answers ``POST /signin/:id``; ``flow.finish`` answers ``GET|POST /callback/:id``
and hands the user to :func:`authgate._core.sign_in_flow.complete_sign_in`.
"""
