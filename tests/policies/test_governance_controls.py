"""The gate's own controls (fail closed, options, providers, could-not-evaluate) and the delivery controls:
baseline compliant, each way to break them, not applicable."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pulumi_aws
from controls_support import (  # the test_* names run here over SPECS, parametrized in conftest.py
    TRUSTED_ACCOUNTS,
    Break,
    Spec,
    messages_for,
    res,
    test_compliant_baseline_has_no_violation,  # noqa: F401
    test_control_does_not_apply_elsewhere,  # noqa: F401
    test_each_break_reports_the_exact_message,  # noqa: F401
)

from strongroom.policies.catalog import CATALOG, get
from strongroom.policies.controls.delivery import BUCKET_NOTIFICATION, EVENT_TARGET, TOPIC_SUBSCRIPTION
from strongroom.policies.controls.governance import AWS_PROVIDER, REVIEWED_TYPES, STACK, covered_types
from strongroom.policies.props import UNKNOWN, Context, Resource
from strongroom.policies.tokens import aliases, aws_tokens, canonical

AWS = "pulumi:providers:aws"
BUCKET = "aws:s3/bucket:Bucket"


def deployed(type_: str, name: str, provider: str | None = AWS, **props: Any) -> Resource:
    """A resource as the pack sees it: with its provider's type (None for a component)."""
    return dataclasses.replace(res(type_, name, **props), provider_type=provider)


def ignoring(resource: Resource, *paths: str) -> Resource:
    return dataclasses.replace(resource, ignore_changes=paths)


bucket = deployed(BUCKET, "data", bucket="data-1")
component = deployed("strongroom:index:SecureBucket", "data-component", provider=None)
stack = deployed(STACK, "strongroom-dev", provider=None)
provider = deployed(AWS_PROVIDER, "aws-primary", provider=None, region="eu-west-2")
ALLOW_HINT = (
    "have it reviewed (a control in policies/controls/, or an entry with its reason in "
    "REVIEWED_TYPES of policies/controls/governance.py), or allow it for this stack with a justification "
    'in the pack\'s policy config: {{"sr-gov-001": {{"allowedTypes": {{"{type_}": "<why>"}}}}}}'
)


def unreviewed(type_: str, name: str) -> str:
    return (
        f"resource type {type_} of '{name}' is not judged by any Strongroom control nor on the reviewed "
        f"list; {ALLOW_HINT.format(type_=type_)}"
    )


CLOUDCONTROL = "aws:cloudcontrol/resource:Resource"
CLOUDFORMATION = "aws:cloudformation/stack:Stack"
COMMAND = "command:local:Command"
DYNAMIC = "pulumi-python:dynamic:Resource"
IN_PERIMETER = "arn:aws:sns:eu-west-2:123456789012:alerts"
OUTSIDE = "arn:aws:sns:eu-west-2:999999999999:collector"
REGIONS = Context(
    stack="dev", trusted_accounts=TRUSTED_ACCOUNTS, regions=frozenset({"eu-west-2", "us-east-1"})
)
NO_PERIMETER = Context(stack="dev")

SPECS: dict[str, Spec] = {
    "SR-GOV-001": Spec(
        baseline=[
            bucket,
            provider,
            dataclasses.replace(deployed(BUCKET, "legacy", bucket="x"), token="aws:s3/bucketV2:BucketV2"),
        ],
        breaks=[
            Break(
                "Cloud Control resource (any CloudFormation type behind one token)",
                [deployed(CLOUDCONTROL, "cc", typeName="AWS::S3::Bucket")],
                "cc",
                [unreviewed(CLOUDCONTROL, "cc")],
            ),
            Break(
                "CloudFormation stack",
                [deployed(CLOUDFORMATION, "cfn", templateBody="{}")],
                "cfn",
                [unreviewed(CLOUDFORMATION, "cfn")],
            ),
            Break(
                "custom resource of another provider (runs commands)",
                [deployed(COMMAND, "cmd", provider="pulumi:providers:command", create="curl evil")],
                "cmd",
                [unreviewed(COMMAND, "cmd")],
            ),
            Break(
                "dynamic provider resource",
                [deployed(DYNAMIC, "dyn", provider="pulumi:providers:pulumi-python")],
                "dyn",
                [
                    f"dynamic provider resource 'dyn' ({DYNAMIC}) runs the program's own code at deploy "
                    "time, "
                    f"which no control can judge; {ALLOW_HINT.format(type_=DYNAMIC)}"
                ],
            ),
            Break(
                "provider of another package",
                [deployed("pulumi:providers:command", "cmd-provider", provider=None)],
                "cmd-provider",
                [
                    "provider 'cmd-provider' (pulumi:providers:command) is not reviewed; "
                    + ALLOW_HINT.format(type_="pulumi:providers:command")
                ],
            ),
            Break(
                "allowed for another stack only: the allowance is per stack config",
                [deployed(CLOUDCONTROL, "cc", typeName="AWS::S3::Bucket")],
                "cc",
                [unreviewed(CLOUDCONTROL, "cc")],
                context=Context(stack="dev", allowed_types={CLOUDFORMATION: "reviewed by the platform team"}),
            ),
        ],
        not_applicable=[component, stack],
    ),
    "SR-GOV-002": Spec(
        baseline=[ignoring(bucket, "tags", "tagsAll"), provider],
        breaks=[
            Break(
                "ignore_changes on a bucket policy",
                [ignoring(deployed("aws:s3/bucketPolicy:BucketPolicy", "p", policy="{}"), "policy")],
                "p",
                [
                    "'p' sets ignore_changes on policy: a later change there would never be deployed or "
                    "judged (only tags and tagsAll may be ignored)"
                ],
            ),
            Break(
                "ignore_changes on a nested property",
                [ignoring(bucket, "tags", "serverSideEncryptionConfiguration.rule")],
                "data",
                [
                    "'data' sets ignore_changes on serverSideEncryptionConfiguration.rule: a later change "
                    "there would never be deployed or judged (only tags and tagsAll may be ignored)"
                ],
            ),
        ],
        not_applicable=[ignoring(component, "anything"), stack],
    ),
    "SR-GOV-003": Spec(
        baseline=[provider, deployed(AWS_PROVIDER, "replica", provider=None, region="us-east-1")],
        stack="dev",
        context=REGIONS,
        breaks=[
            Break(
                "another region",
                [deployed(AWS_PROVIDER, "far", provider=None, region="ap-southeast-2")],
                "far",
                [
                    "provider 'far' deploys to region ap-southeast-2; this stack's regions are eu-west-2, "
                    "us-east-1"
                ],
            ),
            Break(
                "assumes a role in an account outside the perimeter (JSON-encoded, as the engine sends it)",
                [
                    deployed(
                        AWS_PROVIDER,
                        "other",
                        provider=None,
                        region="eu-west-2",
                        assumeRoles='[{"role_arn": "arn:aws:iam::999999999999:role/x"}]',
                    )
                ],
                "other",
                [
                    "provider 'other' assumes arn:aws:iam::999999999999:role/x (assumeRoles[0].roleArn), a "
                    "role of an account outside the perimeter"
                ],
            ),
            Break(
                "custom endpoints",
                [
                    deployed(
                        AWS_PROVIDER,
                        "proxy",
                        provider=None,
                        region="eu-west-2",
                        endpoints='[{"s3": "https://s3.attacker.example"}]',
                    )
                ],
                "proxy",
                [
                    "provider 'proxy' overrides service endpoints "
                    '([{"s3": "https://s3.attacker.example"}]): '
                    "API calls and credentials would go to another host than AWS's"
                ],
            ),
            Break(
                "no region: wherever the environment points",
                [deployed(AWS_PROVIDER, "loose", provider=None)],
                "loose",
                [
                    "provider 'loose' sets no region, so it deploys wherever its environment points "
                    "(AWS_REGION, a profile); set one of eu-west-2, us-east-1"
                ],
            ),
            Break(
                "static credentials",
                [deployed(AWS_PROVIDER, "keys", provider=None, region="eu-west-2", accessKey="AKIA...")],
                "keys",
                ["provider 'keys' carries static credentials (accessKey); use a role or SSO session"],
            ),
            Break(
                "allowed account outside the perimeter",
                [
                    deployed(
                        AWS_PROVIDER,
                        "acct",
                        provider=None,
                        region="eu-west-2",
                        allowedAccountIds='["999999999999"]',
                    )
                ],
                "acct",
                ["provider 'acct' allows deploying to account 999999999999, outside the perimeter"],
            ),
        ],
        not_applicable=[bucket, component],
    ),
    "SR-GOV-004": Spec(
        baseline=[bucket],
        breaks=[
            Break(
                "a value a control needs is unknown at preview",
                [deployed("aws:sagemaker/notebookInstance:NotebookInstance", "nb", rootAccess=UNKNOWN)],
                "nb",
                ["SR-WS-003 could not evaluate 'nb': rootAccess of 'nb' can't be known during preview"],
            ),
            Break(
                "no perimeter configured, so an account cannot be judged",
                [deployed(EVENT_TARGET, "t", arn=IN_PERIMETER)],
                "t",
                [
                    "SR-AUD-030 could not evaluate 't': account 123456789012 can't be judged: no perimeter "
                    "is "
                    "configured (strongroom:perimeter.trustedAccounts / organizationId, or the pack's policy "
                    "config)"
                ],
                context=NO_PERIMETER,
            ),
        ],
        not_applicable=[component, stack],
    ),
    "SR-AUD-030": Spec(
        baseline=[deployed(EVENT_TARGET, "t", arn=IN_PERIMETER)],
        breaks=[
            Break(
                "target in another account",
                [deployed(EVENT_TARGET, "t", arn=OUTSIDE)],
                "t",
                [f"'t' delivers to {OUTSIDE} (arn), in account 999999999999 outside the perimeter"],
            ),
            Break(
                "role of another account",
                [deployed(EVENT_TARGET, "t", arn=IN_PERIMETER, roleArn="arn:aws:iam::999999999999:role/r")],
                "t",
                [
                    "'t' delivers to arn:aws:iam::999999999999:role/r (roleArn), in account 999999999999 "
                    "outside the perimeter"
                ],
            ),
        ],
        not_applicable=[bucket],
    ),
    "SR-AUD-031": Spec(
        baseline=[
            deployed(TOPIC_SUBSCRIPTION, "mail", protocol="email", endpoint="soc@bank.example"),
            deployed(
                TOPIC_SUBSCRIPTION, "queue", protocol="sqs", endpoint="arn:aws:sqs:eu-west-2:123456789012:q"
            ),
        ],
        breaks=[
            Break(
                "https endpoint",
                [deployed(TOPIC_SUBSCRIPTION, "web", protocol="https", endpoint="https://collector.example")],
                "web",
                [
                    "subscription 'web' uses protocol 'https', which delivers outside AWS; accepted: email, "
                    "email-json, firehose, lambda, sqs"
                ],
            ),
            Break(
                "queue of another account",
                [
                    deployed(
                        TOPIC_SUBSCRIPTION,
                        "q",
                        protocol="sqs",
                        endpoint="arn:aws:sqs:eu-west-2:999999999999:q",
                    )
                ],
                "q",
                [
                    "'q' delivers to arn:aws:sqs:eu-west-2:999999999999:q (endpoint), in account "
                    "999999999999 "
                    "outside the perimeter"
                ],
            ),
        ],
        not_applicable=[bucket],
    ),
    "SR-AUD-032": Spec(
        baseline=[deployed(BUCKET_NOTIFICATION, "n", bucket="data-1", topics=[{"topicArn": IN_PERIMETER}])],
        breaks=[
            Break(
                "lambda of another account",
                [
                    deployed(
                        BUCKET_NOTIFICATION,
                        "n",
                        bucket="data-1",
                        lambdaFunctions=[
                            {"lambdaFunctionArn": "arn:aws:lambda:eu-west-2:999999999999:function:f"}
                        ],
                    )
                ],
                "n",
                [
                    "'n' delivers to arn:aws:lambda:eu-west-2:999999999999:function:f "
                    "(lambdaFunctions[0].lambdaFunctionArn), in account 999999999999 outside the perimeter"
                ],
            ),
        ],
        not_applicable=[bucket],
    ),
}


def is_pulumi_aws_token(type_: str) -> bool:
    """A token of pulumi-aws's token table (policies/data), or of the installed SDK, which may be newer
    than the table: a module of the token's service package (`lambda` is `lambda_`) declares it. Reading
    only that package's modules, not the SDK's 11,000, took the two tests that ask from 3-14 s to 0.1 s."""
    if type_ in aws_tokens():
        return True
    root = Path(pulumi_aws.__file__).parent
    service = type_.split(":")[1].split("/")[0] if type_.count(":") == 2 else ""
    folders = [root / name for name in (service, f"{service}_") if service and (root / name).is_dir()]
    declaration = f'@pulumi.type_token("{type_}")'.encode()
    return any(declaration in module.read_bytes() for folder in folders for module in folder.glob("*.py"))


def test_a_token_newer_than_the_table_is_found_in_the_installed_sdk() -> None:
    assert "aws:lambda/resourcePolicy:ResourcePolicy" not in aws_tokens()  # newer than the table
    assert is_pulumi_aws_token("aws:lambda/resourcePolicy:ResourcePolicy")
    assert is_pulumi_aws_token("aws:s3/bucket:Bucket")
    assert not is_pulumi_aws_token("aws:lambda/resourcePolicy:NoSuchType")
    assert not is_pulumi_aws_token("aws:nosuchservice/thing:Thing")  # no such package


def test_every_deprecated_alias_resolves_to_a_schema_token() -> None:
    assert aliases()["aws:s3/bucketV2:BucketV2"] == BUCKET
    for alias, target in aliases().items():
        assert target in aws_tokens(), f"{alias} -> {target} is not a pulumi-aws token"
    assert canonical(BUCKET) == BUCKET


def test_the_reviewed_list_names_real_types_each_with_a_reason_and_no_judged_type() -> None:
    judged = covered_types()
    for type_, reason in REVIEWED_TYPES.items():
        assert is_pulumi_aws_token(type_), f"{type_} is not a pulumi-aws token"
        assert len(reason) > 20, f"{type_}: a reviewed type needs its reason"
        assert type_ not in judged, f"{type_} is judged by a control: drop it from the reviewed list"


def test_the_judged_types_are_the_catalogs_and_built_once() -> None:
    # SR-GOV-001 asks for every resource; the set is computed once from the constant catalog
    assert covered_types() is covered_types()
    assert covered_types() == {t for c in CATALOG for t in c.resource_types if t != "*"}


def test_every_type_a_control_names_is_a_canonical_pulumi_aws_token() -> None:
    for control in CATALOG:
        for type_ in control.resource_types:
            if type_ in ("*", AWS_PROVIDER):
                continue
            assert is_pulumi_aws_token(type_), f"{control.id}: {type_} is not a pulumi-aws token"
            assert canonical(type_) == type_, f"{control.id}: {type_} is an alias; name {canonical(type_)}"


def test_a_type_allowed_in_the_policy_config_passes_and_others_still_fail() -> None:
    allowed = Context(
        stack="dev", allowed_types={CLOUDCONTROL: "reviewed by the platform team, ticket SEC-42"}
    )
    stack_ = [deployed(CLOUDCONTROL, "cc"), deployed(CLOUDFORMATION, "cfn")]
    assert messages_for(get("SR-GOV-001"), stack_, "cc", allowed) == []
    assert messages_for(get("SR-GOV-001"), stack_, "cfn", allowed) == [unreviewed(CLOUDFORMATION, "cfn")]
