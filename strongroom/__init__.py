"""Strongroom: run Pulumi Python programs offline and check them against the control catalog."""

from __future__ import annotations

import strongroom.process  # noqa: F401  (sets GRPC_ENABLE_FORK_SUPPORT before anything loads grpc)

DISTRIBUTION = "strongroom"


def package_version() -> str:
    """The installed distribution's version (pyproject.toml's ``version`` is its one source).

    ``importlib.metadata`` is imported here, not with the package: every command imports ``strongroom``,
    and only --version and the SARIF/JUnit reports ask."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as _distribution_version

    try:
        return _distribution_version(DISTRIBUTION)
    except PackageNotFoundError:
        return "unknown (not installed as a distribution)"
