"""Runnable examples of authgate (``make demo`` runs :mod:`examples.demo`)."""

from __future__ import annotations
