"""N copies of the production SecureMlEnvironment in one program, for ``bench/bench_check.py``.

``strongroom-bench:copies`` (default 1) sets N; each copy gets its own name (``sr-b01``, ``sr-b02``...), so
every resource is distinct. The ``strongroom:*`` keys are validated by the same settings as the real
program; the stack file copies the production stack's settings, and the benchmarks name the stacks
``prod-...`` so that the production rules apply and the ``strongroom:environment`` tag the policies
judge against is the stack's name, as in the real program.
"""

from __future__ import annotations

from pathlib import Path

import pulumi
import pulumi_aws as aws
from pulumi.runtime import config as runtime_config

from strongroom.components.environment import SecureMlEnvironment, SecureMlEnvironmentArgs
from strongroom.components.settings import load_settings

HERE = Path(__file__).resolve().parent
stack = pulumi.get_stack()
copies = pulumi.Config().get_int("copies") or 1
config = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
settings = load_settings(stack, config, f"Pulumi.{stack}.yaml")
default_tags = aws.ProviderDefaultTagsArgs(tags=settings.default_tags)
primary = aws.Provider("aws-primary", region=settings.region, default_tags=default_tags)
replica = (
    aws.Provider("aws-replica", region=settings.backup.replica_region, default_tags=default_tags)
    if settings.backup.replica_region
    else None
)
for index in range(1, copies + 1):
    SecureMlEnvironment(
        f"sr-b{index:02d}",
        SecureMlEnvironmentArgs(settings=settings, replica_provider=replica),
        opts=pulumi.ResourceOptions(providers={"aws": primary}),
    )
pulumi.export("copies", copies)
