"""From pulumi-aws resource types and properties to Terraform's.

pulumi-aws is bridged from the Terraform AWS provider, so every pulumi-aws resource is a Terraform
resource under another name. The installed package carries no bridge metadata (its ``pulumi-plugin.json``
has only name and version), so the type names are an explicit table, :data:`TF_TYPES`. Most entries
follow one rule, :func:`derive_tf_type`: ``aws:<module>/<camelName>:<Class>`` becomes
``aws_<module>_<snake_name>``, except that the ``ec2`` module is dropped (``aws:ec2/vpc:Vpc`` is
``aws_vpc``). The entries that break the rule are listed in :data:`IRREGULAR_TF_TYPES` with their reason.
A type missing from the table is reported as unmapped; its name is never guessed.

Property names: pulumi-aws uses the camelCase of Terraform's snake_case names, pluralises repeated
blocks (``rule`` -> ``rules``, ``transition`` -> ``transitions``) and writes single blocks (MaxItems 1)
as an object instead of a one-element list. :func:`tf_property_name` undoes the renaming; Terraform JSON
accepts a single block written as an object. Map attributes (tags, alarm dimensions, ...) keep their keys.
"""

from __future__ import annotations

import re

#: Pulumi type token -> Terraform resource type, for every type Strongroom's components, its test
#: fixtures and the insecure example use (and their close companions).
TF_TYPES: dict[str, str] = {
    # network
    "aws:ec2/vpc:Vpc": "aws_vpc",
    "aws:ec2/subnet:Subnet": "aws_subnet",
    "aws:ec2/routeTable:RouteTable": "aws_route_table",
    "aws:ec2/route:Route": "aws_route",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "aws_route_table_association",
    "aws:ec2/mainRouteTableAssociation:MainRouteTableAssociation": "aws_main_route_table_association",
    "aws:ec2/defaultRouteTable:DefaultRouteTable": "aws_default_route_table",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "aws_default_security_group",
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": "aws_default_network_acl",
    "aws:ec2/networkAcl:NetworkAcl": "aws_network_acl",
    "aws:ec2/networkAclRule:NetworkAclRule": "aws_network_acl_rule",
    "aws:ec2/securityGroup:SecurityGroup": "aws_security_group",
    "aws:ec2/securityGroupRule:SecurityGroupRule": "aws_security_group_rule",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "aws_vpc_security_group_ingress_rule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "aws_vpc_security_group_egress_rule",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "aws_vpc_endpoint",
    "aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy": "aws_vpc_endpoint_policy",
    "aws:ec2/flowLog:FlowLog": "aws_flow_log",
    "aws:ec2/internetGateway:InternetGateway": "aws_internet_gateway",
    "aws:ec2/natGateway:NatGateway": "aws_nat_gateway",
    "aws:ec2/eip:Eip": "aws_eip",
    "aws:ec2/vpcDhcpOptions:VpcDhcpOptions": "aws_vpc_dhcp_options",
    "aws:ec2/vpcDhcpOptionsAssociation:VpcDhcpOptionsAssociation": "aws_vpc_dhcp_options_association",
    "aws:ec2/instance:Instance": "aws_instance",
    "aws:ebs/encryptionByDefault:EncryptionByDefault": "aws_ebs_encryption_by_default",
    "aws:ebs/defaultKmsKey:DefaultKmsKey": "aws_ebs_default_kms_key",
    "aws:ebs/volume:Volume": "aws_ebs_volume",
    "aws:route53/resolverFirewallDomainList:ResolverFirewallDomainList": (
        "aws_route53_resolver_firewall_domain_list"
    ),
    "aws:route53/resolverFirewallRule:ResolverFirewallRule": "aws_route53_resolver_firewall_rule",
    "aws:route53/resolverFirewallRuleGroup:ResolverFirewallRuleGroup": (
        "aws_route53_resolver_firewall_rule_group"
    ),
    "aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation": (
        "aws_route53_resolver_firewall_rule_group_association"
    ),
    "aws:route53/resolverFirewallConfig:ResolverFirewallConfig": "aws_route53_resolver_firewall_config",
    "aws:route53/resolverQueryLogConfig:ResolverQueryLogConfig": "aws_route53_resolver_query_log_config",
    "aws:route53/resolverQueryLogConfigAssociation:ResolverQueryLogConfigAssociation": (
        "aws_route53_resolver_query_log_config_association"
    ),
    # keys
    "aws:kms/key:Key": "aws_kms_key",
    "aws:kms/alias:Alias": "aws_kms_alias",
    "aws:kms/keyPolicy:KeyPolicy": "aws_kms_key_policy",
    "aws:kms/grant:Grant": "aws_kms_grant",
    # storage
    "aws:s3/bucket:Bucket": "aws_s3_bucket",
    "aws:s3/bucketVersioning:BucketVersioning": "aws_s3_bucket_versioning",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        "aws_s3_bucket_server_side_encryption_configuration"
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "aws_s3_bucket_public_access_block",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "aws_s3_bucket_ownership_controls",
    "aws:s3/bucketPolicy:BucketPolicy": "aws_s3_bucket_policy",
    "aws:s3/bucketLogging:BucketLogging": "aws_s3_bucket_logging",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": (
        "aws_s3_bucket_lifecycle_configuration"
    ),
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": (
        "aws_s3_bucket_object_lock_configuration"
    ),
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": "aws_s3_bucket_replication_configuration",
    "aws:s3/bucketNotification:BucketNotification": "aws_s3_bucket_notification",
    "aws:s3/bucketAcl:BucketAcl": "aws_s3_bucket_acl",
    "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock": "aws_s3_account_public_access_block",
    "aws:s3/bucketObjectv2:BucketObjectv2": "aws_s3_object",
    # backup
    "aws:backup/vault:Vault": "aws_backup_vault",
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration": "aws_backup_vault_lock_configuration",
    "aws:backup/vaultPolicy:VaultPolicy": "aws_backup_vault_policy",
    "aws:backup/vaultNotifications:VaultNotifications": "aws_backup_vault_notifications",
    "aws:backup/plan:Plan": "aws_backup_plan",
    "aws:backup/selection:Selection": "aws_backup_selection",
    # identity
    "aws:iam/role:Role": "aws_iam_role",
    "aws:iam/policy:Policy": "aws_iam_policy",
    "aws:iam/rolePolicy:RolePolicy": "aws_iam_role_policy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "aws_iam_role_policy_attachment",
    "aws:iam/instanceProfile:InstanceProfile": "aws_iam_instance_profile",
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": "aws_iam_service_linked_role",
    "aws:iam/accountPasswordPolicy:AccountPasswordPolicy": "aws_iam_account_password_policy",
    "aws:accessanalyzer/analyzer:Analyzer": "aws_accessanalyzer_analyzer",
    # audit and alerts
    "aws:cloudtrail/trail:Trail": "aws_cloudtrail",
    "aws:cloudwatch/logGroup:LogGroup": "aws_cloudwatch_log_group",
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": "aws_cloudwatch_log_resource_policy",
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": "aws_cloudwatch_log_metric_filter",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "aws_cloudwatch_metric_alarm",
    "aws:cloudwatch/eventRule:EventRule": "aws_cloudwatch_event_rule",
    "aws:cloudwatch/eventTarget:EventTarget": "aws_cloudwatch_event_target",
    "aws:sns/topic:Topic": "aws_sns_topic",
    "aws:sns/topicPolicy:TopicPolicy": "aws_sns_topic_policy",
    "aws:sns/topicSubscription:TopicSubscription": "aws_sns_topic_subscription",
    "aws:guardduty/detector:Detector": "aws_guardduty_detector",
    "aws:securityhub/account:Account": "aws_securityhub_account",
    "aws:cfg/recorder:Recorder": "aws_config_configuration_recorder",
    "aws:cfg/recorderStatus:RecorderStatus": "aws_config_configuration_recorder_status",
    "aws:cfg/deliveryChannel:DeliveryChannel": "aws_config_delivery_channel",
    "aws:guardduty/detectorFeature:DetectorFeature": "aws_guardduty_detector_feature",
    "aws:securityhub/standardsSubscription:StandardsSubscription": "aws_securityhub_standards_subscription",
    # workspace
    "aws:sagemaker/domain:Domain": "aws_sagemaker_domain",
    "aws:sagemaker/userProfile:UserProfile": "aws_sagemaker_user_profile",
    "aws:sagemaker/space:Space": "aws_sagemaker_space",
    "aws:sagemaker/notebookInstance:NotebookInstance": "aws_sagemaker_notebook_instance",
    "aws:sagemaker/notebookInstanceLifecycleConfiguration:NotebookInstanceLifecycleConfiguration": (
        "aws_sagemaker_notebook_instance_lifecycle_configuration"
    ),
    "aws:sagemaker/modelPackageGroup:ModelPackageGroup": "aws_sagemaker_model_package_group",
    "aws:codeartifact/domain:Domain": "aws_codeartifact_domain",
    "aws:codeartifact/repository:Repository": "aws_codeartifact_repository",
    "aws:ecr/repository:Repository": "aws_ecr_repository",
    "aws:ssm/parameter:Parameter": "aws_ssm_parameter",
    "aws:secretsmanager/secret:Secret": "aws_secretsmanager_secret",
    "aws:lambda/function:Function": "aws_lambda_function",
}

#: Entries of :data:`TF_TYPES` that :func:`derive_tf_type` does not produce, and why.
IRREGULAR_TF_TYPES: dict[str, str] = {
    "aws:cloudtrail/trail:Trail": "Terraform's trail resource is plain aws_cloudtrail",
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": (
        "pulumi-aws shortened Terraform's aws_s3_bucket_replication_configuration"
    ),
    "aws:s3/bucketObjectv2:BucketObjectv2": "Terraform renamed aws_s3_bucket_object to aws_s3_object",
    "aws:cfg/recorder:Recorder": "pulumi-aws's module cfg is Terraform's config, and the name is shortened",
    "aws:cfg/recorderStatus:RecorderStatus": (
        "pulumi-aws's module cfg is Terraform's config, and the name is shortened"
    ),
    "aws:cfg/deliveryChannel:DeliveryChannel": "pulumi-aws's module cfg is Terraform's config",
}

#: pulumi-aws modules whose name is not in the Terraform type name.
_MODULE_PREFIX = {"ec2": ""}

#: Attributes whose value is a map: their keys are data and are never renamed.
MAP_PROPERTIES = frozenset(
    {"tags", "tagsAll", "defaultTags", "dimensions", "variables", "parameters", "attributes", "context"}
)

#: Repeated blocks whose Terraform name is already plural, so pulumi-aws kept it: never singularised.
PLURAL_BLOCKS = frozenset({"identityProviderOauthSettings", "ingress", "egress", "settings"})

#: Properties pulumi-aws renamed beyond camelCase and block pluralisation: lists of plain values whose
#: Terraform name is singular (CloudTrail advanced event selectors' ``starts_with``...).
PROPERTY_RENAMES: dict[str, str] = {
    "startsWiths": "starts_with",
    "endsWiths": "ends_with",
    "notStartsWiths": "not_starts_with",
    "notEndsWiths": "not_ends_with",
}

_TOKEN = re.compile(r"^aws:(?P<module>[a-zA-Z0-9]+)/(?P<name>[a-zA-Z0-9]+):(?P<cls>[A-Za-z0-9]+)$")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake_case(name: str) -> str:
    """``kmsMasterKeyId`` -> ``kms_master_key_id``, ``cidrIpv4`` -> ``cidr_ipv4``,
    ``s3BucketName`` -> ``s3_bucket_name``."""
    return _CAMEL_BOUNDARY.sub("_", name).lower()


def derive_tf_type(token: str) -> str | None:
    """The Terraform type the naming rule gives for a pulumi-aws token, or None if it is not one."""
    match = _TOKEN.match(token)
    if match is None:
        return None
    module = match["module"]
    prefix = _MODULE_PREFIX.get(module, f"{module}_")
    return f"aws_{prefix}{snake_case(match['name'])}"


def tf_type(token: str) -> str | None:
    """The Terraform resource type of a Pulumi type token, or None when Strongroom has no mapping."""
    return TF_TYPES.get(token)


def singular(word: str) -> str:
    """Undo pulumi-aws's pluralisation of a repeated block name (snake_case in, snake_case out)."""
    head, _, last = word.rpartition("_")
    if last.endswith("ies"):
        last = last[:-3] + "y"
    elif last.endswith(("sses", "uses", "ches", "shes", "xes")):
        last = last[:-2]
    elif last.endswith("s") and not last.endswith("ss"):
        last = last[:-1]
    return f"{head}_{last}" if head else last


def tf_property_name(name: str, value: object) -> str:
    """Terraform's name for a pulumi-aws property holding ``value``.

    A list of objects is a repeated block, which pulumi-aws pluralised; anything else keeps its name.
    """
    if name in PROPERTY_RENAMES:
        return PROPERTY_RENAMES[name]
    snake = snake_case(name)
    is_block_list = isinstance(value, list) and any(isinstance(item, dict) for item in value)
    if is_block_list and name not in PLURAL_BLOCKS:
        return singular(snake)
    return snake
