"""Property tests: run with the garbage collector's long-lived objects frozen.

By the time the whole suite reaches these modules, the process holds millions of objects from
earlier tests; hypothesis draws allocate heavily, and every full collection then walks all of
them (seen as property runs that slowed to a crawl late in a whole-suite run). Freezing what
exists before the module starts moves it out of the collector's way; the module's own garbage
is still collected.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(autouse=True, scope="module")
def _frozen_heap() -> Iterator[None]:
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()
