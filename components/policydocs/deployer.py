"""The CI deployer's permissions, derived from the resource types of the stack's own plan. Pure.

``TYPE_ACTIONS`` maps each canonical pulumi-aws resource type token the stacks create to the IAM actions
``pulumi up`` needs to create, read, update, tag and delete it, grouped by the statement (``Grant``) that
scopes them: the stack's exact ARNs (buckets, keys, aliases, roles, policies, topics, domains), its name
prefix (``Scope.name_prefix``: trails, log groups, rules, notebooks, model package groups), its IAM path,
its environment tag or VPC (network), and the regions the type lives in (``aws:RequestedRegion``). The
deployer is granted the actions of the types the stack registered (``PlannedTypes``) and nothing else; a
type missing from the table is refused (``UnknownResourceType``), never granted by a wildcard.

SageMaker creates by the deployer carry the humans' guardrails: MlRoles attaches the same guardrail
policy (``iam.guardrail_policy``: VPC, isolation, no direct internet, no root, the stack's keys) to it.
Explicit denies (``deployer_denies``) stop it from changing its own role and policies, editing the
guardrail and boundary policies, creating or changing a role without the workload boundary, removing a
boundary, deleting or disabling keys, bypassing the key policy lockout check, and passing any role that
is not one of the stack's service roles (each only to its own service).

Every action here is checked against the IAM action database by
``tests/components/policydocs/test_deployer.py`` (components never import the policy pack).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from strongroom.components.policydocs.iam import (
    AUDITOR_BUCKET_READS,
    MANAGED_POLICY_MAX_CHARS,
    PolicyDocument,
    Scope,
    Statement,
    allow,
    ceiling_reads,
    deny,
    document,
    managed_policy_size,
    sign_manifests,
    split_reads,
    star,
)
from strongroom.components.tags import ENVIRONMENT_TAG

GLOBAL = "global"
"""Region of a global service's resources (IAM): no ``aws:RequestedRegion`` condition on them."""

PlannedTypes = Mapping[str, Sequence[str]]
"""Canonical resource type token -> the regions the stack creates it in."""


class UnknownResourceType(ValueError):
    """The stack creates a resource type the deployer table does not know: add it to TYPE_ACTIONS."""


# --------------------------------------------------------------------------------------------------
# The table: type -> {grant: actions}

_EC2_DESCRIBE = (
    "ec2:DescribeVpcs",
    "ec2:DescribeSubnets",
    "ec2:DescribeRouteTables",
    "ec2:DescribeVpcEndpoints",
    "ec2:DescribeFlowLogs",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSecurityGroupRules",
    "ec2:DescribeNetworkAcls",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribePrefixLists",
    "ec2:DescribeAvailabilityZones",
)
_BUCKET_READS = (
    *AUDITOR_BUCKET_READS,
    "s3:ListBucket",
    "s3:GetBucketCORS",
    "s3:GetBucketWebsite",
    "s3:GetAccelerateConfiguration",
    "s3:GetBucketRequestPayment",
)
_ROLE_READS = (
    "iam:GetRole",
    "iam:ListRolePolicies",
    "iam:ListAttachedRolePolicies",
    "iam:ListInstanceProfilesForRole",
)
_RULE = ("events:DescribeRule", "events:ListTagsForResource", "events:TagResource", "events:UntagResource")

TYPE_ACTIONS: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    # Network (PrivateNetwork): created with the stack's tag, changed in its VPC, deleted by its tag.
    "aws:ec2/vpc:Vpc": {
        "CreateNetwork": ("ec2:CreateVpc", "ec2:CreateTags"),
        "DeleteAndTagNetwork": (
            "ec2:DeleteVpc",
            "ec2:ModifyVpcAttribute",
            "ec2:DescribeVpcAttribute",
            "ec2:CreateTags",
            "ec2:DeleteTags",
        ),
        "DescribeNetwork": _EC2_DESCRIBE,
    },
    "aws:ec2/subnet:Subnet": {
        "CreateNetwork": ("ec2:CreateSubnet", "ec2:CreateTags"),
        "DeleteAndTagNetwork": ("ec2:DeleteSubnet", "ec2:CreateTags", "ec2:DeleteTags"),
        "ConfigureNetwork": ("ec2:ModifySubnetAttribute",),
        "DescribeNetwork": ("ec2:DescribeSubnets",),
    },
    "aws:ec2/routeTable:RouteTable": {
        "CreateNetwork": ("ec2:CreateRouteTable", "ec2:CreateTags"),
        "DeleteAndTagNetwork": ("ec2:DeleteRouteTable", "ec2:CreateTags", "ec2:DeleteTags"),
        "DescribeNetwork": ("ec2:DescribeRouteTables",),
    },
    "aws:ec2/routeTableAssociation:RouteTableAssociation": {
        "ConfigureNetwork": ("ec2:AssociateRouteTable", "ec2:DisassociateRouteTable"),
        "DescribeNetwork": ("ec2:DescribeRouteTables",),
    },
    "aws:ec2/defaultRouteTable:DefaultRouteTable": {
        "ConfigureNetwork": ("ec2:CreateTags",),
        "DeleteAndTagNetwork": ("ec2:DeleteTags",),
        "DescribeNetwork": ("ec2:DescribeRouteTables",),
    },
    "aws:ec2/securityGroup:SecurityGroup": {
        "CreateNetwork": (
            "ec2:CreateSecurityGroup",
            "ec2:AuthorizeSecurityGroupIngress",
            "ec2:AuthorizeSecurityGroupEgress",
            "ec2:CreateTags",
        ),
        "DeleteAndTagNetwork": ("ec2:DeleteSecurityGroup", "ec2:CreateTags", "ec2:DeleteTags"),
        "ConfigureNetwork": ("ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress"),
        "DescribeNetwork": ("ec2:DescribeSecurityGroups", "ec2:DescribeSecurityGroupRules"),
    },
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": {
        "ConfigureNetwork": (
            "ec2:RevokeSecurityGroupIngress",
            "ec2:RevokeSecurityGroupEgress",
            "ec2:CreateTags",
        ),
        "DeleteAndTagNetwork": ("ec2:DeleteTags",),
        "DescribeNetwork": ("ec2:DescribeSecurityGroups", "ec2:DescribeSecurityGroupRules"),
    },
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": {
        "CreateNetwork": ("ec2:AuthorizeSecurityGroupIngress", "ec2:CreateTags"),
        "DeleteAndTagNetwork": ("ec2:CreateTags", "ec2:DeleteTags"),
        "ConfigureNetwork": ("ec2:RevokeSecurityGroupIngress", "ec2:ModifySecurityGroupRules"),
        "DescribeNetwork": ("ec2:DescribeSecurityGroupRules",),
    },
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": {
        "CreateNetwork": ("ec2:AuthorizeSecurityGroupEgress", "ec2:CreateTags"),
        "DeleteAndTagNetwork": ("ec2:CreateTags", "ec2:DeleteTags"),
        "ConfigureNetwork": ("ec2:RevokeSecurityGroupEgress", "ec2:ModifySecurityGroupRules"),
        "DescribeNetwork": ("ec2:DescribeSecurityGroupRules",),
    },
    "aws:ec2/networkAcl:NetworkAcl": {
        "CreateNetwork": ("ec2:CreateNetworkAcl", "ec2:CreateTags"),
        "DeleteAndTagNetwork": ("ec2:DeleteNetworkAcl", "ec2:CreateTags", "ec2:DeleteTags"),
        "ConfigureNetwork": (
            "ec2:CreateNetworkAclEntry",
            "ec2:DeleteNetworkAclEntry",
            "ec2:ReplaceNetworkAclEntry",
            "ec2:ReplaceNetworkAclAssociation",
        ),
        "DescribeNetwork": ("ec2:DescribeNetworkAcls",),
    },
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": {
        "ConfigureNetwork": (
            "ec2:CreateNetworkAclEntry",
            "ec2:DeleteNetworkAclEntry",
            "ec2:ReplaceNetworkAclEntry",
            "ec2:ReplaceNetworkAclAssociation",
            "ec2:CreateTags",
        ),
        "DeleteAndTagNetwork": ("ec2:DeleteTags",),
        "DescribeNetwork": ("ec2:DescribeNetworkAcls",),
    },
    "aws:ec2/vpcEndpoint:VpcEndpoint": {
        "CreateNetwork": ("ec2:CreateVpcEndpoint", "ec2:CreateTags"),
        "DeleteAndTagNetwork": ("ec2:DeleteVpcEndpoints", "ec2:CreateTags", "ec2:DeleteTags"),
        "ConfigureNetwork": ("ec2:ModifyVpcEndpoint",),
        "DescribeNetwork": ("ec2:DescribeVpcEndpoints", "ec2:DescribePrefixLists"),
    },
    "aws:ec2/flowLog:FlowLog": {
        "CreateNetwork": ("ec2:CreateFlowLogs", "ec2:CreateTags"),
        "DeleteAndTagNetwork": ("ec2:DeleteFlowLogs", "ec2:CreateTags", "ec2:DeleteTags"),
        "DescribeNetwork": ("ec2:DescribeFlowLogs",),
    },
    # Buckets (SecureBucket, BackupVault, AuditTrail): the stack's exact bucket ARNs.
    "aws:s3/bucket:Bucket": {
        "ManageBuckets": (
            "s3:CreateBucket",
            "s3:DeleteBucket",
            "s3:PutBucketTagging",
            "s3:ListBucketVersions",
            *_BUCKET_READS,
        ),
        "ListBuckets": ("s3:ListAllMyBuckets",),
    },
    "aws:s3/bucketVersioning:BucketVersioning": {
        "ManageBuckets": ("s3:PutBucketVersioning", "s3:GetBucketVersioning"),
    },
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": {
        "ManageBuckets": ("s3:PutEncryptionConfiguration", "s3:GetEncryptionConfiguration"),
    },
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": {
        "ManageBuckets": ("s3:PutBucketPublicAccessBlock", "s3:GetBucketPublicAccessBlock"),
    },
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": {
        "ManageBuckets": ("s3:PutBucketOwnershipControls", "s3:GetBucketOwnershipControls"),
    },
    "aws:s3/bucketPolicy:BucketPolicy": {
        "ManageBuckets": ("s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:GetBucketPolicy"),
    },
    "aws:s3/bucketLogging:BucketLogging": {
        "ManageBuckets": ("s3:PutBucketLogging", "s3:GetBucketLogging"),
    },
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": {
        "ManageBuckets": ("s3:PutLifecycleConfiguration", "s3:GetLifecycleConfiguration"),
    },
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": {
        "ManageBuckets": ("s3:PutBucketObjectLockConfiguration", "s3:GetBucketObjectLockConfiguration"),
    },
    "aws:s3/bucketNotification:BucketNotification": {
        "ManageBuckets": ("s3:PutBucketNotification", "s3:GetBucketNotification"),
    },
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": {
        "ManageBuckets": ("s3:PutReplicationConfiguration", "s3:GetReplicationConfiguration"),
    },
    # Keys (KeyRing, BackupVault replica key): created on '*', then only the stack's exact keys.
    "aws:kms/key:Key": {
        "CreateKeys": ("kms:CreateKey", "kms:ListKeys"),
        "ManageKeys": (
            "kms:DescribeKey",
            "kms:GetKeyPolicy",
            "kms:PutKeyPolicy",
            "kms:GetKeyRotationStatus",
            "kms:EnableKeyRotation",
            "kms:ListResourceTags",
            "kms:TagResource",
            "kms:UntagResource",
            "kms:UpdateKeyDescription",
        ),
    },
    "aws:kms/alias:Alias": {
        "ManageAliases": ("kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"),
        "CreateKeys": ("kms:ListAliases",),
    },
    # IAM (MlRoles and the service roles): the stack's exact roles and policies, under its path.
    "aws:iam/role:Role": {
        # Pulumi names a role before creating it: the exact ARN is known (and granted) in advance; the
        # tags of CreateRole authorise iam:TagRole on it (ManageStackRoles, no boundary key there).
        "CreateStackRoles": ("iam:CreateRole",),
        "ManageStackRoles": (
            "iam:DeleteRole",
            "iam:UpdateRole",
            "iam:UpdateAssumeRolePolicy",
            "iam:PutRolePermissionsBoundary",
            "iam:TagRole",
            "iam:UntagRole",
            *_ROLE_READS,
        ),
    },
    "aws:iam/rolePolicy:RolePolicy": {
        "ManageStackRoles": ("iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:GetRolePolicy"),
    },
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": {
        "ManageStackRoles": ("iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:ListAttachedRolePolicies"),
    },
    "aws:iam/policy:Policy": {
        "ManageStackPolicies": (
            "iam:CreatePolicy",
            "iam:GetPolicy",
            "iam:GetPolicyVersion",
            "iam:ListPolicyVersions",
            "iam:TagPolicy",
        ),
    },
    # Alerts: the stack's topics exactly, subscriptions (star only), rules by name prefix.
    "aws:sns/topic:Topic": {
        "ManageTopics": (
            "sns:CreateTopic",
            "sns:DeleteTopic",
            "sns:GetTopicAttributes",
            "sns:SetTopicAttributes",
            "sns:TagResource",
            "sns:UntagResource",
            "sns:ListTagsForResource",
        ),
    },
    "aws:sns/topicPolicy:TopicPolicy": {
        "ManageTopics": ("sns:SetTopicAttributes", "sns:GetTopicAttributes"),
    },
    "aws:sns/topicSubscription:TopicSubscription": {
        "ManageTopics": ("sns:Subscribe", "sns:ListSubscriptionsByTopic"),
        "ManageSubscriptions": (
            "sns:Unsubscribe",
            "sns:GetSubscriptionAttributes",
            "sns:SetSubscriptionAttributes",
        ),
    },
    "aws:cloudwatch/eventRule:EventRule": {
        "ManageRules": ("events:PutRule", "events:DeleteRule", "events:EnableRule", *_RULE),
    },
    "aws:cloudwatch/eventTarget:EventTarget": {
        "ManageRules": ("events:PutTargets", "events:RemoveTargets", "events:ListTargetsByRule", *_RULE),
    },
    # Audit: the trail and its log groups by the stack's name prefix.
    "aws:cloudtrail/trail:Trail": {
        "ManageTrail": (
            "cloudtrail:CreateTrail",
            "cloudtrail:UpdateTrail",
            "cloudtrail:DeleteTrail",
            "cloudtrail:StartLogging",
            "cloudtrail:GetTrail",
            "cloudtrail:GetTrailStatus",
            "cloudtrail:GetEventSelectors",
            "cloudtrail:PutEventSelectors",
            "cloudtrail:GetInsightSelectors",
            "cloudtrail:PutInsightSelectors",
            "cloudtrail:AddTags",
            "cloudtrail:RemoveTags",
            "cloudtrail:ListTags",
        ),
        "DescribeTrails": ("cloudtrail:DescribeTrails",),
    },
    "aws:cloudwatch/logGroup:LogGroup": {
        "ManageLogGroups": (
            "logs:CreateLogGroup",
            "logs:DeleteLogGroup",
            "logs:PutRetentionPolicy",
            "logs:AssociateKmsKey",
            "logs:DisassociateKmsKey",
            "logs:TagResource",
            "logs:UntagResource",
            "logs:ListTagsForResource",
        ),
        "DescribeLogGroups": ("logs:DescribeLogGroups",),
    },
    # Workspace: the stack's Studio domain (created with its tag) and notebook instances by prefix.
    "aws:sagemaker/domain:Domain": {
        "CreateStudioDomain": ("sagemaker:CreateDomain", "sagemaker:AddTags"),
        "ManageSageMaker": (
            "sagemaker:UpdateDomain",
            "sagemaker:DeleteDomain",
            "sagemaker:DescribeDomain",
            "sagemaker:AddTags",
            "sagemaker:DeleteTags",
            "sagemaker:ListTags",
        ),
    },
    "aws:sagemaker/notebookInstance:NotebookInstance": {
        "ManageSageMaker": (
            "sagemaker:CreateNotebookInstance",
            "sagemaker:UpdateNotebookInstance",
            "sagemaker:DeleteNotebookInstance",
            "sagemaker:DescribeNotebookInstance",
            "sagemaker:StopNotebookInstance",
            "sagemaker:AddTags",
            "sagemaker:DeleteTags",
            "sagemaker:ListTags",
        ),
    },
    "aws:sagemaker/modelPackageGroup:ModelPackageGroup": {
        "ManageModelPackageGroups": (
            "sagemaker:CreateModelPackageGroup",
            "sagemaker:DeleteModelPackageGroup",
            "sagemaker:DescribeModelPackageGroup",
            "sagemaker:AddTags",
            "sagemaker:DeleteTags",
            "sagemaker:ListTags",
        ),
    },
    "aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy": {
        "ManageModelPackageGroups": (
            "sagemaker:PutModelPackageGroupPolicy",
            "sagemaker:GetModelPackageGroupPolicy",
            "sagemaker:DeleteModelPackageGroupPolicy",
        ),
    },
    # DNS firewall and query logging (keysnet): created with the stack's tag, changed by it.
    "aws:route53/resolverFirewallDomainList:ResolverFirewallDomainList": {
        "CreateResolver": ("route53resolver:CreateFirewallDomainList", "route53resolver:TagResource"),
        "ManageResolver": (
            "route53resolver:DeleteFirewallDomainList",
            "route53resolver:GetFirewallDomainList",
            "route53resolver:UpdateFirewallDomains",
            "route53resolver:ListFirewallDomains",
            "route53resolver:TagResource",
            "route53resolver:UntagResource",
            "route53resolver:ListTagsForResource",
        ),
    },
    "aws:route53/resolverFirewallRuleGroup:ResolverFirewallRuleGroup": {
        "CreateResolver": ("route53resolver:CreateFirewallRuleGroup", "route53resolver:TagResource"),
        "ManageResolver": (
            "route53resolver:GetFirewallRuleGroup",
            "route53resolver:TagResource",
            "route53resolver:UntagResource",
            "route53resolver:ListTagsForResource",
        ),
    },
    "aws:route53/resolverFirewallRule:ResolverFirewallRule": {
        "ManageResolver": (
            "route53resolver:CreateFirewallRule",
            "route53resolver:UpdateFirewallRule",
            "route53resolver:DeleteFirewallRule",
            "route53resolver:ListFirewallRules",
        ),
    },
    "aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation": {
        "CreateResolver": ("route53resolver:AssociateFirewallRuleGroup", "route53resolver:TagResource"),
        "ManageResolver": (
            "route53resolver:GetFirewallRuleGroupAssociation",
            "route53resolver:UpdateFirewallRuleGroupAssociation",
            "route53resolver:TagResource",
            "route53resolver:UntagResource",
            "route53resolver:ListTagsForResource",
        ),
    },
    "aws:route53/resolverFirewallConfig:ResolverFirewallConfig": {
        "ManageResolver": ("route53resolver:GetFirewallConfig", "route53resolver:UpdateFirewallConfig"),
    },
    "aws:route53/resolverQueryLogConfig:ResolverQueryLogConfig": {
        "CreateResolver": ("route53resolver:TagResource",),
        "ResolverStarOnly": ("route53resolver:CreateResolverQueryLogConfig",),
        "ManageResolver": (
            "route53resolver:GetResolverQueryLogConfig",
            "route53resolver:TagResource",
            "route53resolver:UntagResource",
            "route53resolver:ListTagsForResource",
        ),
    },
    "aws:route53/resolverQueryLogConfigAssociation:ResolverQueryLogConfigAssociation": {
        "ManageResolver": ("route53resolver:AssociateResolverQueryLogConfig",),
        "ResolverStarOnly": ("route53resolver:GetResolverQueryLogConfigAssociation",),
    },
    # Account baseline (baseline): the account's single detector, hub, analyzer and recorder.
    "aws:guardduty/detector:Detector": {
        "CreateServiceLinkedRoles": ("iam:CreateServiceLinkedRole",),
        "CreateBaseline": ("guardduty:CreateDetector", "guardduty:ListDetectors"),
        "ManageBaseline": (
            "guardduty:GetDetector",
            "guardduty:UpdateDetector",
            "guardduty:TagResource",
            "guardduty:UntagResource",
            "guardduty:ListTagsForResource",
        ),
    },
    "aws:guardduty/detectorFeature:DetectorFeature": {
        "ManageBaseline": ("guardduty:GetDetector", "guardduty:UpdateDetector"),
    },
    "aws:securityhub/account:Account": {
        "CreateServiceLinkedRoles": ("iam:CreateServiceLinkedRole",),
        "ManageBaseline": (
            "securityhub:EnableSecurityHub",
            "securityhub:DescribeHub",
            "securityhub:UpdateSecurityHubConfiguration",
            "securityhub:TagResource",
            "securityhub:UntagResource",
            "securityhub:ListTagsForResource",
        ),
    },
    "aws:securityhub/standardsSubscription:StandardsSubscription": {
        "ManageBaseline": (
            "securityhub:BatchEnableStandards",
            "securityhub:GetEnabledStandards",
        ),
    },
    "aws:accessanalyzer/analyzer:Analyzer": {
        "CreateServiceLinkedRoles": ("iam:CreateServiceLinkedRole",),
        "ManageBaseline": (
            "access-analyzer:CreateAnalyzer",
            "access-analyzer:GetAnalyzer",
            "access-analyzer:TagResource",
            "access-analyzer:UntagResource",
            "access-analyzer:ListTagsForResource",
        ),
    },
    "aws:cfg/recorder:Recorder": {
        "CreateServiceLinkedRoles": ("iam:CreateServiceLinkedRole",),
        "CreateBaseline": ("config:PutConfigurationRecorder",),
        "ManageConfigRecorder": ("config:DescribeConfigurationRecorders",),
    },
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": {
        # The Config recorder's AWSServiceRoleForConfig, created explicitly by the baseline. Deleting it
        # would stop the recorder: an administrator's act, like turning the detection services off.
        "CreateServiceLinkedRoles": ("iam:CreateServiceLinkedRole",),
        "ManageServiceLinkedRoles": (
            "iam:GetRole",
            "iam:UpdateRoleDescription",
            "iam:TagRole",
            "iam:UntagRole",
            "iam:ListRoleTags",
        ),
    },
    "aws:cfg/deliveryChannel:DeliveryChannel": {
        "CreateBaseline": (
            "config:PutDeliveryChannel",
            "config:DescribeDeliveryChannels",
        ),
    },
    "aws:cfg/recorderStatus:RecorderStatus": {
        "ManageConfigRecorder": (
            "config:StartConfigurationRecorder",
            "config:DescribeConfigurationRecorderStatus",
        ),
    },
}
"""Canonical resource type -> {grant: IAM actions}: what ``pulumi up`` calls to create, read, update, tag
and delete a resource of the type (refresh included). Validated against the IAM database by the tests."""

ALWAYS: Mapping[str, tuple[str, ...]] = {"Identity": ("sts:GetCallerIdentity",)}
"""What every ``pulumi up`` calls whatever the stack holds: the provider's identity lookup."""

#: Grants whose actions AWS authorises on '*' alone (no resource type): granted with star().
STAR_GRANTS = frozenset(
    {
        "DescribeNetwork",
        "ListBuckets",
        "CreateKeys",
        "ManageSubscriptions",
        "DescribeTrails",
        "DescribeLogGroups",
        "CreateBaseline",
        "ResolverStarOnly",
        "Identity",
    }
)
#: Grants on global resources (IAM): no aws:RequestedRegion condition (IAM's endpoint is us-east-1).
GLOBAL_GRANTS = frozenset(
    {
        "CreateStackRoles",
        "ManageStackRoles",
        "ManageStackPolicies",
        "CreateServiceLinkedRoles",
        "ManageServiceLinkedRoles",
        "Identity",
    }
)
#: The service-linked role AWS creates when a type's service is first enabled: (service, role name).
SERVICE_LINKED_ROLES: Mapping[str, tuple[str, str]] = {
    "aws:guardduty/detector:Detector": ("guardduty.amazonaws.com", "AWSServiceRoleForAmazonGuardDuty"),
    "aws:securityhub/account:Account": ("securityhub.amazonaws.com", "AWSServiceRoleForSecurityHub"),
    "aws:accessanalyzer/analyzer:Analyzer": (
        "access-analyzer.amazonaws.com",
        "AWSServiceRoleForAccessAnalyzer",
    ),
    "aws:cfg/recorder:Recorder": ("config.amazonaws.com", "AWSServiceRoleForConfig"),
}
#: Types whose ARNs AWS assigns on creation: the deployer manages them by the exact ARNs it is given.
EXACT_ARN_TYPES = frozenset(
    {
        "aws:route53/resolverFirewallDomainList:ResolverFirewallDomainList",
        "aws:route53/resolverFirewallRuleGroup:ResolverFirewallRuleGroup",
        "aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation",
        "aws:route53/resolverFirewallConfig:ResolverFirewallConfig",
        "aws:route53/resolverQueryLogConfig:ResolverQueryLogConfig",
        "aws:guardduty/detector:Detector",
        "aws:securityhub/account:Account",
        "aws:accessanalyzer/analyzer:Analyzer",
    }
)


# --------------------------------------------------------------------------------------------------
# What the deployer acts on


@dataclass(frozen=True)
class PassableRole:
    """A stack role the deployer may hand to one service (``iam:PassedToService``)."""

    arn: str
    service: str

    def __post_init__(self) -> None:
        if not re.match(r"^[a-z0-9.-]+\.amazonaws\.com$", self.service):
            raise ValueError(
                f"passable role {self.arn}: service {self.service!r} is not one service principal "
                "(x.amazonaws.com, no wildcard)"
            )
        if not re.match(r"^arn:(aws|aws-cn|aws-us-gov):iam::\d{12}:role/[\w+=,.@/-]+$", self.arn):
            raise ValueError(f"passable role: {self.arn!r} is not the exact ARN of one role")


@dataclass(frozen=True)
class DeployerTargets:
    """Exact ARNs of what the deployer manages besides the scope's buckets and keys."""

    own_role_arn: str
    """The deployer's own role: never modified by it."""
    own_policy_arns: tuple[str, ...]
    """The deployer's own managed policies and its boundary: never edited, detached or deleted by it."""
    role_arns: tuple[str, ...]
    """Every other role of the stack (workload, human and service roles)."""
    policy_arns: tuple[str, ...]
    """Managed policies of the stack it may create and attach (guardrails, boundaries)."""
    protected_policy_arns: tuple[str, ...]
    """Guardrail and boundary policies: created once, never re-versioned or deleted by the deployer."""
    workload_boundary_arn: str
    """Every role it creates or re-bounds must carry this boundary."""
    passable_roles: tuple[PassableRole, ...] = ()
    human_role_arns: tuple[str, ...] = ()
    """Roles people assume: never passed to a service."""
    topic_arns: tuple[str, ...] = ()
    key_alias_names: tuple[str, ...] = ()
    key_arns: tuple[str, ...] = ()
    """The keys it configures (default: the scope's keys), named exactly."""
    domain_ids: tuple[str, ...] = ()
    environment: str = ""
    resource_arns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Exact ARNs of the resources of ``EXACT_ARN_TYPES`` (AWS assigns them on creation), by type; a
    firewall config as its ``firewall-config/<id>`` resource part."""
    config_recorder_names: tuple[str, ...] = ()
    """Names of the AWS Config recorders the stack creates."""


def check_types(planned: PlannedTypes) -> None:
    """Raise UnknownResourceType naming every planned type the table does not cover."""
    unknown = sorted(t for t in planned if t not in TYPE_ACTIONS)
    if unknown:
        raise UnknownResourceType(
            f"the stack creates {unknown}, which the CI deployer's table (components/policydocs/"
            "deployer.py TYPE_ACTIONS) does not know; add each type with the IAM actions it needs"
        )


def grant_actions(planned: Iterable[str]) -> dict[str, set[str]]:
    """{grant: actions} of the planned types (plus ALWAYS)."""
    planned = list(planned)
    check_types({t: () for t in planned})
    out: dict[str, set[str]] = {g: set(a) for g, a in ALWAYS.items()}
    for token in planned:
        for grant, actions in TYPE_ACTIONS[token].items():
            out.setdefault(grant, set()).update(actions)
    return out


def granted_actions(planned: Iterable[str]) -> frozenset[str]:
    return frozenset(a for actions in grant_actions(planned).values() for a in actions)


def _regions_of(planned: PlannedTypes, grant: str, primary: str) -> list[str]:
    regions = {r for t, rs in planned.items() if grant in TYPE_ACTIONS.get(t, {}) for r in (rs or (primary,))}
    regions.discard(GLOBAL)
    return sorted(regions or {primary})


def _arn(s: Scope, region: str, service: str, resource: str) -> str:
    return f"arn:{s.partition}:{service}:{region}:{s.account}:{resource}"


def _in_regions(regions: Sequence[str]) -> Statement:
    return {"StringEquals": {"aws:RequestedRegion": sorted(regions)}}


def _merge(*conditions: Statement | None) -> Statement:
    out: Statement = {}
    for condition in conditions:
        for operator, keys in (condition or {}).items():
            out.setdefault(operator, {}).update(keys)
    return out


def _resources(s: Scope, t: DeployerTargets, grant: str, regions: Sequence[str]) -> list[str]:
    """The exact ARNs (or name-prefixed patterns) a grant acts on, in each of its regions."""
    prefix = s.name_prefix
    if grant in ("CreateNetwork", "DeleteAndTagNetwork", "ConfigureNetwork"):
        return [_arn(s, r, "ec2", "*") for r in regions]
    if grant == "ManageBuckets":
        return list(s.bucket_arns)
    if grant == "ManageKeys":
        return [*(t.key_arns or s.key_arns), *s.signing_key_arns]
    if grant == "ManageAliases":
        aliases = [_arn(s, r, "kms", name) for r in regions for name in t.key_alias_names]
        return [*aliases, *(t.key_arns or s.key_arns), *s.signing_key_arns] if aliases else []
    if grant in ("CreateStackRoles", "ManageStackRoles"):
        return [a for a in t.role_arns if a != t.own_role_arn]
    if grant == "ManageStackPolicies":
        return [a for a in t.policy_arns if a not in t.own_policy_arns]
    if grant == "ManageTopics":
        return list(t.topic_arns)
    if grant == "ManageRules":
        return [_arn(s, r, "events", f"rule/{prefix}*") for r in regions]
    if grant == "ManageTrail":
        return [_arn(s, r, "cloudtrail", f"trail/{prefix}*") for r in regions]
    if grant == "ManageLogGroups":
        return [p for p in s.log_group_patterns[:2] if any(f":{r}:" in p for r in regions)]
    if grant == "CreateStudioDomain":
        return [_arn(s, r, "sagemaker", "domain/*") for r in regions]
    if grant == "ManageSageMaker":
        domains = [_arn(s, r, "sagemaker", f"domain/{d}") for r in regions for d in t.domain_ids]
        return [*domains, *(_arn(s, r, "sagemaker", f"notebook-instance/{prefix}*") for r in regions)]
    if grant == "ManageModelPackageGroups":
        return [_arn(s, r, "sagemaker", f"model-package-group/{prefix}*") for r in regions]
    if grant == "CreateResolver":
        # Created with the stack's tag (aws:RequestTag): the IDs do not exist yet.
        return [_arn(s, r, "route53resolver", "*") for r in regions]
    if grant in ("ManageResolver", "ManageBaseline"):
        exact = [
            arn if arn.startswith("arn:") else _arn(s, r, "route53resolver", arn)
            for token in EXACT_ARN_TYPES
            if token in TYPE_ACTIONS and grant in TYPE_ACTIONS[token]
            for arn in t.resource_arns.get(token, ())
            for r in (regions if not arn.startswith("arn:") else regions[:1])
        ]
        if grant == "ManageBaseline":
            # Security Hub acts on the account's hub; an analyzer is created by its name (the stack's
            # prefix), known before it exists.
            exact += [_arn(s, r, "securityhub", "hub/default") for r in regions]
            exact += [_arn(s, r, "access-analyzer", f"analyzer/{prefix}*") for r in regions]
        return sorted(set(exact))
    if grant == "ManageConfigRecorder":
        names = t.config_recorder_names or ("default",)
        return [_arn(s, r, "config", f"configuration-recorder/{n}/*") for r in regions for n in names]
    raise UnknownResourceType(f"grant {grant!r} has no resource scope in components/policydocs/deployer.py")


def _condition(t: DeployerTargets, grant: str, vpc_arn: str) -> Statement | None:
    request_tag = {"StringEquals": {f"aws:RequestTag/{ENVIRONMENT_TAG}": t.environment}}
    resource_tag = {"StringEquals": {f"aws:ResourceTag/{ENVIRONMENT_TAG}": t.environment}}
    if grant in ("CreateNetwork", "CreateStudioDomain", "CreateResolver"):
        return request_tag
    if grant == "DeleteAndTagNetwork":
        return resource_tag
    if grant == "ConfigureNetwork":
        return {"ArnEquals": {"ec2:Vpc": vpc_arn}} if vpc_arn else resource_tag
    if grant == "CreateStackRoles":
        return {"ArnEquals": {"iam:PermissionsBoundary": t.workload_boundary_arn}}
    return None


_OWN_READS = (
    *_ROLE_READS,
    "iam:GetRolePolicy",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:ListPolicyVersions",
)


def deployer_statements(s: Scope, t: DeployerTargets, planned: PlannedTypes) -> list[Statement]:
    """The Allow statements of the planned types, each scoped to the stack's ARNs and the type's regions,
    then the PassRole statements and the explicit denies."""
    if not t.environment:
        raise ValueError("targets.environment: the strongroom:environment tag value is required")
    grants = grant_actions(planned)
    statements: list[Statement] = []
    for grant in sorted(grants):
        actions = grants[grant]
        if grant in ("CreateServiceLinkedRoles", "ManageServiceLinkedRoles"):
            linked = [SERVICE_LINKED_ROLES[token] for token in planned if token in SERVICE_LINKED_ROLES]
            if not linked:
                continue
            arns = [s.arn("iam", f"role/aws-service-role/{svc}/{role}", region=False) for svc, role in linked]
            service_condition = {"StringEquals": {"iam:AWSServiceName": sorted(svc for svc, _ in linked)}}
            create = grant == "CreateServiceLinkedRoles"
            statements.append(allow(grant, actions, arns, service_condition if create else None))
            continue
        regions = _regions_of(planned, grant, s.region)
        region_condition = None if grant in GLOBAL_GRANTS else _in_regions(regions)
        if grant in STAR_GRANTS:
            statements.append(star(grant, actions, region_condition))
            continue
        resources = _resources(s, t, grant, regions)
        if not resources:
            continue
        condition = _merge(_condition(t, grant, s.vpc_arn), region_condition)
        statements.append(allow(grant, actions, resources, condition or None))
    # Refresh reads the deployer's own role and policies too; it may read them, never change them.
    own_reads = [
        a
        for a in _OWN_READS
        if a in grants.get("ManageStackRoles", set()) | grants.get("ManageStackPolicies", set())
    ]
    if own_reads and t.own_role_arn:
        statements.append(allow("ReadOwnRoleAndPolicies", own_reads, [t.own_role_arn, *t.own_policy_arns]))
    # CI signs the manifests of what it ships, with exactly the stack's signing key.
    statements += sign_manifests(s)
    statements += pass_role_statements(t)
    statements += deployer_denies(s, t)
    return statements


def pass_role_statements(t: DeployerTargets) -> list[Statement]:
    """One statement per service: the stack's roles for it, passed only to it, never a human role."""
    by_service: dict[str, set[str]] = {}
    for role in t.passable_roles:
        if role.arn in t.human_role_arns or role.arn == t.own_role_arn:
            raise ValueError(f"passable_roles: {role.arn} is a human or the deployer's role; never passed")
        by_service.setdefault(role.service, set()).add(role.arn)
    return [
        allow(
            f"PassTo{service.split('.')[0].title().replace('-', '')}",
            ["iam:PassRole"],
            sorted(arns),
            {"StringEquals": {"iam:PassedToService": service}},
        )
        for service, arns in sorted(by_service.items())
    ]


SELF_MODIFICATION = (
    "iam:UpdateAssumeRolePolicy",
    "iam:PutRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:AttachRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
    "iam:DeleteRole",
    "iam:TagRole",
    "iam:UntagRole",
)
"""What the deployer may never do to its own role: its permissions, trust, boundary, session, tags."""
POLICY_EDITS = (
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:DeletePolicyVersion",
    "iam:DeletePolicy",
)
"""Edits of a managed policy: denied on the guardrails, the boundaries and the deployer's own policies."""
KEY_DESTRUCTION = (
    "kms:ScheduleKeyDeletion",
    "kms:DisableKey",
    "kms:DeleteImportedKeyMaterial",
    "kms:CancelKeyDeletion",
)
"""Destroying or disabling a key (the data behind it becomes unreadable): an administrator's act."""
ASSUMING = (
    "sts:AssumeRole",
    "sts:AssumeRoleWithSAML",
    "sts:AssumeRoleWithWebIdentity",
    "sts:AssumeRoot",
    "sts:GetFederationToken",
)
"""Becoming another principal: the deployer manages roles (trust included), so it must never assume one,
or it could make a stack role trust it and act as an approver or data scientist."""
SILENCING = (
    "guardduty:DeleteDetector",
    "securityhub:DisableSecurityHub",
    "securityhub:BatchDisableStandards",
    "access-analyzer:DeleteAnalyzer",
    "config:DeleteConfigurationRecorder",
    "config:DeleteDeliveryChannel",
    "config:StopConfigurationRecorder",
    "route53resolver:DisassociateFirewallRuleGroup",
    "route53resolver:DisassociateResolverQueryLogConfig",
    "route53resolver:DeleteResolverQueryLogConfig",
    "route53resolver:DeleteFirewallRuleGroup",
)
"""Turning off the account's detection (GuardDuty, Security Hub, Access Analyzer, AWS Config) or the DNS
firewall and query logging: never granted, and denied; an administrator's act."""


def deployer_denies(s: Scope, t: DeployerTargets) -> list[Statement]:
    """Explicit denies no Allow (of this or any other policy of the role) can override."""
    statements = [
        deny("DenySelfModification", SELF_MODIFICATION, [t.own_role_arn]),
        deny(
            "DenyGuardrailAndBoundaryEdits",
            POLICY_EDITS,
            sorted({*t.protected_policy_arns, *t.own_policy_arns}),
        ),
        deny(
            "DenyRoleWithoutWorkloadBoundary",
            ["iam:CreateRole", "iam:PutRolePermissionsBoundary"],
            ["*"],
            {"ArnNotEquals": {"iam:PermissionsBoundary": t.workload_boundary_arn}},
        ),
        deny("DenyBoundaryRemoval", ["iam:DeleteRolePermissionsBoundary"], ["*"]),
        deny("DenyKeyDestruction", KEY_DESTRUCTION, ["*"]),
        deny("DenySilencingDetection", SILENCING, ["*"]),
        deny("DenyAssumingOtherRoles", ASSUMING, ["*"]),
        deny(
            "DenyKeyPolicyLockoutBypass",
            ["kms:PutKeyPolicy", "kms:CreateKey"],
            ["*"],
            {"Bool": {"kms:BypassPolicyLockoutSafetyCheck": "true"}},
        ),
    ]
    if t.human_role_arns:
        statements.append(deny("DenyPassHumanRoles", ["iam:PassRole"], sorted(t.human_role_arns)))
    return statements


def deployer_policies(
    s: Scope,
    t: DeployerTargets,
    planned: PlannedTypes,
    *,
    slots: int = 4,
    max_chars: int = MANAGED_POLICY_MAX_CHARS,
) -> list[PolicyDocument]:
    """The deployer's allows packed (first fit, in statement order) into exactly ``slots`` managed policies
    of at most ``max_chars`` each, then one policy of the explicit denies (a deny in any policy of the role
    applies to every request). A slot left empty holds only the identity lookup every deploy makes."""
    allows = [st for st in deployer_statements(s, t, planned) if st["Effect"] == "Allow"]
    packed: list[list[Statement]] = [[] for _ in range(slots)]
    # Each slot's size kept as statements go in, which is exactly managed_policy_size of its document:
    # the empty document's characters, each statement's, and a comma between two. Serialising the
    # growing document again for every try was a percent of a 50-environment program run.
    sizes = [managed_policy_size(document())] * slots
    for stmt in allows:
        size = managed_policy_size(stmt)
        for slot, stmts in enumerate(packed):
            grown = sizes[slot] + size + (1 if stmts else 0)
            if grown <= max_chars:
                stmts.append(stmt)
                sizes[slot] = grown
                break
        else:
            sizes = [managed_policy_size(document(*stmts)) for stmts in packed]
            raise ValueError(
                f"the deployer's statement {stmt['Sid']} ({managed_policy_size(document(stmt))} characters) "
                f"fits none of its {slots} managed policies (sizes {sizes}, limit {max_chars}); raise "
                "DEPLOYER_POLICY_SLOTS in components/identity.py"
            )
    identity = star("Identity", ALWAYS["Identity"])
    out = [document(*(stmts or [identity])) for stmts in packed]
    denies = document(*deployer_denies(s, t))
    if managed_policy_size(denies) > max_chars:
        raise ValueError(
            f"the deployer's deny policy is {managed_policy_size(denies)} characters, over {max_chars}"
        )
    return [*out, denies]


def deployer_boundary(
    s: Scope, t: DeployerTargets, planned: PlannedTypes, bucket_prefix: str
) -> PolicyDocument:
    """The deployer's permission boundary: exactly the deployer's actions (same table, same types; its reads
    as `service:Get*|List*|Describe*` of the same services, see `iam.ceiling_reads`) on the
    stack's buckets (``bucket_prefix``), its IAM path, its keys and aliases, or its account in the regions
    its types live in; PassRole of the same roles to the same services; the star-only actions in those
    regions; and the denies that narrow what it allows (own role, boundary on new roles, key policy
    lockout). A boundary grants nothing: it is the second, independent cap should a policy of the role
    ever change, and it has to fit one managed policy (6,144 characters)."""
    allows = [st for st in deployer_statements(s, t, planned) if st["Effect"] == "Allow"]
    actions: set[str] = set()
    resources: set[str] = set()
    star_actions: set[str] = set()
    passed: set[str] = set()
    for stmt in allows:
        acts = set(stmt["Action"])
        regions = stmt.get("Condition", {}).get("StringEquals", {}).get("aws:RequestedRegion", [s.region])
        if "iam:PassRole" in acts:
            passed.update(stmt["Resource"])
        elif stmt["Resource"] == "*":
            star_actions |= acts
        else:
            actions |= acts
            for action in acts:
                service = action.split(":")[0]
                if service == "s3":
                    resources.add(f"arn:{s.partition}:s3:::{bucket_prefix}*")
                elif service == "iam" and stmt["Sid"] in (
                    "CreateServiceLinkedRoles",
                    "ManageServiceLinkedRoles",
                ):
                    # AWS's own path, as one pattern to fit the size: AWS itself refuses policy, trust and
                    # plain delete calls on a service-linked role, and the policies name each role and
                    # service (iam:AWSServiceName) exactly.
                    resources.add(s.arn("iam", "role/aws-service-role/*", region=False))
                elif service == "iam":
                    resources.update((s.role_path_arn, s.policy_path_arn))
                else:
                    resources.update(_arn(s, r, "*", "*") for r in regions)
    regions = sorted({s.region, *(r for rs in planned.values() for r in rs if r != GLOBAL)})
    writes, reads = split_reads(actions)
    star_writes, star_reads = split_reads(star_actions)
    statements: list[Statement] = [allow("Ceiling", writes, sorted(resources))]
    if reads or star_reads:
        # Reads on every resource, any region: a read ceiling for the policies, which name each read.
        statements.append(ceiling_reads("CeilingReads", reads | star_reads, "*"))
    if passed:
        services = sorted({role.service for role in t.passable_roles})
        statements.append(
            allow(
                "CeilingPassRole",
                ["iam:PassRole"],
                # The stack's roles under its IAM path: the policies name each one, each to its service,
                # and the deny below keeps the human roles out here too.
                [s.role_path_arn],
                {"StringEquals": {"iam:PassedToService": services}},
            )
        )
    if star_writes:
        statements.append(star("CeilingStarOnly", star_writes, _in_regions(regions)))
    narrowing = ("DenySelfModification", "DenyPassHumanRoles")
    statements += [
        {**st, "Sid": f"Ceiling{st['Sid']}"} for st in deployer_denies(s, t) if st["Sid"] in narrowing
    ]
    boundary = document(*statements)
    size = managed_policy_size(boundary)
    if size > MANAGED_POLICY_MAX_CHARS:
        # IAM would refuse it at deploy time; refuse it at preview, with the numbers.
        raise ValueError(
            f"the CI deployer's permission boundary lists {len(actions) + len(star_actions)} actions in "
            f"{size} characters, over IAM's {MANAGED_POLICY_MAX_CHARS} for a managed policy: the stack "
            "creates too many resource types for one exact boundary (components/policydocs/deployer.py)"
        )
    return boundary
