"""Framework integrations: converters between a framework and :mod:`authgate.http`."""

from __future__ import annotations
