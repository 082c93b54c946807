"""Where an environment keeps things, as plain values: the prefixes of its data and model buckets and the
aliases of its keys.

The components create the environment by these values (``MlRolesArgs``'s prefix defaults, ``KeyRing``'s
aliases) and the tools that work on a deployed environment find things by them (the ``strongroom vault``
commands, the live key reader). This module imports nothing of Pulumi: a vault command run during an
incident, or the audit's readers, need not load the SDK and pulumi-aws to know a prefix.
"""

from __future__ import annotations

CURATED_PREFIX = "curated/"
"""Data bucket prefix data scientists read."""

EXPERIMENTS_PREFIX = "experiments/"
"""Model bucket prefix data scientists read and write."""

TRAINING_DATA_PREFIX = "curated/"
"""Data bucket prefix training jobs read."""

CANDIDATES_PREFIX = "candidates/"
"""Model bucket prefix training jobs write and the approver promotes from."""

PRODUCTION_PREFIX = "production/"
"""Model bucket prefix only the approver writes."""

DATASETS_PREFIX = "datasets/"
"""Model bucket prefix of the signed dataset snapshots (``strongroom vault snapshot``)."""


def alias_name(environment: str, purpose: str) -> str:
    """The alias of a purpose's key: ``alias/strongroom-<environment>-<purpose>``."""
    return f"alias/strongroom-{environment}-{purpose}"
