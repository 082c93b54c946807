"""Drift between the plan and the live environment (policies.drift, the SR-GOV-010/011/012 controls) and
the audit's judgement of live resources (strongroom.live.audit.judge), without AWS."""

from __future__ import annotations

import json

from strongroom.live.audit import Planned, judge
from strongroom.policies.catalog import LIVE_CATALOG, LIVE_ONLY, get
from strongroom.policies.drift import normal_document, pair, stem
from strongroom.policies.props import UNKNOWN, Index, Resource

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
BUCKET = "aws:s3/bucket:Bucket"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
ROLE = "aws:iam/role:Role"
KEY = "aws:kms/key:Key"
IGW = "aws:ec2/internetGateway:InternetGateway"
TYPES = frozenset({VPC, SUBNET, BUCKET, VERSIONING, ROLE, KEY, IGW})


def res(type_: str, label: str, **props: object) -> Resource:
    return Resource(type=type_, urn=f"{type_}::{label}", name=label, props=props)


def planned() -> list[Resource]:
    return [
        res(VPC, "net-vpc", id="vpc-0fake", cidrBlock="10.0.0.0/16", tags={"Name": "net-vpc"}),
        res(
            SUBNET,
            "net-0",
            id="subnet-0fake",
            vpcId="vpc-0fake",
            cidrBlock="10.0.0.0/17",
            mapPublicIpOnLaunch=False,
            tags={"Name": "net-0"},
        ),
        res(BUCKET, "data", id="data-1a2b3c4", bucket="data-1a2b3c4", arn="arn:aws:s3:::data-1a2b3c4"),
        res(
            VERSIONING,
            "data-versioning",
            id="data-1a2b3c4",
            bucket="data-1a2b3c4",
            versioningConfiguration={"status": "Enabled"},
        ),
        res(
            ROLE,
            "reader",
            name="reader-0a0a0a0",
            path="/strongroom/dev/",
            assumeRolePolicy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "sagemaker.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
        ),
    ]


def live() -> list[Resource]:
    return [
        res(VPC, "vpc-0real", id="vpc-0real", cidrBlock="10.0.0.0/16", tags={"Name": "net-vpc"}),
        res(
            SUBNET,
            "subnet-0real",
            id="subnet-0real",
            vpcId="vpc-0real",
            cidrBlock="10.0.0.0/17",
            mapPublicIpOnLaunch=False,
            tags={"Name": "net-0"},
        ),
        res(
            BUCKET, "data-9f9f9f9", id="data-9f9f9f9", bucket="data-9f9f9f9", arn="arn:aws:s3:::data-9f9f9f9"
        ),
        res(
            VERSIONING,
            "data-9f9f9f9",
            id="data-9f9f9f9",
            bucket="data-9f9f9f9",
            versioningConfiguration={"status": "Enabled"},
        ),
        res(
            ROLE,
            "reader-5e5e5e5",
            name="reader-5e5e5e5",
            path="/strongroom/dev/",
            assumeRolePolicy=json.dumps(
                {
                    "Statement": [
                        {
                            "Action": ["sts:AssumeRole"],
                            "Principal": {"Service": ["sagemaker.amazonaws.com"]},
                            "Effect": "Allow",
                        }
                    ]
                }
            ),
        ),
    ]


def test_stem_drops_only_pulumis_autoname_suffix() -> None:
    assert stem("data-1a2b3c4") == "data"
    assert stem("data-bucket") == "data-bucket"
    assert stem("data-1A2B3C4") == "data-1A2B3C4"


def test_a_faithful_deployment_pairs_everything_through_learned_identifiers() -> None:
    drift = pair(planned(), Index(live()), TYPES)
    assert not drift.missing and not drift.undeclared
    assert len(drift.pairs) == 5
    assert drift.substitution["vpc-0fake"] == "vpc-0real"
    assert drift.substitution["data-1a2b3c4"] == "data-9f9f9f9"


def findings(live_resources: list[Resource], plan: list[Resource] | None = None) -> dict[str, list[str]]:
    report = judge(
        live_resources,
        Planned("dev", tuple(plan if plan is not None else planned()), {}, "eu-west-2", ("eu-west-2",), "x"),
        "123456789012",
        LIVE_ONLY,
        TYPES,
    )
    out: dict[str, list[str]] = {}
    for v in report.violations:
        out.setdefault(v.control, []).append(f"{v.resource_name}: {v.message}")
    return out


def test_a_faithful_deployment_has_no_drift() -> None:
    assert findings(live()) == {}


def test_a_deleted_resource_is_missing_on_the_planned_resource() -> None:
    result = findings([r for r in live() if r.type != VERSIONING])
    assert list(result) == ["SR-GOV-010"]
    assert result["SR-GOV-010"][0].startswith("data-versioning:")


def test_an_attached_internet_gateway_is_undeclared() -> None:
    result = findings([*live(), res(IGW, "igw-0bad", id="igw-0bad", vpcId="vpc-0real")])
    assert list(result) == ["SR-GOV-011"] and "igw-0bad" in result["SR-GOV-011"][0]


def test_a_subnet_of_the_stack_in_another_vpc_is_changed() -> None:
    moved = [
        r
        if r.type != SUBNET
        else res(
            SUBNET,
            "subnet-0real",
            id="subnet-0real",
            vpcId="vpc-0other",
            cidrBlock="10.0.0.0/17",
            tags={"Name": "net-0"},
        )
        for r in live()
    ]
    result = findings(moved)
    assert list(result) == ["SR-GOV-012"]
    assert "vpcId is 'vpc-0other', the stack declares 'vpc-0real'" in result["SR-GOV-012"][0]


def test_a_changed_setting_names_the_path_and_both_values() -> None:
    changed = [
        r
        if r.type != VERSIONING
        else res(
            VERSIONING,
            "data-9f9f9f9",
            id="data-9f9f9f9",
            bucket="data-9f9f9f9",
            versioningConfiguration={"status": "Suspended"},
        )
        for r in live()
    ]
    result = findings(changed)
    assert list(result) == ["SR-GOV-012"]
    assert (
        "versioningConfiguration.status is 'Suspended', the stack declares 'Enabled'"
        in result["SR-GOV-012"][0]
    )


def test_policy_documents_are_compared_by_meaning() -> None:
    same = '{"Statement":[{"Effect":"Allow","Action":["b:B","a:A"],"Resource":"*"}]}'
    other = (
        '{"Version":"2012-10-17","Statement":[{"Resource":["*"],"Action":["a:A","b:B"],"Effect":"Allow"}]}'
    )
    assert normal_document(same) == normal_document(other)
    wider = '{"Statement":[{"Effect":"Allow","Action":["a:A","b:B","iam:*"],"Resource":"*"}]}'
    assert normal_document(same) != normal_document(wider)
    widened = [
        r
        if r.type != ROLE
        else res(
            ROLE,
            "reader-5e5e5e5",
            name="reader-5e5e5e5",
            path="/strongroom/dev/",
            assumeRolePolicy=json.dumps(
                {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}
            ),
        )
        for r in live()
    ]
    result = findings(widened)
    assert list(result) == ["SR-GOV-012"] and "assumeRolePolicy differs" in result["SR-GOV-012"][0]


def test_a_planned_resource_whose_identity_is_unknown_is_neither_missing_nor_paired() -> None:
    plan = [*planned(), res(SUBNET, "net-1", id=UNKNOWN, vpcId="vpc-0fake", tags=UNKNOWN)]
    drift = pair(plan, Index(live()), TYPES)
    assert not drift.missing and len(drift.pairs) == 5


def test_a_key_pending_deletion_or_disabled_is_a_live_finding() -> None:
    control = get("SR-ENC-041")
    for state, expected in (("Enabled", 0), ("PendingDeletion", 1), ("Disabled", 1)):
        key = res(KEY, "k", id="k", keyState=state)
        assert len(list(control.predicate(key, Index([key])))) == expected, state
    assert list(control.predicate(res(KEY, "k", id="k"), Index([]))) == []  # a plan has no key state


def test_the_live_catalog_is_the_marked_controls_then_the_live_only_ones() -> None:
    ids = [c.id for c in LIVE_CATALOG]
    assert ids[-len(LIVE_ONLY) :] == [c.id for c in LIVE_ONLY]
    assert {"SR-NET-001", "SR-STO-001", "SR-ENC-001", "SR-IAM-005", "SR-AUD-006", "SR-WS-001"} <= set(ids)
    assert all("live" in c.enforced_in for c in LIVE_CATALOG)
    assert len(ids) == len(set(ids))
