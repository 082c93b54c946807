"""Storage controls: each bucket judged with its companions, joined by property dependency or value."""

from __future__ import annotations

from controls_support import (  # the test_* names run here over SPECS, parametrized in conftest.py
    Break,
    Spec,
    doc,
    res,
    test_compliant_baseline_has_no_violation,  # noqa: F401
    test_control_does_not_apply_elsewhere,  # noqa: F401
    test_each_break_reports_the_exact_message,  # noqa: F401
)

from policies.controls.storage import (
    BUCKET,
    BUCKET_POLICY,
    LIFECYCLE,
    LOGGING,
    OBJECT_LOCK,
    OWNERSHIP,
    PUBLIC_ACCESS_BLOCK,
    REPLICATION,
    VERSIONING,
)
from policies.props import Resource

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
        baseline=[bucket, companion(BUCKET_POLICY, bucket, "policy", policy=doc(tls))],
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
                ["bucket policy 'policy' statement 1 allows principal '*' without a condition"],
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
}


def test_backup_vault_buckets_are_backups_by_their_dataset_tag() -> None:
    from controls_support import all_messages

    from policies.catalog import get

    vault = res(BUCKET, "vault", bucket="vault-1", tags={"strongroom:backup-dataset": "models"})
    assert all_messages(get("SR-STO-007"), [vault]) == [
        "backup bucket 'vault' does not set objectLockEnabled=true",
        "backup bucket 'vault' has no BucketObjectLockConfiguration with a default retention",
    ]


def test_replication_is_not_required_outside_production() -> None:
    from controls_support import all_messages

    from policies.catalog import get

    assert all_messages(get("SR-STO-008"), [backup], "dev") == []
    assert all_messages(get("SR-STO-008"), [backup], "prod-eu") != []
