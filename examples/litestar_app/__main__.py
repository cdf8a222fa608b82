"""``python -m examples.litestar_app``: uvicorn on http://127.0.0.1:8000."""

from __future__ import annotations

import uvicorn

from examples.litestar_app import create_app
from examples.shared import DEMO_PASSWORD, DEMO_USERNAME

if __name__ == "__main__":
    print(f"\n  username: {DEMO_USERNAME}\n  password: {DEMO_PASSWORD}\n", flush=True)
    uvicorn.run(create_app(), host="127.0.0.1", port=8000)
