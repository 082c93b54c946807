"""examples/training-pipeline: an application team's program that reads a Strongroom environment through
``pulumi.StackReference("acme/strongroom/dev")``. Offline, the stack file maps that reference to this
checkout (``strongroom:stackReferences``), so the plan uses the root program's own offline plan of stack
dev: these tests check that every value the pipeline takes from the environment is exactly that plan's
export, and that without the mapping the check says the outputs are unknown."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from plan_support import repository_plan

from strongroom.check import plan_and_check
from strongroom.engine import Plan, run_plan
from strongroom.engine.monitor import UNKNOWN
from strongroom.engine.stackrefs import STACK_REFERENCE_TYPE, stack_outputs
from strongroom.errors import UsageError

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "training-pipeline"
REFERENCE = "acme/strongroom/dev"


@pytest.fixture(scope="session")
def environment() -> dict[str, object]:
    """The exports of Strongroom's own dev stack, planned offline."""
    return stack_outputs(repository_plan("dev"))


@pytest.fixture(scope="session")
def plan() -> Plan:
    return run_plan(EXAMPLE, "dev")


def _statements(document: str) -> dict[str, dict[str, object]]:
    return {s["Sid"]: s for s in json.loads(document)["Statement"]}


def test_the_stack_file_maps_the_reference_the_program_makes_to_this_checkout() -> None:
    config = yaml.safe_load((EXAMPLE / "Pulumi.dev.yaml").read_text())["config"]
    assert config["training-pipeline:environment"] == REFERENCE
    assert (EXAMPLE / config["strongroom:stackReferences"][REFERENCE]).resolve() == REPO


def test_the_reference_is_answered_with_exactly_the_environments_exports(
    plan: Plan, environment: dict[str, object]
) -> None:
    (reference,) = plan.of_type(STACK_REFERENCE_TYPE)
    assert reference.name == REFERENCE
    assert reference.outputs["outputs"] == environment
    assert {"vpcId", "subnetIds", "s3EndpointId", "keyArns", "bucketNames", "accessLogBucketName"} <= set(
        environment
    )
    assert not [w for w in plan.warnings if "StackReference" in w], plan.warnings


def test_the_pipeline_uses_the_environments_endpoint_log_bucket_subnets_vpc_key_and_data_bucket(
    plan: Plan, environment: dict[str, object]
) -> None:
    endpoint, log_bucket = environment["s3EndpointId"], environment["accessLogBucketName"]
    assert isinstance(endpoint, str) and isinstance(log_bucket, str)
    for policy in plan.of_type("aws:s3/bucketPolicy:BucketPolicy"):
        assert endpoint in json.dumps(policy.inputs["policy"]), policy.urn
    loggings = plan.of_type("aws:s3/bucketLogging:BucketLogging")
    assert [r.inputs["targetBucket"] for r in loggings] == [log_bucket, log_bucket]
    assert stack_outputs(plan)["subnetIds"] == environment["subnetIds"]

    keys, buckets = environment["keyArns"], environment["bucketNames"]
    assert isinstance(keys, dict) and isinstance(buckets, dict)
    policy = plan.named("churn-dev-training-policy").inputs["policy"]
    assert policy == plan.named("churn-dev-boundary").inputs["policy"]
    statements = _statements(policy)
    data_arn = f"arn:aws:s3:::{buckets['data-payments']}"
    assert statements["ReadTrainingData"]["Resource"] == [f"{data_arn}/curated/*"]
    assert statements["ListTrainingData"]["Resource"] == [data_arn]
    assert statements["DecryptTrainingData"]["Resource"] == [keys["data"]]
    vpc_arn = f"arn:aws:ec2:eu-west-2:123456789012:vpc/{environment['vpcId']}"
    assert statements["CreateJobNetworkInterfaces"]["Condition"] == {"ArnEquals": {"ec2:Vpc": vpc_arn}}


def test_the_pipelines_buckets_use_its_own_keys_not_the_environments(
    plan: Plan, environment: dict[str, object]
) -> None:
    own = {r.outputs["arn"] for r in plan.of_type("aws:kms/key:Key")}
    assert len(own) == 2
    keys = environment["keyArns"]
    assert isinstance(keys, dict)
    for sse in plan.of_type(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ):
        (rule,) = sse.inputs["rules"]
        key = rule["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"]
        assert key in own and key not in keys.values(), sse.urn


def test_the_training_role_is_bounded_and_trusts_only_sagemaker_in_its_account(plan: Plan) -> None:
    role = plan.named("churn-dev-training")
    assert role.inputs["permissionsBoundary"] == plan.named("churn-dev-boundary").outputs["arn"]
    assert role.inputs["path"] == "/churn/dev/"
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}


def _copy(tmp_path: Path, references: dict[str, str] | None, **config: object) -> Path:
    copy = tmp_path / "training-pipeline"
    shutil.copytree(EXAMPLE, copy)
    stack_file = copy / "Pulumi.dev.yaml"
    data = yaml.safe_load(stack_file.read_text())
    if references is None:
        del data["config"]["strongroom:stackReferences"]
    else:
        data["config"]["strongroom:stackReferences"] = references
    data["config"].update(config)
    stack_file.write_text(yaml.safe_dump(data))
    return copy


def test_without_the_mapping_the_environment_is_unknown_and_the_check_says_so(tmp_path: Path) -> None:
    copy = _copy(tmp_path, None)
    report, plan = plan_and_check(copy, "dev")
    (reference,) = plan.of_type(STACK_REFERENCE_TYPE)
    assert reference.outputs["outputs"] == UNKNOWN
    assert plan.named("churn-dev-training-policy").inputs["policy"] == UNKNOWN
    assert any(REFERENCE in note and "strongroom:stackReferences" in note for note in report.notes), (
        report.notes
    )
    assert any(v.control == "SR-GOV-004" and "can't be known" in v.message for v in report.violations)
    assert not [v for v in report.violations if v.enforcement == "mandatory"]


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (
            {"training-pipeline:dataDomain": "fraud"},
            "training-pipeline:dataDomain = 'fraud'; accepted: a data domain of acme/strongroom/dev, which "
            "has ['credit-risk', 'payments']",
        ),
        ({"aws:region": "eu-west-1"}, "aws:region = 'eu-west-1', but acme/strongroom/dev is in 'eu-west-2'"),
        ({"training-pipeline:environment": "acme/platform/dev"}, "training-pipeline:environment"),
    ],
    ids=["unknown-domain", "other-region", "not-a-strongroom-stack"],
)
def test_a_config_that_does_not_fit_the_environment_is_a_config_error(
    tmp_path: Path, config: dict[str, object], expected: str
) -> None:
    copy = _copy(tmp_path, {REFERENCE: str(REPO)}, **config)
    with pytest.raises(UsageError) as caught:
        run_plan(copy, "dev")
    message = str(caught.value)
    assert "Pulumi.dev.yaml" in message
    assert expected in message
