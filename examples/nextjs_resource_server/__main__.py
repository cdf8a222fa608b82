"""``python -m examples.nextjs_resource_server``: serve the API on 127.0.0.1:8001."""

from __future__ import annotations

import os

import uvicorn

from examples.nextjs_resource_server.app import create_app

if __name__ == "__main__":
    uvicorn.run(create_app(), host="127.0.0.1", port=int(os.environ.get("PORT", "8001")))
