"""A short soak of the whole deployment, with one database outage (`make load`'s short mode).

``bench/load/run.py`` starts nginx in front of two uvicorn instances, PostgreSQL, Redis, an
aiosmtpd SMTP server and the real ``oidc-provider``, runs the locust mix (session reads, the
API behind the session dependency, password sign-ins and sign-outs, e-mail and OAuth sign-ins)
and stops PostgreSQL for a few seconds in the middle. Correctness only, never timings: no
failure outside the outage, only the documented answers inside it, every operation of the mix
succeeded at some point, the database check finds nothing, every worker's RSS stays within its
budget (the resting level plus 64 MiB per argon2 run allowed at once; a peak with two hashes in
flight is not a leak) and its resting level does not grow by half. In CI a missing component
fails.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING

from _support.components import REPO_ROOT, missing, node_path, redis_server_path
from _support.nginx_server import nginx_path
from _support.oidc_provider import OIDC_NODE_DIR
from _support.postgres_server import postgres_bindir

if TYPE_CHECKING:
    from pathlib import Path

MIX = {"session", "api", "credentials", "signout", "email", "oauth"}


def test_a_short_soak_through_a_database_outage(tmp_path: Path) -> None:
    nginx_path(), postgres_bindir(), redis_server_path(), node_path()
    if not (OIDC_NODE_DIR / "node_modules" / "oidc-provider").is_dir():
        missing("oidc-provider is not installed in tests/oidc/node")
    command = [sys.executable, str(REPO_ROOT / "bench" / "load" / "run.py")]
    command += ["--duration", "25", "--workers", "1", "--users", "6", "--faults", "postgres"]
    command += ["--check-rss", "--out", str(tmp_path)]
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    report = tmp_path / "report.json"
    assert report.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    [run] = json.loads(report.read_text())
    summary = (tmp_path / "report.md").read_text()

    assert run["failures"] == [], summary
    assert [w["component"] for w in run["windows"]] == ["postgres"]
    assert run["verdicts"].get("documented", 0) > 0, "the outage was seen: reads failed closed"
    assert {op for op, stats in run["ops"].items() if stats["ok"] > 0} == MIX, summary
    assert run["consistency"], "the database was checked"
    assert not any(run["consistency"].values()), summary
    assert len(run["workers"]) == 2
    for name, worker in run["workers"].items():
        assert worker["rss_within_budget"], f"{name}: {worker}"
    assert (tmp_path / "load-1w.png").stat().st_size > 0
    assert "<img" in (tmp_path / "report.html").read_text()
    assert done.returncode == 0, summary
