"""Mutation score: break the compliant dev plan one property at a time and require the pack to notice.

Each mutation takes the dev stack's Plan (from the offline engine), changes one property (or adds or
removes one resource, built compliant except for that property) and names the one control it breaks.
All mutations run through one pack process over the Analyzer protocol (``Analyze`` per resource and
``AnalyzeStack`` per mutated plan). A mutation is caught when its control is reported for a violation
the unmutated plan does not have, and no other control is newly reported (so each mutation breaks
exactly one control). The score is printed: ``mutation score: N/N``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from strongroom.check import Diagnostic, check_plans, control_id
from strongroom.engine import Plan, PlanResource, run_plan

REPO = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"


@dataclass(frozen=True)
class Mutation:
    name: str
    control: str
    apply: Callable[[Plan], None]


def first(plan: Plan, type_: str, where: Callable[[PlanResource], bool] = lambda r: True) -> PlanResource:
    return next(r for r in plan.resources if r.type == type_ and where(r))


def set_input(
    type_: str, key: str, value: Any, where: Callable[[PlanResource], bool] = lambda r: True
) -> Callable[[Plan], None]:
    def apply(plan: Plan) -> None:
        resource = first(plan, type_, where)
        for props in (resource.inputs, resource.outputs):
            props[key] = value

    return apply


def drop_input(
    type_: str, key: str, where: Callable[[PlanResource], bool] = lambda r: True
) -> Callable[[Plan], None]:
    def apply(plan: Plan) -> None:
        resource = first(plan, type_, where)
        for props in (resource.inputs, resource.outputs):
            props.pop(key, None)

    return apply


def edit_input(
    type_: str, edit: Callable[[dict[str, Any]], None], where: Callable[[PlanResource], bool] = lambda r: True
) -> Callable[[Plan], None]:
    def apply(plan: Plan) -> None:
        resource = first(plan, type_, where)
        edit(resource.inputs)
        resource.outputs.update(resource.inputs)

    return apply


def edit_policy(
    type_: str,
    key: str,
    edit: Callable[[dict[str, Any]], None],
    where: Callable[[PlanResource], bool] = lambda r: True,
) -> Callable[[Plan], None]:
    """Edit a JSON policy document held as a string property."""

    def change(props: dict[str, Any]) -> None:
        document = json.loads(props[key])
        edit(document)
        props[key] = json.dumps(document)

    return edit_input(type_, change, where)


def remove(type_: str, where: Callable[[PlanResource], bool] = lambda r: True) -> Callable[[Plan], None]:
    def apply(plan: Plan) -> None:
        plan.resources.remove(first(plan, type_, where))

    return apply


def add(type_: str, name: str, inputs: Callable[[Plan], dict[str, Any]]) -> Callable[[Plan], None]:
    def apply(plan: Plan) -> None:
        root = plan.resources[0].urn
        props = inputs(plan)
        plan.resources.append(
            PlanResource(
                urn=f"urn:pulumi:{plan.stack}::{plan.project}::{type_}::{name}",
                type=type_,
                name=name,
                parent=root,
                custom=True,
                id=f"{name}-id",
                inputs=props,
                outputs={**props, "id": f"{name}-id"},
            )
        )

    return apply


def vpc_id(plan: Plan) -> str:
    return str(first(plan, "aws:ec2/vpc:Vpc").id)


def private_subnet(plan: Plan) -> str:
    return str(first(plan, "aws:ec2/subnet:Subnet").id)


def a_key_arn(plan: Plan) -> str:
    return str(first(plan, "aws:kms/key:Key").outputs["arn"])


def a_security_group(plan: Plan) -> str:
    return str(first(plan, "aws:ec2/securityGroup:SecurityGroup").id)


def named(fragment: str) -> Callable[[PlanResource], bool]:
    return lambda r: fragment in r.name


def notebook(**overrides: Any) -> Callable[[Plan], dict[str, Any]]:
    def inputs(plan: Plan) -> dict[str, Any]:
        return {
            "instanceType": "ml.t3.medium",
            "roleArn": f"arn:aws:iam::{ACCOUNT}:role/strongroom/dev/notebook",
            "directInternetAccess": "Disabled",
            "rootAccess": "Disabled",
            "kmsKeyId": a_key_arn(plan),
            "subnetId": private_subnet(plan),
            "securityGroups": [a_security_group(plan)],
            **overrides,
        }

    return inputs


def domain(**overrides: Any) -> Callable[[Plan], dict[str, Any]]:
    def inputs(plan: Plan) -> dict[str, Any]:
        return {
            "domainName": "sr-dev-studio",
            "authMode": "IAM",
            "appNetworkAccessType": "VpcOnly",
            "vpcId": vpc_id(plan),
            "subnetIds": [private_subnet(plan)],
            "kmsKeyId": a_key_arn(plan),
            "defaultUserSettings": {"executionRole": f"arn:aws:iam::{ACCOUNT}:role/strongroom/dev/studio"},
            **overrides,
        }

    return inputs


def training_job(**overrides: Any) -> Callable[[Plan], dict[str, Any]]:
    def inputs(plan: Plan) -> dict[str, Any]:
        return {
            "roleArn": f"arn:aws:iam::{ACCOUNT}:role/strongroom/dev/training",
            "enableNetworkIsolation": True,
            "enableInterContainerTrafficEncryption": True,
            "vpcConfig": {"subnets": [private_subnet(plan)], "securityGroupIds": [a_security_group(plan)]},
            "outputDataConfig": {"kmsKeyId": a_key_arn(plan), "s3OutputPath": "s3://sr-dev-models/out"},
            "resourceConfig": {"volumeKmsKeyId": a_key_arn(plan), "instanceCount": 1},
            **overrides,
        }

    return inputs


def open_statement(document: dict[str, Any]) -> None:
    document["Statement"].append(
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*"}
    )


def without_sid(sid: str) -> Callable[[dict[str, Any]], None]:
    def edit(document: dict[str, Any]) -> None:
        document["Statement"] = [s for s in document["Statement"] if s.get("Sid") != sid]

    return edit


def allow(action: Any, resource: Any = "arn:aws:s3:::sr-dev-data/*") -> Callable[[dict[str, Any]], None]:
    def edit(document: dict[str, Any]) -> None:
        document["Statement"].append({"Effect": "Allow", "Action": action, "Resource": resource})

    return edit


def full_access(document: dict[str, Any]) -> None:
    document["Statement"] = [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]


def public_read(document: dict[str, Any]) -> None:
    resource = document["Statement"][0]["Resource"]
    document["Statement"].append(
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": resource}
    )


def trust_everyone(document: dict[str, Any]) -> None:
    document["Statement"] = [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]


def without_data_events(props: dict[str, Any]) -> None:
    props["advancedEventSelectors"] = [
        s for s in props["advancedEventSelectors"] if "Data" not in json.dumps(s["fieldSelectors"])
    ]


def shorter_noncurrent_retention(props: dict[str, Any]) -> None:
    props["rules"][0]["noncurrentVersionExpiration"]["noncurrentDays"] = 1


SG = "aws:ec2/securityGroup:SecurityGroup"
IGW = "aws:ec2/internetGateway:InternetGateway"
VPCE = "aws:ec2/vpcEndpoint:VpcEndpoint"
KEY = "aws:kms/key:Key"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
TRAIL = "aws:cloudtrail/trail:Trail"
NOTEBOOK = "aws:sagemaker/notebookInstance:NotebookInstance"
DOMAIN = "aws:sagemaker/domain:Domain"
TRAINING = "aws:sagemaker/trainingJob:TrainingJob"
GATEWAY = named("vpce-s3")
INTERFACE = named("vpce-ecr-api")
BACKUP = named("backup")
BOUNDED = lambda r: bool(r.inputs.get("permissionsBoundary"))  # noqa: E731

MUTATIONS = [
    Mutation("add an internet gateway", "SR-NET-001", add(IGW, "igw", lambda p: {"vpcId": vpc_id(p)})),
    Mutation(
        "attach an internet gateway",
        "SR-NET-001",
        add(
            "aws:ec2/internetGatewayAttachment:InternetGatewayAttachment",
            "igw-attachment",
            lambda p: {"vpcId": vpc_id(p), "internetGatewayId": "igw-0123456789abcdef0"},
        ),
    ),
    Mutation(
        "add a public NAT gateway",
        "SR-NET-002",
        add("aws:ec2/natGateway:NatGateway", "nat", lambda p: {"subnetId": private_subnet(p)}),
    ),
    Mutation(
        "add an egress-only internet gateway",
        "SR-NET-003",
        add(
            "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway",
            "eigw",
            lambda p: {"vpcId": vpc_id(p)},
        ),
    ),
    Mutation("add an Elastic IP", "SR-NET-004", add("aws:ec2/eip:Eip", "eip", lambda p: {"domain": "vpc"})),
    Mutation(
        "map public IPs on launch",
        "SR-NET-005",
        set_input("aws:ec2/subnet:Subnet", "mapPublicIpOnLaunch", True),
    ),
    Mutation(
        "default route in a route table",
        "SR-NET-006",
        set_input(
            "aws:ec2/routeTable:RouteTable",
            "routes",
            [{"cidrBlock": "0.0.0.0/0", "gatewayId": "igw-0123456789abcdef0"}],
        ),
    ),
    Mutation(
        "add a default route",
        "SR-NET-006",
        add(
            "aws:ec2/route:Route",
            "default-route",
            lambda p: {
                "routeTableId": str(first(p, "aws:ec2/routeTable:RouteTable").id),
                "destinationCidrBlock": "0.0.0.0/0",
                "transitGatewayId": "tgw-0123456789abcdef0",
            },
        ),
    ),
    Mutation(
        "inline ingress from anywhere",
        "SR-NET-007",
        set_input(
            SG, "ingress", [{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]}]
        ),
    ),
    Mutation(
        "ingress rule from anywhere",
        "SR-NET-007",
        set_input("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "cidrIpv4", "0.0.0.0/0"),
    ),
    Mutation(
        "egress rule to anywhere",
        "SR-NET-008",
        set_input("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "cidrIpv4", "0.0.0.0/0"),
    ),
    Mutation(
        "flow log of rejected traffic only",
        "SR-NET-009",
        set_input("aws:ec2/flowLog:FlowLog", "trafficType", "REJECT"),
    ),
    Mutation("remove the flow log", "SR-NET-009", remove("aws:ec2/flowLog:FlowLog")),
    Mutation(
        "default security group with a rule",
        "SR-NET-010",
        set_input(
            "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
            "ingress",
            [{"protocol": "-1", "fromPort": 0, "toPort": 0, "self": True}],
        ),
    ),
    Mutation(
        "full-access gateway endpoint policy", "SR-NET-011", edit_policy(VPCE, "policy", full_access, GATEWAY)
    ),
    Mutation(
        "full-access interface endpoint policy",
        "SR-NET-012",
        edit_policy(VPCE, "policy", full_access, INTERFACE),
    ),
    Mutation(
        "interface endpoint without private DNS",
        "SR-NET-013",
        set_input(VPCE, "privateDnsEnabled", False, INTERFACE),
    ),
    Mutation("key rotation off", "SR-ENC-001", set_input(KEY, "enableKeyRotation", False)),
    Mutation("key rotation unset", "SR-ENC-001", drop_input(KEY, "enableKeyRotation")),
    Mutation("key policy open to everyone", "SR-ENC-002", edit_policy(KEY, "policy", open_statement)),
    Mutation("7-day key deletion window", "SR-ENC-003", set_input(KEY, "deletionWindowInDays", 7)),
    Mutation(
        "bucket encrypted with SSE-S3",
        "SR-ENC-004",
        set_input(SSE, "rules", [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]),
    ),
    Mutation("remove a bucket's encryption", "SR-ENC-004", remove(SSE)),
    Mutation(
        "log group without a key", "SR-ENC-005", drop_input("aws:cloudwatch/logGroup:LogGroup", "kmsKeyId")
    ),
    Mutation(
        "add an unencrypted SNS topic",
        "SR-ENC-006",
        add("aws:sns/topic:Topic", "alerts", lambda p: {"name": "alerts"}),
    ),
    Mutation("add a Studio domain without a key", "SR-ENC-007", add(DOMAIN, "studio", domain(kmsKeyId=None))),
    Mutation(
        "add a notebook without a key", "SR-ENC-008", add(NOTEBOOK, "notebook", notebook(kmsKeyId=None))
    ),
    Mutation(
        "add a training job with an unencrypted volume",
        "SR-ENC-009",
        add(TRAINING, "training", training_job(resourceConfig={"instanceCount": 1})),
    ),
    Mutation(
        "versioning suspended",
        "SR-STO-001",
        set_input(
            "aws:s3/bucketVersioning:BucketVersioning", "versioningConfiguration", {"status": "Suspended"}
        ),
    ),
    Mutation(
        "remove a bucket's versioning", "SR-STO-001", remove("aws:s3/bucketVersioning:BucketVersioning")
    ),
    Mutation("public policies allowed", "SR-STO-002", set_input(PAB, "blockPublicPolicy", False)),
    Mutation("public buckets not restricted", "SR-STO-002", set_input(PAB, "restrictPublicBuckets", False)),
    Mutation(
        "ACLs back on",
        "SR-STO-003",
        set_input(
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
            "rule",
            {"objectOwnership": "ObjectWriter"},
        ),
    ),
    Mutation(
        "bucket policy without the TLS deny",
        "SR-STO-004",
        edit_policy(BUCKET_POLICY, "policy", without_sid("DenyInsecureTransport")),
    ),
    Mutation(
        "bucket policy allows public reads", "SR-STO-005", edit_policy(BUCKET_POLICY, "policy", public_read)
    ),
    Mutation("remove a bucket's access logging", "SR-STO-006", remove("aws:s3/bucketLogging:BucketLogging")),
    Mutation(
        "backup bucket lock without default retention",
        "SR-STO-007",
        set_input(
            "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "rule", {}, named("backup")
        ),
    ),
    Mutation(
        "noncurrent versions expire before the lock",
        "SR-STO-009",
        edit_input(
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            shorter_noncurrent_retention,
            BACKUP,
        ),
    ),
    Mutation("role policy allows '*'", "SR-IAM-001", edit_policy(ROLE_POLICY, "policy", allow("*"))),
    Mutation("role policy allows 's3:*'", "SR-IAM-001", edit_policy(ROLE_POLICY, "policy", allow("s3:*"))),
    Mutation(
        "role policy on every resource",
        "SR-IAM-002",
        edit_policy(ROLE_POLICY, "policy", allow("s3:GetObject", "*")),
    ),
    Mutation(
        "PassRole on every role",
        "SR-IAM-003",
        edit_policy(ROLE_POLICY, "policy", allow("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/*")),
    ),
    Mutation("role without a boundary", "SR-IAM-004", drop_input(ROLE, "permissionsBoundary", BOUNDED)),
    Mutation(
        "AdministratorAccess attached",
        "SR-IAM-005",
        set_input(
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            "policyArn",
            "arn:aws:iam::aws:policy/AdministratorAccess",
        ),
    ),
    Mutation(
        "anyone may assume a role",
        "SR-IAM-006",
        edit_policy(ROLE, "assumeRolePolicy", trust_everyone, BOUNDED),
    ),
    Mutation("single-region trail", "SR-AUD-001", set_input(TRAIL, "isMultiRegionTrail", False)),
    Mutation("log file validation off", "SR-AUD-002", set_input(TRAIL, "enableLogFileValidation", False)),
    Mutation("trail without a key", "SR-AUD-003", drop_input(TRAIL, "kmsKeyId")),
    Mutation("trail without data events", "SR-AUD-004", edit_input(TRAIL, without_data_events)),
    Mutation(
        "trail not delivered to CloudWatch Logs", "SR-AUD-005", drop_input(TRAIL, "cloudWatchLogsGroupArn")
    ),
    Mutation("trail logging off", "SR-AUD-006", set_input(TRAIL, "enableLogging", False)),
    Mutation(
        "add a Studio domain on the internet",
        "SR-WS-001",
        add(DOMAIN, "studio", domain(appNetworkAccessType="PublicInternetOnly")),
    ),
    Mutation(
        "add a notebook with direct internet",
        "SR-WS-002",
        add(NOTEBOOK, "notebook", notebook(directInternetAccess="Enabled")),
    ),
    Mutation(
        "add a notebook with root", "SR-WS-003", add(NOTEBOOK, "notebook", notebook(rootAccess="Enabled"))
    ),
    Mutation(
        "add a notebook outside the VPC", "SR-WS-004", add(NOTEBOOK, "notebook", notebook(subnetId=None))
    ),
    Mutation(
        "add a training job without isolation",
        "SR-WS-005",
        add(TRAINING, "training", training_job(enableNetworkIsolation=False)),
    ),
    Mutation(
        "add a training job outside the VPC",
        "SR-WS-006",
        add(TRAINING, "training", training_job(vpcConfig=None)),
    ),
    Mutation(
        "add a training job with clear inter-container traffic",
        "SR-WS-007",
        add(TRAINING, "training", training_job(enableInterContainerTrafficEncryption=False)),
    ),
    Mutation(
        "add a model without isolation",
        "SR-WS-008",
        add(
            "aws:sagemaker/model:Model",
            "model",
            lambda p: {
                "executionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/strongroom/dev/model",
                "enableNetworkIsolation": False,
                "vpcConfig": {"subnets": [private_subnet(p)], "securityGroupIds": [a_security_group(p)]},
            },
        ),
    ),
]


def _violations(diagnostics: list[Diagnostic]) -> set[tuple[str, str]]:
    return {(control_id(d.policy_name), d.urn) for d in diagnostics if not d.could_not_run}


def _mutated(plan: Plan, mutation: Mutation) -> Plan:
    copy = Plan.from_dict(json.loads(json.dumps(plan.to_dict())))
    mutation.apply(copy)
    return copy


@pytest.fixture(scope="module")
def results() -> dict[str, tuple[set[str], set[str]]]:
    """For each mutation: the controls newly reported, and the controls the baseline already reports."""
    plan = run_plan(REPO, "dev")
    plans = [plan, *(_mutated(plan, m) for m in MUTATIONS)]
    _, diagnostics = check_plans(plans)
    baseline = _violations(diagnostics[0])
    return {
        m.name: ({control for control, _ in _violations(d) - baseline}, {c for c, _ in baseline})
        for m, d in zip(MUTATIONS, diagnostics[1:], strict=True)
    }


def test_there_are_at_least_40_mutations_covering_every_resource_control() -> None:
    assert len(MUTATIONS) >= 40
    assert len({m.name for m in MUTATIONS}) == len(MUTATIONS)
    from policies.catalog import CATALOG

    covered = {m.control for m in MUTATIONS}
    # SR-STO-008 (cross-region replication) applies to prod only and is tested on the prod plan by H6.
    assert {c.id for c in CATALOG} - covered <= {"SR-STO-008"}


def test_mutation_score(
    results: dict[str, tuple[set[str], set[str]]], capsys: pytest.CaptureFixture[str]
) -> None:
    caught = [m for m in MUTATIONS if results[m.name][0] == {m.control}]
    missed = {
        m.name: f"expected {m.control}, newly reported {sorted(results[m.name][0]) or 'nothing'}"
        for m in MUTATIONS
        if m not in caught
    }
    with capsys.disabled():
        print(f"\nmutation score: {len(caught)}/{len(MUTATIONS)}")
    assert missed == {}
