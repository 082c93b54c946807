"""AccountBaseline: the account's own detective controls, each finding routed to the alert topic.

Children (`<name>-<role>`):
- `analyzer`: IAM Access Analyzer for external access, zone of trust the account (`ACCOUNT`) or, when the
  stack runs in the organization's management or delegated administrator account, the organization
  (`ORGANIZATION`);
- `detector` and `detector-s3`: GuardDuty with S3 protection as a detector feature (`S3_DATA_EVENTS`; the
  detector's `datasources` block is deprecated in pulumi-aws 7 in favour of detector features);
- `securityhub` and `fsbp`: Security Hub without its default standards, subscribed explicitly to the AWS
  Foundational Security Best Practices standard v1.0.0, consolidated control findings;
- `config-role` (the AWS Config service-linked role AWSServiceRoleForConfig: its trust and permissions are
  AWS's, and it needs no boundary), `config-bucket` (a SecureBucket, SSE-KMS with the given key, no Object
  Lock: AWS Config does not deliver to Object Lock buckets), `config-recorder` (the environment's resource
  types), `config-delivery` (to that bucket, encrypted with the same key) and `config-status` (recording);
- one EventBridge rule and target per finding source (`<source>-findings`, patterns in
  :func:`components.policydocs.baseline.finding_patterns`) to the alert topic; the topic policy must admit
  the rules (`rule_arns`, see SecurityAlertsArgs.extra_rule_arns).

The analyzer, detector, Security Hub account, Config recorder, delivery channel and the service-linked role
exist once per account and region (the role once per account): an account that already has them must import
them (`pulumi import`, see README) or run with the baseline off outside prod.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import pulumi
import pulumi_aws as aws

from strongroom.components.keys import check_name
from strongroom.components.policydocs import baseline as doc
from strongroom.components.storage import SecureBucket, SecureBucketArgs

ANALYZER_TYPES = ("ACCOUNT", "ORGANIZATION")
CONFIG_KEY_PREFIX = "config"


@dataclass
class AccountBaselineArgs:
    """Arguments of `AccountBaseline`."""

    environment: str
    """Environment (stack) name, in the analyzer and recorder names: lower case, digits and dashes."""

    alert_topic_arn: pulumi.Input[str]
    """The KMS-encrypted SNS topic the findings go to (SecurityAlerts.topic_arn)."""

    kms_key_arn: pulumi.Input[str]
    """Customer-managed key of the Config bucket and of the objects AWS Config delivers (its key policy must
    let config.amazonaws.com use it for this account: KeyRing's `config` service grant)."""

    access_log_bucket_name: pulumi.Input[str]
    """Bucket receiving the Config bucket's S3 server access logs."""

    analyzer_type: str = "ACCOUNT"
    """`ACCOUNT`, or `ORGANIZATION` when the stack runs in the organization's management account or the
    delegated administrator for IAM Access Analyzer."""

    recorded_resource_types: Sequence[str] = doc.ENVIRONMENT_CONFIG_TYPES
    """AWS Config resource types the recorder records (default: the environment's)."""

    vpc_endpoint_ids: pulumi.Input[Sequence[pulumi.Input[str]]] = ()
    """VPC endpoints through which people may read the Config bucket (passed to SecureBucket)."""

    admin_principal_arns: pulumi.Input[Sequence[pulumi.Input[str]]] = ()
    """Principals exempt from the Config bucket's VPC endpoint restriction (the deployer, the admins)."""

    config_reader_principal_arns: pulumi.Input[Sequence[pulumi.Input[str]]] = ()
    """Exact role ARNs (the auditor) that may read the Config bucket's configuration from outside the VPC."""

    noncurrent_version_expiry_days: int = 365
    """How long noncurrent versions of delivered Config files are kept."""

    retain: bool = False
    """Protect the Config bucket and keep it on delete (prod)."""

    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags on top of the provider's default tags."""

    account_id: pulumi.Input[str] | None = None
    """AWS account id; looked up when not given."""

    region: pulumi.Input[str] | None = None
    """AWS region; looked up when not given."""

    partition: pulumi.Input[str] | None = None
    """AWS partition; looked up when not given."""

    def __post_init__(self) -> None:
        check_name("environment", self.environment)
        if self.analyzer_type not in ANALYZER_TYPES:
            raise ValueError(
                f"analyzer_type: {self.analyzer_type!r} is not accepted; use one of "
                f"{', '.join(ANALYZER_TYPES)} (the unused-access analyzers find no external access)"
            )
        doc.check_config_types(self.recorded_resource_types)
        if isinstance(self.alert_topic_arn, str) and not self.alert_topic_arn.startswith("arn:"):
            raise ValueError(f"alert_topic_arn: {self.alert_topic_arn!r} is not an SNS topic ARN")


def _str_output(value: pulumi.Input[str]) -> pulumi.Output[str]:
    return cast(pulumi.Output[str], pulumi.Output.from_input(value))


class AccountBaseline(pulumi.ComponentResource):
    """IAM Access Analyzer, GuardDuty with S3 protection, Security Hub with FSBP and AWS Config, each
    finding source routed to the alert topic (see the module docstring)."""

    analyzer_arn: pulumi.Output[str]
    """ARN of the IAM Access Analyzer analyzer."""
    detector_id: pulumi.Output[str]
    """ID of the GuardDuty detector."""
    securityhub_account_id: pulumi.Output[str]
    """ID of the Security Hub account resource (the account ID)."""
    fsbp_subscription_arn: pulumi.Output[str]
    """ARN of the Security Hub AWS Foundational Security Best Practices subscription."""
    config_recorder_name: pulumi.Output[str]
    """Name of the AWS Config configuration recorder."""
    config_bucket_name: pulumi.Output[str]
    """Name of the SecureBucket AWS Config delivers to."""
    config_bucket_arn: pulumi.Output[str]
    """ARN of the Config bucket."""
    rule_arns: pulumi.Output[list[str]]
    """ARNs of the EventBridge rules routing findings to the alert topic."""

    def __init__(
        self, name: str, args: AccountBaselineArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        if isinstance(args, dict):  # the inputs of a program in another language (components/provider.py)
            args = AccountBaselineArgs(**args)
        super().__init__("strongroom:index:AccountBaseline", name, None, opts)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = _str_output(args.account_id or aws.get_caller_identity_output(opts=invoke).account_id)
        region = _str_output(args.region or aws.get_region_output(opts=invoke).region)
        partition = _str_output(args.partition or aws.get_partition_output(opts=invoke).partition)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags) or None

        analyzer = self._build_analyzer(name, args, tags, child)
        detector = self._build_guardduty(name, tags, child)
        hub, fsbp = self._build_securityhub(name, region, partition, child)
        recorder = self._build_config(name, args, account, partition, child)
        rules = self._build_routes(name, args, tags, child, depends_on=[analyzer, detector, hub, recorder])

        self.analyzer_arn = analyzer.arn
        self.detector_id = detector.id
        self.securityhub_account_id = hub.id
        self.fsbp_subscription_arn = fsbp.id
        self.config_recorder_name = recorder.name
        self.rule_arns = pulumi.Output.all(*[r.arn for r in rules]).apply(list)
        self.register_outputs(
            {
                "analyzer_arn": self.analyzer_arn,
                "detector_id": self.detector_id,
                "securityhub_account_id": self.securityhub_account_id,
                "fsbp_subscription_arn": self.fsbp_subscription_arn,
                "config_recorder_name": self.config_recorder_name,
                "config_bucket_name": self.config_bucket_name,
                "rule_arns": self.rule_arns,
            }
        )

    def _build_analyzer(
        self,
        name: str,
        args: AccountBaselineArgs,
        tags: dict[str, str] | None,
        child: pulumi.ResourceOptions,
    ) -> aws.accessanalyzer.Analyzer:
        return aws.accessanalyzer.Analyzer(
            f"{name}-analyzer",
            analyzer_name=f"strongroom-{args.environment}-external-access",
            type=args.analyzer_type,
            tags=tags,
            opts=child,
        )

    def _build_guardduty(
        self, name: str, tags: dict[str, str] | None, child: pulumi.ResourceOptions
    ) -> aws.guardduty.Detector:
        detector = aws.guardduty.Detector(
            f"{name}-detector",
            enable=True,
            finding_publishing_frequency="FIFTEEN_MINUTES",
            tags=tags,
            opts=child,
        )
        aws.guardduty.DetectorFeature(
            f"{name}-detector-s3",
            detector_id=detector.id,
            name="S3_DATA_EVENTS",
            status="ENABLED",
            opts=child,
        )
        return detector

    def _build_securityhub(
        self,
        name: str,
        region: pulumi.Output[str],
        partition: pulumi.Output[str],
        child: pulumi.ResourceOptions,
    ) -> tuple[aws.securityhub.Account, aws.securityhub.StandardsSubscription]:
        hub = aws.securityhub.Account(
            f"{name}-securityhub",
            enable_default_standards=False,
            auto_enable_controls=True,
            control_finding_generator="SECURITY_CONTROL",
            opts=child,
        )
        fsbp = aws.securityhub.StandardsSubscription(
            f"{name}-fsbp",
            standards_arn=pulumi.Output.all(partition, region).apply(
                lambda v: doc.fsbp_standards_arn(v[0], v[1])
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[hub]),
        )
        return hub, fsbp

    def _build_config(
        self,
        name: str,
        args: AccountBaselineArgs,
        account: pulumi.Output[str],
        partition: pulumi.Output[str],
        child: pulumi.ResourceOptions,
    ) -> aws.cfg.Recorder:
        role = aws.iam.ServiceLinkedRole(
            f"{name}-config-role",
            aws_service_name=doc.CONFIG_SERVICE,
            description="AWS Config recorder of the Strongroom account baseline",
            opts=child,
        )
        statements: pulumi.Output[list[dict[str, Any]]]
        resolve_statements: Callable[[pulumi.Output[list[dict[str, Any]]]], None]
        statements, resolve_statements = pulumi.deferred_output()
        bucket = SecureBucket(
            f"{name}-config-bucket",
            SecureBucketArgs(
                kms_key_arn=args.kms_key_arn,
                log_bucket_name=args.access_log_bucket_name,
                vpc_endpoint_ids=args.vpc_endpoint_ids,
                admin_principal_arns=args.admin_principal_arns,
                config_reader_principal_arns=args.config_reader_principal_arns,
                noncurrent_version_expiry_days=args.noncurrent_version_expiry_days,
                extra_policy_statements=statements,
                tags={**args.tags, "strongroom:purpose": "config"},
                retain=args.retain,
                account_id=account,
                partition=partition,
            ),
            opts=child,
        )
        resolve_statements(
            pulumi.Output.all(bucket.bucket_arn, account, partition).apply(
                lambda v: doc.config_bucket_statements(v[0], v[1], v[2], CONFIG_KEY_PREFIX)
            )
        )
        recorder = aws.cfg.Recorder(
            f"{name}-config-recorder",
            name=f"strongroom-{args.environment}",
            role_arn=role.arn,
            recording_group={
                "all_supported": False,
                "include_global_resource_types": False,
                "resource_types": sorted(args.recorded_resource_types),
                "recording_strategies": [{"use_only": "INCLUSION_BY_RESOURCE_TYPES"}],
            },
            recording_mode={"recording_frequency": "CONTINUOUS"},
            opts=child,
        )
        delivery = aws.cfg.DeliveryChannel(
            f"{name}-config-delivery",
            name=f"strongroom-{args.environment}",
            s3_bucket_name=bucket.bucket_name,
            s3_key_prefix=CONFIG_KEY_PREFIX,
            s3_kms_key_arn=args.kms_key_arn,
            snapshot_delivery_properties={"delivery_frequency": "TwentyFour_Hours"},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[recorder, bucket.policy]),
        )
        aws.cfg.RecorderStatus(
            f"{name}-config-status",
            name=recorder.name,
            is_enabled=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[delivery]),
        )
        self.config_bucket_name = bucket.bucket_name
        self.config_bucket_arn = bucket.bucket_arn
        return recorder

    def _build_routes(
        self,
        name: str,
        args: AccountBaselineArgs,
        tags: dict[str, str] | None,
        child: pulumi.ResourceOptions,
        depends_on: Sequence[pulumi.Resource],
    ) -> list[aws.cloudwatch.EventRule]:
        rules: list[aws.cloudwatch.EventRule] = []
        patterns = doc.finding_patterns()
        for source in doc.FINDING_SOURCES:
            rule = aws.cloudwatch.EventRule(
                f"{name}-{source}-findings",
                description=f"Strongroom baseline: {source} findings to the alert topic",
                event_pattern=json.dumps(patterns[source], sort_keys=True),
                state="ENABLED",
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(depends_on)),
            )
            aws.cloudwatch.EventTarget(
                f"{name}-{source}-findings-target", rule=rule.name, arn=args.alert_topic_arn, opts=child
            )
            rules.append(rule)
        return rules
