"""The materialiser: dev's and prod's offline plans created in moto, checked with boto3 against the plan."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from live_support import moto_context, new_aws, stack_plan

from strongroom.engine.plan import Plan, PlanResource
from strongroom.live.aws import Aws
from strongroom.live.materialise import (
    SKIPPED_TYPES,
    Created,
    Materialised,
    MaterialiseError,
    _order,
    materialise,
    pascal,
    supported_types,
)

ENV_TAG = "strongroom:environment"

#: What moto 5.2 cannot create, per stack: asserted so that moto's coverage is explicit.
EXPECTED_SKIPS = {
    "aws:accessanalyzer/analyzer:Analyzer": 1,
    "aws:securityhub/standardsSubscription:StandardsSubscription": 1,
    "aws:route53/resolverFirewallConfig:ResolverFirewallConfig": 1,
    "aws:route53/resolverFirewallDomainList:ResolverFirewallDomainList": 2,
    "aws:route53/resolverFirewallRule:ResolverFirewallRule": 2,
    "aws:route53/resolverFirewallRuleGroup:ResolverFirewallRuleGroup": 1,
    "aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation": 1,
}

Env = tuple[Aws, Materialised, Plan]


@pytest.fixture(scope="module", params=["dev", "prod"])
def env(request: pytest.FixtureRequest) -> Iterator[Env]:
    """One materialisation per stack for this module's read-only checks."""
    with pytest.MonkeyPatch.context() as monkeypatch, moto_context(monkeypatch):
        from strongroom.live.materialise import materialise

        plan = stack_plan(request.param)
        aws = new_aws()
        yield aws, materialise(plan, aws), plan


def of_type(plan: Plan, type_: str) -> list[PlanResource]:
    return [r for r in plan.resources if r.type == type_]


def created(env: Env, resource: PlanResource) -> Created:
    return env[1].created[resource.urn]


def client(aws: Aws, service: str, region: str = "") -> Any:
    return aws.client(service, region or None)


# ------------------------------------------------------------------------------------------ coverage


def test_every_planned_resource_is_created_or_skipped_with_a_reason(env: Env) -> None:
    _, result, plan = env
    custom = {r.urn for r in plan.resources if r.custom and not r.type.startswith("pulumi:providers:")}
    assert set(result.created) | set(result.skipped) == custom
    assert not set(result.created) & set(result.skipped)
    skipped_types: dict[str, int] = {}
    for urn, reason in result.skipped.items():
        assert reason.startswith("moto 5.2 does not implement"), reason
        skipped_types[result.types[urn]] = skipped_types.get(result.types[urn], 0) + 1
    assert skipped_types == EXPECTED_SKIPS
    assert set(SKIPPED_TYPES) == set(EXPECTED_SKIPS)
    assert {r.type for r in plan.resources if r.urn in result.created} <= supported_types()


def test_fake_ids_of_the_plan_are_replaced_everywhere(env: Env) -> None:
    aws, result, plan = env
    vpc = of_type(plan, "aws:ec2/vpc:Vpc")[0]
    real_vpc = created(env, vpc).id
    assert real_vpc != vpc.id and result.replacements[str(vpc.id)] == real_vpc
    s3 = client(aws, "s3")
    fakes = [fake for fake in result.replacements if len(fake) >= 6]
    for policy in of_type(plan, "aws:s3/bucketPolicy:BucketPolicy"):
        text = s3.get_bucket_policy(Bucket=policy.inputs["bucket"])["Policy"]
        assert not [fake for fake in fakes if fake in text], policy.urn
        assert json.loads(text) == json.loads(result.real(policy.inputs["policy"]))


# ----------------------------------------------------------------------------------------------- S3


def test_buckets_are_versioned_encrypted_with_the_materialised_key_and_private(env: Env) -> None:
    aws, result, plan = env
    key_arns = {c.arn for c in result.of_type("aws:kms/key:Key").values()}
    encryption = {
        r.inputs["bucket"]: r
        for r in of_type(
            plan, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
        )
    }
    for bucket in of_type(plan, "aws:s3/bucket:Bucket"):
        c = created(env, bucket)
        s3 = client(aws, "s3", c.region)
        assert s3.get_bucket_versioning(Bucket=c.name)["Status"] == "Enabled"
        rule = s3.get_bucket_encryption(Bucket=c.name)["ServerSideEncryptionConfiguration"]["Rules"][0]
        default = rule["ApplyServerSideEncryptionByDefault"]
        assert default["SSEAlgorithm"] == "aws:kms"
        planned = encryption[c.name].inputs["rules"][0]["applyServerSideEncryptionByDefault"][
            "kmsMasterKeyId"
        ]
        assert default["KMSMasterKeyID"] == result.real(planned) != planned
        assert default["KMSMasterKeyID"] in key_arns
        block = s3.get_public_access_block(Bucket=c.name)["PublicAccessBlockConfiguration"]
        assert block == dict.fromkeys(
            ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
        )
        statements = json.loads(s3.get_bucket_policy(Bucket=c.name)["Policy"])["Statement"]
        assert any(
            s["Effect"] == "Deny"
            and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
            for s in statements
        )
        owner = s3.get_bucket_ownership_controls(Bucket=c.name)["OwnershipControls"]["Rules"][0]
        assert owner["ObjectOwnership"] == "BucketOwnerEnforced"
        assert s3.get_bucket_location(Bucket=c.name).get("LocationConstraint") == c.region


def test_locked_buckets_have_object_lock_with_the_planned_retention(env: Env) -> None:
    aws, _, plan = env
    locks = of_type(plan, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    assert locks
    for lock in locks:
        bucket = lock.inputs["bucket"]
        region = next(
            created(env, b).region
            for b in of_type(plan, "aws:s3/bucket:Bucket")
            if b.outputs["bucket"] == bucket
        )
        config = client(aws, "s3", region).get_object_lock_configuration(Bucket=bucket)[
            "ObjectLockConfiguration"
        ]
        assert config["ObjectLockEnabled"] == "Enabled"
        retention = lock.inputs["rule"]["defaultRetention"]
        assert config["Rule"]["DefaultRetention"]["Mode"] == retention["mode"]
        assert config["Rule"]["DefaultRetention"].get("Days") == retention.get("days")


def test_replication_into_the_backup_vault_and_prods_replica_region(env: Env) -> None:
    aws, result, plan = env
    replications = of_type(plan, "aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    to_replica = [r for r in replications if "replica" in r.inputs["rules"][0]["destination"]["bucket"]]
    assert len(to_replica) == (4 if plan.stack == "prod" else 0)  # prod: audit + three backup vaults
    assert len(replications) == (7 if plan.stack == "prod" else 3)  # the data and model buckets to the vault
    roles = {c.arn for c in result.of_type("aws:iam/role:Role").values()}
    for replication in replications:
        config = client(aws, "s3").get_bucket_replication(Bucket=replication.inputs["bucket"])
        assert config["ReplicationConfiguration"]["Role"] == replication.inputs["role"] in roles
    for replication in to_replica:
        config = client(aws, "s3").get_bucket_replication(Bucket=replication.inputs["bucket"])
        config = config["ReplicationConfiguration"]
        assert config["Role"] in roles
        rule = config["Rules"][0]
        assert rule["Status"] == "Enabled"
        destination = rule["Destination"]["Bucket"].rsplit(":", 1)[-1]
        location = client(aws, "s3", "eu-west-1").get_bucket_location(Bucket=destination)
        assert location["LocationConstraint"] == "eu-west-1"
        replica_key = rule["Destination"]["EncryptionConfiguration"]["ReplicaKmsKeyID"]
        assert replica_key.startswith("arn:aws:kms:eu-west-1:")
        assert client(aws, "kms", "eu-west-1").describe_key(KeyId=replica_key)["KeyMetadata"]["Enabled"]


# ------------------------------------------------------------------------------------------ KMS, IAM


def test_keys_rotate_and_carry_their_policy_in_their_region(env: Env) -> None:
    aws, result, plan = env
    for key in of_type(plan, "aws:kms/key:Key"):
        c = created(env, key)
        kms = client(aws, "kms", c.region)
        # The symmetric keys rotate; the asymmetric signing key can't (AWS rotates no asymmetric key).
        rotates = key.inputs.get("keyUsage", "ENCRYPT_DECRYPT") == "ENCRYPT_DECRYPT"
        assert key.inputs["enableKeyRotation"] is rotates, key.urn
        assert kms.get_key_rotation_status(KeyId=c.id)["KeyRotationEnabled"] is rotates, key.urn
        meta = kms.describe_key(KeyId=c.id)["KeyMetadata"]
        spec = key.inputs.get("customerMasterKeySpec", "SYMMETRIC_DEFAULT")
        assert (meta["KeyUsage"], meta["KeySpec"]) == (key.inputs.get("keyUsage", "ENCRYPT_DECRYPT"), spec)
        policy = kms.get_key_policy(KeyId=c.id, PolicyName="default")["Policy"]
        assert json.loads(policy) == json.loads(result.real(key.inputs["policy"]))
    assert any(k.inputs.get("keyUsage") == "SIGN_VERIFY" for k in of_type(plan, "aws:kms/key:Key"))
    for alias in of_type(plan, "aws:kms/alias:Alias"):
        c = created(env, alias)
        aliases = client(aws, "kms", c.region).list_aliases()["Aliases"]
        target = next(a["TargetKeyId"] for a in aliases if a["AliasName"] == alias.inputs["name"])
        assert target == result.real(alias.inputs["targetKeyId"])


def test_roles_have_their_path_boundary_and_trust(env: Env) -> None:
    aws, result, plan = env
    iam = client(aws, "iam")
    policies = {c.arn for c in result.of_type("aws:iam/policy:Policy").values()}
    for role in of_type(plan, "aws:iam/role:Role"):
        got = iam.get_role(RoleName=created(env, role).name)["Role"]
        assert got["Path"] == role.inputs["path"]
        boundary = got["PermissionsBoundary"]["PermissionsBoundaryArn"]
        assert boundary == role.inputs["permissionsBoundary"] and boundary in policies
        trust = got["AssumeRolePolicyDocument"]
        trust = json.loads(trust) if isinstance(trust, str) else trust
        assert trust == json.loads(result.real(role.inputs["assumeRolePolicy"]))
    for inline in of_type(plan, "aws:iam/rolePolicy:RolePolicy"):
        names = iam.list_role_policies(RoleName=inline.inputs["role"])["PolicyNames"]
        assert created(env, inline).name in names
    for attachment in of_type(plan, "aws:iam/rolePolicyAttachment:RolePolicyAttachment"):
        attached = iam.list_attached_role_policies(RoleName=attachment.inputs["role"])["AttachedPolicies"]
        assert attachment.inputs["policyArn"] in {a["PolicyArn"] for a in attached}


# --------------------------------------------------------------------------------------------- trail


def test_trail_logs_every_region_with_validation_into_its_key_and_log_group(env: Env) -> None:
    aws, result, plan = env
    trail = of_type(plan, "aws:cloudtrail/trail:Trail")[0]
    c = created(env, trail)
    cloudtrail = client(aws, "cloudtrail", c.region)
    got = cloudtrail.get_trail(Name=c.name)["Trail"]
    assert got["IsMultiRegionTrail"] and got["LogFileValidationEnabled"] and got["IncludeGlobalServiceEvents"]
    assert got["S3BucketName"] == trail.inputs["s3BucketName"]
    assert got["KmsKeyId"] == result.real(trail.inputs["kmsKeyId"]) != trail.inputs["kmsKeyId"]
    assert cloudtrail.get_trail_status(Name=c.name)["IsLogging"] is True
    selectors = cloudtrail.get_event_selectors(TrailName=c.name)["AdvancedEventSelectors"]
    assert [s["Name"] for s in selectors] == [s["name"] for s in trail.inputs["advancedEventSelectors"]]
    insights = cloudtrail.get_insight_selectors(TrailName=c.name)["InsightSelectors"]
    assert {i["InsightType"] for i in insights} == {
        i["insightType"] for i in trail.inputs["insightSelectors"]
    }
    for group in of_type(plan, "aws:cloudwatch/logGroup:LogGroup"):
        g = created(env, group)
        found = client(aws, "logs", g.region).describe_log_groups(logGroupNamePrefix=g.name)["logGroups"][0]
        assert found["retentionInDays"] == group.inputs["retentionInDays"]
        assert found["kmsKeyId"] == result.real(group.inputs["kmsKeyId"])


# ------------------------------------------------------------------------------------------- network


def test_network_has_no_internet_path_and_closed_defaults(env: Env) -> None:
    aws, _result, plan = env
    ec2 = client(aws, "ec2")
    vpc_id = created(env, of_type(plan, "aws:ec2/vpc:Vpc")[0]).id
    by_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
    assert ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsSupport")["EnableDnsSupport"]["Value"]
    assert ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsHostnames")["EnableDnsHostnames"][
        "Value"
    ]
    gateways = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])
    assert gateways["InternetGateways"] == []
    assert ec2.describe_nat_gateways(Filters=by_vpc)["NatGateways"] == []
    subnets = ec2.describe_subnets(Filters=by_vpc)["Subnets"]
    assert len(subnets) == len(of_type(plan, "aws:ec2/subnet:Subnet"))
    assert not any(s["MapPublicIpOnLaunch"] for s in subnets)
    for table in ec2.describe_route_tables(Filters=by_vpc)["RouteTables"]:
        assert [r.get("GatewayId") for r in table["Routes"] if "DestinationCidrBlock" in r] == ["local"]
    default_sg = created(env, of_type(plan, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")[0]).id
    for group in ec2.describe_security_groups(Filters=by_vpc)["SecurityGroups"]:
        egress_anywhere = [
            p
            for p in group["IpPermissionsEgress"]
            if any(r.get("CidrIp") == "0.0.0.0/0" for r in p.get("IpRanges", []))
        ]
        assert egress_anywhere == [], group["GroupId"]
        if group["GroupId"] == default_sg:
            assert group["IpPermissions"] == [] and group["IpPermissionsEgress"] == []
    default_acl = created(env, of_type(plan, "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl")[0]).id
    entries = ec2.describe_network_acls(NetworkAclIds=[default_acl])["NetworkAcls"][0]["Entries"]
    assert all(e["RuleAction"] == "deny" for e in entries)
    acl = created(env, of_type(plan, "aws:ec2/networkAcl:NetworkAcl")[0]).id
    associated = ec2.describe_network_acls(NetworkAclIds=[acl])["NetworkAcls"][0]["Associations"]
    assert {a["SubnetId"] for a in associated} == {s["SubnetId"] for s in subnets}


def test_security_group_rules_reference_the_materialised_groups(env: Env) -> None:
    aws, result, plan = env
    ec2 = client(aws, "ec2")
    for rule in of_type(plan, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"):
        group = result.real(rule.inputs["securityGroupId"])
        got = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]["IpPermissions"]
        pairs = {p["GroupId"] for perm in got for p in perm.get("UserIdGroupPairs", [])}
        assert result.real(rule.inputs["referencedSecurityGroupId"]) in pairs


def test_flow_log_records_all_traffic_to_its_log_group(env: Env) -> None:
    aws, _result, plan = env
    planned = of_type(plan, "aws:ec2/flowLog:FlowLog")[0]
    log = client(aws, "ec2").describe_flow_logs(FlowLogIds=[created(env, planned).id])["FlowLogs"][0]
    assert log["TrafficType"] == "ALL"
    assert log["ResourceId"] == created(env, of_type(plan, "aws:ec2/vpc:Vpc")[0]).id
    assert log["DeliverLogsPermissionArn"] == planned.inputs["iamRoleArn"]
    assert log["LogDestination"] == planned.inputs["logDestination"]


def test_endpoints_exist_with_their_policies(env: Env) -> None:
    aws, result, plan = env
    ec2 = client(aws, "ec2")
    for endpoint in of_type(plan, "aws:ec2/vpcEndpoint:VpcEndpoint"):
        got = ec2.describe_vpc_endpoints(VpcEndpointIds=[created(env, endpoint).id])["VpcEndpoints"][0]
        assert got["ServiceName"] == endpoint.inputs["serviceName"]
        assert json.loads(got["PolicyDocument"]) == json.loads(result.real(endpoint.inputs["policy"]))
        if endpoint.inputs["vpcEndpointType"] == "Gateway":
            assert set(got["RouteTableIds"]) == set(result.real(endpoint.inputs["routeTableIds"]))
        else:
            assert set(got["SubnetIds"]) == set(result.real(endpoint.inputs["subnetIds"]))
            assert {g["GroupId"] for g in got["Groups"]} == set(
                result.real(endpoint.inputs["securityGroupIds"])
            )
            assert got["PrivateDnsEnabled"] is True


# ------------------------------------------------------------------------------------------ the rest


def test_workspace_alerts_and_account_services(env: Env) -> None:
    aws, result, plan = env
    domain = created(env, of_type(plan, "aws:sagemaker/domain:Domain")[0])
    got = client(aws, "sagemaker").describe_domain(DomainId=domain.id)
    assert got["AppNetworkAccessType"] == "VpcOnly"
    planned_domain = of_type(plan, "aws:sagemaker/domain:Domain")[0].inputs
    assert got["KmsKeyId"] == result.real(planned_domain["kmsKeyId"])
    assert got["SubnetIds"] == result.real(planned_domain["subnetIds"])
    assert got["DomainSettings"]["SecurityGroupIds"] == result.real(
        planned_domain["domainSettings"]["securityGroupIds"]
    )
    assert (
        got["DefaultUserSettings"]["ExecutionRole"] == planned_domain["defaultUserSettings"]["executionRole"]
    )
    groups = client(aws, "sagemaker").list_model_package_groups()["ModelPackageGroupSummaryList"]
    assert len(groups) == len(of_type(plan, "aws:sagemaker/modelPackageGroup:ModelPackageGroup"))
    for target in of_type(plan, "aws:cloudwatch/eventTarget:EventTarget"):
        c = created(env, target)
        targets = client(aws, "events", c.region).list_targets_by_rule(Rule=target.inputs["rule"])["Targets"]
        assert [t["Arn"] for t in targets] == [target.inputs["arn"]]
    topic = created(env, of_type(plan, "aws:sns/topic:Topic")[0])
    attributes = client(aws, "sns").get_topic_attributes(TopicArn=topic.arn)["Attributes"]
    assert attributes["KmsMasterKeyId"] == result.real(
        of_type(plan, "aws:sns/topic:Topic")[0].inputs["kmsMasterKeyId"]
    )
    assert "AccountOwnsTopic" in attributes["Policy"]
    detector = created(env, of_type(plan, "aws:guardduty/detector:Detector")[0])
    got_detector = client(aws, "guardduty").get_detector(DetectorId=detector.id)
    assert got_detector["Status"] == "ENABLED"
    features = {f["Name"]: f["Status"] for f in got_detector.get("Features", [])}
    for feature in of_type(plan, "aws:guardduty/detectorFeature:DetectorFeature"):
        assert features[feature.inputs["name"]] == feature.inputs["status"]
    recorder = client(aws, "config").describe_configuration_recorders()["ConfigurationRecorders"][0]
    linked = of_type(plan, "aws:iam/serviceLinkedRole:ServiceLinkedRole")[0]
    assert recorder["roleARN"] == linked.outputs["arn"] == created(env, linked).arn  # AWS's name, not moto's
    role = client(aws, "iam").get_role(RoleName="AWSServiceRoleForConfig")["Role"]
    assert role["Path"] == "/aws-service-role/config.amazonaws.com/"
    status = client(aws, "config").describe_configuration_recorder_status()["ConfigurationRecordersStatus"]
    assert status[0]["recording"] is True
    client(aws, "securityhub").describe_hub()  # raises unless Security Hub is enabled
    associations = client(aws, "route53resolver").list_resolver_query_log_config_associations()
    vpc_id = created(env, of_type(plan, "aws:ec2/vpc:Vpc")[0]).id
    assert [a["ResourceId"] for a in associations["ResolverQueryLogConfigAssociations"]] == [vpc_id]


def _tags(aws: Aws, type_: str, c: Created) -> dict[str, str]:
    """The tags AWS holds for a created resource, read with the service's own tag call."""

    def pairs(items: list[dict[str, str]], key: str = "Key", value: str = "Value") -> dict[str, str]:
        return {t[key]: t[value] for t in items}

    service = type_.split(":")[1].split("/")[0]
    if service in ("ec2", "vpc"):
        found = client(aws, "ec2", c.region).describe_tags(
            Filters=[{"Name": "resource-id", "Values": [c.id]}]
        )
        return pairs(found["Tags"])
    if service == "s3":
        return pairs(client(aws, "s3", c.region).get_bucket_tagging(Bucket=c.name)["TagSet"])
    if service == "kms":
        return pairs(
            client(aws, "kms", c.region).list_resource_tags(KeyId=c.id)["Tags"], "TagKey", "TagValue"
        )
    if type_ == "aws:iam/policy:Policy":
        return pairs(client(aws, "iam").list_policy_tags(PolicyArn=c.arn)["Tags"])
    if service == "iam":
        return pairs(client(aws, "iam").list_role_tags(RoleName=c.name)["Tags"])
    if service == "cloudwatch" and "logGroup" in type_:
        return dict(client(aws, "logs", c.region).list_tags_log_group(logGroupName=c.name)["tags"])
    if service == "cloudwatch":
        return pairs(client(aws, "events", c.region).list_tags_for_resource(ResourceARN=c.arn)["Tags"])
    if service == "sns":
        return pairs(client(aws, "sns", c.region).list_tags_for_resource(ResourceArn=c.arn)["Tags"])
    if service == "sagemaker":
        return pairs(client(aws, "sagemaker", c.region).list_tags(ResourceArn=c.arn)["Tags"])
    if service == "guardduty":
        return dict(client(aws, "guardduty", c.region).get_detector(DetectorId=c.id)["Tags"])
    if service == "cloudtrail":
        listed = client(aws, "cloudtrail", c.region).list_tags(ResourceIdList=[c.arn])["ResourceTagList"]
        return pairs(listed[0]["TagsList"])
    if service == "route53":
        # moto 5.2's route53resolver ListTagsForResource knows only endpoints and rules, not the query log
        # configs it tagged on create: read its tagger
        from moto.route53resolver.models import route53resolver_backends

        backend = route53resolver_backends[aws.caller()["Account"]][c.region]
        return pairs(backend.tagger.list_tags_for_resource(c.arn)["Tags"])
    raise AssertionError(f"no tag reader for {type_}")


def test_every_taggable_resource_carries_the_environment_tag(env: Env) -> None:
    aws, result, plan = env
    checked = set()
    for resource in plan.resources:
        if resource.urn not in result.created or "tagsAll" not in resource.outputs:
            continue
        tags = _tags(aws, resource.type, result.created[resource.urn])
        assert tags.get(ENV_TAG) == plan.stack, resource.urn
        for key, value in (resource.inputs.get("tags") or {}).items():
            assert tags.get(key) == value, (resource.urn, key)
        checked.add(resource.type)
    assert len(checked) >= 20


# ------------------------------------------------------------------------------------------- helpers


def test_pascal_uses_the_api_names_of_s3_and_cloudtrail() -> None:
    assert pascal(
        {
            "rules": [
                {
                    "id": "r",
                    "applyServerSideEncryptionByDefault": {"kmsMasterKeyId": "k", "sseAlgorithm": "aws:kms"},
                }
            ]
        }
    ) == {
        "Rules": [
            {
                "ID": "r",
                "ApplyServerSideEncryptionByDefault": {"KMSMasterKeyID": "k", "SSEAlgorithm": "aws:kms"},
            }
        ]
    }
    assert pascal({"fieldSelectors": [{"field": "f", "startsWiths": ["a"], "notEquals": ["b"]}]}) == {
        "FieldSelectors": [{"Field": "f", "StartsWith": ["a"], "NotEquals": ["b"]}]
    }


def test_order_puts_logging_after_the_target_policy_and_replication_after_versioning() -> None:
    def res(name: str, type_: str, deps: list[str] = (), **inputs: Any) -> PlanResource:  # type: ignore[assignment]
        return PlanResource(
            urn=name, type=type_, name=name, custom=True, inputs=inputs, dependencies=list(deps)
        )

    resources = [
        res("logging", "aws:s3/bucketLogging:BucketLogging", bucket="a", targetBucket="logs"),
        res(
            "replication",
            "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
            bucket="a",
            rules=[{"destination": {"bucket": "arn:aws:s3:::b"}}],
        ),
        res("policy", "aws:s3/bucketPolicy:BucketPolicy", bucket="logs"),
        res("versioning-b", "aws:s3/bucketVersioning:BucketVersioning", bucket="b"),
        res("versioning-a", "aws:s3/bucketVersioning:BucketVersioning", bucket="a"),
    ]
    order = [r.urn for r in _order(resources)]
    assert order.index("logging") > order.index("policy")
    assert order.index("replication") > max(order.index("versioning-a"), order.index("versioning-b"))


def test_a_resource_moto_refuses_is_an_error_naming_it(moto_env: Aws) -> None:
    provider = PlanResource(
        urn="urn:pulumi:t::p::pulumi:providers:aws::default",
        type="pulumi:providers:aws",
        name="default",
        inputs={"region": "eu-west-2"},
        id="p1",
    )
    vpc = PlanResource(
        urn="urn:pulumi:t::p::aws:ec2/vpc:Vpc::bad",
        type="aws:ec2/vpc:Vpc",
        name="bad",
        custom=True,
        provider=f"{provider.urn}::p1",
        inputs={"cidrBlock": "not-a-cidr"},
    )
    with pytest.raises(
        MaterialiseError, match=r"could not create urn:pulumi:t::p::aws:ec2/vpc:Vpc::bad .*eu-west-2"
    ):
        materialise(Plan(project="p", stack="t", resources=[provider, vpc]), moto_env)


def test_real_follows_the_replacements_as_they_change() -> None:
    """``real`` compiles its pattern once, and again when a fake value is added or removed."""
    result = Materialised(stack="dev", replacements={"vpc-0fake00000001": "vpc-real1"})
    assert result.real({"a": ["vpc-0fake00000001", "subnet-0fake0000002"]}) == {
        "a": ["vpc-real1", "subnet-0fake0000002"]
    }
    result.replacements["subnet-0fake0000002"] = "subnet-real2"
    assert result.real("vpc-0fake00000001/subnet-0fake0000002") == "vpc-real1/subnet-real2"
    result.replacements["vpc-0fake00000001"] = "vpc-real3"  # a value changed: the same pattern answers it
    assert result.real("vpc-0fake00000001") == "vpc-real3"
    del result.replacements["subnet-0fake0000002"]
    assert result.real("subnet-0fake0000002") == "subnet-0fake0000002"
