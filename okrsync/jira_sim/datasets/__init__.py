"""Deterministic datasets: ``demo`` (a small believable company) and ``generated`` (any size)."""
