"""The example apps under ``examples/`` (at the repository root), imported as ``examples.*``.

pytest puts ``tests/`` on ``sys.path``, not the repository root: without this a test here
imported ``examples`` only when another test (e2e, Django) had added the root first, so it
failed when run alone with ``pytest tests/example_apps``.
"""

from __future__ import annotations

import sys

from _support.components import REPO_ROOT

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
