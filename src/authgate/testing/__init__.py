"""Helpers for testing apps and adapters built on authgate (no pytest import at module level)."""

from __future__ import annotations

__all__: list[str] = []
