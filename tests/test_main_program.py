"""The real ``__main__.py``: every shipped stack plans offline, config is read the way the Pulumi CLI passes
it (``PULUMI_CONFIG``) and the way the offline engine sets it, and a bad stack file is a usage error that
names the file, the key, the value and what is accepted."""

from __future__ import annotations

import json
import runpy
import shutil
from pathlib import Path

import pulumi.runtime
import pytest
import yaml
from plan_support import repository_plan

from strongroom.engine import install, run, run_plan
from strongroom.engine.monitor import is_taggable
from strongroom.errors import UsageError

ROOT = Path(__file__).resolve().parents[1]


def flat_config(stack: str) -> dict[str, str]:
    config = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in config.items()}


@pytest.mark.parametrize(("stack", "replica"), [("dev", False), ("staging", True), ("prod", True)])
def test_shipped_stack_plans_with_tagged_providers(stack: str, replica: bool) -> None:
    plan = repository_plan(stack)
    providers = {r.name: r for r in plan if r.type == "pulumi:providers:aws"}
    assert set(providers) == ({"aws-primary", "aws-replica"} if replica else {"aws-primary"})
    for provider in providers.values():
        tags = json.loads(provider.inputs["defaultTags"])["tags"]
        assert tags["strongroom:environment"] == stack
        assert {"owner", "cost-center", "data-classification"} <= set(tags)
    env = plan.named(f"sr-{stack}")
    assert env.type == "strongroom:index:SecureMlEnvironment"
    assert all(r.provider for r in plan if r.custom and r.type.startswith("aws:")), (
        "resource without provider"
    )


def test_bad_stack_file_is_a_usage_error_naming_file_key_value(tmp_path: Path) -> None:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copy(ROOT / "__main__.py", tmp_path / "__main__.py")
    (tmp_path / "stacks").mkdir()
    text = (
        (ROOT / "stacks" / "Pulumi.prod.yaml")
        .read_text()
        .replace("vpcCidr: 10.40.0.0/16", "vpcCidr: 10.40.0.0/8")
    )
    (tmp_path / "stacks" / "Pulumi.prod.yaml").write_text(text)
    with pytest.raises(UsageError) as caught:
        run_plan(tmp_path, "prod")
    message = str(caught.value)
    assert 'stacks/Pulumi.prod.yaml: strongroom:network.vpcCidr = "10.40.0.0/8"' in message
    assert "accepted: an RFC 1918 network from /16 to /24" in message


def test_config_from_pulumi_config_env_var_like_the_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Pulumi CLI's language host passes the config as JSON in PULUMI_CONFIG, not set_all_config."""
    recorder = install(project="strongroom", stack="staging", region="eu-west-2", config={})
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps(flat_config("staging")))
    monkeypatch.chdir(ROOT)
    try:
        run(lambda: runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__"))
    finally:
        pulumi.runtime.set_all_config({}, [])
    vpc = recorder.plan().of_type("aws:ec2/vpc:Vpc")[0]
    assert vpc.inputs["cidrBlock"] == "10.30.0.0/16"
    assert recorder.plan().named("aws-replica").inputs["region"] == "eu-west-1"


def test_engine_config_overrides_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    config = flat_config("dev")
    recorder = install(project="strongroom", stack="dev", region="eu-west-2", config=config)
    stale = {**config, "strongroom:network": json.dumps({"vpcCidr": "10.99.0.0/16"})}
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps(stale))
    try:
        run(lambda: runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__"))
    finally:
        pulumi.runtime.set_all_config({}, [])
    assert recorder.plan().of_type("aws:ec2/vpc:Vpc")[0].inputs["cidrBlock"] == "10.20.0.0/16"


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_taggable_resource_carries_the_environment_and_mandatory_tags(stack: str) -> None:
    """Later issues find the deployed environment by ``strongroom:environment``: every resource whose AWS
    type takes tags must carry it (through the provider's default tags) with the mandatory tags."""
    plan = repository_plan(stack)
    taggable = [r for r in plan if r.custom and is_taggable(r.type)]
    assert len(taggable) > 50, "the stack should have many taggable resources"
    for resource in taggable:
        tags = resource.outputs.get("tagsAll") or {}
        assert tags.get("strongroom:environment") == stack, f"{resource.urn}: tagsAll={tags}"
        missing = {"owner", "cost-center", "data-classification"} - set(tags)
        assert not missing, f"{resource.urn}: missing mandatory tags {sorted(missing)}"
    untaggable = [r for r in plan if r.custom and r.type.startswith("aws:") and not is_taggable(r.type)]
    assert all("tagsAll" not in r.outputs for r in untaggable), "tagsAll on a type without tags"


def test_taggability_is_read_from_the_installed_sdk() -> None:
    assert is_taggable("aws:s3/bucket:Bucket")
    assert is_taggable("aws:kms/key:Key")
    assert not is_taggable("aws:s3/bucketPolicy:BucketPolicy")
    assert not is_taggable("aws:iam/rolePolicy:RolePolicy")
    assert not is_taggable("aws:nosuchmodule/thing:Thing")
