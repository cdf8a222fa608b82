"""The Flask and Django examples under gunicorn, 2 workers (sync and gthread).

Sign in on one worker, read the session on the other: every worker builds its own gate from
the environment (``AUTH_SECRET``, ``AUTH_URL``) and runs its own sync bridge. The access log
names the worker (pid) that answered each request.
"""

from __future__ import annotations

import re
import subprocess
import sys
from typing import TYPE_CHECKING

import httpx
import pytest

from _support.components import REPO_ROOT
from _support.servers import gunicorn

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

SECRET = "gunicorn-test-secret-0123456789abcdefghijkl"
DEMO = {"username": "demo", "password": "demo-password-123"}

APPS = {
    "flask": "examples.flask_app:create_app()",
    "django": "examples.django_project.wsgi:application",
}


def django_database(folder: Path) -> dict[str, str]:
    env = {"AUTHGATE_DJANGO_DB": str(folder / "users.sqlite3")}
    subprocess.run(
        [sys.executable, "-c", "from examples.django_project.setup import setup; setup()"],
        env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin", **env},
        cwd=REPO_ROOT,
        check=True,
        timeout=120,
    )
    return env


def server_env(framework: str, folder: Path) -> Callable[[str], dict[str, str]]:
    """What every worker reads: the secret, the URL (with the port), the users database."""
    env = {"AUTH_SECRET": SECRET}
    if framework == "django":
        env |= django_database(folder)
    return lambda origin: {**env, "AUTH_URL": f"{origin}/api/auth"}


@pytest.mark.parametrize("worker_class", ["sync", "gthread"])
@pytest.mark.parametrize("framework", ["flask", "django"])
def test_a_session_made_on_one_worker_is_read_on_the_other(
    framework: str, worker_class: str, tmp_path: Path
) -> None:
    log = tmp_path / "access.log"
    env = server_env(framework, tmp_path)
    with gunicorn(APPS[framework], env=env, worker_class=worker_class, access_log=log) as origin:
        # A new connection per request, so the kernel spreads them over the workers.
        fresh = httpx.Limits(max_keepalive_connections=0)
        with httpx.Client(base_url=origin, limits=fresh) as http:
            csrf = http.get("/api/auth/csrf").json()["csrfToken"]
            signed_in = http.post(
                "/api/auth/callback/credentials?n=signin", data={"csrfToken": csrf, **DEMO}
            )
            assert signed_in.status_code == 302
            for n in range(200):
                response = http.get(f"/api/me?n={n}")
                assert response.status_code == 200
                assert response.json()["user"]["name"] == "Demo User"
                if len(set(answering_workers(log).values())) == 2:
                    break
    workers = answering_workers(log)
    signer = workers.pop("signin")
    assert set(workers.values()) - {signer}, f"every read was answered by worker {signer}"


def answering_workers(log: Path) -> dict[str, str]:
    """``n`` query marker → pid of the worker that answered it."""
    found: dict[str, str] = {}
    for line in log.read_text().splitlines():
        match = re.fullmatch(r"<(\d+)> \w+ /api/[^ ]*[?&]n=(\w+) HTTP/1\.1", line)
        if match:
            found[match.group(2)] = match.group(1)
    return found


@pytest.mark.parametrize("worker_class", ["sync", "gthread"])
def test_django_views_update_the_session_and_sign_out_on_the_server(
    worker_class: str, tmp_path: Path
) -> None:
    """The example's ``POST /api/me`` (``update_session``) and ``POST /signout`` (``sign_out``)
    behind Django's CSRF check; the renamed session is read on both workers."""
    log = tmp_path / "access.log"
    env = server_env("django", tmp_path)
    with gunicorn(APPS["django"], env=env, worker_class=worker_class, access_log=log) as origin:
        fresh = httpx.Limits(max_keepalive_connections=0)
        with httpx.Client(base_url=origin, limits=fresh) as http:
            csrf = http.get("/api/auth/csrf").json()["csrfToken"]
            http.post("/api/auth/callback/credentials", data={"csrfToken": csrf, **DEMO})
            http.get("/")  # Django's csrftoken cookie
            django_csrf = {"x-csrftoken": http.cookies["csrftoken"]}
            assert http.post("/api/me", json={"name": "Grace"}).status_code == 403  # no token
            renamed = http.post("/api/me?n=rename", json={"name": "Grace"}, headers=django_csrf)
            assert renamed.status_code == 200
            assert "next-auth.session-token=" in renamed.headers["set-cookie"]
            for n in range(200):
                assert http.get(f"/api/me?n={n}").json()["user"]["name"] == "Grace"
                if len(set(answering_workers(log).values())) == 2:
                    break
            out = http.post("/signout", headers=django_csrf)
            assert (out.status_code, out.headers["location"]) == (302, "/")
            cleared = [c for c in out.headers.get_list("set-cookie") if "session-token" in c]
            assert cleared
            assert all("Max-Age=0" in c for c in cleared)
            assert http.get("/api/me").status_code == 401
    assert len(set(answering_workers(log).values())) == 2
