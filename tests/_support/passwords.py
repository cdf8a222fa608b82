"""A cheap argon2id for tests: the real algorithm, with the smallest parameters.

authgate's own parameters (64 MiB, t=3, p=4) cost ~0.2 s a hash on a 2-core CI machine, on
purpose; a suite that signs up and in thousands of times would spend minutes on them. The
autouse fixture in ``tests/conftest.py`` puts this hasher in ``authgate.passwords`` for every
test not marked ``real_argon2`` (those keep authgate's parameters: the parameter checks and the
concurrency bound). Same algorithm, same code path: only the work factor differs.
"""

from __future__ import annotations

from argon2 import PasswordHasher

FAST_ARGON2 = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
