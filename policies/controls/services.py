"""Services through which data can leave the bank's accounts or the network: log subscriptions, Lambda,
RDS, ECR, CodeArtifact and SageMaker hosting. Each judged by meaning, with the perimeter.

Keys and buckets are judged with `policies.references`: a known value by what it names, a property
dependency on a key or bucket of the plan only while the value is unknown, so a value computed from a
resource of the plan (`key.arn.apply(lambda _: other)`) gets no pass from the dependency. Accounts are
judged with `policies.perimeter`, never as text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from strongroom.policies.model import Control
from strongroom.policies.perimeter import ACCOUNT_ID, CannotJudge, account_of, inside
from strongroom.policies.props import (
    UNKNOWN,
    Index,
    PolicyDocumentError,
    Resource,
    UnknownValue,
    as_list,
    get,
    is_true,
    policy_document,
)
from strongroom.policies.references import (
    bucket_of_plan,
    dependencies,
    depends_on,
    key_findings,
    policy_exposure,
)

SUBSCRIPTION_FILTER = "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter"
LOG_DESTINATION = "aws:cloudwatch/logDestination:LogDestination"
LOG_DESTINATION_POLICY = "aws:cloudwatch/logDestinationPolicy:LogDestinationPolicy"
LOG_RESOURCE_POLICY = "aws:cloudwatch/logResourcePolicy:LogResourcePolicy"
LOG_ACCOUNT_POLICY = "aws:cloudwatch/logAccountPolicy:LogAccountPolicy"

FUNCTION = "aws:lambda/function:Function"
FUNCTION_URL = "aws:lambda/functionUrl:FunctionUrl"
PERMISSION = "aws:lambda/permission:Permission"
LAMBDA_RESOURCE_POLICY = "aws:lambda/resourcePolicy:ResourcePolicy"
LAYER_PERMISSION = "aws:lambda/layerVersionPermission:LayerVersionPermission"
LAYER_VERSION = "aws:lambda/layerVersion:LayerVersion"

DB_INSTANCE = "aws:rds/instance:Instance"
DB_CLUSTER = "aws:rds/cluster:Cluster"
DB_CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
DB_SNAPSHOT = "aws:rds/snapshot:Snapshot"
DB_CLUSTER_SNAPSHOT = "aws:rds/clusterSnapshot:ClusterSnapshot"
DB_SNAPSHOT_COPY = "aws:rds/snapshotCopy:SnapshotCopy"
DB_CLUSTER_SNAPSHOT_COPY = "aws:rds/clusterSnapshotCopy:ClusterSnapshotCopy"

ECR_REPOSITORY = "aws:ecr/repository:Repository"
ECR_REPOSITORY_POLICY = "aws:ecr/repositoryPolicy:RepositoryPolicy"
ECR_REGISTRY_POLICY = "aws:ecr/registryPolicy:RegistryPolicy"
ECR_PULL_THROUGH_CACHE = "aws:ecr/pullThroughCacheRule:PullThroughCacheRule"
ECR_REPLICATION = "aws:ecr/replicationConfiguration:ReplicationConfiguration"

CODEARTIFACT_DOMAIN = "aws:codeartifact/domain:Domain"
CODEARTIFACT_REPOSITORY = "aws:codeartifact/repository:Repository"
CODEARTIFACT_REPOSITORY_POLICY = "aws:codeartifact/repositoryPermissionsPolicy:RepositoryPermissionsPolicy"
CODEARTIFACT_DOMAIN_POLICY = "aws:codeartifact/domainPermissions:DomainPermissions"

_SERVICE_PRINCIPAL = re.compile(r"^[a-z0-9][a-z0-9.-]*\.amazon(aws)?\.com(\.cn)?$")
_PRIVATE_ECR = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")


def _outside(index: Index, account: str) -> bool:
    return account == "*" or not inside(index.context, account)


# -- CloudWatch Logs ---------------------------------------------------------------------------------------


def _destination_findings(subject: Resource, index: Index, path: str, value: Any, what: str) -> Iterator[str]:
    if value is UNKNOWN:
        if dependencies(subject, path) & {r.urn for r in index.resources}:
            return
        raise UnknownValue(subject.label, path)
    if not value:
        yield f"{what} {subject.label} sets no {path}"
        return
    account = account_of(value)
    if account is None:
        yield f"{what} {subject.label} sends logs to '{value}', which names no account of the perimeter"
    elif _outside(index, account):
        yield f"{what} {subject.label} sends logs to {value} in account {account}, outside the perimeter"


def _subscription_policy_destination(subject: Resource) -> Any:
    raw = subject.known("policyDocument")
    try:
        document = policy_document(raw)
    except PolicyDocumentError as exc:
        return exc
    return document.get("DestinationArn", document.get("destinationArn"))


def _log_destinations(subject: Resource, index: Index) -> Iterator[str]:
    if subject.type == SUBSCRIPTION_FILTER:
        path, what = "destinationArn", "subscription filter"
    elif subject.type == LOG_DESTINATION:
        path, what = "targetArn", "log destination"
    else:
        value = _subscription_policy_destination(subject)
        if isinstance(value, PolicyDocumentError):
            yield f"account subscription policy {subject.label} policyDocument {value}"
            return
        yield from _destination_findings(
            subject, index, "policyDocument", value, "account subscription policy"
        )
        return
    yield from _destination_findings(subject, index, path, subject.get(path), what)


def _delivers_logs(subject: Resource, _index: Index) -> bool:
    return subject.type != LOG_ACCOUNT_POLICY or subject.known("policyType") == "SUBSCRIPTION_FILTER_POLICY"


# -- service resource policies -----------------------------------------------------------------------------

_RESOURCE_POLICIES: dict[str, tuple[str, str]] = {
    LOG_DESTINATION_POLICY: ("accessPolicy", "log destination policy"),
    LOG_RESOURCE_POLICY: ("policyDocument", "log resource policy"),
    LAMBDA_RESOURCE_POLICY: ("policy", "Lambda resource policy"),
    ECR_REPOSITORY_POLICY: ("policy", "ECR repository policy"),
    ECR_REGISTRY_POLICY: ("policy", "ECR registry policy"),
    CODEARTIFACT_REPOSITORY_POLICY: ("policyDocument", "CodeArtifact repository policy"),
    CODEARTIFACT_DOMAIN_POLICY: ("policyDocument", "CodeArtifact domain policy"),
}


def _resource_policy(subject: Resource, index: Index) -> Iterator[str]:
    path, what = _RESOURCE_POLICIES[subject.type]
    yield from policy_exposure(subject, index, path, what)


# -- Lambda ------------------------------------------------------------------------------------------------


def _function_url(subject: Resource, _index: Index) -> Iterator[str]:
    auth = subject.known("authorizationType")
    if auth == "NONE":
        yield f"function URL {subject.label} has authorizationType NONE: anyone on the internet can invoke it"
    else:
        yield (
            f"function URL {subject.label} is a public HTTPS endpoint on the internet (authorizationType "
            f"{auth}); invoke the function through the Lambda API instead"
        )


def _organization(index: Index, subject: Resource, org: Any) -> bool:
    """True when `org` is the perimeter's organization. CannotJudge when none is configured."""
    if index.context.organization_id is None:
        raise CannotJudge(
            f"organization {org} of {subject.label} can't be judged: no organizationId is configured "
            "in the perimeter"
        )
    return org == index.context.organization_id


def _source_confined(subject: Resource, index: Index, principal: str) -> Iterator[str]:
    label = subject.label
    source_account = subject.known("sourceAccount")
    source_arn = subject.known("sourceArn")
    confined = False
    reported = False
    if source_account is not None:
        if ACCOUNT_ID.match(str(source_account)) and inside(index.context, str(source_account)):
            confined = True
        else:
            reported = True
            yield f"Lambda permission {label} allows sourceAccount {source_account}, outside the perimeter"
    if source_arn is not None:
        account = account_of(source_arn)
        if account is not None and account != "*":
            if inside(index.context, account):
                confined = True
            else:
                reported = True
                yield (
                    f"Lambda permission {label} allows sourceArn {source_arn} of account {account}, "
                    "outside the perimeter"
                )
        elif account is None and bucket_of_plan(subject, "sourceArn", source_arn, index):
            confined = True
    if not confined and not reported:
        yield (
            f"Lambda permission {label} allows service {principal} with no sourceAccount or sourceArn "
            "inside the perimeter, so resources of any account can invoke the function"
        )


def _lambda_permission(subject: Resource, index: Index) -> Iterator[str]:
    label = subject.label
    principal = str(subject.known("principal"))
    org = subject.known("principalOrgId")
    if subject.known("functionUrlAuthType") == "NONE":
        yield f"Lambda permission {label} allows unauthenticated calls through a function URL (NONE)"
    org_ok = org is not None and _organization(index, subject, org)
    if org is not None and not org_ok:
        yield f"Lambda permission {label} allows organization {org}, outside the perimeter"
    if _SERVICE_PRINCIPAL.match(principal):
        yield from _source_confined(subject, index, principal)
        return
    account = account_of(principal)
    if account == "*":
        if org is None:
            yield f"Lambda permission {label} allows principal '*' (every AWS account) with no principalOrgId"
    elif account is None:
        yield f"Lambda permission {label} allows principal '{principal}', which names no account"
    elif _outside(index, account):
        yield (
            f"Lambda permission {label} allows principal '{principal}' of account {account}, outside the "
            "perimeter"
        )


def _layer_permission(subject: Resource, index: Index) -> Iterator[str]:
    label = subject.label
    principal = str(subject.known("principal"))
    org = subject.known("organizationId")
    if org is not None and not _organization(index, subject, org):
        yield f"layer permission {label} shares the layer with organization {org}, outside the perimeter"
    account = account_of(principal)
    if account == "*":
        if org is None:
            yield f"layer permission {label} shares the layer with principal '*' (every AWS account)"
    elif account is None:
        yield f"layer permission {label} shares the layer with '{principal}', which names no account"
    elif _outside(index, account):
        yield f"layer permission {label} shares the layer with account {account}, outside the perimeter"


def _function_in_vpc(subject: Resource, _index: Index) -> Iterator[str]:
    if not subject.known("vpcConfig.subnetIds"):
        yield f"Lambda function {subject.label} has no vpcConfig.subnetIds, so it runs outside the VPC"
    elif not subject.known("vpcConfig.securityGroupIds"):
        yield f"Lambda function {subject.label} has no vpcConfig.securityGroupIds"


def _has_environment(subject: Resource, _index: Index) -> bool:
    variables = subject.get("environment.variables")
    return variables is UNKNOWN or bool(variables)


def _function_key(subject: Resource, index: Index) -> Iterator[str]:
    yield from key_findings(subject, index, "kmsKeyArn", "Lambda function")


def _function_code(subject: Resource, index: Index) -> Iterator[str]:
    for i, layer in enumerate(subject.known("layers", []) or []):
        if layer is UNKNOWN:
            raise UnknownValue(subject.label, f"layers.{i}")
        account = account_of(layer)
        if account is None or _outside(index, account):
            yield f"Lambda function {subject.label} uses layer {layer} of an account outside the perimeter"
    image = subject.known("imageUri")
    if image:
        match = _PRIVATE_ECR.match(str(image).split("/")[0])
        if match is None or _outside(index, match.group("account")):
            yield (
                f"Lambda function {subject.label} runs image {image}, not from an ECR registry of the "
                "perimeter"
            )
    yield from _package_sources(subject, index, "Lambda function")


def _remote_uris(value: Any) -> Iterator[str]:
    """The ``uri`` of every RemoteAsset and RemoteArchive in an asset or archive (nested AssetArchives
    included), in the wire form or as pulumi_policy's objects normalised."""
    if isinstance(value, Mapping):
        uri = value.get("uri")
        if uri is not None:
            yield str(uri)
        assets = value.get("assets")
        if isinstance(assets, Mapping):
            for item in assets.values():
                yield from _remote_uris(item)


def _package_sources(subject: Resource, index: Index, what: str) -> Iterator[str]:
    """A Zip package (function or layer) from a bucket that is not the stack's, or with parts fetched from
    a URL at deployment (RemoteAsset, RemoteArchive): code from outside the perimeter."""
    source = subject.get("s3Bucket")
    if (source is UNKNOWN or source) and not bucket_of_plan(subject, "s3Bucket", source, index):
        yield (
            f"{what} {subject.label} runs code from S3 bucket {source} (s3Bucket), which is no bucket of "
            "this stack"
        )
    code = subject.get("code")
    if code is UNKNOWN:
        raise UnknownValue(subject.label, "code")
    for uri in _remote_uris(code):
        yield (
            f"{what} {subject.label} packages code fetched from {uri} (a RemoteAsset or RemoteArchive) at "
            "deployment, from outside the perimeter"
        )


def _lambda_code(subject: Resource, index: Index) -> Iterator[str]:
    if subject.type == LAYER_VERSION:
        yield from _package_sources(subject, index, "Lambda layer")
    else:
        yield from _function_code(subject, index)


# -- RDS ---------------------------------------------------------------------------------------------------

_RDS_WHAT = {
    DB_INSTANCE: "RDS instance",
    DB_CLUSTER: "RDS cluster",
    DB_CLUSTER_INSTANCE: "RDS cluster instance",
    DB_SNAPSHOT: "RDS snapshot",
    DB_CLUSTER_SNAPSHOT: "RDS cluster snapshot",
    DB_SNAPSHOT_COPY: "RDS snapshot copy",
    DB_CLUSTER_SNAPSHOT_COPY: "RDS cluster snapshot copy",
}
_IAM_AUTH_ENGINES = ("mysql", "mariadb", "postgres", "aurora")


def _same_region_replica(subject: Resource) -> bool:
    source = subject.known("replicateSourceDb")
    return bool(source) and not str(source).startswith("arn:")


def _rds_private(subject: Resource, _index: Index) -> Iterator[str]:
    what = _RDS_WHAT[subject.type]
    if is_true(subject.known("publiclyAccessible", False)):
        yield f"{what} {subject.label} sets publiclyAccessible=true"
    if subject.type == DB_CLUSTER_INSTANCE or _same_region_replica(subject):
        return
    if not subject.known("dbSubnetGroupName"):
        yield f"{what} {subject.label} sets no dbSubnetGroupName, so it runs in the default VPC"


def _rds_encrypted(subject: Resource, index: Index) -> Iterator[str]:
    what = _RDS_WHAT[subject.type]
    if subject.type in (DB_SNAPSHOT_COPY, DB_CLUSTER_SNAPSHOT_COPY):
        yield from key_findings(subject, index, "kmsKeyId", what, required=False)
        return
    replica = subject.type == DB_INSTANCE and bool(subject.known("replicateSourceDb"))
    serverless = subject.type == DB_CLUSTER and subject.known("engineMode") == "serverless"
    if not (replica or serverless) and not is_true(subject.known("storageEncrypted", False)):
        yield f"{what} {subject.label} does not set storageEncrypted=true (default false)"
        return
    yield from key_findings(subject, index, "kmsKeyId", what, required=not replica)


def _snapshot_sharing(subject: Resource, index: Index) -> Iterator[str]:
    what = _RDS_WHAT[subject.type]
    for i, value in enumerate(as_list(subject.known("sharedAccounts"))):
        if value is UNKNOWN:
            raise UnknownValue(subject.label, f"sharedAccounts.{i}")
        if str(value).lower() == "all":
            yield f"{what} {subject.label} is public: sharedAccounts includes 'all'"
            continue
        account = account_of(value)
        if account is None or _outside(index, account):
            yield f"{what} {subject.label} is shared with account {value}, outside the perimeter"


def _iam_auth_engine(subject: Resource, _index: Index) -> bool:
    engine = subject.known("engine")
    return engine is None or str(engine).startswith(_IAM_AUTH_ENGINES)


def _iam_auth(subject: Resource, _index: Index) -> Iterator[str]:
    if not is_true(subject.known("iamDatabaseAuthenticationEnabled", False)):
        yield (
            f"{_RDS_WHAT[subject.type]} {subject.label} does not set iamDatabaseAuthenticationEnabled=true "
            "(default false)"
        )


# -- ECR ---------------------------------------------------------------------------------------------------


def _ecr_key(subject: Resource, index: Index) -> Iterator[str]:
    configs = subject.known("encryptionConfigurations", []) or []
    if not configs:
        yield f"ECR repository {subject.label} sets no encryptionConfigurations, so ECR uses AES256"
    for i, config in enumerate(configs):
        kind = get(config, "encryptionType", "AES256")
        if kind is UNKNOWN:
            raise UnknownValue(subject.label, f"encryptionConfigurations.{i}.encryptionType")
        if kind not in ("KMS", "KMS_DSSE"):
            yield f"ECR repository {subject.label} encryptionType is {kind}, not KMS"
        else:
            yield from key_findings(subject, index, f"encryptionConfigurations.{i}.kmsKey", "ECR repository")


def _immutable_tags(subject: Resource, _index: Index) -> Iterator[str]:
    mode = subject.known("imageTagMutability", "MUTABLE")
    if mode not in ("IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION"):
        yield f"ECR repository {subject.label} has imageTagMutability {mode} (default MUTABLE)"
        return
    for i, item in enumerate(subject.known("imageTagMutabilityExclusionFilters", []) or []):
        pattern = get(item, "filter")
        if isinstance(pattern, str) and not pattern.strip("*"):
            yield (f"ECR repository {subject.label} exclusion filter {i} '{pattern}' makes every tag mutable")


def _pull_through_cache(subject: Resource, index: Index) -> Iterator[str]:
    url = str(subject.known("upstreamRegistryUrl"))
    host = url.removeprefix("https://").split("/")[0]
    match = _PRIVATE_ECR.match(host)
    if match is None:
        yield f"pull through cache rule {subject.label} pulls images from {url}, a registry on the internet"
    elif _outside(index, match.group("account")):
        yield (
            f"pull through cache rule {subject.label} pulls images from account {match.group('account')}, "
            "outside the perimeter"
        )


def _ecr_replication(subject: Resource, index: Index) -> Iterator[str]:
    rules = subject.known("replicationConfiguration.rules", []) or []
    for i, rule in enumerate(rules):
        for j, destination in enumerate(get(rule, "destinations", []) or []):
            registry = get(destination, "registryId")
            if registry is UNKNOWN:
                raise UnknownValue(subject.label, f"replicationConfiguration.rules.{i}.destinations.{j}")
            account = account_of(registry)
            if account is None or _outside(index, account):
                yield (
                    f"ECR replication {subject.label} rule {i} replicates images to registry {registry}, "
                    "outside the perimeter"
                )


# -- CodeArtifact ------------------------------------------------------------------------------------------


def _external_connections(subject: Resource, _index: Index) -> Iterator[str]:
    for connection in as_list(subject.known("externalConnections")):
        name = get(connection, "externalConnectionName")
        if name is UNKNOWN:
            raise UnknownValue(subject.label, "externalConnections.externalConnectionName")
        yield (
            f"CodeArtifact repository {subject.label} has external connection {name}: packages from the "
            "internet reach the workspace unreviewed"
        )


def _codeartifact_sources(subject: Resource, index: Index) -> Iterator[str]:
    owner = subject.known("domainOwner")
    if owner is not None:
        account = account_of(owner)
        if account is None or _outside(index, account):
            yield (
                f"CodeArtifact repository {subject.label} is in a domain of account {owner}, outside the "
                "perimeter"
            )
    deps = depends_on(subject, index, "upstreams", (CODEARTIFACT_REPOSITORY,))
    upstreams = subject.get("upstreams")
    if upstreams is UNKNOWN:
        if deps:
            return
        raise UnknownValue(subject.label, "upstreams")
    names = {r.get("repository") for r in index.of_type(CODEARTIFACT_REPOSITORY)}
    for i, upstream in enumerate(upstreams or []):
        name = get(upstream, "repositoryName")
        if name is UNKNOWN:
            if deps:
                continue
            raise UnknownValue(subject.label, f"upstreams.{i}.repositoryName")
        if name not in names:
            yield (
                f"CodeArtifact repository {subject.label} has upstream {name}, which is not a repository of "
                "the plan, so what it pulls from cannot be judged"
            )


def _codeartifact_key(subject: Resource, index: Index) -> Iterator[str]:
    yield from key_findings(subject, index, "encryptionKey", "CodeArtifact domain")


# -- the controls ------------------------------------------------------------------------------------------

_NIST_FLOW = ("AC-4", "SC-7", "SC-7(10)")
_NIST_SHARE = ("AC-3", "AC-4", "AC-21")
_NIST_AT_REST = ("SC-28", "SC-28(1)", "SC-12")
_NIST_SUPPLY = ("CM-7(5)", "SR-3", "SI-7")

CONTROLS: tuple[Control, ...] = (
    Control(
        id="SR-NET-030",
        title="Log subscriptions deliver only to destinations inside the perimeter",
        severity="critical",
        enforcement="mandatory",
        resource_types=(SUBSCRIPTION_FILTER, LOG_DESTINATION, LOG_ACCOUNT_POLICY),
        scope="stack",
        applies=_delivers_logs,
        applicability="subscription filters, log destinations, SUBSCRIPTION_FILTER_POLICY account policies",
        rationale=(
            "A subscription streams every log event to its destination: a Kinesis stream, Firehose, Lambda "
            "or log destination in another account receives the environment's logs as they are written."
        ),
        frameworks={"NIST-800-53-r5": (*_NIST_FLOW, "AU-9")},
        framework_note="No CIS or FSBP control judges where log subscriptions deliver.",
        remediation=(
            "Point destination_arn / target_arn at a stream, Firehose or function of the stack, in an "
            "account listed in strongroom:perimeter."
        ),
        predicate=_log_destinations,
        tags=("services", "logging", "perimeter"),
    ),
    Control(
        id="SR-NET-031",
        title="No Lambda function URLs",
        severity="critical",
        enforcement="mandatory",
        resource_types=(FUNCTION_URL,),
        rationale=(
            "A function URL is an HTTPS endpoint on the internet that cannot be bound to the VPC or to a VPC "
            "endpoint; with AWS_IAM any stolen credential reaches it from anywhere, with NONE anyone does. "
            "A Strongroom environment has no way in from the internet, so none is allowed."
        ),
        frameworks={"NIST-800-53-r5": ("SC-7", "AC-17", "AC-4")},
        framework_note="FSBP Lambda.1 covers public function policies, not function URLs as such.",
        remediation="Remove the FunctionUrl; invoke the function through the Lambda API (VPC endpoint).",
        predicate=_function_url,
        tags=("services", "lambda", "internet"),
    ),
    Control(
        id="SR-NET-032",
        title="Lambda functions run in the VPC",
        severity="high",
        enforcement="mandatory",
        resource_types=(FUNCTION,),
        rationale=(
            "Outside a VPC a function has direct internet access through Lambda's own network, beyond the "
            "environment's routes, security groups and endpoint policies."
        ),
        frameworks={"NIST-800-53-r5": ("SC-7", "AC-4"), "AWS-FSBP": ("Lambda.3",)},
        remediation="Set vpc_config with the private subnet_ids and a security group of the environment.",
        predicate=_function_in_vpc,
        tags=("services", "lambda", "internet"),
    ),
    Control(
        id="SR-NET-033",
        title="RDS databases are private and in the environment's subnets",
        severity="critical",
        enforcement="mandatory",
        resource_types=(DB_INSTANCE, DB_CLUSTER, DB_CLUSTER_INSTANCE),
        rationale=(
            "A publicly accessible database gets a public DNS name and address; without a subnet group it "
            "runs in the default VPC, which AWS makes public when that VPC has an internet gateway."
        ),
        frameworks={"NIST-800-53-r5": ("SC-7", "AC-3"), "AWS-FSBP": ("RDS.2",), "CIS-AWS-3.0": ("2.3.3",)},
        remediation="Set publicly_accessible=False and db_subnet_group_name to a group of private subnets.",
        predicate=_rds_private,
        tags=("services", "rds", "internet"),
    ),
    Control(
        id="SR-NET-034",
        title="ECR replicates only to registries inside the perimeter",
        severity="critical",
        enforcement="mandatory",
        resource_types=(ECR_REPLICATION,),
        rationale="Replication copies every image, with the models and code baked in, to the destination.",
        frameworks={"NIST-800-53-r5": _NIST_FLOW},
        framework_note="No CIS or FSBP control judges ECR replication destinations.",
        remediation="Replicate only to registry IDs (accounts) listed in strongroom:perimeter.",
        predicate=_ecr_replication,
        tags=("services", "ecr", "perimeter"),
    ),
    Control(
        id="SR-NET-035",
        title="CodeArtifact repositories live in the perimeter and pull only from repositories of the plan",
        severity="high",
        enforcement="mandatory",
        resource_types=(CODEARTIFACT_REPOSITORY,),
        scope="stack",
        rationale=(
            "A repository in another account's domain stores what the workspace publishes there; an upstream "
            "the plan does not create may carry any external connection."
        ),
        frameworks={"NIST-800-53-r5": (*_NIST_FLOW, "SR-3")},
        framework_note="No CIS or FSBP control covers CodeArtifact.",
        remediation="Leave domain_owner unset or an account of the perimeter; create upstreams in the stack.",
        predicate=_codeartifact_sources,
        tags=("services", "codeartifact", "perimeter"),
    ),
    Control(
        id="SR-ENC-020",
        title="Lambda environment variables are encrypted with a key of the stack",
        severity="medium",
        enforcement="mandatory",
        resource_types=(FUNCTION,),
        scope="stack",
        applies=_has_environment,
        applicability="functions with environment variables",
        rationale="Environment variables often hold connection strings and endpoints of the data stores.",
        frameworks={"NIST-800-53-r5": _NIST_AT_REST},
        framework_note="No CIS or FSBP control requires a customer managed key for Lambda variables.",
        remediation="Set kms_key_arn=<key of the stack>.arn.",
        predicate=_function_key,
        tags=("services", "lambda", "encryption"),
    ),
    Control(
        id="SR-ENC-021",
        title="RDS storage and snapshot copies are encrypted with a key of the stack",
        severity="high",
        enforcement="mandatory",
        resource_types=(DB_INSTANCE, DB_CLUSTER, DB_SNAPSHOT_COPY, DB_CLUSTER_SNAPSHOT_COPY),
        scope="stack",
        rationale=(
            "Unencrypted storage and snapshots expose the data to anyone who gets a copy; a key outside the "
            "stack puts every read under another key policy."
        ),
        frameworks={
            "NIST-800-53-r5": _NIST_AT_REST,
            "AWS-FSBP": ("RDS.3", "RDS.4", "RDS.27"),
            "CIS-AWS-3.0": ("2.3.1",),
        },
        remediation="Set storage_encrypted=True and kms_key_id=<key of the stack>.arn.",
        predicate=_rds_encrypted,
        tags=("services", "rds", "encryption"),
    ),
    Control(
        id="SR-ENC-022",
        title="ECR repositories are encrypted with a key of the stack",
        severity="medium",
        enforcement="mandatory",
        resource_types=(ECR_REPOSITORY,),
        scope="stack",
        rationale="Images carry model weights and code; a key of the stack puts every pull under its policy.",
        frameworks={"NIST-800-53-r5": _NIST_AT_REST},
        framework_note="No CIS or FSBP control requires KMS on ECR repositories.",
        remediation="Set encryption_configurations=[{'encryption_type': 'KMS', 'kms_key': <key>.arn}].",
        predicate=_ecr_key,
        tags=("services", "ecr", "encryption"),
    ),
    Control(
        id="SR-ENC-023",
        title="CodeArtifact domains are encrypted with a key of the stack",
        severity="medium",
        enforcement="mandatory",
        resource_types=(CODEARTIFACT_DOMAIN,),
        scope="stack",
        rationale="The domain stores every package the workspace installs or publishes, internal ones too.",
        frameworks={"NIST-800-53-r5": _NIST_AT_REST},
        framework_note="No CIS or FSBP control covers CodeArtifact.",
        remediation="Set encryption_key=<key of the stack>.arn (default: the AWS managed key).",
        predicate=_codeartifact_key,
        tags=("services", "codeartifact", "encryption"),
    ),
    Control(
        id="SR-IAM-020",
        title="Service resource policies reach no one outside the perimeter",
        severity="critical",
        enforcement="mandatory",
        resource_types=tuple(_RESOURCE_POLICIES),
        rationale=(
            "Log destination, log resource, Lambda, ECR and CodeArtifact policies grant access to principals "
            "of any account they name; '*' without a condition confining callers is public."
        ),
        frameworks={"NIST-800-53-r5": _NIST_SHARE, "AWS-FSBP": ("Lambda.1",)},
        remediation=(
            "Name principals of the perimeter's accounts, or confine '*' with aws:PrincipalOrgID or "
            "aws:PrincipalAccount (StringEquals)."
        ),
        predicate=_resource_policy,
        tags=("services", "perimeter"),
    ),
    Control(
        id="SR-IAM-021",
        title="Lambda permissions allow only callers inside the perimeter",
        severity="critical",
        enforcement="mandatory",
        resource_types=(PERMISSION,),
        scope="stack",
        rationale=(
            "A permission for '*', another account or another organization lets them invoke the function; "
            "a service principal without sourceAccount or sourceArn lets that service act for any account."
        ),
        frameworks={"NIST-800-53-r5": _NIST_SHARE, "AWS-FSBP": ("Lambda.1",)},
        remediation=(
            "Name a principal of the perimeter; for services, set source_account or source_arn; never "
            "function_url_auth_type NONE."
        ),
        predicate=_lambda_permission,
        tags=("services", "lambda", "perimeter"),
    ),
    Control(
        id="SR-IAM-022",
        title="Lambda layers are shared only inside the perimeter",
        severity="high",
        enforcement="mandatory",
        resource_types=(LAYER_PERMISSION,),
        rationale="A shared layer gives its code, and any data or secrets baked into it, to the grantee.",
        frameworks={"NIST-800-53-r5": _NIST_SHARE},
        framework_note="No CIS or FSBP control judges layer permissions.",
        remediation="Share with an account of the perimeter, or with '*' and the bank's organization_id.",
        predicate=_layer_permission,
        tags=("services", "lambda", "perimeter"),
    ),
    Control(
        id="SR-IAM-023",
        title="RDS snapshots are shared only inside the perimeter",
        severity="critical",
        enforcement="mandatory",
        resource_types=(DB_SNAPSHOT, DB_CLUSTER_SNAPSHOT, DB_SNAPSHOT_COPY, DB_CLUSTER_SNAPSHOT_COPY),
        rationale="A shared snapshot is a full copy of the database for the grantee; 'all' makes it public.",
        frameworks={"NIST-800-53-r5": _NIST_SHARE, "AWS-FSBP": ("RDS.1",)},
        remediation="List only accounts of the perimeter in shared_accounts, never 'all'.",
        predicate=_snapshot_sharing,
        tags=("services", "rds", "perimeter"),
    ),
    Control(
        id="SR-IAM-024",
        title="RDS databases accept IAM authentication",
        severity="medium",
        enforcement="mandatory",
        resource_types=(DB_INSTANCE, DB_CLUSTER),
        applies=_iam_auth_engine,
        applicability="MySQL, MariaDB, PostgreSQL and Aurora engines (those that support IAM authentication)",
        rationale="IAM authentication puts database logins under roles, short-lived tokens and CloudTrail.",
        frameworks={"NIST-800-53-r5": ("IA-2", "IA-5", "AC-2"), "AWS-FSBP": ("RDS.10", "RDS.12")},
        remediation="Set iam_database_authentication_enabled=True.",
        predicate=_iam_auth,
        tags=("services", "rds", "identity"),
    ),
    Control(
        id="SR-WS-009",
        title="ECR image tags are immutable",
        severity="medium",
        enforcement="mandatory",
        resource_types=(ECR_REPOSITORY,),
        rationale="A mutable tag lets anyone with push rights replace the image a job or endpoint runs.",
        frameworks={"NIST-800-53-r5": ("CM-5", "SI-7"), "AWS-FSBP": ("ECR.2",)},
        remediation="Set image_tag_mutability='IMMUTABLE' (exclusion filters must not match every tag).",
        predicate=_immutable_tags,
        tags=("services", "ecr", "supply-chain"),
    ),
    Control(
        id="SR-WS-010",
        title="ECR pull-through caches pull only from registries of the perimeter",
        severity="high",
        enforcement="mandatory",
        resource_types=(ECR_PULL_THROUGH_CACHE,),
        rationale=(
            "A pull-through cache to Docker Hub, Quay, GitHub or ECR Public brings untrusted code from the "
            "internet into the environment, past the network that has no path to it."
        ),
        frameworks={"NIST-800-53-r5": _NIST_SUPPLY},
        framework_note="No CIS or FSBP control covers ECR pull-through caches.",
        remediation="Remove the rule; push reviewed images to an ECR repository of the stack.",
        predicate=_pull_through_cache,
        tags=("services", "ecr", "supply-chain", "internet"),
    ),
    Control(
        id="SR-WS-011",
        title="CodeArtifact external connections are reviewed",
        severity="medium",
        enforcement="advisory",
        resource_types=(CODEARTIFACT_REPOSITORY,),
        rationale=(
            "An external connection (public:pypi, ...) fetches packages from the internet on request. It is "
            "how the environment installs packages by design (README, Installing packages without internet), "
            "so it is reported, not blocked; the packages must be reviewed or pinned."
        ),
        frameworks={"NIST-800-53-r5": _NIST_SUPPLY},
        framework_note="No CIS or FSBP control covers CodeArtifact.",
        remediation="Keep the external connection on one store repository; pin versions; review packages.",
        predicate=_external_connections,
        tags=("services", "codeartifact", "supply-chain", "internet"),
    ),
    Control(
        id="SR-WS-018",
        title="Lambda code comes from inside the perimeter",
        severity="high",
        enforcement="mandatory",
        resource_types=(FUNCTION, LAYER_VERSION),
        rationale=(
            "A layer or image of another account, or a Zip package from a bucket the stack does not own or "
            "fetched from a URL at deployment, is code the bank does not control, run with its data."
        ),
        frameworks={"NIST-800-53-r5": _NIST_SUPPLY},
        framework_note="No CIS or FSBP control judges where Lambda layers, images and packages come from.",
        remediation=(
            "Publish layers and push images in an account of the perimeter; deploy Zip code from the "
            "program (filename, an archive) or from a bucket of the stack (s3Bucket=<bucket>.id)."
        ),
        predicate=_lambda_code,
        tags=("services", "lambda", "supply-chain"),
    ),
)
