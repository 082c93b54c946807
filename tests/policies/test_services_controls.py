"""Service controls: log subscriptions, Lambda, RDS, ECR and CodeArtifact, judged with the perimeter."""

from __future__ import annotations

import json
from typing import Any

from controls_support import (  # the test_* names run here over SPECS, parametrized in conftest.py
    TRUSTED_ACCOUNTS,
    Break,
    Spec,
    doc,
    res,
    test_compliant_baseline_has_no_violation,  # noqa: F401
    test_control_does_not_apply_elsewhere,  # noqa: F401
    test_each_break_reports_the_exact_message,  # noqa: F401
)

from strongroom.policies.controls.services import (
    CODEARTIFACT_DOMAIN,
    CODEARTIFACT_DOMAIN_POLICY,
    CODEARTIFACT_REPOSITORY,
    CODEARTIFACT_REPOSITORY_POLICY,
    DB_CLUSTER,
    DB_CLUSTER_INSTANCE,
    DB_INSTANCE,
    DB_SNAPSHOT,
    DB_SNAPSHOT_COPY,
    ECR_PULL_THROUGH_CACHE,
    ECR_REGISTRY_POLICY,
    ECR_REPLICATION,
    ECR_REPOSITORY,
    ECR_REPOSITORY_POLICY,
    FUNCTION,
    FUNCTION_URL,
    LAMBDA_RESOURCE_POLICY,
    LAYER_PERMISSION,
    LAYER_VERSION,
    LOG_ACCOUNT_POLICY,
    LOG_DESTINATION,
    LOG_DESTINATION_POLICY,
    LOG_RESOURCE_POLICY,
    PERMISSION,
    SUBSCRIPTION_FILTER,
)
from strongroom.policies.props import UNKNOWN, Context, Resource
from strongroom.policies.references import BUCKET, KEY

IN = "123456789012"
OUT = "999999999999"
ORG = "o-abcdefghij"
WITH_ORG = Context(trusted_accounts=TRUSTED_ACCOUNTS, organization_id=ORG)
NO_PERIMETER = Context()
NOT_JUDGED = (
    "account {} can't be judged: no perimeter is configured (strongroom:perimeter.trustedAccounts / "
    "organizationId, or the pack's policy config)"
)
KEY_ARN = f"arn:aws:kms:eu-west-2:{IN}:key/1111-2222"
OUT_KEY = f"arn:aws:kms:eu-west-2:{OUT}:key/3333-4444"
NOT_IN_PLAN_KEY = f"arn:aws:kms:eu-west-2:{IN}:key/not-in-plan"
OUT_STREAM = f"arn:aws:kinesis:eu-west-2:{OUT}:stream/exfil"

key = res(KEY, "key", arn=KEY_ARN)
preview_key = res(KEY, "key", arn=UNKNOWN)
"""The key as a preview sees it: its ARN is not known until it is created."""
stream = res("aws:kinesis/stream:Stream", "stream")
bucket = res(BUCKET, "data", bucket="team-data")


def unknown_from(name: str, type_: str, prop: str, source: Resource, **props: Any) -> Resource:
    """A resource whose `prop` is computed from `source` (unknown during preview)."""
    return res(type_, name, deps={prop: [source]}, **{prop: UNKNOWN}, **props)


def allow(principal: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": "*", "Resource": "*", **extra}


# -- CloudWatch Logs ---------------------------------------------------------------------------------------

to_stream = unknown_from("to-stream", SUBSCRIPTION_FILTER, "destinationArn", stream, logGroup="/flow")
to_firehose = res(
    SUBSCRIPTION_FILTER, "to-firehose", destinationArn=f"arn:aws:firehose:eu-west-2:{IN}:deliverystream/x"
)
destination = res(LOG_DESTINATION, "dest", targetArn=f"arn:aws:kinesis:eu-west-2:{IN}:stream/central")
account_policy = res(
    LOG_ACCOUNT_POLICY,
    "subscribe-all",
    policyType="SUBSCRIPTION_FILTER_POLICY",
    policyDocument=json.dumps({"DestinationArn": f"arn:aws:lambda:eu-west-2:{IN}:function:f"}),
)
data_protection = res(LOG_ACCOUNT_POLICY, "mask", policyType="DATA_PROTECTION_POLICY", policyDocument="{}")


def subscription(destination_arn: Any, **deps: list[Resource]) -> Resource:
    return res(SUBSCRIPTION_FILTER, "f", deps=deps or None, destinationArn=destination_arn)


# -- Lambda ------------------------------------------------------------------------------------------------

function = res(
    FUNCTION,
    "fn",
    vpcConfig={"subnetIds": ["subnet-1"], "securityGroupIds": ["sg-1"]},
    environment={"variables": {"TABLE": "t"}},
    kmsKeyArn=KEY_ARN,
    layers=[f"arn:aws:lambda:eu-west-2:{IN}:layer:common:3"],
    imageUri=f"{IN}.dkr.ecr.eu-west-2.amazonaws.com/fn:1.0",
)
plain_function = res(FUNCTION, "plain", vpcConfig={"subnetIds": ["subnet-1"], "securityGroupIds": ["sg-1"]})


# Assets and archives in the engine's wire form (pulumi.runtime.rpc signatures), as a plan holds them.
SIG = "4dabf18193072939515e22adb298388d"
ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"
REMOTE = "https://example.com/payload.py"
REMOTE_CODE = (
    "{what} '{name}' packages code fetched from " + REMOTE + " (a RemoteAsset or RemoteArchive) at "
    "deployment, from outside the perimeter"
)

FOREIGN_CODE = (
    "Lambda function 'fn' runs code from S3 bucket exfil-bucket (s3Bucket), which is no bucket of this stack"
)


def function_with(**changes: Any) -> Resource:
    props = {k: v for k, v in (dict(function.props) | changes).items() if v is not None}
    return res(FUNCTION, "fn", **props)


def permission(name: str = "p", **props: Any) -> Resource:
    return res(PERMISSION, name, **({"action": "lambda:InvokeFunction", "function": "fn"} | props))


# -- RDS ---------------------------------------------------------------------------------------------------

db = res(
    DB_INSTANCE,
    "db",
    engine="postgres",
    dbSubnetGroupName="private",
    storageEncrypted=True,
    kmsKeyId=KEY_ARN,
    iamDatabaseAuthenticationEnabled=True,
)
cluster = res(
    DB_CLUSTER,
    "aurora",
    engine="aurora-postgresql",
    dbSubnetGroupName="private",
    storageEncrypted=True,
    iamDatabaseAuthenticationEnabled=True,
    deps={"kmsKeyId": [key]},
    kmsKeyId=UNKNOWN,
)
cluster_instance = res(
    DB_CLUSTER_INSTANCE, "aurora-1", clusterIdentifier="aurora", instanceClass="db.r6g.large"
)
snapshot = res(DB_SNAPSHOT, "snap", dbInstanceIdentifier="db", sharedAccounts=["333333333333"])


def db_with(**changes: Any) -> Resource:
    props = {k: v for k, v in (dict(db.props) | changes).items() if v is not None}
    return res(DB_INSTANCE, "db", **props)


# -- ECR ---------------------------------------------------------------------------------------------------

repository = res(
    ECR_REPOSITORY,
    "images",
    imageTagMutability="IMMUTABLE",
    encryptionConfigurations=[{"encryptionType": "KMS", "kmsKey": KEY_ARN}],
)
repository_policy = res(ECR_REPOSITORY_POLICY, "images-policy", repository="images", policy=doc(allow(IN)))


def ecr_with(**changes: Any) -> Resource:
    props = {k: v for k, v in (dict(repository.props) | changes).items() if v is not None}
    return res(ECR_REPOSITORY, "images", **props)


def cache(url: str) -> Resource:
    return res(ECR_PULL_THROUGH_CACHE, "cache", ecrRepositoryPrefix="hub", upstreamRegistryUrl=url)


def replication(registry: Any) -> Resource:
    return res(
        ECR_REPLICATION,
        "replicate",
        replicationConfiguration={
            "rules": [{"destinations": [{"region": "eu-west-1", "registryId": registry}]}]
        },
    )


# -- CodeArtifact ------------------------------------------------------------------------------------------

ca_domain = res(CODEARTIFACT_DOMAIN, "packages", domain="bank", encryptionKey=KEY_ARN)
store = res(
    CODEARTIFACT_REPOSITORY,
    "store",
    domain="bank",
    repository="store",
    externalConnections={"externalConnectionName": "public:pypi"},
)
team = res(
    CODEARTIFACT_REPOSITORY, "team", domain="bank", repository="team", upstreams=[{"repositoryName": "store"}]
)


def team_with(**changes: Any) -> Resource:
    props = {k: v for k, v in (dict(team.props) | changes).items() if v is not None}
    return res(CODEARTIFACT_REPOSITORY, "team", **props)


EXPOSED_STAR = (
    "allows principal '*' with no condition confining callers to the perimeter (aws:PrincipalAccount, "
    "aws:PrincipalOrgID, aws:SourceVpce, ... with StringEquals)"
)

SPECS: dict[str, Spec] = {
    "SR-NET-030": Spec(
        baseline=[stream, to_stream, to_firehose, destination, account_policy, data_protection],
        breaks=[
            Break(
                "other-account",
                [subscription(OUT_STREAM)],
                "f",
                [
                    f"subscription filter 'f' sends logs to {OUT_STREAM} in account {OUT}, outside the "
                    "perimeter"
                ],
            ),
            Break(
                "computed-from-the-plan-but-names-another-account",
                [stream, subscription(OUT_STREAM, destinationArn=[stream])],
                "f",
                [
                    f"subscription filter 'f' sends logs to {OUT_STREAM} in account {OUT}, outside the "
                    "perimeter"
                ],
            ),
            Break(
                "wildcard-account",
                [subscription("arn:aws:lambda:eu-west-2:*:function:x")],
                "f",
                [
                    "subscription filter 'f' sends logs to arn:aws:lambda:eu-west-2:*:function:x in account "
                    "*, "
                    "outside the perimeter"
                ],
            ),
            Break(
                "names-no-account",
                [subscription("exfil")],
                "f",
                ["subscription filter 'f' sends logs to 'exfil', which names no account of the perimeter"],
            ),
            Break(
                "unknown-without-dependency",
                [subscription(UNKNOWN)],
                "f",
                ["destinationArn of 'f' can't be known during preview"],
            ),
            Break(
                "destination-forwards-outside",
                [res(LOG_DESTINATION, "dest", targetArn=OUT_STREAM)],
                "dest",
                [
                    f"log destination 'dest' sends logs to {OUT_STREAM} in account {OUT}, outside the "
                    "perimeter"
                ],
            ),
            Break(
                "account-wide-subscription-outside",
                [
                    res(
                        LOG_ACCOUNT_POLICY,
                        "all",
                        policyType="SUBSCRIPTION_FILTER_POLICY",
                        policyDocument=f'{{"DestinationArn": "{OUT_STREAM}", "FilterPattern": ""}}',
                    )
                ],
                "all",
                [
                    f"account subscription policy 'all' sends logs to {OUT_STREAM} in account {OUT}, outside "
                    "the perimeter"
                ],
            ),
            Break(
                "account-policy-not-json",
                [res(LOG_ACCOUNT_POLICY, "all", policyType="SUBSCRIPTION_FILTER_POLICY", policyDocument="{")],
                "all",
                [
                    "account subscription policy 'all' policyDocument is not valid JSON (Expecting property "
                    "name enclosed in double quotes at character 1)"
                ],
            ),
            Break(
                "no-perimeter",
                [subscription(OUT_STREAM)],
                "f",
                [NOT_JUDGED.format(OUT)],
                context=NO_PERIMETER,
            ),
        ],
        not_applicable=[data_protection, stream],
    ),
    "SR-NET-031": Spec(
        baseline=[function],
        forbidden=True,
        breaks=[
            Break(
                "public",
                [res(FUNCTION_URL, "url", functionName="fn", authorizationType="NONE")],
                "url",
                ["function URL 'url' has authorizationType NONE: anyone on the internet can invoke it"],
            ),
            Break(
                "iam",
                [res(FUNCTION_URL, "url", functionName="fn", authorizationType="AWS_IAM")],
                "url",
                [
                    "function URL 'url' is a public HTTPS endpoint on the internet (authorizationType "
                    "AWS_IAM); "
                    "invoke the function through the Lambda API instead"
                ],
            ),
        ],
        not_applicable=[function],
    ),
    "SR-NET-032": Spec(
        baseline=[function],
        breaks=[
            Break(
                "no-vpc",
                [function_with(vpcConfig=None)],
                "fn",
                ["Lambda function 'fn' has no vpcConfig.subnetIds, so it runs outside the VPC"],
            ),
            Break(
                "empty-subnets",
                [function_with(vpcConfig={"subnetIds": [], "securityGroupIds": ["sg-1"]})],
                "fn",
                ["Lambda function 'fn' has no vpcConfig.subnetIds, so it runs outside the VPC"],
            ),
            Break(
                "no-security-group",
                [function_with(vpcConfig={"subnetIds": ["subnet-1"]})],
                "fn",
                ["Lambda function 'fn' has no vpcConfig.securityGroupIds"],
            ),
        ],
        not_applicable=[res(FUNCTION_URL, "url", authorizationType="AWS_IAM")],
    ),
    "SR-NET-033": Spec(
        baseline=[db, cluster, cluster_instance, res(DB_INSTANCE, "replica", replicateSourceDb="db")],
        breaks=[
            Break(
                "public",
                [db_with(publiclyAccessible=True)],
                "db",
                ["RDS instance 'db' sets publiclyAccessible=true"],
            ),
            Break(
                "public-as-string",
                [db_with(publiclyAccessible="true")],
                "db",
                ["RDS instance 'db' sets publiclyAccessible=true"],
            ),
            Break(
                "default-vpc",
                [db_with(dbSubnetGroupName=None)],
                "db",
                ["RDS instance 'db' sets no dbSubnetGroupName, so it runs in the default VPC"],
            ),
            Break(
                "cross-region-replica-in-default-vpc",
                [res(DB_INSTANCE, "replica", replicateSourceDb=f"arn:aws:rds:eu-west-1:{IN}:db:db")],
                "replica",
                ["RDS instance 'replica' sets no dbSubnetGroupName, so it runs in the default VPC"],
            ),
            Break(
                "public-cluster-instance",
                [res(DB_CLUSTER_INSTANCE, "aurora-1", clusterIdentifier="aurora", publiclyAccessible=True)],
                "aurora-1",
                ["RDS cluster instance 'aurora-1' sets publiclyAccessible=true"],
            ),
            Break(
                "cluster-default-vpc",
                [res(DB_CLUSTER, "aurora", engine="aurora-postgresql")],
                "aurora",
                ["RDS cluster 'aurora' sets no dbSubnetGroupName, so it runs in the default VPC"],
            ),
        ],
        not_applicable=[snapshot],
    ),
    "SR-NET-034": Spec(
        baseline=[replication(IN)],
        breaks=[
            Break(
                "other-account",
                [replication(OUT)],
                "replicate",
                [
                    f"ECR replication 'replicate' rule 0 replicates images to registry {OUT}, outside the "
                    "perimeter"
                ],
            ),
            Break(
                "not-an-account",
                [replication("public")],
                "replicate",
                [
                    "ECR replication 'replicate' rule 0 replicates images to registry public, outside the "
                    "perimeter"
                ],
            ),
            Break(
                "unknown",
                [replication(UNKNOWN)],
                "replicate",
                [
                    "replicationConfiguration.rules.0.destinations.0 of 'replicate' can't be known during "
                    "preview"
                ],
            ),
        ],
        not_applicable=[repository],
    ),
    "SR-NET-035": Spec(
        baseline=[store, team, unknown_from("late", CODEARTIFACT_REPOSITORY, "upstreams", store)],
        breaks=[
            Break(
                "domain-of-another-account",
                [store, team_with(domainOwner=OUT)],
                "team",
                [f"CodeArtifact repository 'team' is in a domain of account {OUT}, outside the perimeter"],
            ),
            Break(
                "upstream-not-in-the-plan",
                [team],
                "team",
                [
                    "CodeArtifact repository 'team' has upstream store, which is not a repository of the "
                    "plan, "
                    "so what it pulls from cannot be judged"
                ],
            ),
            Break(
                "unknown-upstream",
                [team_with(upstreams=[{"repositoryName": UNKNOWN}])],
                "team",
                ["upstreams.0.repositoryName of 'team' can't be known during preview"],
            ),
        ],
        not_applicable=[ca_domain],
    ),
    "SR-ENC-020": Spec(
        baseline=[
            key,
            function,
            unknown_from("fn2", FUNCTION, "kmsKeyArn", key, environment={"variables": {"A": "b"}}),
        ],
        breaks=[
            Break(
                "no-key",
                [function_with(kmsKeyArn=None)],
                "fn",
                ["Lambda function 'fn' does not set kmsKeyArn"],
            ),
            Break(
                "aws-managed",
                [function_with(kmsKeyArn="alias/aws/lambda")],
                "fn",
                [
                    "Lambda function 'fn' uses the AWS managed key alias/aws/lambda in kmsKeyArn, not a "
                    "customer "
                    "managed key"
                ],
            ),
            Break(
                "key-of-another-account",
                [function_with(kmsKeyArn=OUT_KEY)],
                "fn",
                [
                    f"Lambda function 'fn' uses the KMS key {OUT_KEY} in kmsKeyArn, of account {OUT} outside "
                    "the perimeter"
                ],
            ),
            Break(
                "key-not-of-the-stack",
                [key, function_with(kmsKeyArn=f"arn:aws:kms:eu-west-2:{IN}:key/other")],
                "fn",
                [
                    f"Lambda function 'fn' names arn:aws:kms:eu-west-2:{IN}:key/other in kmsKeyArn, which is "
                    "no KMS key of this stack (a customer managed key is required)"
                ],
            ),
            Break(
                "computed-from-the-stack-key-but-another-account",
                [
                    key,
                    res(
                        FUNCTION,
                        "fn",
                        deps={"kmsKeyArn": [key]},
                        environment={"variables": {"A": "b"}},
                        kmsKeyArn=OUT_KEY,
                    ),
                ],
                "fn",
                [
                    f"Lambda function 'fn' uses the KMS key {OUT_KEY} in kmsKeyArn, of account {OUT} outside "
                    "the perimeter"
                ],
            ),
            Break(
                "computed-from-the-stack-key-but-another-key-of-the-perimeter",
                [
                    preview_key,
                    res(
                        FUNCTION,
                        "fn",
                        deps={"kmsKeyArn": [preview_key]},
                        environment={"variables": {"A": "b"}},
                        kmsKeyArn=NOT_IN_PLAN_KEY,
                    ),
                ],
                "fn",
                [
                    f"Lambda function 'fn' names {NOT_IN_PLAN_KEY} in kmsKeyArn, which is no KMS key of this "
                    "stack (a customer managed key is required)"
                ],
            ),
            Break(
                "unknown-without-dependency",
                [function_with(kmsKeyArn=UNKNOWN)],
                "fn",
                ["kmsKeyArn of 'fn' can't be known during preview"],
            ),
        ],
        not_applicable=[plain_function],
    ),
    "SR-ENC-021": Spec(
        baseline=[key, db, cluster, res(DB_SNAPSHOT_COPY, "copy", kmsKeyId=KEY_ARN)],
        breaks=[
            Break(
                "unencrypted",
                [key, db_with(storageEncrypted=None)],
                "db",
                ["RDS instance 'db' does not set storageEncrypted=true (default false)"],
            ),
            Break(
                "unencrypted-as-string",
                [key, db_with(storageEncrypted="false")],
                "db",
                ["RDS instance 'db' does not set storageEncrypted=true (default false)"],
            ),
            Break(
                "aws-managed-key",
                [key, db_with(kmsKeyId=None)],
                "db",
                ["RDS instance 'db' does not set kmsKeyId"],
            ),
            Break(
                "aws-managed-alias-arn",
                [key, db_with(kmsKeyId=f"arn:aws:kms:eu-west-2:{IN}:alias/aws/rds")],
                "db",
                [
                    f"RDS instance 'db' uses the AWS managed key arn:aws:kms:eu-west-2:{IN}:alias/aws/rds in "
                    "kmsKeyId, not a customer managed key"
                ],
            ),
            Break(
                "copy-to-another-account-key",
                [res(DB_SNAPSHOT_COPY, "copy", kmsKeyId=OUT_KEY)],
                "copy",
                [
                    f"RDS snapshot copy 'copy' uses the KMS key {OUT_KEY} in kmsKeyId, of account {OUT} "
                    "outside the perimeter"
                ],
            ),
        ],
        not_applicable=[cluster_instance, snapshot],
    ),
    "SR-ENC-022": Spec(
        baseline=[key, repository],
        breaks=[
            Break(
                "default",
                [ecr_with(encryptionConfigurations=None)],
                "images",
                ["ECR repository 'images' sets no encryptionConfigurations, so ECR uses AES256"],
            ),
            Break(
                "aes",
                [ecr_with(encryptionConfigurations=[{"encryptionType": "AES256"}])],
                "images",
                ["ECR repository 'images' encryptionType is AES256, not KMS"],
            ),
            Break(
                "kms-without-key",
                [ecr_with(encryptionConfigurations=[{"encryptionType": "KMS"}])],
                "images",
                ["ECR repository 'images' does not set encryptionConfigurations.0.kmsKey"],
            ),
            Break(
                "key-of-another-account",
                [ecr_with(encryptionConfigurations=[{"encryptionType": "KMS", "kmsKey": OUT_KEY}])],
                "images",
                [
                    f"ECR repository 'images' uses the KMS key {OUT_KEY} in "
                    f"encryptionConfigurations.0.kmsKey, of account {OUT} outside the perimeter"
                ],
            ),
            Break(
                "computed-from-the-stack-key-but-another-key-of-the-perimeter",
                [
                    preview_key,
                    res(
                        ECR_REPOSITORY,
                        "images",
                        deps={"encryptionConfigurations": [preview_key]},
                        imageTagMutability="IMMUTABLE",
                        encryptionConfigurations=[{"encryptionType": "KMS", "kmsKey": NOT_IN_PLAN_KEY}],
                    ),
                ],
                "images",
                [
                    f"ECR repository 'images' names {NOT_IN_PLAN_KEY} in encryptionConfigurations.0.kmsKey, "
                    "which is no KMS key of this stack (a customer managed key is required)"
                ],
            ),
        ],
        not_applicable=[repository_policy],
    ),
    "SR-ENC-023": Spec(
        baseline=[key, ca_domain],
        breaks=[
            Break(
                "default",
                [res(CODEARTIFACT_DOMAIN, "packages", domain="bank")],
                "packages",
                ["CodeArtifact domain 'packages' does not set encryptionKey"],
            ),
            Break(
                "aws-managed",
                [res(CODEARTIFACT_DOMAIN, "packages", domain="bank", encryptionKey="alias/aws/codeartifact")],
                "packages",
                [
                    "CodeArtifact domain 'packages' uses the AWS managed key alias/aws/codeartifact in "
                    "encryptionKey, not a customer managed key"
                ],
            ),
        ],
        not_applicable=[store],
    ),
    "SR-IAM-020": Spec(
        baseline=[
            repository_policy,
            res(
                ECR_REGISTRY_POLICY,
                "registry",
                policy=doc(allow("*", Condition={"StringEquals": {"aws:PrincipalAccount": IN}})),
            ),
            res(
                LOG_RESOURCE_POLICY,
                "es",
                policyDocument=doc(
                    allow(
                        {"Service": "es.amazonaws.com"}, Condition={"StringEquals": {"aws:SourceAccount": IN}}
                    )
                ),
            ),
        ],
        breaks=[
            Break(
                "ecr-public",
                [res(ECR_REPOSITORY_POLICY, "p", policy=doc(allow("*")))],
                "p",
                [f"ECR repository policy 'p' statement 0 {EXPOSED_STAR}"],
            ),
            Break(
                "ecr-registry-other-account",
                [res(ECR_REGISTRY_POLICY, "p", policy=doc(allow({"AWS": f"arn:aws:iam::{OUT}:root"})))],
                "p",
                [
                    f"ECR registry policy 'p' statement 0 allows principal 'arn:aws:iam::{OUT}:root' of "
                    "account "
                    f"{OUT}, outside the perimeter"
                ],
            ),
            Break(
                "always-true-condition",
                [
                    res(
                        ECR_REPOSITORY_POLICY,
                        "p",
                        policy=doc(allow("*", Condition={"StringLike": {"aws:PrincipalAccount": "*"}})),
                    )
                ],
                "p",
                [f"ECR repository policy 'p' statement 0 {EXPOSED_STAR}"],
            ),
            Break(
                "log-destination-public",
                [
                    res(
                        LOG_DESTINATION_POLICY,
                        "p",
                        destinationName="d",
                        accessPolicy=doc(allow({"AWS": "*"})),
                    )
                ],
                "p",
                [f"log destination policy 'p' statement 0 {EXPOSED_STAR}"],
            ),
            Break(
                "log-resource-other-account",
                [res(LOG_RESOURCE_POLICY, "p", policyDocument=doc(allow({"AWS": OUT})))],
                "p",
                [
                    f"log resource policy 'p' statement 0 allows principal '{OUT}' of account {OUT}, "
                    "outside the perimeter"
                ],
            ),
            Break(
                "lambda-not-principal",
                [
                    res(
                        LAMBDA_RESOURCE_POLICY,
                        "p",
                        policy=doc({"Effect": "Allow", "NotPrincipal": {"AWS": IN}}),
                    )
                ],
                "p",
                [
                    "Lambda resource policy 'p' statement 0 allows NotPrincipal, i.e. every principal but "
                    "the ones named"
                ],
            ),
            Break(
                "codeartifact-repository-public",
                [res(CODEARTIFACT_REPOSITORY_POLICY, "p", repository="team", policyDocument=doc(allow("*")))],
                "p",
                [f"CodeArtifact repository policy 'p' statement 0 {EXPOSED_STAR}"],
            ),
            Break(
                "codeartifact-domain-not-json",
                [res(CODEARTIFACT_DOMAIN_POLICY, "p", domain="bank", policyDocument="[]")],
                "p",
                ["CodeArtifact domain policy 'p' policyDocument is not a JSON object"],
            ),
        ],
        not_applicable=[repository, store],
    ),
    "SR-IAM-021": Spec(
        context=WITH_ORG,
        baseline=[
            bucket,
            permission("s3", principal="s3.amazonaws.com", sourceAccount=IN),
            permission(
                "events", principal="events.amazonaws.com", sourceArn=f"arn:aws:events:eu-west-2:{IN}:rule/r"
            ),
            permission("bucket", principal="s3.amazonaws.com", sourceArn="arn:aws:s3:::team-data"),
            permission("account", principal=IN),
            permission("org", principal="*", principalOrgId=ORG),
        ],
        breaks=[
            Break(
                "everyone",
                [permission(principal="*")],
                "p",
                ["Lambda permission 'p' allows principal '*' (every AWS account) with no principalOrgId"],
            ),
            Break(
                "another-organization",
                [permission(principal="*", principalOrgId="o-zzzzzzzzzz")],
                "p",
                ["Lambda permission 'p' allows organization o-zzzzzzzzzz, outside the perimeter"],
            ),
            Break(
                "another-account",
                [permission(principal=OUT)],
                "p",
                [f"Lambda permission 'p' allows principal '{OUT}' of account {OUT}, outside the perimeter"],
            ),
            Break(
                "role-of-another-account",
                [permission(principal=f"arn:aws:iam::{OUT}:role/r")],
                "p",
                [
                    f"Lambda permission 'p' allows principal 'arn:aws:iam::{OUT}:role/r' of account {OUT}, "
                    "outside "
                    "the perimeter"
                ],
            ),
            Break(
                "service-for-any-account",
                [permission(principal="s3.amazonaws.com")],
                "p",
                [
                    "Lambda permission 'p' allows service s3.amazonaws.com with no sourceAccount or "
                    "sourceArn "
                    "inside the perimeter, so resources of any account can invoke the function"
                ],
            ),
            Break(
                "service-bucket-not-in-the-plan",
                [permission(principal="s3.amazonaws.com", sourceArn="arn:aws:s3:::someone-elses")],
                "p",
                [
                    "Lambda permission 'p' allows service s3.amazonaws.com with no sourceAccount or "
                    "sourceArn "
                    "inside the perimeter, so resources of any account can invoke the function"
                ],
            ),
            Break(
                "service-for-another-account",
                [permission(principal="sns.amazonaws.com", sourceAccount=OUT)],
                "p",
                [f"Lambda permission 'p' allows sourceAccount {OUT}, outside the perimeter"],
            ),
            Break(
                "service-source-arn-of-another-account",
                [permission(principal="sns.amazonaws.com", sourceArn=f"arn:aws:sns:eu-west-2:{OUT}:t")],
                "p",
                [
                    f"Lambda permission 'p' allows sourceArn arn:aws:sns:eu-west-2:{OUT}:t of account {OUT}, "
                    "outside the perimeter"
                ],
            ),
            Break(
                "function-url-without-auth",
                [permission(principal=IN, action="lambda:InvokeFunctionUrl", functionUrlAuthType="NONE")],
                "p",
                ["Lambda permission 'p' allows unauthenticated calls through a function URL (NONE)"],
            ),
            Break(
                "names-no-account",
                [permission(principal="example.com")],
                "p",
                ["Lambda permission 'p' allows principal 'example.com', which names no account"],
            ),
            Break(
                "organization-without-perimeter-organization",
                [permission(principal="*", principalOrgId=ORG)],
                "p",
                [
                    f"organization {ORG} of 'p' can't be judged: no organizationId is configured in the "
                    "perimeter"
                ],
                context=Context(trusted_accounts=TRUSTED_ACCOUNTS),
            ),
        ],
        not_applicable=[function],
    ),
    "SR-IAM-022": Spec(
        context=WITH_ORG,
        baseline=[
            res(LAYER_PERMISSION, "l1", layerName="common", principal=IN, action="lambda:GetLayerVersion"),
            res(LAYER_PERMISSION, "l2", layerName="common", principal="*", organizationId=ORG),
        ],
        breaks=[
            Break(
                "everyone",
                [res(LAYER_PERMISSION, "l", layerName="common", principal="*")],
                "l",
                ["layer permission 'l' shares the layer with principal '*' (every AWS account)"],
            ),
            Break(
                "another-account",
                [res(LAYER_PERMISSION, "l", layerName="common", principal=OUT)],
                "l",
                [f"layer permission 'l' shares the layer with account {OUT}, outside the perimeter"],
            ),
            Break(
                "another-organization",
                [
                    res(
                        LAYER_PERMISSION,
                        "l",
                        layerName="common",
                        principal="*",
                        organizationId="o-zzzzzzzzzz",
                    )
                ],
                "l",
                [
                    "layer permission 'l' shares the layer with organization o-zzzzzzzzzz, outside the "
                    "perimeter"
                ],
            ),
        ],
        not_applicable=[function],
    ),
    "SR-IAM-023": Spec(
        baseline=[snapshot, res(DB_SNAPSHOT, "private", dbInstanceIdentifier="db")],
        breaks=[
            Break(
                "public",
                [res(DB_SNAPSHOT, "snap", sharedAccounts=["all"])],
                "snap",
                ["RDS snapshot 'snap' is public: sharedAccounts includes 'all'"],
            ),
            Break(
                "public-upper-case",
                [res(DB_SNAPSHOT, "snap", sharedAccounts=["ALL"])],
                "snap",
                ["RDS snapshot 'snap' is public: sharedAccounts includes 'all'"],
            ),
            Break(
                "another-account",
                [res(DB_SNAPSHOT_COPY, "snap", sharedAccounts=[IN, OUT])],
                "snap",
                [f"RDS snapshot copy 'snap' is shared with account {OUT}, outside the perimeter"],
            ),
        ],
        not_applicable=[db],
    ),
    "SR-IAM-024": Spec(
        baseline=[db, cluster],
        breaks=[
            Break(
                "default",
                [db_with(iamDatabaseAuthenticationEnabled=None)],
                "db",
                ["RDS instance 'db' does not set iamDatabaseAuthenticationEnabled=true (default false)"],
            ),
            Break(
                "engine-not-given",
                [res(DB_CLUSTER, "aurora")],
                "aurora",
                ["RDS cluster 'aurora' does not set iamDatabaseAuthenticationEnabled=true (default false)"],
            ),
        ],
        not_applicable=[res(DB_INSTANCE, "mssql", engine="sqlserver-ee"), snapshot],
    ),
    "SR-WS-009": Spec(
        baseline=[
            repository,
            ecr_with(
                imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
                imageTagMutabilityExclusionFilters=[{"filter": "dev-*", "filterType": "WILDCARD"}],
            ),
        ],
        breaks=[
            Break(
                "default",
                [ecr_with(imageTagMutability=None)],
                "images",
                ["ECR repository 'images' has imageTagMutability MUTABLE (default MUTABLE)"],
            ),
            Break(
                "exclusion-of-every-tag",
                [
                    ecr_with(
                        imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
                        imageTagMutabilityExclusionFilters=[{"filter": "**", "filterType": "WILDCARD"}],
                    )
                ],
                "images",
                ["ECR repository 'images' exclusion filter 0 '**' makes every tag mutable"],
            ),
        ],
        not_applicable=[repository_policy],
    ),
    "SR-WS-010": Spec(
        baseline=[cache(f"{IN}.dkr.ecr.eu-west-1.amazonaws.com")],
        breaks=[
            Break(
                "docker-hub",
                [cache("registry-1.docker.io")],
                "cache",
                [
                    "pull through cache rule 'cache' pulls images from registry-1.docker.io, a registry on "
                    "the internet"
                ],
            ),
            Break(
                "ecr-public",
                [cache("public.ecr.aws")],
                "cache",
                [
                    "pull through cache rule 'cache' pulls images from public.ecr.aws, a registry on the "
                    "internet"
                ],
            ),
            Break(
                "ecr-of-another-account",
                [cache(f"https://{OUT}.dkr.ecr.eu-west-1.amazonaws.com")],
                "cache",
                [f"pull through cache rule 'cache' pulls images from account {OUT}, outside the perimeter"],
            ),
            Break(
                "look-alike-host",
                [cache(f"{IN}.dkr.ecr.eu-west-1.amazonaws.com.evil.example")],
                "cache",
                [
                    f"pull through cache rule 'cache' pulls images from {IN}.dkr.ecr.eu-west-1.amazonaws.com."
                    "evil.example, a registry on the internet"
                ],
            ),
        ],
        not_applicable=[repository],
    ),
    "SR-WS-011": Spec(
        baseline=[team],
        breaks=[
            Break(
                "pypi",
                [store],
                "store",
                [
                    "CodeArtifact repository 'store' has external connection public:pypi: packages from the "
                    "internet reach the workspace unreviewed"
                ],
            ),
            Break(
                "as-a-list",
                [
                    res(
                        CODEARTIFACT_REPOSITORY,
                        "npm",
                        externalConnections=[{"externalConnectionName": "public:npmjs"}],
                    )
                ],
                "npm",
                [
                    "CodeArtifact repository 'npm' has external connection public:npmjs: packages from the "
                    "internet reach the workspace unreviewed"
                ],
            ),
        ],
        not_applicable=[ca_domain],
    ),
    "SR-WS-018": Spec(
        baseline=[
            function,
            plain_function,
            bucket,
            res(FUNCTION, "zip", s3Bucket="team-data", s3Key="fn.zip", handler="app.handler"),
            res(FUNCTION, "zip-preview", deps={"s3Bucket": [bucket]}, s3Bucket=UNKNOWN, s3Key="fn.zip"),
            res(FUNCTION, "local", packageType="Zip", code="archive", handler="app.handler"),
            res(FUNCTION, "archived", code={SIG: ARCHIVE_SIG, "path": "./app"}, handler="app.handler"),
            res(
                FUNCTION,
                "assets",
                code={"assets": {"app.py": {"text": "x = 1"}, "lib": {"path": "./lib"}}},
                handler="app.handler",
            ),
            res(LAYER_VERSION, "layer", layerName="deps", code={"path": "./layer.zip"}),
            res(LAYER_VERSION, "layer-s3", deps={"s3Bucket": [bucket]}, s3Bucket=UNKNOWN, s3Key="l.zip"),
        ],
        breaks=[
            Break(
                "zip-code-with-a-remote-asset",
                [
                    res(
                        FUNCTION,
                        "fn",
                        code={SIG: ARCHIVE_SIG, "assets": {"app.py": {SIG: ASSET_SIG, "uri": REMOTE}}},
                        handler="app.handler",
                    )
                ],
                "fn",
                [REMOTE_CODE.format(what="Lambda function", name="fn")],
            ),
            Break(
                "zip-code-a-remote-archive-nested-in-an-asset-archive",
                [res(FUNCTION, "fn", code={"assets": {"x": {"assets": {"y": {"uri": REMOTE}}}}})],
                "fn",
                [REMOTE_CODE.format(what="Lambda function", name="fn")],
            ),
            Break(
                "layer-from-a-remote-archive",
                [res(LAYER_VERSION, "fn", layerName="deps", code={"uri": REMOTE})],
                "fn",
                [REMOTE_CODE.format(what="Lambda layer", name="fn")],
            ),
            Break(
                "layer-from-a-bucket-outside-the-plan",
                [bucket, res(LAYER_VERSION, "fn", s3Bucket="exfil-bucket", s3Key="l.zip")],
                "fn",
                [
                    "Lambda layer 'fn' runs code from S3 bucket exfil-bucket (s3Bucket), which is no bucket "
                    "of this stack"
                ],
            ),
            Break(
                "zip-code-unknown-at-preview",
                [res(FUNCTION, "fn", code=UNKNOWN, handler="app.handler")],
                "fn",
                ["code of 'fn' can't be known during preview"],
            ),
            Break(
                "zip-code-from-a-bucket-outside-the-plan",
                [bucket, function_with(imageUri=None, s3Bucket="exfil-bucket", s3Key="fn.zip")],
                "fn",
                [FOREIGN_CODE],
            ),
            Break(
                "zip-code-named-apart-from-the-plan-bucket-it-depends-on",
                [
                    bucket,
                    res(FUNCTION, "fn", deps={"s3Bucket": [bucket]}, s3Bucket="exfil-bucket", s3Key="fn.zip"),
                ],
                "fn",
                [FOREIGN_CODE],
            ),
            Break(
                "zip-code-from-a-bucket-unknown-at-preview",
                [bucket, res(FUNCTION, "fn", s3Bucket=UNKNOWN, s3Key="fn.zip")],
                "fn",
                ["s3Bucket of 'fn' can't be known during preview"],
            ),
            Break(
                "layer-of-another-account",
                [function_with(layers=[f"arn:aws:lambda:eu-west-2:{OUT}:layer:x:1"])],
                "fn",
                [
                    f"Lambda function 'fn' uses layer arn:aws:lambda:eu-west-2:{OUT}:layer:x:1 of an account "
                    "outside the perimeter"
                ],
            ),
            Break(
                "image-from-docker-hub",
                [function_with(imageUri="docker.io/library/python:3.11")],
                "fn",
                [
                    "Lambda function 'fn' runs image docker.io/library/python:3.11, not from an ECR "
                    "registry of "
                    "the perimeter"
                ],
            ),
            Break(
                "image-of-another-account",
                [function_with(imageUri=f"{OUT}.dkr.ecr.eu-west-2.amazonaws.com/x:1")],
                "fn",
                [
                    f"Lambda function 'fn' runs image {OUT}.dkr.ecr.eu-west-2.amazonaws.com/x:1, not from "
                    "an ECR "
                    "registry of the perimeter"
                ],
            ),
        ],
        not_applicable=[res(FUNCTION_URL, "url", authorizationType="AWS_IAM")],
    ),
}
