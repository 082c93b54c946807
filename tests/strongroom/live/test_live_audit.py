"""`strongroom audit` against the environment the stack really declares: the stack's offline plan
materialised into moto (the `materialised` fixture), read back by the live readers and judged by the live
catalog and against the plan. A clean environment has no finding; each tamper a bank's red team would try
after `pulumi up` is reported by its control, on the resource it touched."""

from __future__ import annotations

import fnmatch
import json
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from live_support import ROOT, stack_plan

from strongroom.components.policydocs.bucket import CONFIG_READ_ACTIONS
from strongroom.engine.plan import Plan
from strongroom.errors import UsageError
from strongroom.live.audit import audit, planned_of
from strongroom.live.aws import Aws
from strongroom.live.materialise import Materialised
from strongroom.policies.iamsim import ContextValue, Decision, Request
from strongroom.report import Report, render

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/strongroom: iam_support
from iam_support import AUDITOR, PlanPolicies

Env = tuple[Aws, Materialised, Plan]


def run_audit(env: Env) -> Report:
    aws, _, plan = env
    return audit(aws, planned_of(plan, ROOT))


def found(report: Report) -> dict[str, list[str]]:
    """control -> the names of the resources it was violated by."""
    out: dict[str, list[str]] = {}
    for v in report.violations:
        out.setdefault(v.control, []).append(v.resource_name)
    return out


def explain(report: Report) -> str:
    return "\n".join(f"{v.control} {v.resource_name}: {v.message}" for v in report.violations)


def created(env: Env, type_: str, name_part: str = "") -> Any:
    """The one created resource of ``type_`` whose planned URN contains ``name_part``."""
    matches = [c for urn, c in env[1].of_type(type_).items() if name_part in urn.rsplit("::", 1)[-1]]
    assert len(matches) == 1, (type_, name_part, matches)
    return matches[0]


def planned_inputs(env: Env, type_: str, name_part: str = "") -> dict[str, Any]:
    (resource,) = [r for r in env[2].resources if r.type == type_ and name_part in r.name]
    return env[1].real(resource.inputs)  # type: ignore[no-any-return]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_a_clean_environment_has_no_finding(materialised: Callable[[str], Env], stack: str) -> None:
    env = materialised(stack)
    report = run_audit(env)
    assert report.violations == [], explain(report)
    assert report.unevaluated == []
    assert report.exit_code == 0
    assert report.resources > 100


def test_an_audit_of_a_region_without_the_environment_is_a_usage_error(
    materialised: Callable[[str], Env],
) -> None:
    _, _, plan = materialised("dev")
    elsewhere = Aws(region="ap-southeast-2")
    with pytest.raises(UsageError) as refused:
        audit(elsewhere, planned_of(plan, ROOT))
    message = str(refused.value)
    assert message.startswith("--region ap-southeast-2: no resource tagged strongroom:environment=dev")
    assert "in account 123456789012" in message and "(its config says aws:region=eu-west-2)" in message


# --- tampers: (what the attacker does, the control that must report it, the resource it names) ---


def _vpc_id(env: Env) -> str:
    return created(env, "aws:ec2/vpc:Vpc").id  # type: ignore[no-any-return]


def igw_attached(env: Env) -> str:
    aws = env[0]
    igw = aws.call("ec2", "create_internet_gateway")["InternetGateway"]["InternetGatewayId"]  # type: ignore[index]
    aws.call("ec2", "attach_internet_gateway", InternetGatewayId=igw, VpcId=_vpc_id(env))
    return igw  # type: ignore[no-any-return]


def nat_created(env: Env) -> str:
    aws = env[0]
    subnet = created(env, "aws:ec2/subnet:Subnet", "private-0").id
    allocation = aws.call("ec2", "allocate_address", Domain="vpc")["AllocationId"]  # type: ignore[index]
    nat = aws.call("ec2", "create_nat_gateway", SubnetId=subnet, AllocationId=allocation)
    return nat["NatGateway"]["NatGatewayId"]  # type: ignore[index,no-any-return]


def default_route_added(env: Env) -> str:
    aws = env[0]
    table = created(env, "aws:ec2/routeTable:RouteTable", "private-rt-0").id
    igw = aws.call("ec2", "create_internet_gateway")["InternetGateway"]["InternetGatewayId"]  # type: ignore[index]
    aws.call("ec2", "attach_internet_gateway", InternetGatewayId=igw, VpcId=_vpc_id(env))
    aws.call("ec2", "create_route", RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    return table  # type: ignore[no-any-return]


def security_group_opened(env: Env) -> str:
    group = created(env, "aws:ec2/securityGroup:SecurityGroup", "workspace-sg").id
    env[0].call(
        "ec2",
        "authorize_security_group_ingress",
        GroupId=group,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
        ],
    )
    return group  # type: ignore[no-any-return]


def flow_log_deleted(env: Env) -> str:
    flow = created(env, "aws:ec2/flowLog:FlowLog").id
    env[0].call("ec2", "delete_flow_logs", FlowLogIds=[flow])
    return _vpc_id(env)


def endpoint_deleted(env: Env) -> str:
    endpoint = created(env, "aws:ec2/vpcEndpoint:VpcEndpoint", "vpce-kms").id
    env[0].call("ec2", "delete_vpc_endpoints", VpcEndpointIds=[endpoint])
    return "sr-dev-network-vpce-kms"


def _data_bucket(env: Env) -> str:
    return created(env, "aws:s3/bucket:Bucket", "data-credit-risk-bucket").id  # type: ignore[no-any-return]


def versioning_suspended(env: Env) -> str:
    bucket = _data_bucket(env)
    env[0].call("s3", "put_bucket_versioning", Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    return bucket


def encryption_removed(env: Env) -> str:
    bucket = _data_bucket(env)
    env[0].call("s3", "delete_bucket_encryption", Bucket=bucket)
    return bucket


def encryption_aes256(env: Env) -> str:
    bucket = _data_bucket(env)
    env[0].call(
        "s3",
        "put_bucket_encryption",
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    return bucket


def public_access_block_removed(env: Env) -> str:
    bucket = _data_bucket(env)
    env[0].call("s3", "delete_public_access_block", Bucket=bucket)
    return bucket


def public_bucket_policy(env: Env) -> str:
    bucket = _data_bucket(env)
    aws = env[0]
    policy = json.loads(aws.call("s3", "get_bucket_policy", Bucket=bucket)["Policy"])  # type: ignore[index]
    policy["Statement"].append(
        {
            "Sid": "Everyone",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{bucket}/*",
        }
    )
    aws.call("s3", "put_bucket_policy", Bucket=bucket, Policy=json.dumps(policy))
    return bucket


def _data_key(env: Env) -> str:
    return created(env, "aws:kms/key:Key", "keys-data").id  # type: ignore[no-any-return]


def key_rotation_disabled(env: Env) -> str:
    key = _data_key(env)
    env[0].call("kms", "disable_key_rotation", KeyId=key)
    return key


def key_deletion_scheduled(env: Env) -> str:
    key = _data_key(env)
    env[0].call("kms", "schedule_key_deletion", KeyId=key, PendingWindowInDays=30)
    return key


def signers_widened(env: Env) -> str:
    """The signing key's policy loses its Deny of kms:Sign to all but the training and deployer roles."""
    key = created(env, "aws:kms/key:Key", "keys-signing").id
    document = json.loads(planned_inputs(env, "aws:kms/key:Key", "keys-signing")["policy"])
    document["Statement"] = [st for st in document["Statement"] if st.get("Sid") != "NoOtherSigners"]
    env[0].call("kms", "put_key_policy", KeyId=key, PolicyName="default", Policy=json.dumps(document))
    return key  # type: ignore[no-any-return]


def _role(env: Env, part: str) -> str:
    return created(env, "aws:iam/role:Role", part).name or created(env, "aws:iam/role:Role", part).id  # type: ignore[no-any-return]


def admin_attached(env: Env) -> str:
    role = _role(env, "roles-training")
    aws = env[0]
    aws.call(
        "iam",
        "create_policy",
        PolicyName="AdministratorAccess",
        Path="/",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        ),
    )
    aws.call(
        "iam",
        "attach_role_policy",
        RoleName=role,
        PolicyArn="arn:aws:iam::123456789012:policy/AdministratorAccess",
    )
    aws.call(
        "iam", "attach_role_policy", RoleName=role, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"
    )
    return role


def inline_wildcard(env: Env) -> str:
    role = _role(env, "roles-data-scientist")
    env[0].call(
        "iam",
        "put_role_policy",
        RoleName=role,
        PolicyName="debug",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
        ),
    )
    return role


def trail_stopped(env: Env) -> str:
    trail = created(env, "aws:cloudtrail/trail:Trail")
    env[0].call("cloudtrail", "stop_logging", Name=trail.arn or trail.id)
    return trail.name or "sr-dev-audit-trail"  # type: ignore[no-any-return]


TAMPERS: list[tuple[Callable[[Env], str], str]] = [
    (igw_attached, "SR-NET-001"),
    (nat_created, "SR-NET-002"),
    (default_route_added, "SR-NET-006"),
    (security_group_opened, "SR-NET-007"),
    (flow_log_deleted, "SR-NET-009"),
    (endpoint_deleted, "SR-GOV-010"),
    (versioning_suspended, "SR-STO-001"),
    (encryption_removed, "SR-ENC-004"),
    (encryption_aes256, "SR-ENC-004"),
    (public_access_block_removed, "SR-STO-002"),
    (public_bucket_policy, "SR-STO-005"),
    (key_rotation_disabled, "SR-ENC-001"),
    (key_deletion_scheduled, "SR-ENC-041"),
    (signers_widened, "SR-ENC-042"),
    (admin_attached, "SR-IAM-005"),
    (inline_wildcard, "SR-IAM-001"),
    (trail_stopped, "SR-AUD-006"),
]


@pytest.mark.parametrize(("tamper", "control"), TAMPERS, ids=[t.__name__ for t, _ in TAMPERS])
def test_each_tamper_is_reported_by_its_control_on_its_resource(
    materialised: Callable[[str], Env],
    tamper: Callable[[Env], str],
    control: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if tamper is admin_attached:  # moto has AWS managed policies only when asked, before IAM is first used
        monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    env = materialised("dev")
    target = tamper(env)
    report = run_audit(env)
    by_control = found(report)
    assert control in by_control, explain(report)
    names = (
        " ".join(by_control[control])
        + " "
        + " ".join(v.resource_urn for v in report.violations if v.control == control)
    )
    assert target in names, (target, explain(report))
    assert all(v.source == "live" for v in report.violations)
    assert report.exit_code == 1
    assert_rendered(report, control, target)


def assert_rendered(report: Report, control: str, target: str) -> None:
    """The finding as each format ``strongroom audit --format`` writes carries it: under its control, naming
    the resource (by name or URN)."""
    in_json = [v for v in json.loads(render(report, "json"))["violations"] if v["control"] == control]
    assert any(target in v["resource_name"] + " " + v["resource_urn"] for v in in_json), in_json
    in_sarif = [
        r for r in json.loads(render(report, "sarif"))["runs"][0]["results"] if r["ruleId"] == control
    ]
    assert any(target in json.dumps(r) for r in in_sarif), in_sarif
    cases = [
        c
        for c in ET.fromstring(render(report, "junit")).iter("testcase")
        if c.get("name", "").startswith(control)
    ]
    failures = [f for c in cases for f in c.iter("failure")]
    assert any(target in (f.get("message", "") + (f.text or "")) for f in failures), ET.tostring(cases[0])


# --- the auditor role may make every call the audit makes ---


def _documents(plan: Plan, type_: str, **match: str) -> list[dict[str, Any]]:
    out = []
    for r in plan.resources:
        if r.type == type_ and all(match_value in str(r.inputs.get(k)) for k, match_value in match.items()):
            out.append(json.loads(r.inputs["policy"]))
    return out


def _statements(documents: Iterable[dict[str, Any]], effect: str) -> list[dict[str, Any]]:
    out = []
    for doc in documents:
        listed = doc["Statement"] if isinstance(doc["Statement"], list) else [doc["Statement"]]
        out += [s for s in listed if s["Effect"] == effect]
    return out


def _matches(action: str, statement: dict[str, Any]) -> bool:
    patterns = statement.get("Action", [])
    patterns = patterns if isinstance(patterns, list) else [patterns]
    return any(fnmatch.fnmatchcase(action.lower(), p.lower()) for p in patterns)


def test_every_call_of_the_audit_is_allowed_by_the_auditor_role(materialised: Callable[[str], Env]) -> None:
    env = materialised("dev")
    aws, _, plan = env
    run_audit(env)
    actions = {c.action for c in aws.calls}
    assert len(actions) > 30
    (role,) = [
        r for r in plan.resources if r.type == "aws:iam/role:Role" and r.name.endswith("roles-auditor")
    ]
    role_name = role.outputs["name"]
    inline = _documents(plan, "aws:iam/rolePolicy:RolePolicy", role=role_name)
    boundary_arn = role.inputs["permissionsBoundary"]
    (boundary,) = [
        json.loads(r.inputs["policy"])
        for r in plan.resources
        if r.type == "aws:iam/policy:Policy" and r.outputs.get("arn") == boundary_arn
    ]
    attached = [
        json.loads(r.inputs["policy"])
        for a in plan.resources
        if a.type == "aws:iam/rolePolicyAttachment:RolePolicyAttachment" and a.inputs.get("role") == role_name
        for r in plan.resources
        if r.type == "aws:iam/policy:Policy" and r.outputs.get("arn") == a.inputs.get("policyArn")
    ]
    allows, caps = _statements(inline + attached, "Allow"), _statements([boundary], "Allow")
    denies = _statements([*inline, *attached, boundary], "Deny")
    refused = sorted(
        a
        for a in actions
        if not any(_matches(a, s) for s in allows)
        or not any(_matches(a, s) for s in caps)
        or any(_matches(a, s) and "Condition" not in s for s in denies)
    )
    assert refused == [], f"the auditor role is not granted {refused}"
    # and each S3 and KMS call, on its real resource, through policies.iamsim: the role's identity policies,
    # its boundary, the bucket's policy and the key's policy (resources and conditions, not only names)
    judged = _judged_by_iamsim(env)
    assert len(judged) > 20
    assert {r.resource for r, _ in judged if r.action.startswith("kms:")}, "no KMS call judged"
    denied = sorted(f"{r.action} {r.resource}: {d.reason}" for r, d in judged if not d.allowed)
    assert denied == [], "\n".join(denied)


def test_the_auditor_may_read_the_audit_buckets_configuration_from_outside_the_vpc() -> None:
    """Every bucket of the environment, the trail's and its replica's included, exempts the configuration
    readers' bucket-level reads from the VPC-endpoint deny (the live audit runs from outside the VPC) and
    none of their object reads."""
    for stack in ("dev", "prod"):
        plan = stack_plan(stack)
        auditor = next(r for r in plan.resources if r.name.endswith("roles-auditor"))
        trail_buckets = [
            r
            for r in plan.resources
            if r.type == "aws:s3/bucketPolicy:BucketPolicy" and "audit-bucket" in r.name
        ]
        assert len(trail_buckets) == (2 if stack == "prod" else 1), [r.name for r in trail_buckets]
        for policy in trail_buckets:
            statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
            reads = next(s for sid, s in statements.items() if sid.startswith("DenyConfigReads"))
            assert auditor.outputs["arn"] in reads["Condition"]["ArnNotLike"]["aws:PrincipalArn"], policy.name
            assert "s3:GetObject" not in reads["Action"]


def _judged_by_iamsim(env: Env) -> list[tuple[Request, Decision]]:
    """Every S3 and KMS request of the audit's calls judged for the auditor role, with the plan's policies
    as moto holds them (``Materialised.real``) and the context of a caller outside the VPC over TLS 1.3."""
    aws, materialised, plan = env
    policies = PlanPolicies(plan, real=materialised.real)
    context: dict[str, ContextValue] = {"aws:SecureTransport": True, "s3:TlsVersion": "1.3"}
    calls = [c for c in aws.calls if c.service in ("s3", "kms")]
    return [(r, d) for _, r, d in policies.judge_calls(AUDITOR, calls, context=context)]


def test_the_audit_reads_buckets_only_through_the_reads_their_policies_exempt(
    materialised: Callable[[str], Env],
) -> None:
    env = materialised("dev")
    run_audit(env)
    bucket_reads = {c.action for c in env[0].calls if c.service == "s3" and c.action != "s3:ListAllMyBuckets"}
    assert bucket_reads, "the audit read no bucket"
    assert bucket_reads <= set(CONFIG_READ_ACTIONS), sorted(bucket_reads - set(CONFIG_READ_ACTIONS))


def test_the_audit_makes_read_only_calls(materialised: Callable[[str], Env]) -> None:
    env = materialised("dev")
    run_audit(env)
    operations = {c.operation for c in env[0].calls}
    writes = {o for o in operations if not o.startswith(("Get", "List", "Describe", "Head", "Lookup"))}
    assert writes == set()
