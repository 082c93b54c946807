"""Storage controls: each bucket judged with its companions, joined by property dependency or value."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from controls_support import (  # the test_* names run here over SPECS, parametrized in conftest.py
    Break,
    Spec,
    doc,
    res,
    test_compliant_baseline_has_no_violation,  # noqa: F401
    test_control_does_not_apply_elsewhere,  # noqa: F401
    test_each_break_reports_the_exact_message,  # noqa: F401
)

from strongroom.policies.controls.encryption import KEY
from strongroom.policies.controls.network import VPC_ENDPOINT
from strongroom.policies.controls.storage import (
    ACCESS_POINT,
    ACCESS_POINT_POLICY,
    BUCKET,
    BUCKET_ACL,
    BUCKET_POLICY,
    CONFIG_DELIVERY_CHANNEL,
    LIFECYCLE,
    LOGGING,
    MULTI_REGION_ACCESS_POINT,
    OBJECT_LOCK,
    OWNERSHIP,
    PUBLIC_ACCESS_BLOCK,
    REPLICATION,
    TRAIL,
    VERSIONING,
    WEBSITE,
)
from strongroom.policies.props import UNKNOWN, Resource, normalize

bucket = res(BUCKET, "data", bucket="data-1234")
logs = res(BUCKET, "logs", bucket="logs-1234")
backup = res(
    BUCKET, "backup", bucket="backup-1234", objectLockEnabled=True, tags={"strongroom:purpose": "backup"}
)
tls = {
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": ["arn:aws:s3:::data-1234", "arn:aws:s3:::data-1234/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}


def companion(type_: str, of: Resource, name: str, **props: object) -> Resource:
    return res(type_, name, deps={"bucket": [of]}, bucket=of.props["bucket"], **props)


def lock(of: Resource, days: int = 365, mode: str = "COMPLIANCE") -> Resource:
    return companion(
        OBJECT_LOCK, of, f"{of.name}-lock", rule={"defaultRetention": {"mode": mode, "days": days}}
    )


def lifecycle(of: Resource, days: int) -> Resource:
    rule = {"id": "noncurrent", "status": "Enabled", "noncurrentVersionExpiration": {"noncurrentDays": days}}
    return companion(LIFECYCLE, of, f"{of.name}-lifecycle", rules=[rule])


replication = companion(REPLICATION, backup, "backup-replication", rules=[{"id": "all", "status": "Enabled"}])
STAR = (
    "allows principal '*' with no condition confining callers to the perimeter (aws:PrincipalAccount, "
    "aws:PrincipalOrgID, aws:SourceVpce, ... with StringEquals)"
)
SERVICE = (
    "allows service principal '%s' with no condition confining the resource it acts for to the perimeter "
    "(aws:SourceAccount, aws:SourceOrgID or aws:SourceArn with StringEquals or ArnLike), so it acts for any "
    "account (confused deputy)"
)
KEY_ARN = "arn:aws:kms:eu-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
key = res(KEY, "key", arn=KEY_ARN)
replica = res(BUCKET, "replica", bucket="replica-1234", arn="arn:aws:s3:::replica-1234")


def allow_to(principal: str) -> dict[str, object]:
    return {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "s3:GetObject", "Resource": "*"}


def replicate_to(destination: dict[str, object], name: str = "r") -> Resource:
    rule = {"id": "all", "status": "Enabled", "destination": destination}
    return companion(REPLICATION, backup, name, rules=[rule])


def expiring(of: Resource, expiration: dict[str, object], status: str = "Enabled") -> Resource:
    rule = {"id": "expire", "status": status, "expiration": expiration}
    return companion(LIFECYCLE, of, f"{of.name}-lifecycle", rules=[rule])


def access_point(name: str = "ap", **props: object) -> Resource:
    base: dict[str, object] = {"bucket": "data-1234", "vpcConfiguration": {"vpcId": "vpc-0123456789abcdef0"}}
    return res(ACCESS_POINT, name, deps={"bucket": [bucket]}, **(base | props))


good_destination = {
    "bucket": "arn:aws:s3:::replica-1234",
    "encryptionConfiguration": {"replicaKmsKeyId": KEY_ARN},
}

SPECS: dict[str, Spec] = {
    "SR-STO-001": Spec(
        baseline=[bucket, companion(VERSIONING, bucket, "v", versioningConfiguration={"status": "Enabled"})],
        breaks=[
            Break(
                "missing", [bucket], "data", ["bucket 'data' has no BucketVersioning, so versioning is off"]
            ),
            Break(
                "suspended",
                [bucket, companion(VERSIONING, bucket, "v", versioningConfiguration={"status": "Suspended"})],
                "data",
                ["bucket 'data' versioning status is Suspended, not Enabled"],
            ),
            Break(
                "other-bucket",
                [
                    bucket,
                    logs,
                    companion(VERSIONING, logs, "v", versioningConfiguration={"status": "Enabled"}),
                ],
                "data",
                ["bucket 'data' has no BucketVersioning, so versioning is off"],
            ),
            Break(
                "computed-from-the-bucket-but-naming-another",
                [
                    bucket,
                    res(
                        VERSIONING,
                        "v",
                        deps={"bucket": [bucket]},
                        bucket="someone-elses-bucket",
                        versioningConfiguration={"status": "Enabled"},
                    ),
                ],
                "data",
                ["bucket 'data' has no BucketVersioning, so versioning is off"],
            ),
            Break(
                "inline-off-beside-companion",
                [
                    res(BUCKET, "data", bucket="data-1234", versioning={"enabled": False}),
                    companion(VERSIONING, bucket, "v", versioningConfiguration={"status": "Enabled"}),
                ],
                "data",
                ["bucket 'data' sets versioning.enabled=False: inline versioning is off"],
            ),
            Break(
                "bucket-v2-inline-off",
                [res(BUCKET, "data", bucket="data-1234", versionings=[{"enabled": False}])],
                "data",
                ["bucket 'data' sets versionings.0.enabled=False: inline versioning is off"],
            ),
        ],
        not_applicable=[companion(VERSIONING, bucket, "v", versioningConfiguration={"status": "Enabled"})],
    ),
    "SR-STO-002": Spec(
        baseline=[
            bucket,
            companion(
                PUBLIC_ACCESS_BLOCK,
                bucket,
                "pab",
                blockPublicAcls=True,
                blockPublicPolicy=True,
                ignorePublicAcls=True,
                restrictPublicBuckets=True,
            ),
        ],
        breaks=[
            Break("missing", [bucket], "data", ["bucket 'data' has no BucketPublicAccessBlock"]),
            Break(
                "two-off",
                [
                    bucket,
                    companion(
                        PUBLIC_ACCESS_BLOCK, bucket, "pab", blockPublicAcls=True, ignorePublicAcls=True
                    ),
                ],
                "data",
                [
                    "bucket 'data' public access block does not set blockPublicPolicy, restrictPublicBuckets "
                    "to true"
                ],
            ),
        ],
        not_applicable=[companion(PUBLIC_ACCESS_BLOCK, bucket, "pab")],
    ),
    "SR-STO-003": Spec(
        baseline=[
            bucket,
            companion(OWNERSHIP, bucket, "own", rule={"objectOwnership": "BucketOwnerEnforced"}),
        ],
        breaks=[
            Break(
                "missing",
                [bucket],
                "data",
                ["bucket 'data' has no BucketOwnershipControls with BucketOwnerEnforced"],
            ),
            Break(
                "preferred",
                [
                    bucket,
                    companion(OWNERSHIP, bucket, "own", rule={"objectOwnership": "BucketOwnerPreferred"}),
                ],
                "data",
                [
                    "bucket 'data' object ownership is BucketOwnerPreferred, not BucketOwnerEnforced (ACLs "
                    "stay on)"
                ],
            ),
        ],
        not_applicable=[companion(OWNERSHIP, bucket, "own")],
    ),
    "SR-STO-004": Spec(
        baseline=[
            bucket,
            companion(BUCKET_POLICY, bucket, "policy", policy=doc(tls)),
            res(BUCKET, "inline", bucket="inline-1", policy=doc(tls)),
        ],
        breaks=[
            Break(
                "missing",
                [bucket],
                "data",
                ["bucket 'data' has no BucketPolicy denying requests without TLS"],
            ),
            Break(
                "allow-only",
                [
                    bucket,
                    companion(
                        BUCKET_POLICY,
                        bucket,
                        "policy",
                        policy=doc(
                            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"}, "Action": "s3:*"}
                        ),
                    ),
                ],
                "data",
                [
                    "bucket 'data' policy has no Deny of s3:* for principal '*' when aws:SecureTransport is "
                    "false"
                ],
            ),
            Break(
                "deny-only-get",
                [
                    bucket,
                    companion(BUCKET_POLICY, bucket, "policy", policy=doc(tls | {"Action": "s3:GetObject"})),
                ],
                "data",
                [
                    "bucket 'data' policy has no Deny of s3:* for principal '*' when aws:SecureTransport is "
                    "false"
                ],
            ),
            Break(
                "inline-policy-without-tls-beside-companion",
                [
                    res(
                        BUCKET,
                        "data",
                        bucket="data-1234",
                        policy=doc(allow_to("arn:aws:iam::123456789012:root")),
                    ),
                    companion(BUCKET_POLICY, bucket, "policy", policy=doc(tls)),
                ],
                "data",
                [
                    "bucket 'data' policy has no Deny of s3:* for principal '*' when aws:SecureTransport is "
                    "false"
                ],
            ),
        ],
        not_applicable=[companion(BUCKET_POLICY, bucket, "policy", policy=doc(tls))],
    ),
    "SR-STO-005": Spec(
        baseline=[companion(BUCKET_POLICY, bucket, "policy", policy=doc(tls))],
        breaks=[
            Break(
                "public-read",
                [
                    companion(
                        BUCKET_POLICY,
                        bucket,
                        "policy",
                        policy=doc(tls, {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}),
                    )
                ],
                "policy",
                [f"bucket policy 'policy' statement 1 {STAR}"],
            ),
            Break(
                "always-true-condition",
                [
                    companion(
                        BUCKET_POLICY,
                        bucket,
                        "policy",
                        policy=doc(
                            {
                                "Effect": "Allow",
                                "Principal": "*",
                                "Action": "s3:GetObject",
                                "Condition": {"StringLike": {"aws:PrincipalAccount": "*"}},
                            },
                            {
                                "Effect": "Allow",
                                "Principal": {"AWS": "*"},
                                "Action": "s3:GetObject",
                                "Condition": {"Bool": {"aws:SecureTransport": "true"}},
                            },
                        ),
                    )
                ],
                "policy",
                [f"bucket policy 'policy' statement 0 {STAR}", f"bucket policy 'policy' statement 1 {STAR}"],
            ),
            Break(
                "other-account-root",
                [
                    companion(
                        BUCKET_POLICY,
                        bucket,
                        "policy",
                        policy=doc(allow_to("arn:aws:iam::999999999999:root")),
                    )
                ],
                "policy",
                [
                    "bucket policy 'policy' statement 0 allows principal 'arn:aws:iam::999999999999:root' of "
                    "account 999999999999, outside the perimeter"
                ],
            ),
            Break(
                "inline-bucket-policy",
                [res(BUCKET, "data", bucket="data-1234", policy=doc(tls, allow_to("*")))],
                "data",
                [f"bucket policy 'data' statement 1 {STAR}"],
            ),
            Break(
                "access-point-policy",
                [
                    res(
                        ACCESS_POINT_POLICY,
                        "app",
                        accessPointArn="arn:aws:s3:eu-west-2:123456789012:accesspoint/a",
                        policy=doc(allow_to("arn:aws:iam::999999999999:role/x")),
                    )
                ],
                "app",
                [
                    "access point policy 'app' statement 0 allows principal "
                    "'arn:aws:iam::999999999999:role/x' of account 999999999999, outside the perimeter"
                ],
            ),
            Break(
                "service-writes-for-any-account",
                [
                    companion(
                        BUCKET_POLICY,
                        bucket,
                        "policy",
                        policy=doc(
                            tls,
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                                "Action": "s3:PutObject",
                            },
                        ),
                    )
                ],
                "policy",
                [f"bucket policy 'policy' statement 1 {SERVICE % 'cloudtrail.amazonaws.com'}"],
            ),
            Break(
                "service-for-a-trail-of-another-account",
                [
                    companion(
                        BUCKET_POLICY,
                        bucket,
                        "policy",
                        policy=doc(
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                                "Action": "s3:PutObject",
                                "Condition": {
                                    "StringEqualsIfExists": {"aws:SourceAccount": "123456789012"},
                                    "StringEquals": {
                                        "aws:SourceArn": "arn:aws:cloudtrail:eu-west-2:999999999999:trail/t"
                                    },
                                },
                            },
                        ),
                    )
                ],
                "policy",
                [f"bucket policy 'policy' statement 0 {SERVICE % 'cloudtrail.amazonaws.com'}"],
            ),
            Break(
                "star-through-an-endpoint-that-is-not-the-stacks",
                [
                    res(VPC_ENDPOINT, "s3", id="vpce-0123456789abcdef0"),
                    companion(
                        BUCKET_POLICY,
                        bucket,
                        "policy",
                        policy=doc(
                            allow_to("*")
                            | {"Condition": {"StringEquals": {"aws:SourceVpce": "vpce-0badc0ffee0badc0f"}}}
                        ),
                    ),
                ],
                "policy",
                [f"bucket policy 'policy' statement 0 {STAR}"],
            ),
        ],
        not_applicable=[bucket],
    ),
    "SR-STO-006": Spec(
        baseline=[
            bucket,
            logs,
            companion(LOGGING, bucket, "logging", targetBucket="logs-1234", targetPrefix="data/"),
        ],
        breaks=[
            Break("missing", [bucket], "data", ["bucket 'data' has no BucketLogging (server access logs)"]),
        ],
        not_applicable=[
            logs,
            companion(LOGGING, bucket, "logging", targetBucket="logs-1234"),
        ],
    ),
    "SR-STO-007": Spec(
        baseline=[backup, lock(backup), bucket],
        breaks=[
            Break(
                "no-lock",
                [res(BUCKET, "backup", bucket="backup-1234", tags={"strongroom:purpose": "backup"})],
                "backup",
                [
                    "backup bucket 'backup' does not set objectLockEnabled=true",
                    "backup bucket 'backup' has no BucketObjectLockConfiguration with a default retention",
                ],
            ),
            Break(
                "no-retention",
                [backup, companion(OBJECT_LOCK, backup, "backup-lock", objectLockEnabled="Enabled")],
                "backup",
                ["backup bucket 'backup' object lock has no default retention (mode and days or years)"],
            ),
        ],
        not_applicable=[bucket, lock(backup)],
    ),
    "SR-STO-008": Spec(
        baseline=[backup, replication],
        stack="prod",
        breaks=[
            Break(
                "missing",
                [backup],
                "backup",
                ["backup bucket 'backup' has no BucketReplicationConfig with an enabled rule"],
            ),
            Break(
                "disabled",
                [backup, companion(REPLICATION, backup, "r", rules=[{"id": "all", "status": "Disabled"}])],
                "backup",
                ["backup bucket 'backup' has no BucketReplicationConfig with an enabled rule"],
            ),
        ],
        not_applicable=[
            bucket,
            replication,
            res(
                BUCKET, "replica", tags={"strongroom:backup-dataset": "models", "strongroom:replica": "true"}
            ),
        ],
    ),
    "SR-STO-009": Spec(
        baseline=[backup, lock(backup, 365), lifecycle(backup, 400)],
        breaks=[
            Break(
                "shorter",
                [backup, lock(backup, 365), lifecycle(backup, 90)],
                "backup",
                [
                    "bucket 'backup' lifecycle 'backup-lifecycle' rule 0 expires noncurrent versions after "
                    "90 "
                    "days, shorter than the 365-day object lock"
                ],
            ),
        ],
        not_applicable=[bucket, backup],
    ),
    "SR-STO-010": Spec(
        baseline=[
            bucket,
            res(BUCKET, "private", bucket="p", acl="private"),
            res(BUCKET_ACL, "acl", acl="private"),
        ],
        breaks=[
            Break(
                "inline-public-read",
                [res(BUCKET, "data", acl="public-read")],
                "data",
                ["bucket 'data' sets the canned ACL public-read; only private (or none) is allowed"],
            ),
            Break(
                "inline-grants",
                [
                    res(
                        BUCKET,
                        "data",
                        grants=[
                            {
                                "type": "Group",
                                "uri": "http://acs.amazonaws.com/groups/global/AllUsers",
                                "permissions": ["READ"],
                            }
                        ],
                    )
                ],
                "data",
                ["bucket 'data' sets 1 inline ACL grant(s); access is by policy only"],
            ),
            Break(
                "bucket-acl-authenticated-read",
                [res(BUCKET_ACL, "acl", acl="authenticated-read")],
                "acl",
                ["bucket ACL 'acl' sets the canned ACL authenticated-read; only private is allowed"],
            ),
            Break(
                "bucket-acl-grants",
                [
                    res(
                        BUCKET_ACL,
                        "acl",
                        accessControlPolicy={
                            "owner": {"id": "owner-canonical"},
                            "grants": [
                                {
                                    "grantee": {"type": "CanonicalUser", "id": "owner-canonical"},
                                    "permission": "FULL_CONTROL",
                                },
                                {
                                    "grantee": {
                                        "type": "Group",
                                        "uri": "http://acs.amazonaws.com/groups/global/AllUsers",
                                    },
                                    "permission": "READ",
                                },
                                {
                                    "grantee": {
                                        "type": "AmazonCustomerByEmail",
                                        "emailAddress": "x@example.com",
                                    },
                                    "permission": "READ",
                                },
                                {
                                    "grantee": {"type": "CanonicalUser", "id": "someone-else"},
                                    "permission": "READ",
                                },
                            ],
                        },
                    )
                ],
                "acl",
                [
                    "bucket ACL 'acl' grant 1 is to the group "
                    "http://acs.amazonaws.com/groups/global/AllUsers, "
                    "i.e. the public",
                    "bucket ACL 'acl' grant 2 is to x@example.com, an account outside the stack",
                    "bucket ACL 'acl' grant 3 is to canonical user someone-else, not the bucket owner",
                ],
            ),
        ],
        not_applicable=[companion(VERSIONING, bucket, "v")],
    ),
    "SR-STO-011": Spec(
        baseline=[bucket],
        breaks=[
            Break(
                "companion",
                [bucket, companion(WEBSITE, bucket, "site", indexDocument={"suffix": "index.html"})],
                "site",
                ["website configuration 'site' serves a bucket as a website; no bucket may be one"],
            ),
            Break(
                "inline",
                [res(BUCKET, "data", website={"indexDocument": "index.html"})],
                "data",
                ["bucket 'data' has an inline website configuration; no bucket may be a website"],
            ),
            Break(
                "bucket-v2-inline",
                [res(BUCKET, "data", websites=[{"indexDocument": "index.html"}])],
                "data",
                ["bucket 'data' has an inline website configuration; no bucket may be a website"],
            ),
        ],
        not_applicable=[companion(VERSIONING, bucket, "v")],
    ),
    "SR-STO-012": Spec(
        baseline=[
            bucket,
            expiring(bucket, {"expiredObjectDeleteMarker": True}),
            logs,
            companion(LOGGING, bucket, "logging", targetBucket="logs-1234"),
            expiring(logs, {"days": 365}),
            backup,
            lifecycle(backup, 400),
        ],
        breaks=[
            Break(
                "days",
                [bucket, expiring(bucket, {"days": 30})],
                "data",
                [
                    "bucket 'data' lifecycle 'data-lifecycle' rule 0 expires current versions (expiration "
                    "30), "
                    "deleting data"
                ],
            ),
            Break(
                "date",
                [backup, expiring(backup, {"date": "2027-01-01T00:00:00Z"})],
                "backup",
                [
                    "bucket 'backup' lifecycle 'backup-lifecycle' rule 0 expires current versions "
                    "(expiration "
                    "2027-01-01T00:00:00Z), deleting data"
                ],
            ),
            Break(
                "tagged-data-bucket-posing-as-log-target",
                [
                    res(BUCKET, "data", bucket="data-1234", tags={"strongroom:purpose": "models"}),
                    res(LOGGING, "logging", targetBucket="data-1234"),
                    expiring(bucket, {"days": 1}),
                ],
                "data",
                [
                    "bucket 'data' lifecycle 'data-lifecycle' rule 0 expires current versions (expiration "
                    "1), "
                    "deleting data"
                ],
            ),
            Break(
                "inline",
                [res(BUCKET, "data", lifecycleRules=[{"enabled": True, "expiration": {"days": 7}}])],
                "data",
                [
                    "bucket 'data' inline lifecycle rule 0 expires current versions (expiration 7), "
                    "deleting data"
                ],
            ),
            Break(
                "bucket-v2-inline",
                [res(BUCKET, "data", lifecycleRules=[{"enabled": True, "expirations": [{"days": 7}]}])],
                "data",
                [
                    "bucket 'data' inline lifecycle rule 0 expires current versions (expiration 7), "
                    "deleting data"
                ],
            ),
        ],
        not_applicable=[logs, companion(LOGGING, bucket, "logging", targetBucket="logs-1234")],
    ),
    "SR-STO-013": Spec(
        baseline=[backup, replica, key, replicate_to(good_destination)],
        breaks=[
            Break(
                "bucket-not-in-plan",
                [backup, key, replicate_to(good_destination | {"bucket": "arn:aws:s3:::attacker-bucket"})],
                "r",
                [
                    "replication 'r' replicates to arn:aws:s3:::attacker-bucket "
                    "(rules.0.destination.bucket), "
                    "which is no bucket of this stack"
                ],
            ),
            Break(
                "other-account",
                [
                    backup,
                    replica,
                    key,
                    replicate_to(
                        good_destination
                        | {"account": "999999999999", "accessControlTranslation": {"owner": "Destination"}}
                    ),
                ],
                "r",
                [
                    "replication 'r' replicates to account 999999999999 (rules.0.destination), outside the "
                    "perimeter"
                ],
            ),
            Break(
                "owner-override-without-account",
                [
                    backup,
                    replica,
                    key,
                    replicate_to(good_destination | {"accessControlTranslation": {"owner": "Destination"}}),
                ],
                "r",
                [
                    "replication 'r' hands replica ownership to the destination's owner "
                    "(rules.0.destination) "
                    "without naming an account of the perimeter"
                ],
            ),
            Break(
                "foreign-replica-key",
                [
                    backup,
                    replica,
                    replicate_to(
                        good_destination
                        | {
                            "encryptionConfiguration": {
                                "replicaKmsKeyId": "arn:aws:kms:eu-west-1:999999999999:key/x"
                            }
                        }
                    ),
                ],
                "r",
                [
                    "replication 'r' uses the KMS key arn:aws:kms:eu-west-1:999999999999:key/x in "
                    "replicaKmsKeyId, of account 999999999999 outside the perimeter"
                ],
            ),
            Break(
                "inline",
                [
                    res(
                        BUCKET,
                        "data",
                        replicationConfiguration={
                            "role": "arn:aws:iam::123456789012:role/r",
                            "rules": [
                                {"status": "Enabled", "destination": {"bucket": "arn:aws:s3:::elsewhere"}}
                            ],
                        },
                    )
                ],
                "data",
                [
                    "bucket 'data' replicates to arn:aws:s3:::elsewhere "
                    "(replicationConfiguration.rules.0.destination.bucket), which is no bucket of this stack"
                ],
            ),
            Break(
                "bucket-v2-inline",
                [
                    res(
                        BUCKET,
                        "data",
                        replicationConfigurations=[
                            {
                                "rules": [
                                    {
                                        "status": "Enabled",
                                        "destinations": [{"bucket": "arn:aws:s3:::elsewhere"}],
                                    }
                                ]
                            }
                        ],
                    )
                ],
                "data",
                [
                    "bucket 'data' replicates to arn:aws:s3:::elsewhere "
                    "(replicationConfigurations.0.rules.0.destinations.0.bucket), which is no bucket of "
                    "this stack"
                ],
            ),
        ],
        not_applicable=[bucket, replica],
    ),
    "SR-STO-014": Spec(
        baseline=[bucket, access_point()],
        breaks=[
            Break(
                "internet-origin",
                [bucket, access_point(vpcConfiguration=None)],
                "ap",
                ["access point 'ap' has no vpcConfiguration, so its network origin is the internet"],
            ),
            Break(
                "public-access-block-off",
                [
                    bucket,
                    access_point(
                        publicAccessBlockConfiguration={
                            "blockPublicPolicy": False,
                            "restrictPublicBuckets": False,
                        }
                    ),
                ],
                "ap",
                [
                    "access point 'ap' public access block sets blockPublicPolicy, restrictPublicBuckets to "
                    "false"
                ],
            ),
            Break(
                "other-account-bucket",
                [
                    res(
                        ACCESS_POINT,
                        "ap",
                        bucket="their-bucket",
                        bucketAccountId="999999999999",
                        vpcConfiguration={"vpcId": "vpc-1"},
                    )
                ],
                "ap",
                [
                    "access point 'ap' opens their-bucket, which is no bucket of this stack",
                    "access point 'ap' opens a bucket of account 999999999999, outside the perimeter",
                ],
            ),
            Break(
                "multi-region",
                [res(MULTI_REGION_ACCESS_POINT, "mrap")],
                "mrap",
                [
                    "MultiRegionAccessPoint 'mrap' is not allowed: it opens buckets through a path the "
                    "catalog "
                    "does not confine to the VPC"
                ],
            ),
        ],
        not_applicable=[bucket],
    ),
}


def test_backup_vault_buckets_are_backups_by_their_dataset_tag() -> None:
    from controls_support import all_messages

    from strongroom.policies.catalog import get

    vault = res(BUCKET, "vault", bucket="vault-1", tags={"strongroom:backup-dataset": "models"})
    assert all_messages(get("SR-STO-007"), [vault]) == [
        "backup bucket 'vault' does not set objectLockEnabled=true",
        "backup bucket 'vault' has no BucketObjectLockConfiguration with a default retention",
    ]


def test_replication_is_not_required_outside_production() -> None:
    from controls_support import all_messages

    from strongroom.policies.catalog import get

    assert all_messages(get("SR-STO-008"), [backup], "dev") == []
    assert all_messages(get("SR-STO-008"), [backup], "prod-eu") != []


# -- SR-STO-040: every data and model bucket fills an Object Lock backup in prod ---------------------------

VAULT_ARN = "arn:aws:s3:::vault-1234"
vault = res(
    BUCKET,
    "vault",
    bucket="vault-1234",
    arn=VAULT_ARN,
    objectLockEnabled=True,
    tags={"strongroom:backup-dataset": "data"},
)
GOOD_RULE: dict[str, Any] = {
    "id": "into-backup",
    "status": "Enabled",
    "priority": 2,
    "filter": {},
    "deleteMarkerReplication": {"status": "Disabled"},
    "sourceSelectionCriteria": {"sseKmsEncryptedObjects": {"status": "Enabled"}},
    "destination": {
        "bucket": VAULT_ARN,
        "replicationTime": {"status": "Enabled", "time": {"minutes": 15}},
        "metrics": {"status": "Enabled", "eventThreshold": {"minutes": 15}},
    },
}


def ingest(*rules: dict[str, Any], of: Resource = bucket, deps: Sequence[Resource] = ()) -> Resource:
    return res(
        REPLICATION,
        "ingest",
        deps={"bucket": [of], "rules": list(deps)},
        bucket=of.props["bucket"],
        role="arn:aws:iam::123456789012:role/strongroom/prod/filler",
        rules=list(rules),
    )


def rule_with(**changes: Any) -> dict[str, Any]:
    return {**GOOD_RULE, **changes}


def to(destination: Any, **changes: Any) -> dict[str, Any]:
    return rule_with(destination={**GOOD_RULE["destination"], "bucket": destination, **changes})


plain = res(BUCKET, "plain", bucket="plain-1234", arn="arn:aws:s3:::plain-1234")
PREFIX = "bucket 'data' replication 'ingest' rule 0"
NO_RTC = f"{PREFIX} has no Replication Time Control (destination.replicationTime.status is not Enabled)"
NO_KMS = (
    f"{PREFIX} skips SSE-KMS objects (sourceSelectionCriteria.sseKmsEncryptedObjects.status is not Enabled)"
)

SPECS["SR-STO-040"] = Spec(
    baseline=[bucket, vault, ingest(GOOD_RULE)],
    stack="prod",
    breaks=[
        Break(
            "no-replication",
            [bucket, vault],
            "data",
            ["bucket 'data' has no BucketReplicationConfig into an Object Lock backup bucket"],
        ),
        Break(
            "disabled-rule",
            [bucket, vault, ingest(rule_with(status="Disabled"))],
            "data",
            ["bucket 'data' replication 'ingest' has no enabled rule"],
        ),
        Break(
            "destination-without-object-lock",
            [bucket, plain, ingest(to("arn:aws:s3:::plain-1234"))],
            "data",
            [f"{PREFIX} replicates to bucket 'plain', which does not set objectLockEnabled=true"],
        ),
        Break(
            "destination-by-name-without-object-lock",
            [bucket, plain, ingest(to("plain-1234"))],
            "data",
            [f"{PREFIX} replicates to bucket 'plain', which does not set objectLockEnabled=true"],
        ),
        Break(
            "destination-elsewhere",
            [bucket, vault, ingest(to("arn:aws:s3:::attacker-locked"))],
            "data",
            [
                "replication 'ingest' rules.0.destination.bucket names arn:aws:s3:::attacker-locked, "
                "which is no bucket of this stack, so whether it has Object Lock cannot be judged"
            ],
        ),
        Break(
            "destination-unknown",
            [bucket, vault, ingest(to(UNKNOWN))],
            "data",
            ["rules.0.destination.bucket of 'ingest' can't be known during preview"],
        ),
        Break(
            "unknown-destination-from-locked-and-unlocked-buckets",
            [bucket, vault, plain, ingest(to(UNKNOWN), deps=[vault, plain])],
            "data",
            ["rules.0.destination.bucket of 'ingest' can't be known during preview"],
        ),
        Break(
            "unknown-destination-from-an-unlocked-bucket",
            [bucket, plain, ingest(to(UNKNOWN), deps=[plain])],
            "data",
            [f"{PREFIX} replicates to bucket 'plain', which does not set objectLockEnabled=true"],
        ),
        Break(
            "delete-markers-replicated",
            [bucket, vault, ingest(rule_with(deleteMarkerReplication={"status": "Enabled"}))],
            "data",
            [f"{PREFIX} replicates delete markers (deleteMarkerReplication.status is not Disabled)"],
        ),
        Break(
            "delete-markers-v1-schema",
            [bucket, vault, ingest({k: v for k, v in GOOD_RULE.items() if k != "deleteMarkerReplication"})],
            "data",
            [f"{PREFIX} replicates delete markers (deleteMarkerReplication.status is not Disabled)"],
        ),
        Break(
            "no-rtc",
            [bucket, vault, ingest(to(VAULT_ARN, replicationTime=None))],
            "data",
            [NO_RTC],
        ),
        Break(
            "rtc-disabled",
            [bucket, vault, ingest(to(VAULT_ARN, replicationTime={"status": "Disabled"}))],
            "data",
            [NO_RTC],
        ),
        Break(
            "only-a-prefix",
            [bucket, vault, ingest(rule_with(filter={"prefix": "unimportant/"}))],
            "data",
            [f"{PREFIX} replicates only part of the objects (a filter or prefix), not every new version"],
        ),
        Break(
            "skips-sse-kms",
            [bucket, vault, ingest(rule_with(sourceSelectionCriteria=None))],
            "data",
            [NO_KMS],
        ),
        Break(
            "several-problems-are-all-named",
            [bucket, plain, ingest(to("arn:aws:s3:::plain-1234", replicationTime=None))],
            "data",
            [
                f"{PREFIX} replicates to bucket 'plain', which does not set objectLockEnabled=true",
                NO_RTC,
            ],
        ),
        Break(
            "a-purpose-tag-does-not-exempt",
            [
                res(BUCKET, "data", bucket="data-1234", tags={"strongroom:purpose": "logs"}),
                vault,
            ],
            "data",
            ["bucket 'data' has no BucketReplicationConfig into an Object Lock backup bucket"],
        ),
        Break(
            "v6-bucket-v2-inline-replication",
            [
                Resource(
                    type=BUCKET,
                    token="aws:s3/bucketV2:BucketV2",
                    urn="urn:pulumi:test::strongroom::aws:s3/bucketV2:BucketV2::data",
                    name="data",
                    props=normalize(
                        {
                            "bucket": "data-1234",
                            "replicationConfigurations": [
                                {"rules": [{"status": "Enabled", "destinations": [{"bucket": VAULT_ARN}]}]}
                            ],
                        }
                    ),
                ),
                vault,
            ],
            "data",
            [
                "bucket 'data' declares inline replication (replicationConfigurations); only an "
                "aws.s3.BucketReplicationConfig is judged, so it does not count as a backup",
                "bucket 'data' has no BucketReplicationConfig into an Object Lock backup bucket",
            ],
        ),
        Break(
            "inline-replication-configuration",
            [
                res(
                    BUCKET,
                    "data",
                    bucket="data-1234",
                    replicationConfiguration={
                        "role": "arn:aws:iam::123456789012:role/r",
                        "rules": [{"status": "Enabled", "destination": {"bucket": VAULT_ARN}}],
                    },
                ),
                vault,
            ],
            "data",
            [
                "bucket 'data' declares inline replication (replicationConfiguration); only an "
                "aws.s3.BucketReplicationConfig is judged, so it does not count as a backup",
                "bucket 'data' has no BucketReplicationConfig into an Object Lock backup bucket",
            ],
        ),
        Break(
            "a-replica-tag-alone-does-not-exempt",
            [res(BUCKET, "data", bucket="data-1234", tags={"strongroom:replica": "true"}), vault],
            "data",
            ["bucket 'data' has no BucketReplicationConfig into an Object Lock backup bucket"],
        ),
        Break(
            "a-log-target-with-a-purpose-tag-is-still-data",
            [
                res(BUCKET, "data", bucket="data-1234", tags={"strongroom:purpose": "data-payments"}),
                companion(LOGGING, plain, "plain-logging", targetBucket="data-1234"),
                vault,
            ],
            "data",
            ["bucket 'data' has no BucketReplicationConfig into an Object Lock backup bucket"],
        ),
        Break(
            "a-trail-target-with-a-purpose-tag-is-still-data",
            [
                res(BUCKET, "data", bucket="data-1234", tags={"strongroom:purpose": "models"}),
                res(TRAIL, "trail", s3BucketName="data-1234"),
                vault,
            ],
            "data",
            ["bucket 'data' has no BucketReplicationConfig into an Object Lock backup bucket"],
        ),
        Break(
            "a-config-delivery-bucket-with-a-data-purpose-is-still-data",
            [
                res(BUCKET, "data", bucket="data-1234", tags={"strongroom:purpose": "data-payments"}),
                res(CONFIG_DELIVERY_CHANNEL, "channel", s3BucketName="data-1234"),
                vault,
            ],
            "data",
            ["bucket 'data' has no BucketReplicationConfig into an Object Lock backup bucket"],
        ),
        Break(
            "replication-of-another-bucket",
            [bucket, vault, ingest(GOOD_RULE, of=plain)],
            "data",
            ["bucket 'data' has no BucketReplicationConfig into an Object Lock backup bucket"],
        ),
    ],
    not_applicable=[
        vault,
        res(BUCKET, "replica", bucket="r-1", tags={"strongroom:replica": "true"}),
        res(REPLICATION, "into-replica", bucket="vault-1234", rules=[to("arn:aws:s3:::r-1")]),
        res(BUCKET, "purpose-backup", bucket="b-1", tags={"strongroom:purpose": "backup"}),
        logs,
        companion(LOGGING, bucket, "logging", targetBucket="logs-1234"),
        res(BUCKET, "trail-bucket", bucket="trail-1234"),
        res(TRAIL, "trail", s3BucketName="trail-1234"),
        res(BUCKET, "config-bucket", bucket="config-1234", tags={"strongroom:purpose": "config"}),
        res(CONFIG_DELIVERY_CHANNEL, "channel", s3BucketName="config-1234"),
    ],
)


def test_fill_the_backup_only_in_prod() -> None:
    from controls_support import all_messages

    from strongroom.policies.catalog import get

    assert all_messages(get("SR-STO-040"), [bucket, vault], "dev") == []
    assert all_messages(get("SR-STO-040"), [bucket, vault], "prod-eu") == [
        "bucket 'data' has no BucketReplicationConfig into an Object Lock backup bucket"
    ]


def test_one_good_rule_fills_the_backup_beside_a_rule_elsewhere() -> None:
    from controls_support import all_messages

    from strongroom.policies.catalog import get

    stack = [bucket, vault, ingest(to("arn:aws:s3:::attacker-locked"), GOOD_RULE)]
    assert all_messages(get("SR-STO-040"), stack, "prod") == []


def test_a_replica_whose_name_is_unknown_is_judged_not_crashed_on() -> None:
    """A replica-tagged bucket Pulumi names at creation (unknown at preview). The backup vault's rule that
    depends on it makes it the replica it says it is: no data bucket, so SR-STO-040 asks nothing of it. A
    rule to a known name leaves it a data bucket (fail-closed), which SR-STO-040 then judges. Neither case
    may stop the check (it raised TypeError on the unknown name)."""
    from controls_support import all_messages

    from strongroom.policies.catalog import get

    tags = {"strongroom:replica": "true"}
    unnamed = res(BUCKET, "unnamed-replica", bucket=UNKNOWN, id=UNKNOWN, arn=UNKNOWN, tags=tags)
    stack = [bucket, vault, ingest(to(VAULT_ARN)), unnamed]
    to_unnamed = ingest(to(UNKNOWN), of=vault, deps=[unnamed])
    assert all_messages(get("SR-STO-040"), [*stack, to_unnamed], "prod") == []
    to_elsewhere = ingest(to("arn:aws:s3:::replica-1234"), of=vault)
    assert all_messages(get("SR-STO-040"), [*stack, to_elsewhere], "prod") == [
        "bucket 'unnamed-replica' has no BucketReplicationConfig into an Object Lock backup bucket"
    ]
