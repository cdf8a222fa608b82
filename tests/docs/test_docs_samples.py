"""Every Python sample of the documentation runs, so none can rot.

The blocks of one page run in order in one namespace (a page builds up an example), in a
temporary directory with ``AUTH_SECRET`` set. A block preceded by
``<!-- docs-test: compile-only (reason) -->`` is only compiled: for samples that need a service
the tests do not start (an SMTP server, a provider's real credentials). The site itself is built
with ``mkdocs build --strict`` by ``scripts/check``.
"""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, Any

import pytest

from _support.components import REPO_ROOT

if TYPE_CHECKING:
    from pathlib import Path

DOCS = REPO_ROOT / "docs"
BLOCK = re.compile(r"(<!-- docs-test: ([a-z-]+)[^>]*-->\n)?```python\n(.*?)```", re.DOTALL)
PAGES = sorted(p for p in DOCS.rglob("*.md") if "```python" in p.read_text(encoding="utf-8"))


def blocks(page: Path) -> list[tuple[int, str | None, str]]:
    text = page.read_text(encoding="utf-8")
    return [
        (text.count("\n", 0, m.start(3)) + 1, m.group(2), m.group(3)) for m in BLOCK.finditer(text)
    ]


def test_the_guides_have_samples() -> None:
    names = {p.relative_to(DOCS).as_posix() for p in PAGES}
    assert {"getting-started.md", "guides/credentials.md", "guides/testing.md"} <= names


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(DOCS).as_posix())
def test_samples_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AUTH_SECRET", "docs-sample-secret-0123456789abcdefghijkl")
    monkeypatch.setenv("AUTH_URL", "http://127.0.0.1:8000/api/auth")
    namespace: dict[str, Any] = {"__name__": f"docs_sample_{page.stem.replace('-', '_')}"}
    for line, marker, source in blocks(page):
        where = f"{page.relative_to(REPO_ROOT)}:{line}"
        code = compile(source, where, "exec")
        if marker == "compile-only":
            continue
        assert marker is None, f"{where}: unknown marker {marker!r}"
        exec(code, namespace)  # noqa: S102 - our own documentation
    check = namespace.get("docs_check")
    if check is not None:  # a page may end with an async self-check of its example
        asyncio.run(check())


def test_markers_are_rare() -> None:
    # Most samples must run: compile-only is for those that need an outside service.
    total = sum(len(blocks(p)) for p in PAGES)
    skipped = sum(1 for p in PAGES for _, marker, _ in blocks(p) if marker == "compile-only")
    assert skipped * 4 <= total, (skipped, total)
