"""The offline engine: run a Pulumi Python program under a recording mock monitor and return its Plan."""

from strongroom.engine import lazyaws  # noqa: F401  (first: installs its finder before pulumi_aws is imported)

# isort: split
from strongroom.engine.fakes import DEFAULT_ACCOUNT, DEFAULT_REGION, fake_invoke, fake_resource
from strongroom.engine.monitor import AwsMocks, Recorder, RecordingMonitor, install, run
from strongroom.engine.plan import STACK_TYPE, Plan, PlanInvoke, PlanResource
from strongroom.engine.project import Project, load_project, load_stack_config, validate_stack_name
from strongroom.engine.runner import run_plan, validate_account

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
