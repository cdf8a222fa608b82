"""Detect a server running several worker processes (where an in-memory limiter is per worker)."""

from __future__ import annotations

import multiprocessing
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["several_workers"]

_WORKERS_ARG = re.compile(r"(?:-w|--workers)(?:\s+|=)(\d+)")


def several_workers(env: Mapping[str, str], *, check_process: bool = True) -> str | None:
    """Why we believe several workers serve this app, or ``None``.

    Reads ``WEB_CONCURRENCY``, ``UVICORN_WORKERS``, ``GUNICORN_CMD_ARGS`` (``-w N``) and, with
    ``check_process``, whether this is a ``multiprocessing`` spawn child (``uvicorn --workers``).
    """
    for name in ("WEB_CONCURRENCY", "UVICORN_WORKERS"):
        value = env.get(name, "").strip()
        if value.isdigit() and int(value) > 1:
            return f"{name}={value}"
    match = _WORKERS_ARG.search(env.get("GUNICORN_CMD_ARGS", ""))
    if match and int(match.group(1)) > 1:
        return f"GUNICORN_CMD_ARGS sets {match.group(1)} workers"
    if check_process and multiprocessing.parent_process() is not None:
        name = multiprocessing.current_process().name
        if name.startswith("SpawnProcess"):
            return f"this is a worker process ({name}), e.g. of uvicorn --workers"
    return None
