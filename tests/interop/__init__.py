"""Interop tests against the real next-auth (node, tests/interop/node)."""
