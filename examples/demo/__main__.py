"""``python -m examples.demo`` (``make demo``): serve the demo on http://127.0.0.1:8000."""

from __future__ import annotations

import os

import uvicorn

from examples.demo.app import DEMO_PASSWORD, DEMO_USERNAME, create_app, resolve_db_path


def main() -> None:
    host = os.environ.get("AUTHGATE_DEMO_HOST", "127.0.0.1")
    port = int(os.environ.get("AUTHGATE_DEMO_PORT", "8000"))
    # The links the demo mails name this URL, never the request's Host header.
    app = create_app(url=os.environ.get("AUTH_URL") or f"http://{host}:{port}/api/auth")
    state = "created the demo user" if app.state.demo_user_created else "demo user already there"
    print(
        f"\n  authgate demo on http://{host}:{port}\n"
        f"  users database: {resolve_db_path().resolve()} ({state})\n"
        f"\n    username: {DEMO_USERNAME}\n    password: {DEMO_PASSWORD}\n"
        "\n  or sign in with any e-mail address, or create an account at /api/auth/signup:"
        "\n  the links are printed here. Enrol TOTP at /api/auth/two-factor-setup\n",
        flush=True,
    )
    uvicorn.run(app, host=host, port=port)


if __name__ == "__main__":
    main()
