"""The SageMaker workspace: Studio without internet, notebooks without internet or root, isolated jobs."""

from __future__ import annotations

from collections.abc import Iterator

from policies.model import Control, Predicate
from policies.props import Index, Resource, is_true

DOMAIN = "aws:sagemaker/domain:Domain"
NOTEBOOK = "aws:sagemaker/notebookInstance:NotebookInstance"
TRAINING_JOB = "aws:sagemaker/trainingJob:TrainingJob"
MODEL = "aws:sagemaker/model:Model"


def _vpc_only(subject: Resource, _index: Index) -> Iterator[str]:
    mode = subject.known("appNetworkAccessType", "PublicInternetOnly")
    if mode != "VpcOnly":
        yield (
            f"Studio domain {subject.label} has appNetworkAccessType '{mode}' (default PublicInternetOnly), "
            "not VpcOnly"
        )


def _no_direct_internet(subject: Resource, _index: Index) -> Iterator[str]:
    access = subject.known("directInternetAccess", "Enabled")
    if access != "Disabled":
        yield f"notebook instance {subject.label} has directInternetAccess '{access}' (default Enabled)"


def _no_root(subject: Resource, _index: Index) -> Iterator[str]:
    access = subject.known("rootAccess", "Enabled")
    if access != "Disabled":
        yield f"notebook instance {subject.label} has rootAccess '{access}' (default Enabled)"


def _in_subnet(subject: Resource, _index: Index) -> Iterator[str]:
    if not subject.known("subnetId"):
        yield f"notebook instance {subject.label} sets no subnetId, so it runs outside the VPC"
    if not subject.known("securityGroups"):
        yield f"notebook instance {subject.label} sets no securityGroups"


def _isolated(what: str) -> Predicate:
    def predicate(subject: Resource, _index: Index) -> Iterator[str]:
        if not is_true(subject.known("enableNetworkIsolation", False)):
            yield f"{what} {subject.label} does not set enableNetworkIsolation=true (default false)"

    return predicate


def _training_vpc(subject: Resource, _index: Index) -> Iterator[str]:
    if not subject.known("vpcConfig.subnets") or not subject.known("vpcConfig.securityGroupIds"):
        yield f"training job {subject.label} has no vpcConfig with subnets and securityGroupIds"


def _inter_container(subject: Resource, _index: Index) -> Iterator[str]:
    if not is_true(subject.known("enableInterContainerTrafficEncryption", False)):
        yield (
            f"training job {subject.label} does not set enableInterContainerTrafficEncryption=true (default "
            "false)"
        )


_NIST_ISOLATION = ("SC-7", "AC-4", "SC-7(5)")
_AI = {"EU-AI-ACT": ("Art. 15(5)",)}

CONTROLS: tuple[Control, ...] = (
    Control(
        id="SR-WS-001",
        title="Studio domain is VpcOnly",
        severity="critical",
        enforcement="mandatory",
        resource_types=(DOMAIN,),
        rationale=(
            "In PublicInternetOnly mode Studio apps reach the internet through SageMaker's own network."
        ),
        frameworks={"NIST-800-53-r5": _NIST_ISOLATION, **_AI},
        framework_note="No CIS or FSBP control covers Studio network mode.",
        remediation="Set app_network_access_type='VpcOnly' with the private subnet_ids and vpc_id.",
        predicate=_vpc_only,
        tags=("workspace", "sagemaker", "internet"),
    ),
    Control(
        id="SR-WS-002",
        title="Notebook instances have no direct internet access",
        severity="critical",
        enforcement="mandatory",
        resource_types=(NOTEBOOK,),
        rationale="Direct internet access bypasses the VPC entirely; AWS enables it unless told otherwise.",
        frameworks={"NIST-800-53-r5": _NIST_ISOLATION, "AWS-FSBP": ("SageMaker.1",)},
        remediation="Set direct_internet_access='Disabled' (requires subnet_id).",
        predicate=_no_direct_internet,
        enforced_in=frozenset({"preview", "checkov"}),
        checkov_ids=("CKV_AWS_122",),
        tags=("workspace", "sagemaker", "internet"),
    ),
    Control(
        id="SR-WS-003",
        title="Notebook instances have no root access",
        severity="high",
        enforcement="mandatory",
        resource_types=(NOTEBOOK,),
        rationale="Root lets a user change the instance's network and security settings and its lifecycle.",
        frameworks={"NIST-800-53-r5": ("AC-6", "AC-6(2)", "CM-11"), "AWS-FSBP": ("SageMaker.3",)},
        remediation="Set root_access='Disabled'.",
        predicate=_no_root,
        enforced_in=frozenset({"preview", "checkov"}),
        checkov_ids=("CKV_AWS_307",),
        tags=("workspace", "sagemaker"),
    ),
    Control(
        id="SR-WS-004",
        title="Notebook instances run in a private subnet with security groups",
        severity="high",
        enforcement="mandatory",
        resource_types=(NOTEBOOK,),
        rationale=(
            "Without a subnet the notebook runs in a SageMaker-managed network outside every control here."
        ),
        frameworks={"NIST-800-53-r5": _NIST_ISOLATION, "AWS-FSBP": ("SageMaker.2",)},
        remediation="Set subnet_id to a private subnet and security_groups to the workspace group.",
        predicate=_in_subnet,
        enforced_in=frozenset({"preview", "checkov"}),
        checkov_ids=("CKV_AWS_306",),
        tags=("workspace", "sagemaker"),
    ),
    Control(
        id="SR-WS-005",
        title="Training jobs run with network isolation",
        severity="high",
        enforcement="mandatory",
        resource_types=(TRAINING_JOB,),
        rationale="Isolation stops training code, including third-party containers, from any network call.",
        frameworks={"NIST-800-53-r5": _NIST_ISOLATION, **_AI},
        framework_note="No CIS or FSBP control covers training job isolation.",
        remediation="Set enable_network_isolation=True.",
        predicate=_isolated("training job"),
        tags=("workspace", "sagemaker"),
    ),
    Control(
        id="SR-WS-006",
        title="Training jobs run in the VPC",
        severity="high",
        enforcement="mandatory",
        resource_types=(TRAINING_JOB,),
        rationale="In the VPC, a job reaches S3 only through the endpoint and its policy.",
        frameworks={"NIST-800-53-r5": ("SC-7", "AC-4")},
        framework_note="No CIS or FSBP control covers training job VPC placement.",
        remediation="Set vpc_config with the private subnets and the workspace security group.",
        predicate=_training_vpc,
        tags=("workspace", "sagemaker"),
    ),
    Control(
        id="SR-WS-007",
        title="Training jobs encrypt traffic between containers",
        severity="medium",
        enforcement="mandatory",
        resource_types=(TRAINING_JOB,),
        rationale="Distributed training exchanges gradients and data between instances.",
        frameworks={"NIST-800-53-r5": ("SC-8", "SC-8(1)")},
        framework_note="No CIS or FSBP control covers inter-container encryption.",
        remediation="Set enable_inter_container_traffic_encryption=True.",
        predicate=_inter_container,
        tags=("workspace", "sagemaker", "tls"),
    ),
    Control(
        id="SR-WS-008",
        title="Models run with network isolation",
        severity="high",
        enforcement="mandatory",
        resource_types=(MODEL,),
        rationale="An isolated model container cannot send inference inputs anywhere.",
        frameworks={"NIST-800-53-r5": _NIST_ISOLATION, "AWS-FSBP": ("SageMaker.5",), **_AI},
        remediation="Set enable_network_isolation=True on the model.",
        predicate=_isolated("model"),
        enforced_in=frozenset({"preview", "checkov"}),
        checkov_ids=("CKV_AWS_370",),
        tags=("workspace", "sagemaker"),
    ),
)
