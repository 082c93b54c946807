"""Mutation score: break the dev plan one weakness at a time and require the pack to notice.

Each mutation takes the dev stack's Plan (from the offline engine), changes one property, option or type
(or adds or removes one resource, built compliant except for that one weakness) and names the control
it breaks. Several are the evasions of issue #8: deprecated alias types, split address ranges, wildcard
and NotAction spellings, always-true conditions, principals and destinations in other accounts, AWS
managed keys, unreviewed types, ignore_changes, a provider in another account, values unknown at preview.

All mutated plans are judged by Strongroom's pack in process (``check_plans``: the semantics of ``Analyze``
per resource and ``AnalyzeStack`` per plan; ``test_inprocess.py`` compares a sample with the pack over the
Analyzer protocol), with the dev stack's config, so the perimeter is the dev stack's
(accounts 123456789012 and 111111111111, organization o-nb7k2x9q4m). A mutation is caught when the
controls newly reported, relative to the unmutated plan, are exactly its control plus the ones it names
in ``also`` (kept empty wherever one weakness can break one control). The unmutated plan may carry
violations of its own; a mutation never targets a control already violated on the resource it changes.

Every control of the catalog has a mutation, except those in ``NOT_APPLICABLE`` (with the reason). A
mutation that reveals a gap (a control that does not catch what it should) names the gap in ``gap``: its
case is an expected failure (``xfail(strict=True)``), so the suite stays green and the gap recorded.
The score is printed: ``mutation score: caught/total``.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from plan_support import repository_plan

from strongroom.check import Diagnostic, check_plans, control_id
from strongroom.engine import Plan, PlanResource, load_project, load_stack_config

pytestmark = pytest.mark.xdist_group("mutations")  # one worker plans and judges every mutation once

REPO = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
"""The account the dev plan is planned as (inside the perimeter)."""
SSO = "111111111111"
"""The dev stack's other trusted account (IAM Identity Center)."""
OUT = "999999999999"
"""An account outside the perimeter."""
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""The engine's sentinel for a string unknown during preview."""
REGION = "eu-west-2"
OUT_KEY = f"arn:aws:kms:{REGION}:{OUT}:key/3a1f0c2e-5b6d-4e7f-8a9b-0c1d2e3f4a5b"
OUT_ROOT = f"arn:aws:iam::{OUT}:root"
OUT_BUCKET = "exfil-bucket"
EXACT_OBJECT = "arn:aws:s3:::sr-dev-data/report.csv"
"""An exact resource ARN: grants on it are neither broad (SR-IAM-002) nor escalation on a pattern."""
STACK_ROLE = f"arn:aws:iam::{ACCOUNT}:role/strongroom/dev/sr-dev-roles-training"

NOT_APPLICABLE = {
    "SR-STO-008": "cross-region replication of backup buckets applies to prod stacks only",
    "SR-STO-040": "replication of data and model buckets into Object Lock buckets applies to prod only",
    "SR-AUD-050": "the whole account baseline is required of prod stacks only (on their root resource)",
}
"""Controls no mutation of the dev plan can break, with the reason."""


@dataclass(frozen=True)
class Mutation:
    name: str
    control: str
    apply: Callable[[Plan], None]
    also: frozenset[str] = frozenset()
    """Controls this weakness breaks too, by meaning (caught means newly reported == {control} | also)."""
    gap: str = ""
    """When set, the control does not catch this mutation: what it misses (the case is xfail)."""


Where = Callable[[PlanResource], bool]


def _any(_resource: PlanResource) -> bool:
    return True


def named(fragment: str) -> Where:
    return lambda r: fragment in r.name


def holding(sid: str) -> Where:
    """The policy holding the statement ``sid`` (the deployer's statements move between its policies as
    they grow: a slot name would go stale)."""

    def where(resource: PlanResource) -> bool:
        document = resource.inputs.get("policy")
        if not isinstance(document, str):
            return False
        return any(s.get("Sid") == sid for s in json.loads(document).get("Statement", []))

    return where


def first(plan: Plan, type_: str, where: Where = _any) -> PlanResource:
    for resource in plan.resources:
        if resource.type == type_ and where(resource):
            return resource
    raise LookupError(f"no {type_} in the plan of stack {plan.stack} matches the mutation")


def _set(resource: PlanResource, key: str, value: Any) -> None:
    """Set a property as a literal would: no property dependency any more."""
    for props in (resource.inputs, resource.outputs):
        if value is None:
            props.pop(key, None)
        else:
            props[key] = value
    resource.property_dependencies.pop(key, None)


def set_input(type_: str, key: str, value: Any, where: Where = _any) -> Callable[[Plan], None]:
    """Set (or, with None, drop) one property of the first resource of `type_` that `where` selects."""

    def apply(plan: Plan) -> None:
        _set(first(plan, type_, where), key, value)

    return apply


def set_computed(type_: str, key: str, value: Any, where: Where = _any) -> Callable[[Plan], None]:
    """Set a property to a value computed from other resources: its property dependencies stay (an
    `Output.concat` of a stack resource's name into another account's ARN)."""

    def apply(plan: Plan) -> None:
        resource = first(plan, type_, where)
        resource.inputs[key] = value
        resource.outputs[key] = value

    return apply


def drop_input(type_: str, key: str, where: Where = _any) -> Callable[[Plan], None]:
    return set_input(type_, key, None, where)


def edit_input(
    type_: str, edit: Callable[[dict[str, Any]], None], where: Where = _any
) -> Callable[[Plan], None]:
    def apply(plan: Plan) -> None:
        resource = first(plan, type_, where)
        edit(resource.inputs)
        resource.outputs.update(resource.inputs)

    return apply


def edit_policy(
    type_: str, key: str, edit: Callable[[dict[str, Any]], None], where: Where = _any
) -> Callable[[Plan], None]:
    """Edit a JSON policy document held as a string property."""

    def change(props: dict[str, Any]) -> None:
        document = json.loads(props[key])
        edit(document)
        props[key] = json.dumps(document)

    return edit_input(type_, change, where)


def retype(type_: str, new_type: str, where: Where = _any) -> Callable[[Plan], None]:
    """Write the resource with another type token (a deprecated alias of the same resource)."""

    def apply(plan: Plan) -> None:
        resource = first(plan, type_, where)
        resource.urn = resource.urn.replace(f"::{type_}::", f"::{new_type}::").replace(
            f"${type_}::", f"${new_type}::"
        )
        resource.type = new_type

    return apply


def ignore_changes(type_: str, props: list[str], where: Where = _any) -> Callable[[Plan], None]:
    def apply(plan: Plan) -> None:
        first(plan, type_, where).ignore_changes = list(props)

    return apply


def remove(type_: str, where: Where = _any) -> Callable[[Plan], None]:
    def apply(plan: Plan) -> None:
        plan.resources.remove(first(plan, type_, where))

    return apply


def add(
    type_: str,
    name: str,
    inputs: Callable[[Plan], dict[str, Any]],
    deps: Callable[[Plan], dict[str, list[str]]] | None = None,
) -> Callable[[Plan], None]:
    """Add a resource under the root stack, with the plan's explicit AWS provider as the components use."""

    def apply(plan: Plan) -> None:
        props = inputs(plan)
        provider = first(plan, "aws:ec2/vpc:Vpc").provider
        plan.resources.append(
            PlanResource(
                urn=f"urn:pulumi:{plan.stack}::{plan.project}::{type_}::{name}",
                type=type_,
                name=name,
                parent=plan.resources[0].urn,
                custom=True,
                provider=provider if type_.startswith("aws:") else None,
                id=f"{name}-id",
                inputs=props,
                outputs={**props, "id": f"{name}-id"},
                property_dependencies=deps(plan) if deps else {},
            )
        )

    return apply


def together(*steps: Callable[[Plan], None]) -> Callable[[Plan], None]:
    """One weakness written as several changes (a rule split in two halves)."""

    def apply(plan: Plan) -> None:
        for step in steps:
            step(plan)

    return apply


# -- values of the plan ------------------------------------------------------------------------------------


def vpc_id(plan: Plan) -> str:
    return str(first(plan, "aws:ec2/vpc:Vpc").id)


def private_subnet(plan: Plan) -> str:
    return str(first(plan, "aws:ec2/subnet:Subnet").id)


def a_key_arn(plan: Plan) -> str:
    return str(first(plan, KEY, named("keys-data")).outputs["arn"])


def a_security_group(plan: Plan) -> str:
    return str(first(plan, SG, named("workload-sg")).id)


def data_bucket(plan: Plan) -> str:
    return str(first(plan, BUCKET, named("data-payments")).outputs["bucket"])


def s3_endpoint(plan: Plan) -> str:
    return str(first(plan, VPCE, named("vpce-s3")).id)


def route_table(plan: Plan) -> str:
    return str(first(plan, "aws:ec2/routeTable:RouteTable").id)


def log_group_name(plan: Plan) -> str:
    return str(first(plan, LOG_GROUP, named("flow-logs")).outputs["name"])


def data_scientist_role(plan: Plan) -> str:
    return str(first(plan, ROLE, named("roles-data-scientist")).outputs["arn"])


def trusted_by_data_scientists(where: Where) -> Callable[[Plan], None]:
    """Add the data scientists' trust statement (their Identity Center roles, in the organization, with a
    source identity) to the trust of the role `where` selects."""

    def apply(plan: Plan) -> None:
        trust_policy = first(plan, ROLE, named("roles-data-scientist")).inputs["assumeRolePolicy"]
        people = json.loads(trust_policy)["Statement"]
        edit_policy(ROLE, "assumeRolePolicy", lambda d: d["Statement"].extend(people), where)(plan)

    return apply


def deployer_creates_roles_bounded_by(boundary: Where) -> Callable[[Plan], None]:
    """Pin the deployer's CreateRole (its Allow, and its Deny of any other boundary) to another policy of
    the stack than the workload boundary."""

    def apply(plan: Plan) -> None:
        arn = first(plan, POLICY, boundary).outputs["arn"]

        def pin(operator: str) -> Callable[[dict[str, Any]], None]:
            return lambda statement: statement["Condition"][operator].update({"iam:PermissionsBoundary": arn})

        edit_policy(
            POLICY, "policy", in_statement("CreateStackRoles", pin("ArnEquals")), holding("CreateStackRoles")
        )(plan)
        edit_policy(
            POLICY,
            "policy",
            in_statement("DenyRoleWithoutWorkloadBoundary", pin("ArnNotEquals")),
            holding("DenyRoleWithoutWorkloadBoundary"),
        )(plan)

    return apply


def studio_runs_as(role: Callable[[Plan], str]) -> Callable[[Plan], None]:
    def apply(plan: Plan) -> None:
        edit_input(DOMAIN, user_settings(executionRole=role(plan)))(plan)

    return apply


# -- builders of compliant resources -----------------------------------------------------------------------


def builder(**base: Callable[[Plan], Any] | Any) -> Callable[..., Callable[[Plan], dict[str, Any]]]:
    """`builder(k=v, ...)(**overrides)`: inputs from values or functions of the plan; an override of None
    removes the property."""

    def with_overrides(**overrides: Any) -> Callable[[Plan], dict[str, Any]]:
        def inputs(plan: Plan) -> dict[str, Any]:
            merged = {**base, **overrides}
            return {k: (v(plan) if callable(v) else v) for k, v in merged.items() if v is not None}

        return inputs

    return with_overrides


notebook = builder(
    instanceType="ml.t3.medium",
    roleArn=STACK_ROLE,
    directInternetAccess="Disabled",
    rootAccess="Disabled",
    kmsKeyId=a_key_arn,
    subnetId=private_subnet,
    securityGroups=lambda p: [a_security_group(p)],
)
training_job = builder(
    roleArn=STACK_ROLE,
    enableNetworkIsolation=True,
    enableInterContainerTrafficEncryption=True,
    vpcConfig=lambda p: {"subnets": [private_subnet(p)], "securityGroupIds": [a_security_group(p)]},
    outputDataConfig=lambda p: {"kmsKeyId": a_key_arn(p), "s3OutputPath": f"s3://{data_bucket(p)}/out"},
    resourceConfig=lambda p: {"volumeKmsKeyId": a_key_arn(p), "instanceCount": 1},
)
model = builder(
    executionRoleArn=STACK_ROLE,
    enableNetworkIsolation=True,
    vpcConfig=lambda p: {"subnets": [private_subnet(p)], "securityGroupIds": [a_security_group(p)]},
)
endpoint_config = builder(
    kmsKeyArn=a_key_arn,
    productionVariants=[{"variantName": "main", "modelName": "model", "initialInstanceCount": 1}],
    dataCaptureConfig=lambda p: {
        "destinationS3Uri": f"s3://{data_bucket(p)}/capture",
        "kmsKeyId": a_key_arn(p),
        "initialSamplingPercentage": 10,
        "captureOptions": [{"captureMode": "Input"}],
    },
)
function = builder(
    role=STACK_ROLE,
    packageType="Image",
    imageUri=f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/scoring:1.0.0",
    vpcConfig=lambda p: {"subnetIds": [private_subnet(p)], "securityGroupIds": [a_security_group(p)]},
)
database = builder(
    engine="postgres",
    instanceClass="db.t4g.medium",
    allocatedStorage=20,
    dbSubnetGroupName="sr-dev-private",
    publiclyAccessible=False,
    storageEncrypted=True,
    kmsKeyId=a_key_arn,
    iamDatabaseAuthenticationEnabled=True,
)
repository = builder(
    imageTagMutability="IMMUTABLE",
    encryptionConfigurations=lambda p: [{"encryptionType": "KMS", "kmsKey": a_key_arn(p)}],
)
access_point = builder(
    bucket=data_bucket,
    vpcConfiguration=lambda p: {"vpcId": vpc_id(p)},
    publicAccessBlockConfiguration={
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
    },
)
event_data_store = builder(
    kmsKeyId=a_key_arn,
    multiRegionEnabled=True,
    terminationProtectionEnabled=True,
    retentionPeriod=2557,
)


def interface_endpoint(service: str) -> Callable[[Plan], dict[str, Any]]:
    """A copy of the plan's ECR API endpoint (policy, private DNS, groups, subnets) for another service."""

    def inputs(plan: Plan) -> dict[str, Any]:
        return {**first(plan, VPCE, INTERFACE).inputs, "serviceName": service}

    return inputs


def route(cidr: str, **target: Any) -> Callable[[Plan], dict[str, Any]]:
    """A route of the plan's first private route table to `cidr` through `target`."""
    return lambda p: {"routeTableId": route_table(p), "destinationCidrBlock": cidr, **target}


def via_endpoint(cidr: str) -> Callable[[Plan], dict[str, Any]]:
    """A route to `cidr` through the stack's own S3 gateway endpoint (a target SR-NET-014 accepts)."""
    return lambda p: {**route(cidr)(p), "vpcEndpointId": s3_endpoint(p)}


def rule(group: Callable[[Plan], str], **props: Any) -> Callable[[Plan], dict[str, Any]]:
    return lambda p: {
        "securityGroupId": group(p),
        "ipProtocol": "tcp",
        "fromPort": 443,
        "toPort": 443,
        **props,
    }


# -- policy edits ------------------------------------------------------------------------------------------


def appended(statement: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def edit(document: dict[str, Any]) -> None:
        document["Statement"].append(statement)

    return edit


def allow(action: Any, resource: Any = EXACT_OBJECT, **extra: Any) -> Callable[[dict[str, Any]], None]:
    return appended({"Effect": "Allow", "Action": action, "Resource": resource, **extra})


def without_sid(sid: str) -> Callable[[dict[str, Any]], None]:
    def edit(document: dict[str, Any]) -> None:
        document["Statement"] = [s for s in document["Statement"] if s.get("Sid") != sid]

    return edit


def full_access(document: dict[str, Any]) -> None:
    document["Statement"] = [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]


def object_read(
    principal: Any, action: str = "s3:GetObject", **extra: Any
) -> Callable[[dict[str, Any]], None]:
    """Allow `principal` `action` on the objects the policy's first statement names."""

    def edit(document: dict[str, Any]) -> None:
        resource = [r for r in document["Statement"][0]["Resource"] if r.endswith("/*")]
        granted = {"Principal": principal} if principal is not None else {}
        document["Statement"].append(
            {"Effect": "Allow", **granted, "Action": action, "Resource": resource, **extra}
        )

    return edit


def in_statement(sid: str, edit: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    """Edit the statement with this Sid."""

    def change(document: dict[str, Any]) -> None:
        edit(next(s for s in document["Statement"] if s.get("Sid") == sid))

    return change


def unconditioned(statement: dict[str, Any]) -> None:
    statement.pop("Condition")


def condition_dropped(operator: str, key: str) -> Callable[[dict[str, Any]], None]:
    """Drop one condition key of a statement (and its operator when nothing else is left under it)."""

    def edit(statement: dict[str, Any]) -> None:
        block = statement["Condition"][operator]
        block.pop(key)
        if not block:
            statement["Condition"].pop(operator)

    return edit


def edits(*steps: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    """One weakness written as several edits of the same document or statement (an Allow widened and its
    Deny dropped; a condition swapped for another)."""

    def edit(document: dict[str, Any]) -> None:
        for step in steps:
            step(document)

    return edit


def with_actions(*actions: str) -> Callable[[dict[str, Any]], None]:
    def edit(statement: dict[str, Any]) -> None:
        statement["Action"] = [*statement["Action"], *actions]

    return edit


def without_actions(*actions: str) -> Callable[[dict[str, Any]], None]:
    def edit(statement: dict[str, Any]) -> None:
        statement["Action"] = [a for a in statement["Action"] if a not in actions]

    return edit


def trust(principal: Any, **extra: Any) -> Callable[[dict[str, Any]], None]:
    def edit(document: dict[str, Any]) -> None:
        document["Statement"].append(
            {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra}
        )

    return edit


def policy_of(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


# -- property edits ----------------------------------------------------------------------------------------


def selectors(edit: Callable[[list[dict[str, Any]]], None]) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        edit(props["advancedEventSelectors"])

    return change


def without_data_events(found: list[dict[str, Any]]) -> None:
    found[:] = [s for s in found if "Data" not in json.dumps(s["fieldSelectors"])]


def management_field(field: dict[str, Any]) -> Callable[[list[dict[str, Any]]], None]:
    def edit(found: list[dict[str, Any]]) -> None:
        management = next(s for s in found if "Management" in json.dumps(s["fieldSelectors"]))
        management["fieldSelectors"].append(field)

    return edit


def data_field(field: dict[str, Any]) -> Callable[[list[dict[str, Any]]], None]:
    def edit(found: list[dict[str, Any]]) -> None:
        data = next(s for s in found if '"Data"' in json.dumps(s["fieldSelectors"]))
        data["fieldSelectors"].append(field)

    return edit


def first_bucket_only(found: list[dict[str, Any]]) -> None:
    """Data events of the first bucket the trail selects, not of the others."""
    for selector in found:
        for field in selector["fieldSelectors"]:
            if field.get("field") == "resources.ARN":
                field["startsWiths"] = field["startsWiths"][:1]


def without_trail_bucket_selector(found: list[dict[str, Any]]) -> None:
    """The trail no longer records its own bucket (the selector leaving out only CloudTrail's delivery)."""
    found[:] = [s for s in found if not s.get("name", "").startswith("S3 data events of the trail bucket")]


def cloudtrail_calls(service: str, names: list[str], **detail: Any) -> str:
    """An EventBridge pattern on CloudTrail API calls, as the alert rules write it."""
    return json.dumps(
        {
            "source": [f"aws.{service}"],
            "detail-type": ["AWS API Call via CloudTrail"],
            "detail": {"eventSource": [f"{service}.amazonaws.com"], "eventName": names, **detail},
        }
    )


def shorter_noncurrent_retention(props: dict[str, Any]) -> None:
    props["rules"][0]["noncurrentVersionExpiration"]["noncurrentDays"] = 1


def expire_current_versions(props: dict[str, Any]) -> None:
    props["rules"][0]["expiration"] = {"days": 30}


def user_settings(**settings: Any) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        props["defaultUserSettings"] = {**props["defaultUserSettings"], **settings}

    return change


def sse(algorithm: str, key: str | None = None) -> list[dict[str, Any]]:
    default = {"sseAlgorithm": algorithm, **({"kmsMasterKeyId": key} if key else {})}
    return [{"applyServerSideEncryptionByDefault": default, "bucketKeyEnabled": True}]


def policy_inline(edit: Callable[[dict[str, Any]], None], where: Where) -> Callable[[Plan], None]:
    """Move a bucket's policy into the bucket's own (deprecated) `policy` property, edited."""

    def apply(plan: Plan) -> None:
        policy = first(plan, BUCKET_POLICY, where)
        document = json.loads(policy.inputs["policy"])
        edit(document)
        _set(first(plan, BUCKET, where), "policy", json.dumps(document))
        plan.resources.remove(policy)

    return apply


def provider_input(key: str, value: Any) -> Callable[[Plan], None]:
    """Provider inputs reach the pack JSON-encoded, as the engine sends a provider's config."""
    return set_input(PROVIDER, key, json.dumps(value) if not isinstance(value, str) else value)


SG = "aws:ec2/securityGroup:SecurityGroup"
VPCE = "aws:ec2/vpcEndpoint:VpcEndpoint"
KEY = "aws:kms/key:Key"
BUCKET = "aws:s3/bucket:Bucket"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
TRAIL = "aws:cloudtrail/trail:Trail"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
TOPIC = "aws:sns/topic:Topic"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
NOTEBOOK = "aws:sagemaker/notebookInstance:NotebookInstance"
DOMAIN = "aws:sagemaker/domain:Domain"
TRAINING = "aws:sagemaker/trainingJob:TrainingJob"
MODEL = "aws:sagemaker/model:Model"
ENDPOINT_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
FUNCTION = "aws:lambda/function:Function"
DB = "aws:rds/instance:Instance"
ECR = "aws:ecr/repository:Repository"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
ROUTE = "aws:ec2/route:Route"
PROVIDER = "pulumi:providers:aws"
POLICY = "aws:iam/policy:Policy"
ANALYZER = "aws:accessanalyzer/analyzer:Analyzer"
DETECTOR = "aws:guardduty/detector:Detector"
DETECTOR_FEATURE = "aws:guardduty/detectorFeature:DetectorFeature"
HUB = "aws:securityhub/account:Account"
STANDARDS = "aws:securityhub/standardsSubscription:StandardsSubscription"
RECORDER = "aws:cfg/recorder:Recorder"
RECORDER_STATUS = "aws:cfg/recorderStatus:RecorderStatus"
CONFIG_DELIVERY = "aws:cfg/deliveryChannel:DeliveryChannel"
GATEWAY = named("vpce-s3")
INTERFACE = named("vpce-ecr-api")
BACKUP = named("backup")
DATA = named("data-payments")
DELIVERY = named("audit-delivery")
BOUNDED = named("roles-training")
DATA_SCIENTIST = named("roles-data-scientist")
STUDIO_EXECUTION = named("roles-studio-execution")
APPROVER = named("roles-model-approver")
SIGNING = named("keys-signing")
PRESIGNED = "OpenOwnStudioProfileThroughVpcEndpoint"
PACKAGES = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/sr-dev-credit-pd/*"

NETWORK = [
    Mutation(
        "add an internet gateway",
        "SR-NET-001",
        add("aws:ec2/internetGateway:InternetGateway", "igw", lambda p: {"vpcId": vpc_id(p)}),
    ),
    Mutation(
        "adopt the default VPC",
        "SR-NET-001",
        add("aws:ec2/defaultVpc:DefaultVpc", "default-vpc", lambda p: {}),
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
        "add a launch template with a public IP",
        "SR-NET-005",
        add(
            "aws:ec2/launchTemplate:LaunchTemplate",
            "workers",
            lambda p: {
                "imageId": "ami-0123456789abcdef0",
                "networkInterfaces": [{"associatePublicIpAddress": "true", "subnetId": private_subnet(p)}],
            },
        ),
    ),
    Mutation(
        "default route to our own endpoint",
        "SR-NET-006",
        add(ROUTE, "default-route", via_endpoint("0.0.0.0/0")),
    ),
    Mutation(
        "a route to 0.0.0.0/1 and 128.0.0.0/1",
        "SR-NET-006",
        together(
            add(ROUTE, "low-half", via_endpoint("0.0.0.0/1")),
            add(ROUTE, "high-half", via_endpoint("128.0.0.0/1")),
        ),
    ),
    Mutation(
        "route to the IPv6 internet",
        "SR-NET-006",
        add(
            ROUTE,
            "v6-route",
            lambda p: {
                "routeTableId": route_table(p),
                "destinationIpv6CidrBlock": "2000::/3",
                "vpcEndpointId": s3_endpoint(p),
            },
        ),
    ),
    Mutation(
        "route to a prefix list holding public ranges",
        "SR-NET-006",
        together(
            add(
                "aws:ec2/managedPrefixList:ManagedPrefixList",
                "public",
                lambda p: {
                    "name": "public",
                    "addressFamily": "IPv4",
                    "maxEntries": 2,
                    "entries": [{"cidr": "0.0.0.0/1"}, {"cidr": "128.0.0.0/1"}],
                },
            ),
            add(
                ROUTE,
                "pl-route",
                lambda p: {
                    "routeTableId": route_table(p),
                    "destinationPrefixListId": "public-id",
                    "vpcEndpointId": s3_endpoint(p),
                },
            ),
        ),
    ),
    Mutation("ingress rule from anywhere", "SR-NET-007", set_input(INGRESS, "cidrIpv4", "0.0.0.0/0")),
    Mutation(
        "ingress open in two halves",
        "SR-NET-007",
        together(
            add(INGRESS, "in-low", rule(a_security_group, cidrIpv4="0.0.0.0/1")),
            add(INGRESS, "in-high", rule(a_security_group, cidrIpv4="128.0.0.0/1")),
        ),
    ),
    Mutation(
        "legacy security group rule from a public range",
        "SR-NET-007",
        add(
            "aws:ec2/securityGroupRule:SecurityGroupRule",
            "legacy-in",
            lambda p: {
                "type": "ingress",
                "securityGroupId": a_security_group(p),
                "protocol": "tcp",
                "fromPort": 22,
                "toPort": 22,
                "cidrBlocks": ["52.0.0.0/8"],
            },
        ),
    ),
    Mutation(
        "ingress from the IPv6 internet written in long form",
        "SR-NET-007",
        add(INGRESS, "in-v6-long", rule(a_security_group, cidrIpv6="0:0:0:0:0:0:0:0/0")),
    ),
    Mutation(
        "ingress through a prefix list holding 0.0.0.0/0",
        "SR-NET-007",
        together(
            add(
                "aws:ec2/managedPrefixList:ManagedPrefixList",
                "anywhere",
                lambda p: {
                    "name": "anywhere",
                    "addressFamily": "IPv4",
                    "maxEntries": 1,
                    "entries": [{"cidr": "0.0.0.0/0"}],
                    "arn": "x",
                },
            ),
            add(INGRESS, "in-pl", rule(a_security_group, prefixListId="anywhere-id")),
        ),
    ),
    Mutation(
        "egress open in two halves",
        "SR-NET-008",
        together(
            add(EGRESS, "out-low", rule(a_security_group, cidrIpv4="0.0.0.0/1")),
            add(EGRESS, "out-high", rule(a_security_group, cidrIpv4="128.0.0.0/1")),
        ),
    ),
    Mutation(
        "inline egress to a public range",
        "SR-NET-008",
        set_input(
            SG,
            "egress",
            [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["100.64.0.0/9", "3.0.0.0/8"]}],
            named("endpoint-sg"),
        ),
    ),
    Mutation(
        "flow log of rejected traffic only",
        "SR-NET-009",
        set_input("aws:ec2/flowLog:FlowLog", "trafficType", "REJECT"),
    ),
    Mutation(
        "flow log of a subnet instead of the VPC",
        "SR-NET-009",
        together(
            drop_input("aws:ec2/flowLog:FlowLog", "vpcId"),
            lambda p: _set(first(p, "aws:ec2/flowLog:FlowLog"), "subnetId", private_subnet(p)),
        ),
    ),
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
        "separate endpoint policy with full access",
        "SR-NET-011",
        add(
            "aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy",
            "s3-endpoint-policy",
            lambda p: {
                "vpcEndpointId": s3_endpoint(p),
                "policy": policy_of({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}),
            },
        ),
    ),
    Mutation(
        "gateway endpoint lets any principal reach the stack's buckets",
        "SR-NET-011",
        edit_policy(
            VPCE, "policy", in_statement("AllowEnvironmentBucketsForThisAccount", unconditioned), GATEWAY
        ),
    ),
    Mutation(
        "interface endpoint policy open to another account",
        "SR-NET-012",
        edit_policy(
            VPCE,
            "policy",
            appended({"Effect": "Allow", "Principal": {"AWS": OUT_ROOT}, "Action": "ecr:*", "Resource": "*"}),
            INTERFACE,
        ),
    ),
    Mutation(
        "interface endpoint reaches other accounts' resources",
        "SR-NET-012",
        edit_policy(
            VPCE,
            "policy",
            in_statement(
                "AllowPrincipalsOfThisAccountOnItsResources",
                lambda st: st["Condition"]["StringEquals"].pop("aws:ResourceAccount"),
            ),
            INTERFACE,
        ),
    ),
    Mutation(
        "DNS Firewall fails open",
        "SR-NET-040",
        set_input("aws:route53/resolverFirewallConfig:ResolverFirewallConfig", "firewallFailOpen", "ENABLED"),
    ),
    Mutation(
        "DNS Firewall's block-all rule only alerts",
        "SR-NET-040",
        set_input(
            "aws:route53/resolverFirewallRule:ResolverFirewallRule", "action", "ALERT", named("dns-block-all")
        ),
    ),
    Mutation(
        "DNS Firewall association removed",
        "SR-NET-040",
        remove("aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation"),
    ),
    Mutation(
        "Resolver query logging removed from the VPC",
        "SR-NET-041",
        remove("aws:route53/resolverQueryLogConfigAssociation:ResolverQueryLogConfigAssociation"),
    ),
    Mutation(
        "Resolver query log group without a KMS key",
        "SR-NET-041",
        drop_input("aws:cloudwatch/logGroup:LogGroup", "kmsKeyId", named("dns-query-logs")),
        also=frozenset({"SR-ENC-005"}),
    ),
    Mutation(
        "interface endpoint with private DNS unset",
        "SR-NET-013",
        drop_input(VPCE, "privateDnsEnabled", INTERFACE),
    ),
    Mutation(
        "private route to a transit gateway",
        "SR-NET-014",
        add(ROUTE, "tgw-route", route("10.99.0.0/16", transitGatewayId="tgw-0123456789abcdef0")),
    ),
    Mutation(
        "private route to an internet gateway, computed from the stack's endpoint",
        "SR-NET-014",
        add(
            ROUTE,
            "computed-route",
            route("10.99.0.0/16", gatewayId="igw-0123456789abcdef0"),
            deps=lambda p: {"gatewayId": [first(p, VPCE, GATEWAY).urn]},
        ),
    ),
    Mutation(
        "add an internet-facing load balancer",
        "SR-NET-015",
        add(
            "aws:lb/loadBalancer:LoadBalancer",
            "alb",
            lambda p: {"internal": False, "subnets": [private_subnet(p)]},
        ),
    ),
    Mutation(
        "add a classic load balancer under its legacy token",
        "SR-NET-015",
        add(
            "aws:elasticloadbalancing/loadBalancer:LoadBalancer",
            "elb",
            lambda p: {"subnets": [private_subnet(p)], "listeners": []},
        ),
    ),
    Mutation(
        "add a VPC peering connection",
        "SR-NET-016",
        add(
            "aws:ec2/vpcPeeringConnection:VpcPeeringConnection",
            "peering",
            lambda p: {"vpcId": vpc_id(p), "peerVpcId": "vpc-0fedcba9876543210", "peerOwnerId": OUT},
        ),
    ),
    Mutation(
        "attach the VPC to a transit gateway",
        "SR-NET-016",
        add(
            "aws:ec2transitgateway/vpcAttachment:VpcAttachment",
            "tgw-attachment",
            lambda p: {"vpcId": vpc_id(p), "subnetIds": [private_subnet(p)], "transitGatewayId": "tgw-0123"},
        ),
    ),
    Mutation(
        "endpoint to another service, named from the stack's endpoint service",
        "SR-NET-017",
        together(
            add(
                "aws:ec2/vpcEndpointService:VpcEndpointService",
                "service",
                lambda p: {
                    "acceptanceRequired": True,
                    "allowedPrincipals": [f"arn:aws:iam::{ACCOUNT}:root"],
                    "networkLoadBalancerArns": [
                        f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/net/n/1"
                    ],
                    "serviceName": f"com.amazonaws.vpce.{REGION}.vpce-svc-00000000000000001",
                },
            ),
            add(
                VPCE,
                "vpce-computed",
                interface_endpoint(f"com.amazonaws.vpce.{REGION}.vpce-svc-0a1b2c3d4e5f60718"),
                deps=lambda p: {
                    "serviceName": [first(p, "aws:ec2/vpcEndpointService:VpcEndpointService").urn]
                },
            ),
        ),
    ),
    Mutation(
        "endpoint to another account's endpoint service",
        "SR-NET-017",
        add(
            VPCE,
            "vpce-foreign",
            interface_endpoint(f"com.amazonaws.vpce.{REGION}.vpce-svc-0a1b2c3d4e5f60718"),
        ),
    ),
    Mutation(
        "endpoint service open to another account",
        "SR-NET-018",
        add(
            "aws:ec2/vpcEndpointServiceAllowedPrinciple:VpcEndpointServiceAllowedPrinciple",
            "allow-partner",
            lambda p: {"vpcEndpointServiceId": "vpce-svc-0123456789abcdef0", "principalArn": OUT_ROOT},
        ),
    ),
    Mutation(
        "flow log delivered to another account",
        "SR-NET-019",
        set_input(
            "aws:ec2/flowLog:FlowLog",
            "logDestination",
            f"arn:aws:logs:{REGION}:{OUT}:log-group:collector",
        ),
    ),
    Mutation(
        "flow log to another account, computed from a log group of the stack",
        "SR-NET-019",
        set_computed(
            "aws:ec2/flowLog:FlowLog",
            "logDestination",
            f"arn:aws:logs:{REGION}:{OUT}:log-group:sr-dev-network-flow-logs-00d849b",
        ),
    ),
]

ENCRYPTION = [
    Mutation("key rotation off", "SR-ENC-001", set_input(KEY, "enableKeyRotation", False)),
    Mutation("key rotated every 7 years", "SR-ENC-001", set_input(KEY, "rotationPeriodInDays", 2557)),
    Mutation(
        "key policy allows another account's root",
        "SR-ENC-002",
        edit_policy(
            KEY,
            "policy",
            appended(
                {"Effect": "Allow", "Principal": {"AWS": OUT_ROOT}, "Action": "kms:Decrypt", "Resource": "*"}
            ),
        ),
        also=frozenset({"SR-ENC-040"}),  # no kms:CallerAccount, use without kms:ViaService
    ),
    Mutation(
        "separate key policy open to everyone",
        "SR-ENC-002",
        add(
            "aws:kms/keyPolicy:KeyPolicy",
            "key-policy",
            lambda p: {
                "keyId": a_key_arn(p),
                "policy": policy_of(
                    {"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}
                ),
            },
        ),
        also=frozenset({"SR-ENC-040"}),  # admin and grant for any account, no kms:CallerAccount
    ),
    Mutation(
        "key policy: any account's principal through S3",
        "SR-ENC-002",
        edit_policy(
            KEY,
            "policy",
            appended(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                    "Resource": "*",
                    "Condition": {"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}},
                }
            ),
        ),
        also=frozenset({"SR-ENC-040"}),  # no kms:CallerAccount
    ),
    Mutation("7-day key deletion window", "SR-ENC-003", set_input(KEY, "deletionWindowInDays", 7)),
    Mutation(
        "key root delegation without kms:CallerAccount",
        "SR-ENC-040",
        edit_policy(KEY, "policy", in_statement("AccountAdministersInAccount", unconditioned)),
    ),
    Mutation(
        "key administrators get kms:Create* (CreateGrant)",
        "SR-ENC-040",
        edit_policy(
            KEY,
            "policy",
            in_statement("KeyAdministrators", lambda st: st.update({"Action": ["kms:Create*"]})),
        ),
    ),
    Mutation(
        "key use for the account without kms:ViaService",
        "SR-ENC-040",
        edit_policy(
            KEY,
            "policy",
            in_statement(
                "AccountUsesThroughServices",
                lambda st: st["Condition"]["StringEquals"].pop("kms:ViaService"),
            ),
        ),
    ),
    Mutation(
        "grants without kms:GrantIsForAWSResource",
        "SR-ENC-040",
        edit_policy(
            KEY,
            "policy",
            in_statement("AccountGrantsForAwsResources", lambda st: st["Condition"].pop("Bool")),
        ),
    ),
    Mutation(
        "signing key: no Deny of kms:Sign to other principals",
        "SR-ENC-042",
        edit_policy(
            KEY,
            "policy",
            lambda d: d.update(Statement=[st for st in d["Statement"] if st.get("Sid") != "NoOtherSigners"]),
            SIGNING,
        ),
    ),
    Mutation(
        "signing key: every role of the stack's path may sign",
        "SR-ENC-042",
        edit_policy(
            KEY,
            "policy",
            in_statement(
                "NoOtherSigners",
                lambda st: st["Condition"]["ArnNotLike"].update(
                    {"aws:PrincipalArn": [f"arn:aws:iam::{ACCOUNT}:role/strongroom/dev/*"]}
                ),
            ),
            SIGNING,
        ),
    ),
    Mutation(
        "signing key: symmetric key spec",
        "SR-ENC-042",
        set_input(KEY, "customerMasterKeySpec", "SYMMETRIC_DEFAULT", SIGNING),
    ),
    Mutation(
        "SSE-KMS with alias/aws/s3",
        "SR-ENC-004",
        set_input(SSE, "rules", sse("aws:kms", "alias/aws/s3"), DATA),
    ),
    Mutation(
        "SSE-KMS with another account's key",
        "SR-ENC-004",
        set_input(SSE, "rules", sse("aws:kms", OUT_KEY), DATA),
    ),
    Mutation(
        "SSE-S3 under the V2 alias type",
        "SR-ENC-004",
        together(
            set_input(SSE, "rules", sse("AES256"), DATA),
            retype(
                SSE,
                "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
                DATA,
            ),
        ),
    ),
    Mutation(
        "a second encryption resource with SSE-S3",
        "SR-ENC-004",
        add(SSE, "data-encryption-2", lambda p: {"bucket": data_bucket(p), "rules": sse("AES256")}),
    ),
    Mutation("log group with another account's key", "SR-ENC-005", set_input(LOG_GROUP, "kmsKeyId", OUT_KEY)),
    Mutation(
        "topic with alias/aws/sns",
        "SR-ENC-006",
        set_input(TOPIC, "kmsMasterKeyId", "alias/aws/sns"),
        # EventBridge may not use an AWS managed key: no alert and no finding reaches the topic any more
        also=frozenset({"SR-AUD-040", "SR-AUD-041", "SR-AUD-042", "SR-AUD-043", "SR-AUD-044", "SR-AUD-055"}),
    ),
    Mutation(
        "Studio domain under alias/aws/sagemaker",
        "SR-ENC-007",
        set_input(DOMAIN, "kmsKeyId", "alias/aws/sagemaker"),
    ),
    Mutation(
        "add a notebook under another account's key",
        "SR-ENC-008",
        add(NOTEBOOK, "notebook", notebook(kmsKeyId=OUT_KEY)),
    ),
    Mutation(
        "add a training job with an unencrypted volume",
        "SR-ENC-009",
        add(TRAINING, "training", training_job(resourceConfig={"instanceCount": 1})),
    ),
    Mutation(
        "grant to another account",
        "SR-ENC-010",
        add(
            "aws:kms/grant:Grant",
            "grant",
            lambda p: {"keyId": a_key_arn(p), "granteePrincipal": OUT_ROOT, "operations": ["Decrypt"]},
        ),
    ),
    Mutation(
        "grant to a service without constraints",
        "SR-ENC-010",
        add(
            "aws:kms/grant:Grant",
            "grant",
            lambda p: {
                "keyId": a_key_arn(p),
                "granteePrincipal": "logs.eu-west-2.amazonaws.com",
                "operations": ["Decrypt"],
            },
        ),
    ),
    Mutation(
        "add a key with imported material",
        "SR-ENC-011",
        add(
            "aws:kms/externalKey:ExternalKey",
            "imported",
            lambda p: {
                "deletionWindowInDays": 30,
                "policy": first(p, KEY).inputs["policy"],
            },
        ),
    ),
    Mutation("key in an external key store", "SR-ENC-011", set_input(KEY, "xksKeyId", "xks-key-1")),
    Mutation(
        "topic policy allows another account",
        "SR-ENC-012",
        edit_policy(
            "aws:sns/topicPolicy:TopicPolicy",
            "policy",
            appended(
                {"Effect": "Allow", "Principal": {"AWS": OUT}, "Action": "sns:Subscribe", "Resource": "*"}
            ),
        ),
    ),
    Mutation(
        "topic policy: EventBridge of any account may publish",
        "SR-ENC-012",
        edit_policy(
            "aws:sns/topicPolicy:TopicPolicy", "policy", in_statement("EventBridgePublishes", unconditioned)
        ),
    ),
    Mutation(
        "topic inline policy allows everyone",
        "SR-ENC-012",
        set_input(
            TOPIC,
            "policy",
            policy_of({"Effect": "Allow", "Principal": "*", "Action": "sns:Subscribe", "Resource": "*"}),
        ),
    ),
    Mutation(
        "Lambda environment without a key",
        "SR-ENC-020",
        add(FUNCTION, "scoring", function(environment={"variables": {"TABLE": "scores"}})),
    ),
    Mutation(
        "add an unencrypted database",
        "SR-ENC-021",
        add(DB, "db", database(storageEncrypted=False, kmsKeyId=None)),
    ),
    Mutation(
        "ECR repository with AES256",
        "SR-ENC-022",
        add(ECR, "images", repository(encryptionConfigurations=[{"encryptionType": "AES256"}])),
    ),
    Mutation(
        "CodeArtifact domain under another account's key",
        "SR-ENC-023",
        add(
            "aws:codeartifact/domain:Domain",
            "packages",
            lambda p: {"domain": "bank", "encryptionKey": OUT_KEY},
        ),
    ),
    Mutation(
        "endpoint configuration under another account's key",
        "SR-ENC-024",
        add(ENDPOINT_CONFIG, "serving", endpoint_config(kmsKeyArn=OUT_KEY)),
    ),
]

STORAGE = [
    Mutation("remove a bucket's versioning", "SR-STO-001", remove(VERSIONING, DATA)),
    Mutation(
        "versioning suspended under the V2 alias type",
        "SR-STO-001",
        together(
            set_input(VERSIONING, "versioningConfiguration", {"status": "Suspended"}, DATA),
            retype(VERSIONING, "aws:s3/bucketVersioningV2:BucketVersioningV2", DATA),
        ),
    ),
    Mutation(
        "a second versioning resource suspends the bucket",
        "SR-STO-001",
        add(
            VERSIONING,
            "data-versioning-2",
            lambda p: {"bucket": data_bucket(p), "versioningConfiguration": {"status": "Suspended"}},
        ),
    ),
    Mutation(
        "public buckets not restricted", "SR-STO-002", set_input(PAB, "restrictPublicBuckets", False, DATA)
    ),
    Mutation("remove a bucket's public access block", "SR-STO-002", remove(PAB, DATA)),
    Mutation(
        "bucket owner preferred (ACLs honoured)",
        "SR-STO-003",
        set_input(
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
            "rule",
            {"objectOwnership": "BucketOwnerPreferred"},
            DATA,
        ),
    ),
    Mutation(
        "bucket policy without the TLS deny",
        "SR-STO-004",
        edit_policy(BUCKET_POLICY, "policy", without_sid("DenyInsecureTransport"), DATA),
    ),
    Mutation(
        "bucket policy: Principal '*' with an always-true condition",
        "SR-STO-005",
        edit_policy(
            BUCKET_POLICY,
            "policy",
            object_read("*", Condition={"Bool": {"aws:SecureTransport": "true"}}),
            DATA,
        ),
    ),
    Mutation(
        "bucket policy: Principal '*' limited with IfExists",
        "SR-STO-005",
        edit_policy(
            BUCKET_POLICY,
            "policy",
            object_read("*", Condition={"StringEqualsIfExists": {"aws:PrincipalAccount": ACCOUNT}}),
            DATA,
        ),
    ),
    Mutation(
        "bucket policy allows another account's root",
        "SR-STO-005",
        edit_policy(BUCKET_POLICY, "policy", object_read({"AWS": OUT_ROOT}), DATA),
    ),
    Mutation(
        "bucket policy: Principal '*' through an endpoint that is not the stack's",
        "SR-STO-005",
        edit_policy(
            BUCKET_POLICY,
            "policy",
            object_read("*", Condition={"StringEquals": {"aws:SourceVpce": "vpce-0badc0ffee0badc0f"}}),
            DATA,
        ),
    ),
    Mutation(
        "bucket policy: a service writes for any account",
        "SR-STO-005",
        edit_policy(
            BUCKET_POLICY,
            "policy",
            object_read({"Service": "cloudtrail.amazonaws.com"}, "s3:PutObject"),
            DATA,
        ),
    ),
    Mutation(
        "bucket policy moved inline, with public reads",
        "SR-STO-005",
        policy_inline(object_read("*"), DATA),
    ),
    Mutation(
        "bucket policy allows everyone but one account (NotPrincipal)",
        "SR-STO-005",
        edit_policy(
            BUCKET_POLICY,
            "policy",
            object_read(None, NotPrincipal={"AWS": OUT_ROOT}),
            DATA,
        ),
    ),
    Mutation(
        "remove a bucket's access logging", "SR-STO-006", remove("aws:s3/bucketLogging:BucketLogging", DATA)
    ),
    Mutation(
        "backup bucket lock without default retention",
        "SR-STO-007",
        set_input("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "rule", {}, BACKUP),
    ),
    Mutation(
        "noncurrent versions expire before the lock",
        "SR-STO-009",
        edit_input(LIFECYCLE, shorter_noncurrent_retention, BACKUP),
    ),
    Mutation(
        "bucket ACL grant to all users, under the V2 alias type",
        "SR-STO-010",
        add(
            "aws:s3/bucketAclV2:BucketAclV2",
            "data-acl",
            lambda p: {
                "bucket": data_bucket(p),
                "accessControlPolicy": {
                    "owner": {"id": "owner"},
                    "grants": [
                        {
                            "permission": "READ",
                            "grantee": {
                                "type": "Group",
                                "uri": "http://acs.amazonaws.com/groups/global/AllUsers",
                            },
                        }
                    ],
                },
            },
        ),
    ),
    Mutation("inline public-read ACL", "SR-STO-010", set_input(BUCKET, "acl", "public-read", DATA)),
    Mutation(
        "a bucket becomes a website",
        "SR-STO-011",
        add(
            "aws:s3/bucketWebsiteConfiguration:BucketWebsiteConfiguration",
            "data-website",
            lambda p: {"bucket": data_bucket(p), "indexDocument": {"suffix": "index.html"}},
        ),
    ),
    Mutation(
        "inline website", "SR-STO-011", set_input(BUCKET, "website", {"indexDocument": "index.html"}, DATA)
    ),
    Mutation(
        "lifecycle rule expires current versions",
        "SR-STO-012",
        edit_input(LIFECYCLE, expire_current_versions, DATA),
    ),
    Mutation(
        "inline lifecycle rule expires current versions",
        "SR-STO-012",
        set_input(BUCKET, "lifecycleRules", [{"enabled": True, "expiration": {"days": 30}}], DATA),
    ),
    Mutation(
        "replication to another account's bucket",
        "SR-STO-013",
        add(
            "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
            "data-replication",
            lambda p: {
                "bucket": data_bucket(p),
                "role": STACK_ROLE,
                "rules": [
                    {
                        "id": "all",
                        "status": "Enabled",
                        "destination": {
                            "bucket": f"arn:aws:s3:::{OUT_BUCKET}",
                            "account": OUT,
                            "encryptionConfiguration": {"replicaKmsKeyId": a_key_arn(p)},
                        },
                    }
                ],
            },
        ),
    ),
    Mutation(
        "replica encrypted under another account's key",
        "SR-STO-013",
        add(
            "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
            "data-replication",
            lambda p: {
                "bucket": data_bucket(p),
                "role": STACK_ROLE,
                "rules": [
                    {
                        "id": "all",
                        "status": "Enabled",
                        "destination": {
                            "bucket": str(first(p, BUCKET, named("models")).outputs["arn"]),
                            "encryptionConfiguration": {"replicaKmsKeyId": OUT_KEY},
                        },
                    }
                ],
            },
        ),
    ),
    Mutation(
        "access point reachable from the internet",
        "SR-STO-014",
        add("aws:s3/accessPoint:AccessPoint", "data-ap", access_point(vpcConfiguration=None)),
    ),
    Mutation(
        "access point on another account's bucket",
        "SR-STO-014",
        add(
            "aws:s3/accessPoint:AccessPoint",
            "foreign-ap",
            access_point(bucket=OUT_BUCKET, bucketAccountId=OUT),
        ),
    ),
]

PEOPLE_ON_AN_EXECUTION_ROLE = frozenset({"SR-IAM-050", "SR-IAM-052"})
"""An IAM principal added to the trust of the SageMaker training role makes a person's role an execution
role (SR-IAM-050), and its statement requires neither sts:SourceIdentity nor MFA (SR-IAM-052, advisory in
dev: still reported)."""

IDENTITY = [
    Mutation(
        "role policy allows 'iam:*Role*'",
        "SR-IAM-001",
        edit_policy(ROLE_POLICY, "policy", allow("iam:*Role*", STACK_ROLE), DELIVERY),
    ),
    Mutation(
        "role policy allows NotAction",
        "SR-IAM-001",
        edit_policy(
            ROLE_POLICY,
            "policy",
            appended({"Effect": "Allow", "NotAction": "iam:*", "Resource": EXACT_OBJECT}),
            DELIVERY,
        ),
        # everything but IAM includes the Studio sign-in URLs and model approval, unconditioned
        also=frozenset({"SR-IAM-051", "SR-WS-040"}),
    ),
    Mutation(
        "role policy allows an unknown action",
        "SR-IAM-001",
        edit_policy(ROLE_POLICY, "policy", allow("s3:GetObjekt"), DELIVERY),
    ),
    Mutation(
        "inline role policy allows '*'",
        "SR-IAM-001",
        set_input(
            ROLE,
            "inlinePolicies",
            [
                {
                    "name": "extra",
                    "policy": policy_of({"Effect": "Allow", "Action": "*", "Resource": EXACT_OBJECT}),
                }
            ],
            BOUNDED,
        ),
        # '*' includes the Studio sign-in URLs and model approval, unconditioned
        also=frozenset({"SR-IAM-051", "SR-WS-040"}),
    ),
    Mutation(
        "role policy allows 's3:Put*'",
        "SR-IAM-001",
        edit_policy(ROLE_POLICY, "policy", allow("s3:Put*"), DELIVERY),
    ),
    Mutation(
        "role policy on NotResource",
        "SR-IAM-002",
        edit_policy(
            ROLE_POLICY,
            "policy",
            appended({"Effect": "Allow", "Action": "s3:GetObject", "NotResource": EXACT_OBJECT}),
            DELIVERY,
        ),
    ),
    Mutation(
        "role policy on every bucket of any account",
        "SR-IAM-002",
        edit_policy(ROLE_POLICY, "policy", allow("s3:GetObject", "arn:aws:s3:::*"), DELIVERY),
    ),
    Mutation(
        "role policy decrypts with every key of the account",
        "SR-IAM-002",
        edit_policy(
            ROLE_POLICY, "policy", allow("kms:Decrypt", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/*"), DELIVERY
        ),
    ),
    Mutation(
        "'iam:Pass*' on the stack's roles",
        "SR-IAM-003",
        edit_policy(
            ROLE_POLICY,
            "policy",
            allow("iam:Pass*", f"arn:aws:iam::{ACCOUNT}:role/strongroom/dev/*"),
            DELIVERY,
        ),
    ),
    Mutation(
        "'sts:Assume*' on the stack's roles",
        "SR-IAM-003",
        edit_policy(
            ROLE_POLICY,
            "policy",
            allow("sts:Assume*", f"arn:aws:iam::{ACCOUNT}:role/strongroom/dev/*"),
            DELIVERY,
        ),
    ),
    Mutation(
        "PassRole on every role",
        "SR-IAM-003",
        edit_policy(ROLE_POLICY, "policy", allow("iam:PassRole", "*"), DELIVERY),
        also=frozenset({"SR-IAM-002"}),
    ),
    Mutation("role without a boundary", "SR-IAM-004", drop_input(ROLE, "permissionsBoundary", BOUNDED)),
    Mutation(
        "role bounded by a policy of another account",
        "SR-IAM-004",
        set_input(ROLE, "permissionsBoundary", f"arn:aws:iam::{OUT}:policy/boundary", BOUNDED),
    ),
    Mutation(
        "role bounded by PowerUserAccess",
        "SR-IAM-004",
        set_input(ROLE, "permissionsBoundary", "arn:aws:iam::aws:policy/PowerUserAccess", BOUNDED),
        also=frozenset({"SR-IAM-005"}),
    ),
    Mutation(
        "a FullAccess managed policy on the role itself",
        "SR-IAM-005",
        set_input(ROLE, "managedPolicyArns", ["arn:aws:iam::aws:policy/AmazonS3FullAccess"], BOUNDED),
    ),
    Mutation(
        "exclusive attachments with PowerUserAccess",
        "SR-IAM-005",
        add(
            "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
            "exclusive",
            lambda p: {
                "roleName": "sr-dev-roles-training",
                "policyArns": ["arn:aws:iam::aws:policy/PowerUserAccess"],
            },
        ),
    ),
    Mutation(
        "policy attachment of AdministratorAccess",
        "SR-IAM-005",
        add(
            "aws:iam/policyAttachment:PolicyAttachment",
            "admins",
            lambda p: {
                "roles": ["sr-dev-roles-training"],
                "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess",
            },
        ),
    ),
    Mutation(
        "anyone may assume a role under an always-true condition",
        "SR-IAM-006",
        edit_policy(
            ROLE,
            "assumeRolePolicy",
            trust({"AWS": "*"}, Condition={"Bool": {"aws:SecureTransport": "true"}}),
            BOUNDED,
        ),
        also=PEOPLE_ON_AN_EXECUTION_ROLE,
    ),
    Mutation(
        "the SSO account may assume a role unpinned",
        "SR-IAM-006",
        edit_policy(ROLE, "assumeRolePolicy", trust({"AWS": f"arn:aws:iam::{SSO}:root"}), BOUNDED),
        also=PEOPLE_ON_AN_EXECUTION_ROLE,
    ),
    Mutation(
        "Cognito identities may assume a role unpinned",
        "SR-IAM-006",
        edit_policy(
            ROLE,
            "assumeRolePolicy",
            trust({"Federated": "cognito-identity.amazonaws.com"}, Action="sts:AssumeRoleWithWebIdentity"),
            BOUNDED,
        ),
    ),
    Mutation(
        "GitHub OIDC trust for any repository of the organisation",
        "SR-IAM-006",
        edit_policy(
            ROLE,
            "assumeRolePolicy",
            in_statement(
                "TrustGithubActionsEnvironment",
                lambda statement: statement.update(
                    Condition={
                        "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                        "StringLike": {"token.actions.githubusercontent.com:sub": "repo:northbank/*"},
                    }
                ),
            ),
            named("roles-deployer"),
        ),
    ),
    Mutation(
        "another account, by bare ID, may assume a role",
        "SR-IAM-006",
        edit_policy(ROLE, "assumeRolePolicy", trust({"AWS": OUT}), BOUNDED),
        also=PEOPLE_ON_AN_EXECUTION_ROLE,
    ),
    Mutation(
        "add a long-lived access key",
        "SR-IAM-007",
        add("aws:iam/accessKey:AccessKey", "ci-key", lambda p: {"user": "ci"}),
    ),
    Mutation(
        "add a bounded IAM user",
        "SR-IAM-007",
        add(
            "aws:iam/user:User",
            "ci",
            lambda p: {
                "name": "ci",
                "permissionsBoundary": str(first(p, ROLE, BOUNDED).inputs["permissionsBoundary"]),
            },
        ),
    ),
    Mutation(
        "deployer may create roles without the workload boundary",
        "SR-IAM-040",
        together(
            edit_policy(
                POLICY, "policy", in_statement("CreateStackRoles", unconditioned), holding("CreateStackRoles")
            ),
            edit_policy(
                POLICY,
                "policy",
                without_sid("DenyRoleWithoutWorkloadBoundary"),
                holding("DenyRoleWithoutWorkloadBoundary"),
            ),
        ),
    ),
    Mutation(
        "deployer may re-version the boundary and guardrail policies",
        "SR-IAM-040",
        together(
            edit_policy(
                POLICY,
                "policy",
                in_statement("ManageStackPolicies", with_actions("iam:CreatePolicyVersion")),
                holding("ManageStackPolicies"),
            ),
            edit_policy(
                POLICY,
                "policy",
                without_sid("DenyGuardrailAndBoundaryEdits"),
                holding("DenyGuardrailAndBoundaryEdits"),
            ),
        ),
    ),
    Mutation(
        "deployer may create roles under its own, wider boundary",
        "SR-IAM-040",
        deployer_creates_roles_bounded_by(named("deployer-boundary")),
    ),
    Mutation(
        "deployer's key administration includes deletion",
        "SR-IAM-041",
        together(
            edit_policy(
                POLICY,
                "policy",
                in_statement("ManageKeys", with_actions("kms:ScheduleKeyDeletion")),
                holding("ManageKeys"),
            ),
            edit_policy(
                POLICY,
                "policy",
                in_statement("DenyKeyDestruction", without_actions("kms:ScheduleKeyDeletion")),
                holding("DenyKeyDestruction"),
            ),
        ),
    ),
    Mutation(
        "role policy may schedule the deletion of a key",
        "SR-IAM-041",
        lambda p: edit_policy(
            ROLE_POLICY, "policy", allow("kms:ScheduleKeyDeletion", a_key_arn(p)), DELIVERY
        )(p),
    ),
    Mutation(
        "data scientists may assume the Studio execution role",
        "SR-IAM-050",
        trusted_by_data_scientists(STUDIO_EXECUTION),
    ),
    Mutation("Studio runs as the data scientists' role", "SR-IAM-050", studio_runs_as(data_scientist_role)),
    Mutation(
        "Studio sign-in URLs minted from anywhere",
        "SR-IAM-051",
        edit_policy(
            ROLE_POLICY,
            "policy",
            in_statement(PRESIGNED, condition_dropped("StringEquals", "aws:SourceVpce")),
            DATA_SCIENTIST,
        ),
    ),
    Mutation(
        "Studio sign-in URLs for anyone's profile",
        "SR-IAM-051",
        edit_policy(
            ROLE_POLICY,
            "policy",
            in_statement(
                PRESIGNED, condition_dropped("StringEquals", "aws:ResourceTag/strongroom:studio-user")
            ),
            DATA_SCIENTIST,
        ),
    ),
    Mutation(
        "notebook sign-in URLs minted from anywhere",
        "SR-IAM-051",
        edit_policy(
            ROLE_POLICY,
            "policy",
            allow(
                "sagemaker:CreatePresignedNotebookInstanceUrl",
                f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:notebook-instance/sr-dev-notebook",
            ),
            DATA_SCIENTIST,
        ),
    ),
    Mutation(
        "Studio sign-in URLs from two /1 ranges, the whole internet",
        "SR-IAM-051",
        edit_policy(
            ROLE_POLICY,
            "policy",
            in_statement(
                PRESIGNED,
                edits(
                    condition_dropped("StringEquals", "aws:SourceVpce"),
                    lambda statement: statement["Condition"].update(
                        IpAddress={"aws:SourceIp": ["0.0.0.0/1", "128.0.0.0/1"]}
                    ),
                ),
            ),
            DATA_SCIENTIST,
        ),
    ),
    Mutation(
        "people assume a role without a source identity",
        "SR-IAM-052",
        edit_policy(
            ROLE,
            "assumeRolePolicy",
            in_statement("TrustIdentityCenterPrincipals", condition_dropped("Null", "sts:SourceIdentity")),
            DATA_SCIENTIST,
        ),
    ),
]

AUDIT = [
    Mutation("single-region trail", "SR-AUD-001", set_input(TRAIL, "isMultiRegionTrail", False)),
    Mutation(
        "trail without global service events",
        "SR-AUD-001",
        set_input(TRAIL, "includeGlobalServiceEvents", False),
    ),
    Mutation("log file validation off", "SR-AUD-002", set_input(TRAIL, "enableLogFileValidation", False)),
    Mutation(
        "trail with alias/aws/cloudtrail", "SR-AUD-003", set_input(TRAIL, "kmsKeyId", "alias/aws/cloudtrail")
    ),
    Mutation(
        "trail records only data reads",
        "SR-AUD-004",
        edit_input(TRAIL, selectors(data_field({"field": "readOnly", "equals": ["true"]}))),
    ),
    Mutation(
        "trail records data events of one bucket only",
        "SR-AUD-004",
        edit_input(
            TRAIL,
            selectors(first_bucket_only),
        ),
    ),
    Mutation(
        "trail not delivered to CloudWatch Logs", "SR-AUD-005", drop_input(TRAIL, "cloudWatchLogsGroupArn")
    ),
    Mutation("trail logging off", "SR-AUD-006", set_input(TRAIL, "enableLogging", False)),
    Mutation(
        "trail logs only read events",
        "SR-AUD-007",
        edit_input(TRAIL, selectors(management_field({"field": "readOnly", "equals": ["true"]}))),
    ),
    Mutation(
        "trail excludes KMS events",
        "SR-AUD-007",
        edit_input(
            TRAIL, selectors(management_field({"field": "eventSource", "notEquals": ["kms.amazonaws.com"]}))
        ),
    ),
    Mutation(
        "trail delivered to another bucket",
        "SR-AUD-008",
        set_input(TRAIL, "s3BucketName", OUT_BUCKET),
        # the stack's own trail bucket is then no longer the destination, so its data events must be
        # recorded too, and are not: a second real weakness
        also=frozenset({"SR-AUD-004"}),
    ),
    Mutation(
        "trail delivered to another account's log group",
        "SR-AUD-008",
        set_input(TRAIL, "cloudWatchLogsGroupArn", f"arn:aws:logs:{REGION}:{OUT}:log-group:collector:*"),
    ),
    Mutation(
        "event data store without a key",
        "SR-AUD-009",
        add("aws:cloudtrail/eventDataStore:EventDataStore", "lake", event_data_store(kmsKeyId=None)),
    ),
    Mutation(
        "event data store kept 90 days",
        "SR-AUD-009",
        add("aws:cloudtrail/eventDataStore:EventDataStore", "lake", event_data_store(retentionPeriod=90)),
    ),
    Mutation(
        "alert topic changes not watched",
        "SR-AUD-040",
        remove(EVENT_RULE, named("alerts-alert-topic")),
    ),
    Mutation(
        "alert rule changes watched on another name prefix",
        "SR-AUD-040",
        set_input(
            EVENT_RULE,
            "eventPattern",
            cloudtrail_calls(
                "events",
                ["DeleteRule", "DisableRule", "PutRule", "PutTargets", "RemoveTargets"],
                requestParameters={"name": [{"prefix": "someone-else-"}]},
            ),
            named("alerts-alert-rules"),
        ),
    ),
    Mutation(
        "KMS grant alert disabled",
        "SR-AUD-041",
        set_input(EVENT_RULE, "state", "DISABLED", named("alerts-kms-grant")),
    ),
    Mutation(
        "lifecycle and replication changes not watched",
        "SR-AUD-042",
        remove(EVENT_RULE, named("alerts-bucket-retention")),
    ),
    Mutation(
        "flow-log deletion alert misspelled",
        "SR-AUD-043",
        set_input(
            EVENT_RULE, "eventPattern", cloudtrail_calls("ec2", ["DeleteFlowLog"]), named("alerts-flow-logs")
        ),
    ),
    Mutation(
        "route alert filtered to the literal default route",
        "SR-AUD-044",
        set_input(
            EVENT_RULE,
            "eventPattern",
            cloudtrail_calls(
                "ec2",
                ["CreateRoute", "ReplaceRoute"],
                **{
                    "$or": [
                        {"requestParameters": {"destinationCidrBlock": ["0.0.0.0/0"]}},
                        {"requestParameters": {"destinationIpv6CidrBlock": ["::/0"]}},
                    ]
                },
            ),
            named("alerts-default-route"),
        ),
    ),
    Mutation(
        "trail bucket's own data events not recorded",
        "SR-AUD-045",
        edit_input(TRAIL, selectors(without_trail_bucket_selector)),
    ),
    Mutation("trail without Insights", "SR-AUD-046", drop_input(TRAIL, "insightSelectors")),
    Mutation(
        "IAM events no longer forwarded from us-east-1",
        "SR-AUD-047",
        set_input(EVENT_RULE, "state", "DISABLED", named("alerts-forward-iam")),
    ),
    Mutation(
        "EventBridge target in another account",
        "SR-AUD-030",
        set_input(
            EVENT_TARGET, "arn", f"arn:aws:events:{REGION}:{OUT}:event-bus/default", named("forward-iam")
        ),
    ),
    Mutation(
        "EventBridge target assumes another account's role",
        "SR-AUD-030",
        set_input(EVENT_TARGET, "roleArn", f"arn:aws:iam::{OUT}:role/events", named("forward-iam")),
    ),
    Mutation(
        "SNS subscription to a web endpoint",
        "SR-AUD-031",
        edit_input(
            "aws:sns/topicSubscription:TopicSubscription",
            lambda props: props.update(protocol="https", endpoint="https://hooks.example.com/alerts"),
        ),
    ),
    Mutation(
        "SNS subscription to another account's queue",
        "SR-AUD-031",
        edit_input(
            "aws:sns/topicSubscription:TopicSubscription",
            lambda props: props.update(protocol="sqs", endpoint=f"arn:aws:sqs:{REGION}:{OUT}:alerts"),
        ),
    ),
    Mutation(
        "S3 notifications to another account's function",
        "SR-AUD-032",
        set_input(
            "aws:s3/bucketNotification:BucketNotification",
            "lambdaFunctions",
            [
                {
                    "lambdaFunctionArn": f"arn:aws:lambda:{REGION}:{OUT}:function:f",
                    "events": ["s3:ObjectCreated:*"],
                }
            ],
            DATA,
        ),
    ),
    Mutation(
        "Access Analyzer finds unused access only",
        "SR-AUD-051",
        set_input(ANALYZER, "type", "ACCOUNT_UNUSED_ACCESS"),
    ),
    Mutation(
        "GuardDuty S3 protection disabled", "SR-AUD-052", set_input(DETECTOR_FEATURE, "status", "DISABLED")
    ),
    Mutation("GuardDuty S3 protection removed", "SR-AUD-052", remove(DETECTOR_FEATURE)),
    Mutation("GuardDuty detector disabled", "SR-AUD-052", set_input(DETECTOR, "enable", False)),
    Mutation("Security Hub without FSBP", "SR-AUD-053", remove(STANDARDS)),
    Mutation("Security Hub without new controls", "SR-AUD-053", set_input(HUB, "autoEnableControls", False)),
    Mutation("Config recorder never started", "SR-AUD-054", set_input(RECORDER_STATUS, "isEnabled", False)),
    Mutation(
        "Config delivered to another bucket",
        "SR-AUD-054",
        set_input(CONFIG_DELIVERY, "s3BucketName", OUT_BUCKET),
    ),
    Mutation(
        "Config recorder leaves out the Studio domain",
        "SR-AUD-054",
        edit_input(
            RECORDER,
            lambda props: props["recordingGroup"].update(
                resourceTypes=[t for t in props["recordingGroup"]["resourceTypes"] if "SageMaker" not in t]
            ),
        ),
    ),
    Mutation(
        "Config recorder excludes resource types",
        "SR-AUD-054",
        set_input(
            RECORDER,
            "recordingGroup",
            {
                "allSupported": False,
                "exclusionByResourceTypes": {"resourceTypes": ["AWS::IAM::Role"]},
                "recordingStrategies": [{"useOnly": "EXCLUSION_BY_RESOURCE_TYPES"}],
            },
        ),
    ),
    Mutation(
        "Config records all supported types but no IAM roles or policies",
        "SR-AUD-054",
        set_input(
            RECORDER,
            "recordingGroup",
            {"allSupported": True, "includeGlobalResourceTypes": False},
        ),
    ),
    Mutation(
        "GuardDuty findings rule disabled",
        "SR-AUD-055",
        set_input(EVENT_RULE, "state", "DISABLED", named("baseline-guardduty-findings")),
    ),
    Mutation(
        "GuardDuty findings filtered to a severity none has",
        "SR-AUD-055",
        set_input(
            EVENT_RULE,
            "eventPattern",
            json.dumps(
                {
                    "detail": {"severity": [{"numeric": [">", 100]}]},
                    "detail-type": ["GuardDuty Finding"],
                    "source": ["aws.guardduty"],
                }
            ),
            named("baseline-guardduty-findings"),
        ),
    ),
    Mutation(
        "Config findings reach no topic",
        "SR-AUD-055",
        remove(EVENT_TARGET, named("baseline-config-findings")),
    ),
    Mutation(
        "Security Hub findings selected on another bus",
        "SR-AUD-055",
        set_input(EVENT_RULE, "eventBusName", "partner-bus", named("baseline-securityhub-findings")),
    ),
]

WORKSPACE = [
    Mutation(
        "model package group open to another account",
        "SR-IAM-025",
        add(
            "aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy",
            "registry-policy",
            lambda p: {
                "modelPackageGroupName": "credit-risk",
                "resourcePolicy": policy_of(
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": OUT_ROOT},
                        "Action": "sagemaker:DescribeModelPackage",
                        "Resource": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/credit-risk/*",
                    }
                ),
            },
        ),
    ),
    Mutation(
        "endpoint data capture to another bucket",
        "SR-NET-036",
        add(
            ENDPOINT_CONFIG,
            "serving",
            endpoint_config(
                dataCaptureConfig=lambda p: {
                    "destinationS3Uri": f"s3://{OUT_BUCKET}/capture",
                    "kmsKeyId": a_key_arn(p),
                    "initialSamplingPercentage": 10,
                    "captureOptions": [{"captureMode": "Input"}],
                }
            ),
        ),
    ),
    Mutation(
        "Studio domain on the internet",
        "SR-WS-001",
        set_input(DOMAIN, "appNetworkAccessType", "PublicInternetOnly"),
    ),
    Mutation(
        "add a notebook with direct internet",
        "SR-WS-002",
        add(NOTEBOOK, "notebook", notebook(directInternetAccess="Enabled")),
    ),
    Mutation(
        "add a notebook with root by default",
        "SR-WS-003",
        add(NOTEBOOK, "notebook", notebook(rootAccess=None)),
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
        "add a model without isolation", "SR-WS-008", add(MODEL, "model", model(enableNetworkIsolation=False))
    ),
    Mutation("add a model outside the VPC", "SR-WS-012", add(MODEL, "model", model(vpcConfig=None))),
    Mutation(
        "endpoint on a configuration outside the plan",
        "SR-WS-013",
        add(
            "aws:sagemaker/endpoint:Endpoint",
            "endpoint",
            lambda p: {"endpointConfigName": "someone-elses-config"},
        ),
    ),
    Mutation(
        "endpoint on another configuration, named from one of the plan",
        "SR-WS-013",
        together(
            add(ENDPOINT_CONFIG, "serving", endpoint_config(name="serving-config")),
            add(
                "aws:sagemaker/endpoint:Endpoint",
                "endpoint",
                lambda p: {"endpointConfigName": "someone-elses-config"},
                deps=lambda p: {"endpointConfigName": [first(p, ENDPOINT_CONFIG).urn]},
            ),
        ),
    ),
    Mutation(
        "Studio shares notebook output to another bucket",
        "SR-WS-014",
        edit_input(
            DOMAIN,
            lambda props: user_settings(
                sharingSettings={
                    "notebookOutputOption": "Allowed",
                    "s3OutputPath": f"s3://{OUT_BUCKET}/shared",
                    "s3KmsKeyId": props["kmsKeyId"],
                }
            )(props),
        ),
    ),
    Mutation(
        "Studio Canvas connects to Salesforce",
        "SR-WS-015",
        edit_input(
            DOMAIN,
            user_settings(
                canvasAppSettings={
                    "identityProviderOauthSettings": [
                        {"dataSourceName": "SalesforceGenie", "status": "ENABLED"}
                    ]
                }
            ),
        ),
    ),
    Mutation(
        "add a notebook lifecycle configuration",
        "SR-WS-016",
        add(
            "aws:sagemaker/notebookInstanceLifecycleConfiguration:NotebookInstanceLifecycleConfiguration",
            "on-start",
            lambda p: {"onStart": "IyEvYmluL2Jhc2gKY3VybCBodHRwczovL2V4YW1wbGUuY29tIHwgc2g="},
        ),
    ),
    Mutation(
        "add a code repository on GitHub",
        "SR-WS-017",
        add(
            "aws:sagemaker/codeRepository:CodeRepository",
            "notebooks",
            lambda p: {"gitConfig": {"repositoryUrl": "https://github.com/someone/notebooks.git"}},
        ),
    ),
    Mutation(
        "Studio clones a GitHub repository",
        "SR-WS-017",
        edit_input(
            DOMAIN,
            user_settings(
                jupyterServerAppSettings={
                    "codeRepositories": [{"repositoryUrl": "https://github.com/x/y.git"}]
                }
            ),
        ),
    ),
    Mutation(
        "data scientists may approve their own models",
        "SR-WS-040",
        edit_policy(
            ROLE_POLICY,
            "policy",
            edits(without_sid("DenyModelApproval"), allow("sagemaker:UpdateModelPackage", PACKAGES)),
            DATA_SCIENTIST,
        ),
    ),
    Mutation(
        "data scientists may register packages approved",
        "SR-WS-040",
        edit_policy(
            ROLE_POLICY,
            "policy",
            edits(
                in_statement("RegisterPendingModelPackages", unconditioned),
                without_sid("DenyApprovedRegistration"),
            ),
            DATA_SCIENTIST,
        ),
    ),
    Mutation(
        "model approver may also register packages, approved",
        "SR-WS-040",
        edit_policy(
            ROLE_POLICY,
            "policy",
            in_statement("ApproveModelPackage", with_actions("sagemaker:CreateModelPackage")),
            APPROVER,
        ),
    ),
    Mutation(
        "model approver approves a group outside the plan",
        "SR-WS-040",
        edit_policy(
            ROLE_POLICY,
            "policy",
            in_statement(
                "ApproveModelPackage",
                lambda statement: statement["Resource"].append(
                    f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package-group/someone-elses-models"
                ),
            ),
            APPROVER,
        ),
    ),
]

SERVICES = [
    Mutation(
        "ECR repository policy open to everyone",
        "SR-IAM-020",
        add(
            "aws:ecr/repositoryPolicy:RepositoryPolicy",
            "images-policy",
            lambda p: {
                "repository": "images",
                "policy": policy_of({"Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"}),
            },
        ),
    ),
    Mutation(
        "Lambda permission for another account",
        "SR-IAM-021",
        add(
            "aws:lambda/permission:Permission",
            "invoke",
            lambda p: {"action": "lambda:InvokeFunction", "function": "scoring", "principal": OUT},
        ),
    ),
    Mutation(
        "Lambda layer shared with everyone",
        "SR-IAM-022",
        add(
            "aws:lambda/layerVersionPermission:LayerVersionPermission",
            "layer-share",
            lambda p: {
                "layerName": "common",
                "versionNumber": 1,
                "statementId": "all",
                "action": "lambda:GetLayerVersion",
                "principal": "*",
            },
        ),
    ),
    Mutation(
        "database snapshot shared publicly",
        "SR-IAM-023",
        add(
            "aws:rds/snapshot:Snapshot",
            "snap",
            lambda p: {"dbInstanceIdentifier": "db", "sharedAccounts": ["all"]},
        ),
    ),
    Mutation(
        "database without IAM authentication",
        "SR-IAM-024",
        add(DB, "db", database(iamDatabaseAuthenticationEnabled=False)),
    ),
    Mutation(
        "log subscription to another account's stream",
        "SR-NET-030",
        add(
            "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter",
            "ship-flow-logs",
            lambda p: {
                "logGroup": log_group_name(p),
                "filterPattern": "",
                "destinationArn": f"arn:aws:kinesis:{REGION}:{OUT}:stream/collector",
            },
        ),
    ),
    Mutation(
        "add a Lambda function URL",
        "SR-NET-031",
        add(
            "aws:lambda/functionUrl:FunctionUrl",
            "url",
            lambda p: {"functionName": "scoring", "authorizationType": "AWS_IAM"},
        ),
    ),
    Mutation("Lambda outside the VPC", "SR-NET-032", add(FUNCTION, "scoring", function(vpcConfig=None))),
    Mutation("public database", "SR-NET-033", add(DB, "db", database(publiclyAccessible=True))),
    Mutation(
        "ECR replication to another account",
        "SR-NET-034",
        add(
            "aws:ecr/replicationConfiguration:ReplicationConfiguration",
            "replicate",
            lambda p: {
                "replicationConfiguration": {
                    "rules": [{"destinations": [{"region": REGION, "registryId": OUT}]}]
                }
            },
        ),
    ),
    Mutation(
        "CodeArtifact repository in another account's domain",
        "SR-NET-035",
        add(
            "aws:codeartifact/repository:Repository",
            "team",
            lambda p: {"domain": "bank", "domainOwner": OUT, "repository": "team"},
        ),
    ),
    Mutation(
        "ECR repository with mutable tags",
        "SR-WS-009",
        add(ECR, "images", repository(imageTagMutability="MUTABLE")),
    ),
    Mutation(
        "ECR pull-through cache from Docker Hub",
        "SR-WS-010",
        add(
            "aws:ecr/pullThroughCacheRule:PullThroughCacheRule",
            "hub",
            lambda p: {"ecrRepositoryPrefix": "hub", "upstreamRegistryUrl": "registry-1.docker.io"},
        ),
    ),
    Mutation(
        "CodeArtifact repository connected to PyPI",
        "SR-WS-011",
        add(
            "aws:codeartifact/repository:Repository",
            "store",
            lambda p: {
                "domain": "bank",
                "repository": "store",
                "externalConnections": {"externalConnectionName": "public:pypi"},
            },
        ),
    ),
    Mutation(
        "Lambda image from another account",
        "SR-WS-018",
        add(FUNCTION, "scoring", function(imageUri=f"{OUT}.dkr.ecr.{REGION}.amazonaws.com/scoring:1.0.0")),
    ),
    Mutation(
        "Lambda code from a bucket outside the plan",
        "SR-WS-018",
        add(
            FUNCTION,
            "scoring",
            function(
                packageType="Zip",
                imageUri=None,
                s3Bucket=OUT_BUCKET,
                s3Key="scoring.zip",
                handler="app.handler",
                runtime="python3.12",
            ),
        ),
    ),
]

GOVERNANCE = [
    Mutation(
        "add an unreviewed type (Cloud Control resource)",
        "SR-GOV-001",
        add(
            "aws:cloudcontrol/resource:Resource",
            "anything",
            lambda p: {"typeName": "AWS::EC2::InternetGateway", "desiredState": "{}"},
        ),
    ),
    Mutation(
        "add a dynamic provider resource",
        "SR-GOV-001",
        add("pulumi-python:dynamic:Resource", "custom-code", lambda p: {"__provider": "gASV..."}),
    ),
    Mutation(
        "add a Lambda invocation at deploy time",
        "SR-GOV-001",
        add(
            "aws:lambda/invocation:Invocation",
            "run-once",
            lambda p: {"functionName": "scoring", "input": "{}"},
        ),
    ),
    Mutation(
        "ignore_changes on a bucket policy", "SR-GOV-002", ignore_changes(BUCKET_POLICY, ["policy"], DATA)
    ),
    Mutation("ignore_changes on every property", "SR-GOV-002", ignore_changes(KEY, ["*"])),
    Mutation(
        "provider assumes a role in another account",
        "SR-GOV-003",
        provider_input("assumeRoles", [{"roleArn": f"arn:aws:iam::{OUT}:role/deployer"}]),
    ),
    Mutation("provider in another region", "SR-GOV-003", provider_input("region", "us-west-2")),
    Mutation(
        "provider overrides the S3 endpoint",
        "SR-GOV-003",
        provider_input("endpoints", [{"s3": "https://s3.evil.example"}]),
    ),
    Mutation(
        "a second provider assumes a role in another account",
        "SR-GOV-003",
        add(
            PROVIDER,
            "aws-partner",
            lambda p: {
                "region": REGION,
                "assumeRole": json.dumps({"roleArn": f"arn:aws:iam::{OUT}:role/deployer"}),
            },
        ),
    ),
    Mutation(
        "trail key unknown at preview",
        "SR-GOV-004",
        set_input(TRAIL, "kmsKeyId", UNKNOWN),
    ),
    Mutation(
        "trust policy unknown at preview", "SR-GOV-004", set_input(ROLE, "assumeRolePolicy", UNKNOWN, BOUNDED)
    ),
]


MUTATIONS = [
    *NETWORK,
    *ENCRYPTION,
    *STORAGE,
    *IDENTITY,
    *AUDIT,
    *WORKSPACE,
    *SERVICES,
    *GOVERNANCE,
]


def _violations(diagnostics: list[Diagnostic]) -> set[tuple[str, str]]:
    return {(control_id(d.policy_name), d.urn) for d in diagnostics if not d.could_not_run}


def copy_of(plan: Plan) -> Plan:
    """A copy of ``plan`` that shares nothing with it (a pickle round trip: the same values and types, in
    less than half the time of a JSON round trip)."""
    copy: Plan = pickle.loads(pickle.dumps(plan, protocol=pickle.HIGHEST_PROTOCOL))
    return copy


def apply_to(plan: Plan, mutation: Mutation) -> str | None:
    """Apply the mutation to ``plan`` in place; why it cannot apply (the dev plan changed under it), or
    None."""
    try:
        mutation.apply(plan)
    except (LookupError, IndexError, StopIteration) as exc:
        return f"cannot apply to the dev plan: {exc!r}"
    return None


def _mutated(plan: Plan, mutation: Mutation) -> Plan | str:
    """The plan with the mutation applied, or why it cannot apply."""
    copy = copy_of(plan)
    return apply_to(copy, mutation) or copy


@pytest.fixture(scope="session")
def newly_reported() -> dict[str, set[str]]:
    """For each mutation: the controls newly reported relative to the unmutated dev plan (or, for a
    mutation that no longer applies to the dev plan, why)."""
    config = load_stack_config(load_project(REPO), "dev").values
    plan = repository_plan("dev", account=ACCOUNT)
    mutated = {m.name: _mutated(plan, m) for m in MUTATIONS}
    applied = [(name, p) for name, p in mutated.items() if isinstance(p, Plan)]
    _, diagnostics = check_plans([plan, *(p for _, p in applied)], config=config, account=ACCOUNT)
    baseline = _violations(diagnostics[0])
    found = {
        name: {control for control, _ in _violations(d) - baseline}
        for (name, _), d in zip(applied, diagnostics[1:], strict=True)
    }
    return {name: found[name] if isinstance(p, Plan) else {p} for name, p in mutated.items()}


def _caught(mutation: Mutation, found: dict[str, set[str]]) -> bool:
    return found[mutation.name] == {mutation.control} | mutation.also


def test_mutations_cover_every_control_of_the_catalog() -> None:
    from strongroom.policies.catalog import CATALOG

    assert len({m.name for m in MUTATIONS}) == len(MUTATIONS)
    ids = {c.id for c in CATALOG}
    covered = {m.control for m in MUTATIONS} | {c for m in MUTATIONS for c in m.also}
    assert covered <= ids, f"mutations name controls the catalog does not have: {sorted(covered - ids)}"
    assert set(NOT_APPLICABLE) <= ids
    assert ids - {m.control for m in MUTATIONS} == set(NOT_APPLICABLE)
    assert all(not m.also or m.control not in m.also for m in MUTATIONS)


@pytest.mark.parametrize(
    "mutation",
    [
        pytest.param(m, id=m.name, marks=[pytest.mark.xfail(strict=True, reason=m.gap)] if m.gap else [])
        for m in MUTATIONS
    ],
)
def test_mutation_is_caught(mutation: Mutation, newly_reported: dict[str, set[str]]) -> None:
    expected = sorted({mutation.control} | mutation.also)
    assert sorted(newly_reported[mutation.name]) == expected


def test_mutation_score(newly_reported: dict[str, set[str]], capsys: pytest.CaptureFixture[str]) -> None:
    caught = [m for m in MUTATIONS if _caught(m, newly_reported)]
    with capsys.disabled():
        print(f"\nmutation score: {len(caught)}/{len(MUTATIONS)}")
    assert {m.name for m in MUTATIONS if m not in caught} == {m.name for m in MUTATIONS if m.gap}
