"""``python -m examples.flask_app``: Flask's development server on http://127.0.0.1:8000.

In production: ``gunicorn -w 2 'examples.flask_app:create_app()'`` (set ``AUTH_SECRET``).
"""

from __future__ import annotations

from examples.flask_app import create_app
from examples.shared import DEMO_PASSWORD, DEMO_USERNAME

if __name__ == "__main__":
    print(f"\n  username: {DEMO_USERNAME}\n  password: {DEMO_PASSWORD}\n", flush=True)
    create_app().run(host="127.0.0.1", port=8000, threaded=True)
