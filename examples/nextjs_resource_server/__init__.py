"""A FastAPI API that reads the sessions of a Next.js app (next-auth v4 or Auth.js v5).

The Next.js app signs users in; this API only decrypts its session cookie (or a bearer token)
with the shared secret. Run it with::

    AUTH_SECRET=... NEXTAUTH_PROFILE=authjs-v5 .venv/bin/python -m examples.nextjs_resource_server

See docs/nextjs.md for how the cookie reaches the API (same site, or forwarded by Next.js).
"""

from __future__ import annotations

from examples.nextjs_resource_server.app import create_app

__all__ = ["create_app"]
