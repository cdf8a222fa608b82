"""Ending the component processes the tests start (by their PID, never by name)."""

from __future__ import annotations

import collections
import contextlib
import subprocess
import threading
from typing import IO, Any


def stop(process: subprocess.Popen[Any]) -> None:
    """SIGTERM, then SIGKILL after 10 s; close the stderr pipe."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stderr is not None:
        process.stderr.close()


class Drain:
    """Reads a process's pipe in a thread, keeping the last lines.

    A process whose stderr is a pipe nobody reads blocks in its next write once the pipe is
    full (64 KiB): a server that logs an error per request stops answering under load.
    """

    def __init__(self, stream: IO[bytes] | None, keep: int = 200) -> None:
        self.lines: collections.deque[bytes] = collections.deque(maxlen=keep)
        self._stream = stream
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        if self._stream is None:
            return
        with contextlib.suppress(ValueError, OSError):  # the pipe closed under us
            for line in iter(self._stream.readline, b""):
                self.lines.append(line)

    def tail(self, timeout: float = 2.0) -> bytes:
        """The last lines (after waiting up to ``timeout`` for the pipe's end)."""
        self._thread.join(timeout)
        return b"".join(self.lines)
