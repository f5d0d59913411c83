"""Files shipped inside the package (installed with the wheel, found from any directory)."""

from __future__ import annotations

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent
DEMO_CONFIG = DATA_DIR / "demo.yaml"
"""The demo company's configuration (``okrsync demo``, ``okrsync sim --dataset demo``)."""
