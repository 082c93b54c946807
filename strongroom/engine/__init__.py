"""The offline engine: run a Pulumi Python program under a recording mock monitor and return its Plan.

Importing the package installs :mod:`strongroom.engine.lazyaws` (before anything imports pulumi_aws) and
nothing else: each name below is imported from its module on first use (PEP 562). A command that only
reads a project and its stack configs (the ``strongroom vault`` commands) then loads neither the SDK nor
pulumi-aws, about 0.13 s of its start; ``from strongroom.engine import run_plan`` loads the
monitor and the SDK as before.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from strongroom.engine import lazyaws  # noqa: F401  (first: installs its finder before pulumi_aws is imported)

if TYPE_CHECKING:
    from strongroom.engine.fakes import DEFAULT_ACCOUNT, DEFAULT_REGION, fake_invoke, fake_resource
    from strongroom.engine.monitor import AwsMocks, Recorder, RecordingMonitor, install, run
    from strongroom.engine.plan import STACK_TYPE, Plan, PlanInvoke, PlanResource
    from strongroom.engine.project import Project, load_project, load_stack_config, validate_stack_name
    from strongroom.engine.runner import run_plan, validate_account

#: each public name -> the module that defines it
_MODULES: dict[str, str] = {
    **dict.fromkeys(("DEFAULT_ACCOUNT", "DEFAULT_REGION", "fake_invoke", "fake_resource"), "fakes"),
    **dict.fromkeys(("AwsMocks", "Recorder", "RecordingMonitor", "install", "run"), "monitor"),
    **dict.fromkeys(("STACK_TYPE", "Plan", "PlanInvoke", "PlanResource"), "plan"),
    **dict.fromkeys(("Project", "load_project", "load_stack_config", "validate_stack_name"), "project"),
    **dict.fromkeys(("run_plan", "validate_account"), "runner"),
}

__all__ = [
    "DEFAULT_ACCOUNT",
    "DEFAULT_REGION",
    "STACK_TYPE",
    "AwsMocks",
    "Plan",
    "PlanInvoke",
    "PlanResource",
    "Project",
    "Recorder",
    "RecordingMonitor",
    "fake_invoke",
    "fake_resource",
    "install",
    "load_project",
    "load_stack_config",
    "run",
    "run_plan",
    "validate_account",
    "validate_stack_name",
]


def __getattr__(name: str) -> Any:
    """A public name, imported from its module on first use and bound here (later uses are plain
    lookups)."""
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
