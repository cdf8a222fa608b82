"""The ASGI, Starlette and FastAPI integrations, driven through httpx's ASGI transport."""
