"""The package as users get it: the wheel and the sdist built, ``twine check``ed, installed in
clean virtual environments with and without extras, and the README's quickstart (copied
verbatim) signed into against the installed wheel."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from _support.components import REPO_ROOT, missing

if TYPE_CHECKING:
    from collections.abc import Sequence

# Runs in the clean environments: the core answers in Korean (catalogs shipped) through the
# framework-free ASGI app, and no web framework came with it.
CORE_CHECK = """
import asyncio, importlib.util, httpx
from authgate import AuthConfig, AuthGate
from authgate.integrations.asgi import AuthApp
from authgate.providers import Credentials
assert importlib.util.find_spec("starlette") is None, "the core pulled a framework"
gate = AuthGate(AuthConfig(
    providers=[Credentials(authorize=lambda c, r: None, credentials={"u": {"label": "U"}})],
    secret="x" * 43, url="http://testserver/api/auth"), env={})
async def main():
    transport = httpx.ASGITransport(app=AuthApp(gate))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        page = await client.get("/api/auth/signin", headers={"accept-language": "ko"})
        assert "Credentials(으)로 로그인" in page.text, page.text
        assert page.headers["vary"] == "Accept-Language"
    print("core ok")
asyncio.run(main())
"""

# Signs into the README's app.py (imported from the working directory) like a browser would.
QUICKSTART_DRIVER = """
import asyncio, importlib.util, httpx
from app import app
assert importlib.util.find_spec("uvicorn") is not None, "the server extra brings uvicorn"
async def main():
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client:
        assert (await client.get("/api/me")).status_code == 401
        page = await client.get("/api/auth/signin")
        assert "Sign in with Credentials" in page.text
        csrf = (await client.get("/api/auth/csrf")).json()["csrfToken"]
        wrong = await client.post("/api/auth/callback/credentials",
            data={"csrfToken": csrf, "username": "ada", "password": "nope"})
        assert "error=CredentialsSignin" in wrong.headers["location"]
        signed = await client.post("/api/auth/callback/credentials",
            data={"csrfToken": csrf, "username": "ada", "password": "lovelace", "callbackUrl": "/"})
        assert signed.status_code == 302, signed.text
        me = await client.get("/api/me")
        assert me.status_code == 200, me.text
        print("signed in as", me.json()["name"])
asyncio.run(main())
"""


def _uv() -> str:
    found = shutil.which("uv")
    if found is None:
        try:
            import uv  # type: ignore[import-not-found, unused-ignore]
        except ImportError:
            missing("uv is not installed")
        found = uv.find_uv_bin()
    return str(found)


def run(args: Sequence[str], *, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        list(args),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "UV_PYTHON_DOWNLOADS": "never", **(env or {})},
    )
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    run([_uv(), "build", "--out-dir", str(out), str(REPO_ROOT)])
    return out


def wheel_of(dist: Path) -> Path:
    (wheel,) = dist.glob("authgate-*.whl")
    return wheel


def sdist_of(dist: Path) -> Path:
    (sdist,) = dist.glob("authgate-*.tar.gz")
    return sdist


def clean_venv(root: Path, name: str, *extras: str, package: Path) -> Path:
    """A new virtual environment with the package and, pinned by uv.lock, its dependencies."""
    uv = _uv()
    requirements = root / f"{name}-requirements.txt"
    flags = [arg for extra in extras for arg in ("--extra", extra)]
    run(
        [
            uv,
            "export",
            "--frozen",
            "--no-dev",
            "--no-emit-project",
            "--no-hashes",
            *flags,
            "--output-file",
            str(requirements),
            "--quiet",
        ],
        cwd=REPO_ROOT,
    )
    venv = root / name
    run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)])
    python = venv / "bin" / "python"
    spec = f"{package}[{','.join(extras)}]" if extras else str(package)
    run([uv, "pip", "install", "--quiet", "--python", str(python), "-r", str(requirements), spec])
    return venv


def readme_quickstart() -> str:
    readme = (REPO_ROOT / "README.md").read_text()
    block = re.search(
        r"<!-- quickstart:start -->\n```python\n(.*?)```\n<!-- quickstart:end -->", readme, re.S
    )
    assert block is not None, "README.md lost its quickstart markers"
    return block.group(1)


def test_twine_check_passes(dist: Path) -> None:
    twine = Path(sys.executable).parent / "twine"
    out = run([str(twine), "check", "--strict", str(wheel_of(dist)), str(sdist_of(dist))])
    assert out.count("PASSED") == 2, out


def test_the_wheel_ships_catalogs_templates_and_logos(dist: Path) -> None:
    names = set(zipfile.ZipFile(wheel_of(dist)).namelist())
    for code in ("ko", "ja", "zh_Hans", "de", "fr", "es", "pt_BR"):
        assert f"authgate/i18n/locales/{code}/LC_MESSAGES/authgate.mo" in names
    assert "authgate/_core/pages/templates/signin.html" in names
    assert "authgate/_core/pages/logos/github.svg" in names
    assert "authgate/py.typed" in names
    assert not [n for n in names if n.startswith(("tests/", "examples/"))]


def test_metadata_is_single_sourced(dist: Path) -> None:
    import authgate

    metadata = next(
        zipfile.ZipFile(wheel_of(dist)).read(n).decode()
        for n in zipfile.ZipFile(wheel_of(dist)).namelist()
        if n.endswith(".dist-info/METADATA")
    )
    assert f"Version: {authgate.__version__}\n" in metadata
    assert wheel_of(dist).name == f"authgate-{authgate.__version__}-py3-none-any.whl"
    assert "License-Expression: MIT" in metadata
    for extra in ("fastapi", "starlette", "server", "sqlalchemy", "email", "redis"):
        assert f"Provides-Extra: {extra}\n" in metadata
    assert "Classifier: Typing :: Typed" in metadata


def test_the_core_wheel_installs_without_extras(dist: Path, tmp_path: Path) -> None:
    venv = clean_venv(tmp_path, "core", package=wheel_of(dist))
    assert "core ok" in run([str(venv / "bin" / "python"), "-c", CORE_CHECK], cwd=tmp_path)
    help_text = run([str(venv / "bin" / "authgate"), "--help"])
    assert "secret" in help_text
    assert run([str(venv / "bin" / "authgate"), "secret"]).startswith("AUTH_SECRET=")


def test_the_readme_quickstart_runs_against_the_wheel(dist: Path, tmp_path: Path) -> None:
    venv = clean_venv(tmp_path, "fastapi", "fastapi", "server", package=wheel_of(dist))
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text(readme_quickstart())
    secret = run([str(venv / "bin" / "authgate"), "secret", "--raw"]).strip()
    out = run(
        [str(venv / "bin" / "python"), "-c", QUICKSTART_DRIVER],
        cwd=project,
        env={"AUTH_SECRET": secret, "PYTHONPATH": str(project)},
    )
    assert "signed in as Ada" in out


def test_the_sdist_builds_and_installs(dist: Path, tmp_path: Path) -> None:
    venv = clean_venv(tmp_path, "from-sdist", package=sdist_of(dist))
    assert "core ok" in run([str(venv / "bin" / "python"), "-c", CORE_CHECK], cwd=tmp_path)
