"""Strongroom: run Pulumi Python programs offline and check them against the control catalog."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _distribution_version

DISTRIBUTION = "strongroom"


def package_version() -> str:
    """The installed distribution's version (pyproject.toml's ``version`` is its one source)."""
    try:
        return _distribution_version(DISTRIBUTION)
    except PackageNotFoundError:
        return "unknown (not installed as a distribution)"
