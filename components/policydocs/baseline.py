"""Pure documents of the account baseline (no Pulumi import): the Config delivery grant of the Config
bucket's policy, the Security Hub standard ARN, the resource types the Config recorder records, and the
EventBridge patterns that route each finding source to the alert topic.

The Config delivery grant follows AWS's "Permissions for the Amazon S3 Bucket for the AWS Config Delivery
Channel": the service principal ``config.amazonaws.com`` may check the bucket's ACL, list it and put objects
under ``<prefix>/AWSLogs/<account>/Config/``, each only for this account (``aws:SourceAccount``: the
confused-deputy guard), like AuditTrail's CloudTrail grant. With the service-linked role AWS Config
delivers as that service principal.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

ACCOUNT_RE = re.compile(r"^\d{12}$")
PARTITIONS = ("aws", "aws-cn", "aws-us-gov")
REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
BUCKET_ARN_RE = re.compile(r"^arn:(aws|aws-cn|aws-us-gov):s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
CONFIG_TYPE_RE = re.compile(r"^AWS::[A-Za-z0-9]+::[A-Za-z0-9]+$")

CONFIG_SERVICE = "config.amazonaws.com"
FSBP_STANDARD = "standards/aws-foundational-security-best-practices/v/1.0.0"
"""The AWS Foundational Security Best Practices standard, v1.0.0 (the part of its ARN after ``::``)."""

ENVIRONMENT_CONFIG_TYPES: tuple[str, ...] = (
    # network (PrivateNetwork, DNS firewall, query logging)
    "AWS::EC2::VPC",
    "AWS::EC2::Subnet",
    "AWS::EC2::RouteTable",
    "AWS::EC2::SubnetRouteTableAssociation",
    "AWS::EC2::NetworkAcl",
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::VPCEndpoint",
    "AWS::EC2::FlowLog",
    "AWS::EC2::PrefixList",
    "AWS::EC2::NetworkInterface",
    "AWS::EC2::InternetGateway",
    "AWS::EC2::NatGateway",
    "AWS::EC2::VPCPeeringConnection",
    "AWS::Route53Resolver::FirewallDomainList",
    "AWS::Route53Resolver::FirewallRuleGroup",
    "AWS::Route53Resolver::FirewallRuleGroupAssociation",
    "AWS::Route53Resolver::ResolverQueryLoggingConfig",
    "AWS::Route53Resolver::ResolverQueryLoggingConfigAssociation",
    # storage and keys (SecureBucket, BackupVault, KeyRing)
    "AWS::S3::Bucket",
    "AWS::KMS::Key",
    "AWS::KMS::Alias",
    # identity (MlRoles, service roles)
    "AWS::IAM::Role",
    "AWS::IAM::Policy",
    # workspace (MlWorkspace, model registry)
    "AWS::SageMaker::Domain",
    "AWS::SageMaker::UserProfile",
    "AWS::SageMaker::Model",
    "AWS::SageMaker::NotebookInstanceLifecycleConfig",
    # audit and alerts (AuditTrail, SecurityAlerts) and the baseline itself
    "AWS::CloudTrail::Trail",
    "AWS::SNS::Topic",
    "AWS::Events::Rule",
    "AWS::GuardDuty::Detector",
    "AWS::AccessAnalyzer::Analyzer",
)
"""AWS Config resource types of what the environment creates (and of the ways out the tamper alerts
watch: internet and NAT gateways, peering). CloudWatch log groups and notebook instances have no AWS Config
type; the trail records their changes. Each name is one of botocore's ``config`` ``ResourceType`` values
(``tests/components/test_baseline.py`` checks)."""


def _check(account: str, partition: str) -> None:
    if not ACCOUNT_RE.match(account):
        raise ValueError(f"account: {account!r} is not a 12-digit AWS account id")
    if partition not in PARTITIONS:
        raise ValueError(f"partition: {partition!r} is not one of {', '.join(PARTITIONS)}")


def fsbp_standards_arn(partition: str, region: str) -> str:
    """ARN of the AWS Foundational Security Best Practices standard in `region`."""
    if partition not in PARTITIONS:
        raise ValueError(f"partition: {partition!r} is not one of {', '.join(PARTITIONS)}")
    if not REGION_RE.match(region):
        raise ValueError(f"region: {region!r} is not an AWS region name such as eu-west-2")
    return f"arn:{partition}:securityhub:{region}::{FSBP_STANDARD}"


def check_config_types(types: Sequence[str]) -> list[str]:
    """The recorded types as a list: at least one, each an AWS Config type name, no duplicates."""
    names = list(types)
    if not names:
        raise ValueError(
            "recorded_resource_types: give at least one AWS Config resource type such as AWS::S3::Bucket"
        )
    for name in names:
        if not isinstance(name, str) or not CONFIG_TYPE_RE.match(name):
            raise ValueError(
                f"recorded_resource_types: {name!r} is not an AWS Config type such as AWS::S3::Bucket"
            )
    if len(set(names)) != len(names):
        raise ValueError(f"recorded_resource_types: {names!r} has duplicates")
    return names


def config_bucket_statements(
    bucket_arn: str, account: str, partition: str = "aws", key_prefix: str = ""
) -> list[dict[str, Any]]:
    """Bucket policy statements letting AWS Config deliver for this account only (confused-deputy safe)."""
    _check(account, partition)
    if not BUCKET_ARN_RE.match(bucket_arn):
        raise ValueError(f"bucket_arn: {bucket_arn!r} is not an S3 bucket ARN (arn:aws:s3:::name)")
    prefix = f"{key_prefix.strip('/')}/" if key_prefix.strip("/") else ""
    source_account = {"StringEquals": {"aws:SourceAccount": account}}
    return [
        {
            "Sid": "AWSConfigBucketPermissionsCheck",
            "Effect": "Allow",
            "Principal": {"Service": CONFIG_SERVICE},
            "Action": "s3:GetBucketAcl",
            "Resource": bucket_arn,
            "Condition": source_account,
        },
        {
            "Sid": "AWSConfigBucketExistenceCheck",
            "Effect": "Allow",
            "Principal": {"Service": CONFIG_SERVICE},
            "Action": "s3:ListBucket",
            "Resource": bucket_arn,
            "Condition": source_account,
        },
        {
            "Sid": "AWSConfigBucketDelivery",
            "Effect": "Allow",
            "Principal": {"Service": CONFIG_SERVICE},
            "Action": "s3:PutObject",
            "Resource": f"{bucket_arn}/{prefix}AWSLogs/{account}/Config/*",
            "Condition": {
                "StringEquals": {
                    "aws:SourceAccount": account,
                    "s3:x-amz-acl": "bucket-owner-full-control",
                }
            },
        },
    ]


FINDING_SOURCES: tuple[str, ...] = ("guardduty", "securityhub", "access-analyzer", "config")
"""The baseline's finding sources, each routed by its own EventBridge rule (`<name>-<source>-findings`)."""


def finding_patterns() -> dict[str, dict[str, Any]]:
    """EventBridge patterns, one per finding source: what reaches the alert topic.

    - GuardDuty: every finding (GuardDuty only reports what it judged suspicious);
    - Security Hub: imported findings that are active, new, and FAILED or of CRITICAL or HIGH severity;
    - IAM Access Analyzer: active findings (a resource shared outside the zone of trust);
    - AWS Config: rule evaluations that turn NON_COMPLIANT.
    """
    return {
        "guardduty": {"source": ["aws.guardduty"], "detail-type": ["GuardDuty Finding"]},
        "securityhub": {
            "source": ["aws.securityhub"],
            "detail-type": ["Security Hub Findings - Imported"],
            "detail": {
                "findings": {
                    "RecordState": ["ACTIVE"],
                    "Workflow": {"Status": ["NEW"]},
                    "$or": [
                        {"Compliance": {"Status": ["FAILED"]}},
                        {"Severity": {"Label": ["CRITICAL", "HIGH"]}},
                    ],
                }
            },
        },
        "access-analyzer": {
            "source": ["aws.access-analyzer"],
            "detail-type": ["Access Analyzer Finding"],
            "detail": {"status": ["ACTIVE"]},
        },
        "config": {
            "source": ["aws.config"],
            "detail-type": ["Config Rules Compliance Change"],
            "detail": {
                "messageType": ["ComplianceChangeNotification"],
                "newEvaluationResult": {"complianceType": ["NON_COMPLIANT"]},
            },
        },
    }
