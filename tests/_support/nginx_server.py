"""A throw-away nginx (Debian package ``nginx``) on loopback in front of some upstreams.

``nginx -p <tmp> -c <tmp>/nginx.conf -g "daemon off;"``: its own prefix, pid file, logs and temp
folders, a free port; round-robin over the upstreams; ``X-Forwarded-For`` (appended),
``X-Forwarded-Proto`` and ``Host`` forwarded as a reverse proxy in production sets them.
Stopped by its PID; never the system service.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from _support.components import missing
from _support.processes import stop
from _support.redis_server import free_port

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

CONFIG = """
worker_processes 1;
error_log {root}/error.log warn;
pid {root}/nginx.pid;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    upstream app {{
{servers}
        # Reused connections to the app (HTTP/1.1), closed before uvicorn's 5 s keep-alive
        # would close them under a request.
        keepalive 32;
        keepalive_timeout 4s;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""


def nginx_path() -> str:
    path = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if path is None:
        missing("nginx is not installed (Debian package nginx)")
    return path


@contextlib.contextmanager
def running_nginx(upstreams: Sequence[int], port: int | None = None) -> Iterator[str]:
    """nginx on ``127.0.0.1:<port>`` proxying to the ``upstreams`` ports; yields its origin."""
    binary = nginx_path()
    port = port or free_port()
    root = Path(tempfile.mkdtemp(prefix="authgate-nginx-"))
    servers = "\n".join(f"        server 127.0.0.1:{p};" for p in upstreams)
    (root / "nginx.conf").write_text(CONFIG.format(root=root, servers=servers, port=port))
    command = [binary, "-p", str(root), "-c", str(root / "nginx.conf"), "-g", "daemon off;"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 15
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"nginx exited: {process.stderr.read()!r}")  # type: ignore[union-attr]
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("nginx did not listen within 15 s")
            time.sleep(0.05)  # waiting for a process to listen, not for time to pass in a test
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)
        shutil.rmtree(root, ignore_errors=True)
