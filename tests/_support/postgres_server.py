"""A throw-away PostgreSQL server on loopback, started once per test session.

``initdb`` into a temporary folder, then ``postgres -D <dir> -k <dir> -p <free port>
-c listen_addresses=127.0.0.1``, stopped by its PID. PostgreSQL refuses to run as root: as
root the folder is handed to the ``postgres`` system user (Debian's package creates it) and
both programs run through ``runuser``; as anyone else they run as that user. Never the
system service, never a fixed port.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from _support.components import missing
from _support.processes import Drain
from _support.redis_server import free_port

if TYPE_CHECKING:
    from collections.abc import Iterator

DEBIAN_GLOB = "/usr/lib/postgresql/*/bin"


def postgres_bindir() -> Path:
    """The folder of ``initdb`` and ``postgres``: ``$PG_BINDIR``, Debian's newest, or PATH."""
    candidates = []
    if os.environ.get("PG_BINDIR"):
        candidates.append(os.environ["PG_BINDIR"])
    candidates += sorted(glob.glob(DEBIAN_GLOB), key=lambda p: int(p.split("/")[-2]), reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(str(Path(on_path).parent))
    for folder in candidates:
        if os.access(Path(folder) / "initdb", os.X_OK) and os.access(
            Path(folder) / "postgres", os.X_OK
        ):
            return Path(folder)
    missing("PostgreSQL (initdb, postgres) not found (Debian package postgresql)")


class PostgresServer:
    """One running ``postgres`` process with a database ``authgate`` and trust auth on loopback."""

    def __init__(self) -> None:
        self.bindir = postgres_bindir()
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="authgate-pg-"))
        self.data = self.root / "data"
        self.process: subprocess.Popen[bytes] | None = None
        self.user = "authgate"
        self._as: list[str] = []
        if os.geteuid() == 0:
            try:
                account = pwd.getpwnam("postgres")
            except KeyError:
                missing("running as root and there is no 'postgres' user to run PostgreSQL as")
            os.chown(self.root, account.pw_uid, account.pw_gid)
            os.chmod(self.root, 0o700)
            runuser = shutil.which("runuser") or "/usr/sbin/runuser"
            self._as = [runuser, "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://{self.user}@127.0.0.1:{self.port}/authgate"

    def start(self) -> None:
        initdb = [
            *self._as,
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            self.user,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-sync",
            "--no-instructions",
        ]
        subprocess.run(initdb, check=True, capture_output=True, timeout=120)
        self._launch()
        self._createdb()

    def _launch(self) -> None:
        args = [
            *self._as,
            str(self.bindir / "postgres"),
            "-D",
            str(self.data),
            "-k",
            str(self.root),
            "-p",
            str(self.port),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "synchronous_commit=off",
            # The load harness: 2 instances x 4 workers x (5 + 5 overflow + 5 session-read
            # connections) is 120, above the default 100.
            "-c",
            "max_connections=200",
        ]
        # start_new_session: the process group is ours to signal (runuser forwards, postgres
        # shuts down on SIGINT: "fast" mode).
        self.process = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
        )
        stderr = Drain(self.process.stderr)  # it logs every dropped connection: never block
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"postgres exited: {stderr.tail()!r}")
            if self._ready():
                return
            time.sleep(0.05)  # waiting for a process to listen, not for time to pass in a test
        self.stop()
        raise RuntimeError("postgres did not accept connections within 30 s")

    def _ready(self) -> bool:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 0.2):
            return True
        return False

    def _createdb(self) -> None:
        createdb = self.bindir / "createdb"
        command = [str(createdb), "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user]
        deadline = time.monotonic() + 30
        while True:
            done = subprocess.run([*command, "authgate"], capture_output=True, timeout=30)
            if done.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"createdb failed: {done.stderr!r}")
            time.sleep(0.05)  # the server accepts TCP before it accepts logins

    def _wait_for_login(self) -> None:
        command = [str(self.bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)]
        command += ["-U", self.user, "-d", "authgate", "-t", "1"]
        deadline = time.monotonic() + 30
        while subprocess.run(command, capture_output=True, timeout=30).returncode != 0:
            if time.monotonic() > deadline:
                raise RuntimeError("postgres did not accept logins within 30 s")
            time.sleep(0.05)  # a restarting server accepts TCP before it accepts logins

    def halt(self) -> None:
        """Stop the server, keeping its data and port: an outage, ended by :meth:`resume`."""
        self._terminate()

    def resume(self) -> None:
        """Start the halted server again on the same port with the same data."""
        self._launch()
        self._wait_for_login()

    def stop(self) -> None:
        self._terminate()
        shutil.rmtree(self.root, ignore_errors=True)

    def _terminate(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            if process.stderr is not None:
                process.stderr.close()


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()
