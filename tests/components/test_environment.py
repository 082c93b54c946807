"""SecureMlEnvironment under the recording mocks: what it composes from the settings, which provider each
resource uses (and so which default tags it carries), and the prod-only protection of data."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path
from typing import Any

import pulumi
import pulumi.runtime
import pulumi_aws as aws
import pytest
import yaml

from strongroom.components.environment import SecureMlEnvironment, SecureMlEnvironmentArgs
from strongroom.components.policydocs import iam
from strongroom.components.settings import EnvironmentSettings, load_settings
from strongroom.engine import Plan, PlanResource, install

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_TYPES = {
    "aws:ec2/internetGateway:InternetGateway",
    "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway",
    "aws:ec2/natGateway:NatGateway",
    "aws:ec2/eip:Eip",
}
DATA_TYPES = {"aws:s3/bucket:Bucket", "aws:kms/key:Key"}


def stack_config(stack: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]


def settings_for(stack: str, **overrides: Any) -> EnvironmentSettings:
    config = stack_config("prod" if stack.startswith("prod") else stack)
    config.update(overrides)
    flat = {key: value if isinstance(value, str) else json.dumps(value) for key, value in config.items()}
    return load_settings(stack, flat, f"stacks/Pulumi.{stack}.yaml")


def build(settings: EnvironmentSettings) -> Plan:
    """Run the environment as ``__main__.py`` does: tagged providers passed in, then the component."""
    recorder = install(project="strongroom", stack=settings.stack, region=settings.region)

    def program() -> None:
        tags = aws.ProviderDefaultTagsArgs(tags=settings.default_tags)
        primary = aws.Provider("aws-primary", region=settings.region, default_tags=tags)
        replica = None
        if settings.backup.replica_region:
            replica = aws.Provider("aws-replica", region=settings.backup.replica_region, default_tags=tags)
        SecureMlEnvironment(
            f"sr-{settings.stack}",
            SecureMlEnvironmentArgs(settings=settings, replica_provider=replica),
            opts=pulumi.ResourceOptions(providers={"aws": primary}),
        )

    try:
        recorder.run(program)
    finally:
        pulumi.runtime.set_all_config({}, [])
    return recorder.plan()


@pytest.fixture(scope="session")
def dev_plan() -> Plan:
    return build(settings_for("dev"))


@pytest.fixture(scope="session")
def prod_plan() -> Plan:
    return build(settings_for("prod"))


def providers_by_name(plan: Plan) -> dict[str, PlanResource]:
    return {r.name: r for r in plan if r.type == "pulumi:providers:aws"}


def provider_name(resource: PlanResource) -> str:
    assert resource.provider, f"{resource.urn} has no explicit provider"
    return resource.provider.split("::")[-2]


def default_tags(provider: PlanResource) -> dict[str, str]:
    value = provider.inputs["defaultTags"]
    return (json.loads(value) if isinstance(value, str) else value)["tags"]


def aws_resources(plan: Plan) -> list[PlanResource]:
    return [r for r in plan if r.custom and r.type.startswith("aws:")]


def test_component_type_and_children_are_named_under_it(dev_plan: Plan) -> None:
    env = dev_plan.named("sr-dev")
    assert env.type == "strongroom:index:SecureMlEnvironment"
    for child in dev_plan.children(env.urn):
        assert child.name.startswith("sr-dev-"), child.urn
    roles = {child.type for child in dev_plan.children(env.urn)}
    assert {
        "strongroom:index:KeyRing",
        "strongroom:index:PrivateNetwork",
        "strongroom:index:SecureBucket",
        "strongroom:index:BackupVault",
        "strongroom:index:MlRoles",
        "strongroom:index:AuditTrail",
    } <= roles


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_aws_resource_uses_a_provider_with_the_environment_default_tags(
    stack: str, request: pytest.FixtureRequest
) -> None:
    settings = settings_for(stack)
    plan: Plan = request.getfixturevalue(f"{stack}_plan")
    providers = providers_by_name(plan)
    expected = {"strongroom:environment": stack, **settings.tags.as_dict(), **settings.extra_tags}
    for provider in providers.values():
        assert default_tags(provider) == expected, provider.urn
    for resource in aws_resources(plan):
        assert provider_name(resource) in providers, resource.urn


def test_dev_has_no_replica_and_nothing_protected(dev_plan: Plan) -> None:
    assert set(providers_by_name(dev_plan)) == {"aws-primary"}
    assert not [r.urn for r in dev_plan if r.protect or r.retain_on_delete]


def test_prod_replica_resources_use_the_replica_region_provider(prod_plan: Plan) -> None:
    providers = providers_by_name(prod_plan)
    assert providers["aws-primary"].inputs["region"] == "eu-west-2"
    assert providers["aws-replica"].inputs["region"] == "eu-west-1"
    replica_buckets = [
        r for r in prod_plan.of_type("aws:s3/bucket:Bucket") if provider_name(r) == "aws-replica"
    ]
    assert {r.name for r in replica_buckets} == {
        "sr-prod-backup-models-replica-bucket",
        "sr-prod-backup-payments-replica-bucket",
        "sr-prod-backup-credit-risk-replica-bucket",
        "sr-prod-backup-replica-logs-bucket",
        "sr-prod-audit-bucket-replica-bucket",
    }
    replicated = {r.name for r in prod_plan.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig")}
    assert "sr-prod-audit-bucket-replication" in replicated, sorted(replicated)


def test_prod_protects_and_retains_every_bucket_and_key(prod_plan: Plan) -> None:
    data = [r for r in prod_plan if r.type in DATA_TYPES]
    assert len([r for r in data if r.type == "aws:s3/bucket:Bucket"]) == 14
    for resource in data:
        assert resource.protect and resource.retain_on_delete, resource.urn


def test_buckets_per_data_domain_models_logs_and_backups(dev_plan: Plan) -> None:
    names = {r.name for r in dev_plan.of_type("aws:s3/bucket:Bucket")}
    assert names == {
        "sr-dev-access-logs-bucket",
        "sr-dev-data-payments-bucket",
        "sr-dev-data-credit-risk-bucket",
        "sr-dev-models-bucket",
        "sr-dev-backup-models-bucket",
        "sr-dev-backup-payments-bucket",
        "sr-dev-backup-credit-risk-bucket",
        "sr-dev-audit-bucket-bucket",
        "sr-dev-baseline-config-bucket-bucket",
    }


def test_bucket_names_start_with_the_prefix_the_s3_endpoint_admits(dev_plan: Plan) -> None:
    endpoint = next(
        r
        for r in dev_plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
        if r.inputs.get("vpcEndpointType") == "Gateway"
    )
    assert "arn:aws:s3:::sr-dev-*" in endpoint.inputs["policy"]
    for bucket in dev_plan.of_type("aws:s3/bucket:Bucket"):
        assert bucket.outputs["bucket"].startswith("sr-dev-"), bucket.urn


def test_network_follows_the_settings(prod_plan: Plan) -> None:
    vpc = prod_plan.of_type("aws:ec2/vpc:Vpc")[0]
    assert vpc.inputs["cidrBlock"] == "10.40.0.0/16"
    assert len(prod_plan.of_type("aws:ec2/subnet:Subnet")) == 3
    services = {
        r.inputs["serviceName"].rsplit(".", 1)[-1]
        for r in prod_plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    }
    assert "secretsmanager" in services and "s3" in services
    groups = prod_plan.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert groups and all(g.inputs["retentionInDays"] == 2557 for g in groups)


def test_backup_buckets_use_the_configured_object_lock(prod_plan: Plan) -> None:
    locks = prod_plan.of_type("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    assert locks
    for lock in locks:
        retention = lock.inputs["rule"]["defaultRetention"]
        assert retention == {"mode": "COMPLIANCE", "days": 2557}, lock.urn


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_no_way_out_to_the_internet(stack: str, request: pytest.FixtureRequest) -> None:
    plan: Plan = request.getfixturevalue(f"{stack}_plan")
    assert not [r.urn for r in plan if r.type in FORBIDDEN_TYPES]


def test_longest_names_fit_s3_bucket_name_limit() -> None:
    settings = settings_for(
        "prod-eu-west",
        **{
            "strongroom:storage": {
                "dataDomains": ["abcdefghijklmnop"],
                "logRetentionDays": 2557,
                "noncurrentVersionExpiryDays": 365,
            }
        },
    )
    plan = build(settings)
    names = [r.outputs["bucket"] for r in plan.of_type("aws:s3/bucket:Bucket")]
    assert len(names) == 11
    assert max(len(name) for name in names) <= 63, names


def test_args_refuse_a_replica_provider_mismatch() -> None:
    with pytest.raises(
        ValueError, match=r"replica_provider: None with strongroom:backup.replicaRegion 'eu-west-1'"
    ):
        SecureMlEnvironmentArgs(settings=settings_for("prod"))


def test_args_refuse_unvalidated_settings() -> None:
    with pytest.raises(ValueError, match="is not EnvironmentSettings"):
        SecureMlEnvironmentArgs(settings={"aws:region": "eu-west-2"})  # type: ignore[arg-type]


def test_every_role_has_a_permission_boundary_and_lives_under_the_stack_path(prod_plan: Plan) -> None:
    roles = prod_plan.of_type("aws:iam/role:Role")
    assert {r.name for r in roles} >= {
        "sr-prod-roles-data-scientist",
        "sr-prod-roles-training",
        "sr-prod-roles-model-approver",
        "sr-prod-roles-auditor",
        "sr-prod-roles-deployer",
        "sr-prod-backup-replication-role",
        "sr-prod-audit-delivery-role",
        "sr-prod-network-flow-logs-role",
    }
    workload = prod_plan.named("sr-prod-roles-boundary")
    deployer = prod_plan.named("sr-prod-roles-deployer-boundary")
    for role in roles:
        boundary = deployer if role.name == "sr-prod-roles-deployer" else workload
        assert role.inputs.get("permissionsBoundary") == boundary.outputs["arn"], role.urn
        assert boundary.urn in role.property_dependencies.get("permissionsBoundary", []), role.urn
    for role in roles:
        if role.name != "sr-prod-backup-replication-role":
            assert role.inputs["path"] == "/strongroom/prod/", role.urn


def test_replication_role_lives_under_the_stack_path(prod_plan: Plan) -> None:
    assert prod_plan.named("sr-prod-backup-replication-role").inputs.get("path") == "/strongroom/prod/"


def test_each_human_role_trusts_its_own_configured_principals_with_mfa_in_the_organization(
    prod_plan: Plan,
) -> None:
    settings = settings_for("prod")
    identity = settings.identity
    assert settings.perimeter.organization_id == "o-nb7k2x9q4m"
    for role_name, principals in (
        ("data-scientist", identity.data_scientists),
        ("model-approver", identity.model_approvers),
        ("auditor", identity.auditors),
    ):
        role = prod_plan.named(f"sr-prod-roles-{role_name}")
        (human,) = [
            s for s in json.loads(role.inputs["assumeRolePolicy"])["Statement"] if "AWS" in s["Principal"]
        ]
        assert human["Principal"]["AWS"] == sorted(principals), role.urn
        # Identity Center permission-set principals: MFA is Identity Center's (federated sessions carry
        # no aws:MultiFactorAuthPresent); every session names its person (sts:SourceIdentity).
        assert all(iam.is_identity_center_role(p) for p in principals)
        assert human["Condition"] == {
            "Null": {"sts:SourceIdentity": "false"},
            "StringEquals": {"aws:PrincipalOrgID": settings.perimeter.organization_id},
        }, role.urn
        assert human["Action"] == ["sts:AssumeRole", "sts:SetSourceIdentity"], role.urn


def test_outside_prod_one_principal_may_train_and_approve() -> None:
    identity = stack_config("dev")["strongroom:identity"]
    scientist = identity["dataScientists"][0]
    plan = build(settings_for("dev", **{"strongroom:identity": {**identity, "modelApprovers": [scientist]}}))
    trust = plan.named("sr-dev-roles-model-approver").inputs["assumeRolePolicy"]
    assert json.loads(trust)["Statement"][0]["Principal"] == {"AWS": [scientist]}


def test_the_auditor_may_read_every_bucket_configuration_from_outside_the_vpc(prod_plan: Plan) -> None:
    auditor = prod_plan.named("sr-prod-roles-auditor").outputs["arn"]
    buckets = {b.name.removesuffix("-bucket") for b in prod_plan.of_type("aws:s3/bucket:Bucket")}
    exempted = set()
    for policy in prod_plan.of_type("aws:s3/bucketPolicy:BucketPolicy"):
        statements = json.loads(policy.inputs["policy"])["Statement"]
        network = [
            s for s in statements if s["Sid"] in ("DenyOutsideVpcEndpoint", "DenyExceptExemptPrincipals")
        ]
        assert auditor not in json.dumps(network), policy.urn
        reads = [s for s in statements if s["Sid"].startswith("DenyConfigReads")]
        if reads and auditor in reads[0]["Condition"]["ArnNotLike"]["aws:PrincipalArn"]:
            exempted.add(policy.name.removesuffix("-policy"))
    # The trail's buckets belong to AuditTrail, which takes no configuration readers yet.
    missing = {b for b in buckets - exempted if not b.startswith("sr-prod-audit-")}
    assert not missing, sorted(missing)
    assert {"sr-prod-access-logs", "sr-prod-backup-replica-logs", "sr-prod-models"} <= exempted


def test_deployer_trusts_the_configured_github_environment(prod_plan: Plan) -> None:
    trust = prod_plan.named("sr-prod-roles-deployer").inputs["assumeRolePolicy"]
    assert "repo:northbank/strongroom:environment:prod" in trust


def test_buckets_exempt_exactly_the_deployer_role_of_this_stack(dev_plan: Plan) -> None:
    deployer = dev_plan.named("sr-dev-roles-deployer")
    for policy in dev_plan.of_type("aws:s3/bucketPolicy:BucketPolicy"):
        assert deployer.outputs["arn"] in policy.inputs["policy"], policy.urn
        assert deployer.urn in policy.dependencies, policy.urn


def test_roles_name_the_later_buckets_and_keys_exactly(prod_plan: Plan) -> None:
    policy = prod_plan.named("sr-prod-roles-auditor-policy").inputs["policy"]
    for bucket in prod_plan.of_type("aws:s3/bucket:Bucket"):
        assert f"arn:aws:s3:::{bucket.outputs['bucket']}" in policy, bucket.urn
    assert "*" not in "".join(
        r for r in json.dumps(json.loads(policy)).split('"') if r.startswith("arn:aws:s3")
    )
    scientist = prod_plan.named("sr-prod-roles-data-scientist-policy").inputs["policy"]
    for domain in settings_for("prod").storage.data_domains:
        bucket = prod_plan.named(f"sr-prod-data-{domain}-bucket")
        assert f"{bucket.outputs['arn']}/curated/*" in scientist, bucket.urn
    assert "sr-prod-data-*" not in scientist
    boundary = prod_plan.named("sr-prod-roles-boundary").inputs["policy"]
    replica_key = prod_plan.named("sr-prod-backup-replica-key")
    assert replica_key.outputs["arn"] in boundary


def test_trail_records_data_events_of_every_bucket_its_own_without_the_delivery(prod_plan: Plan) -> None:
    trail = prod_plan.of_type("aws:cloudtrail/trail:Trail")[0]
    data = [s for s in trail.inputs["advancedEventSelectors"] if "Data" in json.dumps(s)]
    full, own_bucket = (
        [s for s in data if not any(f["field"] == "eventName" for f in s["fieldSelectors"])],
        [s for s in data if any(f["field"] == "eventName" for f in s["fieldSelectors"])],
    )
    (arns,) = [f["startsWiths"] for s in full for f in s["fieldSelectors"] if f["field"] == "resources.ARN"]
    own = trail.inputs["s3BucketName"]
    buckets = {r.outputs["bucket"] for r in prod_plan.of_type("aws:s3/bucket:Bucket")}
    assert own in buckets, trail.urn
    # data, models, access logs, backups, their replicas and replica logs, the trail bucket's replica
    assert sorted(arns) == sorted(f"arn:aws:s3:::{b}/" for b in buckets - {own}), trail.urn
    # the trail bucket: every object event but CloudTrail's own delivery (PutObject), which would loop
    (selector,) = own_bucket
    fields = {f["field"]: f for f in selector["fieldSelectors"]}
    assert fields["resources.ARN"]["startsWiths"] == [f"arn:aws:s3:::{own}/"], trail.urn
    assert fields["eventName"] == {"field": "eventName", "notEquals": ["PutObject"]}, trail.urn
    assert trail.inputs["isMultiRegionTrail"] is True
    assert [s["insightType"] for s in trail.inputs["insightSelectors"]] == [
        "ApiCallRateInsight",
        "ApiErrorRateInsight",
    ]


def test_organization_trail_from_settings(prod_plan: Plan) -> None:
    assert "isOrganizationTrail" not in prod_plan.of_type("aws:cloudtrail/trail:Trail")[0].inputs
    plan = build(settings_for("dev", **{"strongroom:audit": {"organizationTrail": True}}))
    trail = plan.of_type("aws:cloudtrail/trail:Trail")[0]
    assert trail.inputs["isOrganizationTrail"] is True, trail.urn
    org = stack_config("dev")["strongroom:perimeter"]["organizationId"]
    policy = next(
        p for p in plan.of_type("aws:s3/bucketPolicy:BucketPolicy") if "CloudTrailWrite" in p.inputs["policy"]
    )
    assert f"/AWSLogs/{org}/*" in policy.inputs["policy"], policy.urn


def test_alerts_forward_the_replica_regions_events_home(prod_plan: Plan) -> None:
    replica = stack_config("prod")["strongroom:backup"]["replicaRegion"]
    rules = [
        r
        for r in prod_plan.of_type("aws:cloudwatch/eventRule:EventRule")
        if r.inputs.get("region") == replica
    ]
    assert {r.name for r in rules} >= {
        "sr-prod-alerts-replica-bucket-retention",
        "sr-prod-alerts-replica-kms-key",
    }
    targets = [
        t
        for t in prod_plan.of_type("aws:cloudwatch/eventTarget:EventTarget")
        if t.inputs.get("region") == replica
    ]
    assert len(targets) == len(rules) and all(":event-bus/default" in t.inputs["arn"] for t in targets)


def test_trail_can_be_turned_off_outside_prod() -> None:
    plan = build(settings_for("dev", **{"strongroom:audit": {"trail": False}}))
    assert not plan.of_type("aws:cloudtrail/trail:Trail")
    assert not plan.of_type("strongroom:index:AuditTrail")


def test_no_deployer_role_without_deployer_settings() -> None:
    identity = stack_config("dev")["strongroom:identity"]
    del identity["deployer"]
    plan = build(settings_for("dev", **{"strongroom:identity": identity}))
    assert not [r for r in plan.of_type("aws:iam/role:Role") if "deployer" in r.name]
    policy = plan.of_type("aws:s3/bucketPolicy:BucketPolicy")[0].inputs["policy"]
    assert "roles-deployer" not in policy


def test_studio_domain_is_vpc_only_on_the_private_subnets(dev_plan: Plan) -> None:
    domain = dev_plan.of_type("aws:sagemaker/domain:Domain")[0]
    assert domain.inputs["appNetworkAccessType"] == "VpcOnly"
    subnets = {r.outputs["id"] for r in dev_plan.of_type("aws:ec2/subnet:Subnet")}
    assert set(domain.inputs["subnetIds"]) == subnets
    role = dev_plan.named("sr-dev-roles-studio-execution")
    assert domain.inputs["defaultUserSettings"]["executionRole"] == role.outputs["arn"]
    assert domain.inputs["defaultSpaceSettings"]["executionRole"] == role.outputs["arn"]
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "sagemaker.amazonaws.com"}]
    idle = domain.inputs["defaultUserSettings"]["jupyterLabAppSettings"]["appLifecycleManagement"]
    assert idle["idleSettings"]["maxIdleTimeoutInMinutes"] == 60
    assert not dev_plan.of_type("aws:sagemaker/notebookInstance:NotebookInstance")


def test_workspace_switches() -> None:
    plan = build(settings_for("dev", **{"strongroom:workspace": {"studio": False}}))
    assert not plan.of_type("strongroom:index:MlWorkspace")
    plan = build(
        settings_for("dev", **{"strongroom:workspace": {"studio": False, "notebook": True}}),
    )
    assert not plan.of_type("aws:sagemaker/domain:Domain")
    notebook = plan.of_type("aws:sagemaker/notebookInstance:NotebookInstance")[0]
    assert notebook.inputs["directInternetAccess"] == "Disabled"
    assert notebook.inputs["instanceType"] == "ml.t3.medium"


def test_alerts_watch_every_stack_role_and_mail_the_subscribers(prod_plan: Plan) -> None:
    rules = " ".join(
        r.inputs.get("eventPattern", "") for r in prod_plan.of_type("aws:cloudwatch/eventRule:EventRule")
    )
    roles = [r for r in prod_plan.of_type("aws:iam/role:Role") if "forwarder" not in r.name]
    for role in roles:
        assert role.outputs["name"] in rules, role.urn
    emails = {r.inputs["endpoint"] for r in prod_plan.of_type("aws:sns/topicSubscription:TopicSubscription")}
    assert emails == set(settings_for("prod").alerts.emails)


def test_alerts_can_be_turned_off_outside_prod() -> None:
    plan = build(
        settings_for(
            "dev", **{"strongroom:alerts": {"enabled": False}, "strongroom:baseline": {"enabled": False}}
        )
    )
    assert not plan.of_type("strongroom:index:SecurityAlerts")
    assert not plan.of_type("aws:sns/topic:Topic")


def deployer_statements(plan: Plan) -> dict[str, dict[str, Any]]:
    """The statements of the deployer's managed policies (``<env>-roles-deployer-<n>``), by Sid."""
    out: dict[str, dict[str, Any]] = {}
    for policy in plan.of_type("aws:iam/policy:Policy"):
        if policy.name.rsplit("-", 1)[0].endswith("-roles-deployer"):
            for statement in json.loads(policy.inputs["policy"])["Statement"]:
                out[statement["Sid"]] = statement
    return out


def test_the_deployer_manages_exactly_the_stack_roles_policies_and_topic(prod_plan: Plan) -> None:
    deployer = prod_plan.named("sr-prod-roles-deployer")
    by_sid = deployer_statements(prod_plan)
    roles = {r.outputs["arn"] for r in prod_plan.of_type("aws:iam/role:Role")} - {deployer.outputs["arn"]}
    assert set(by_sid["ManageStackRoles"]["Resource"]) == roles, deployer.urn
    passed = {r for sid, s in by_sid.items() if sid.startswith("PassTo") for r in s["Resource"]}
    assert passed < roles, deployer.urn
    policies = {
        prod_plan.named(name).outputs["arn"]
        for name in ("sr-prod-roles-boundary", "sr-prod-roles-guardrails")
    }
    assert set(by_sid["ManageStackPolicies"]["Resource"]) == policies, deployer.urn
    topic = prod_plan.named("sr-prod-alerts-topic").outputs["arn"]
    assert by_sid["ManageTopics"]["Resource"] == [topic], deployer.urn
    assert by_sid["DenySelfModification"]["Resource"] == [deployer.outputs["arn"]], deployer.urn
    auditor = json.loads(prod_plan.named("sr-prod-roles-auditor-policy").inputs["policy"])
    (reads,) = [s for s in auditor["Statement"] if s["Sid"] == "ReadTopics"]
    assert reads["Resource"] == [topic]


def test_the_roles_name_the_stack_keys_domain_and_vpc_exactly(prod_plan: Plan) -> None:
    def statements(role: str) -> dict[str, dict[str, Any]]:
        document = json.loads(prod_plan.named(f"sr-prod-roles-{role}-policy").inputs["policy"])
        return {s["Sid"]: s for s in document["Statement"]}

    keys = {k.outputs["arn"] for k in prod_plan.of_type("aws:kms/key:Key")}
    (domain,) = prod_plan.of_type("aws:sagemaker/domain:Domain")
    (vpc,) = prod_plan.of_type("aws:ec2/vpc:Vpc")
    deployer, scientist, auditor = (
        deployer_statements(prod_plan),
        statements("data-scientist"),
        statements("auditor"),
    )
    managed = set(deployer["ManageKeys"]["Resource"])
    assert keys <= managed and not any(r.endswith(":key/*") for r in managed), sorted(managed)
    assert domain.outputs["arn"] in deployer["ManageSageMaker"]["Resource"]
    assert domain.outputs["arn"] in scientist["DescribeStudio"]["Resource"]
    (api,) = [
        e
        for e in prod_plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
        if "sagemaker.api" in e.inputs["serviceName"]
    ]
    through = scientist["OpenOwnStudioProfileThroughVpcEndpoint"]["Condition"]["StringEquals"]
    assert through["aws:SourceVpce"] == [api.outputs["id"]]
    assert "OpenOwnStudioProfileFromBankNetwork" not in scientist
    assert auditor["ReadSageMaker"]["Resource"][0] == domain.outputs["arn"]
    in_vpc = {"ArnEquals": {"ec2:Vpc": vpc.outputs["arn"]}}
    assert deployer["ConfigureNetwork"]["Condition"]["ArnEquals"] == in_vpc["ArnEquals"]
    assert deployer["ConfigureNetwork"]["Condition"]["StringEquals"] == {"aws:RequestedRegion": ["eu-west-2"]}
    assert statements("training")["ManageJobNetworkInterfaces"]["Condition"] == in_vpc
    assert scientist["RunGuardedJobs"]["Resource"][1].endswith(":training-job/sr-prod-*")


def test_every_data_and_model_bucket_fills_its_backup_and_replica(prod_plan: Plan) -> None:
    role = prod_plan.named("sr-prod-backup-source-replication-role")
    assert role.inputs["path"] == "/strongroom/prod/" and role.inputs["permissionsBoundary"], role.urn
    ingests = {
        c.inputs["bucket"]: c
        for c in prod_plan.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig")
        if c.name.endswith("-ingest")
    }
    for purpose, dataset in (
        ("models", "models"),
        ("data-payments", "payments"),
        ("data-credit-risk", "credit-risk"),
    ):
        source = prod_plan.named(f"sr-prod-{purpose}-bucket")
        ingest = ingests[source.outputs["id"]]
        assert ingest.name == f"sr-prod-backup-{dataset}-ingest"
        assert ingest.inputs["role"] == role.outputs["arn"], ingest.urn
        destinations = {rule["destination"]["bucket"] for rule in ingest.inputs["rules"]}
        assert destinations == {
            prod_plan.named(f"sr-prod-backup-{dataset}-bucket").outputs["arn"],
            prod_plan.named(f"sr-prod-backup-{dataset}-replica-bucket").outputs["arn"],
        }, ingest.urn
        # S3 reads the source from outside the VPC as the role: the source's policy exempts it.
        policy = json.loads(prod_plan.named(f"sr-prod-{purpose}-policy").inputs["policy"])
        (deny,) = [s for s in policy["Statement"] if s["Sid"] == "DenyOutsideVpcEndpoint"]
        assert role.outputs["arn"] in deny["Condition"]["ArnNotLike"]["aws:PrincipalArn"], purpose
    assert len(ingests) == 3


def test_each_model_has_a_package_group_only_the_approver_approves(prod_plan: Plan) -> None:
    models = settings_for("prod").workspace.models
    assert models
    groups = {
        g.inputs["modelPackageGroupName"]
        for g in prod_plan.of_type("aws:sagemaker/modelPackageGroup:ModelPackageGroup")
    }
    assert groups == {f"sr-prod-{m}" for m in models}
    for role in ("data-scientist", "training", "studio-execution"):
        text = prod_plan.named(f"sr-prod-roles-{role}-policy").inputs["policy"]
        allowed = {a for s in json.loads(text)["Statement"] if s["Effect"] == "Allow" for a in s["Action"]}
        assert "sagemaker:UpdateModelPackage" not in allowed, role


def test_the_deployer_policies_fit_the_managed_policy_limit(prod_plan: Plan) -> None:
    for policy in prod_plan.of_type("aws:iam/policy:Policy"):
        document = json.loads(policy.inputs["policy"])
        assert iam.managed_policy_size(document) <= iam.MANAGED_POLICY_MAX_CHARS, policy.urn


def test_the_training_role_and_the_deployer_sign_every_role_verifies_with_the_signing_key(
    prod_plan: Plan,
) -> None:
    (key,) = [k for k in prod_plan.of_type("aws:kms/key:Key") if k.name == "sr-prod-keys-signing"]
    assert (key.inputs["keyUsage"], key.inputs["customerMasterKeySpec"]) == ("SIGN_VERIFY", "ECC_NIST_P256")
    signing = key.outputs["arn"]
    signs: dict[str, list[str]] = {}
    verifies: set[str] = set()
    for role in ("training", "data-scientist", "studio-execution", "model-approver", "auditor"):
        document = json.loads(prod_plan.named(f"sr-prod-roles-{role}-policy").inputs["policy"])
        for statement in document["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if "kms:Sign" in actions:
                signs[role] = statement["Resource"]
            if "kms:Verify" in actions and statement["Resource"] == [signing]:
                verifies.add(role)
    by_sid = deployer_statements(prod_plan)
    assert by_sid["SignManifests"]["Resource"] == [signing]
    assert signs == {"training": [signing]}
    assert verifies == {"training", "data-scientist", "studio-execution", "model-approver", "auditor"}
    # The key policy's signers are exactly the training and deployer roles of the plan.
    (deny,) = [s for s in json.loads(key.inputs["policy"])["Statement"] if s["Effect"] == "Deny"]
    patterns = deny["Condition"]["ArnNotLike"]["aws:PrincipalArn"]
    roles = {r.outputs["arn"]: r.name for r in prod_plan.of_type("aws:iam/role:Role")}
    signers = {name for arn, name in roles.items() if any(fnmatch.fnmatchcase(arn, p) for p in patterns)}
    assert signers == {"sr-prod-roles-training", "sr-prod-roles-deployer"}
