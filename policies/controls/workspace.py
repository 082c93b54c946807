"""The SageMaker workspace: Studio without internet, notebooks without internet or root, isolated jobs,
hosting that keeps its data in the plan's buckets and keys, and no code from git repositories on the
internet. Buckets, keys and accounts are judged with `policies.references`."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from strongroom.policies.controls.identity import (
    POLICY_TYPES,
    ROLE,
    ROLE_POLICY,
    _condition_values,
    _grants,
    _is_boundary_only,
    _trust_statements,
)
from strongroom.policies.model import Control, Predicate
from strongroom.policies.perimeter import principal_entries
from strongroom.policies.props import UNKNOWN, Index, Resource, UnknownValue, as_list, get, is_true
from strongroom.policies.references import depends_on, key_findings, location_findings, policy_exposure

DOMAIN = "aws:sagemaker/domain:Domain"
USER_PROFILE = "aws:sagemaker/userProfile:UserProfile"
SPACE = "aws:sagemaker/space:Space"
NOTEBOOK = "aws:sagemaker/notebookInstance:NotebookInstance"
NOTEBOOK_LIFECYCLE = (
    "aws:sagemaker/notebookInstanceLifecycleConfiguration:NotebookInstanceLifecycleConfiguration"
)
TRAINING_JOB = "aws:sagemaker/trainingJob:TrainingJob"
MODEL = "aws:sagemaker/model:Model"
ENDPOINT = "aws:sagemaker/endpoint:Endpoint"
ENDPOINT_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
MODEL_PACKAGE_GROUP_POLICY = "aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy"
CODE_REPOSITORY = "aws:sagemaker/codeRepository:CodeRepository"
MODEL_PACKAGE_GROUP = "aws:sagemaker/modelPackageGroup:ModelPackageGroup"
DUTY_TAG = "strongroom:duty"
MODEL_APPROVER = "model-approver"
DATA_SCIENTIST = "data-scientist"
REGISTER_ACTION = "sagemaker:CreateModelPackage"
APPROVAL_ACTIONS = (REGISTER_ACTION, "sagemaker:UpdateModelPackage")
_GROUP_ARN = re.compile(r":model-package-group/(?P<name>[^/*?]+)$")

_CODECOMMIT = re.compile(
    r"^(https://git-codecommit\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/v1/repos/[^/]+|codecommit::[a-z0-9-]+://[^/]+)$"
)
_USER_SETTINGS = {DOMAIN: "defaultUserSettings", USER_PROFILE: "userSettings"}
_WHAT = {DOMAIN: "Studio domain", USER_PROFILE: "user profile", SPACE: "space", NOTEBOOK: "notebook instance"}


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


def _model_vpc(subject: Resource, _index: Index) -> Iterator[str]:
    if not subject.known("vpcConfig.subnets") or not subject.known("vpcConfig.securityGroupIds"):
        yield f"model {subject.label} has no vpcConfig with subnets and securityGroupIds"


def _endpoint_config(subject: Resource, index: Index) -> Iterator[str]:
    name = subject.get("endpointConfigName")
    configs = list(index.of_type(ENDPOINT_CONFIG))
    if name is UNKNOWN:
        # only while unknown does the dependency decide (a known name is judged by what it names)
        if depends_on(subject, index, "endpointConfigName", (ENDPOINT_CONFIG,)):
            return
        raise UnknownValue(subject.label, "endpointConfigName")
    if not any(c.get("name") == name and c.get("name") is not UNKNOWN for c in configs):
        yield (
            f"endpoint {subject.label} uses endpoint configuration {name}, which is not one of the plan, "
            "so its keys and data capture cannot be judged"
        )


def _hosting_buckets(subject: Resource, index: Index) -> Iterator[str]:
    what = "endpoint configuration"
    if subject.get("dataCaptureConfig") is not None:
        if subject.get("dataCaptureConfig.destinationS3Uri") in (None, ""):
            yield f"{what} {subject.label} sets no dataCaptureConfig.destinationS3Uri"
        yield from location_findings(subject, index, "dataCaptureConfig.destinationS3Uri", what)
    for path in ("s3OutputPath", "s3FailurePath"):
        yield from location_findings(subject, index, f"asyncInferenceConfig.outputConfig.{path}", what)


def _hosting_keys(subject: Resource, index: Index) -> Iterator[str]:
    what = "endpoint configuration"
    yield from key_findings(subject, index, "kmsKeyArn", what)
    if subject.get("dataCaptureConfig") is not None:
        yield from key_findings(subject, index, "dataCaptureConfig.kmsKeyId", what)
    if subject.get("asyncInferenceConfig") is not None:
        yield from key_findings(subject, index, "asyncInferenceConfig.outputConfig.kmsKeyId", what)


def _model_package_policy(subject: Resource, index: Index) -> Iterator[str]:
    yield from policy_exposure(subject, index, "resourcePolicy", "model package group policy")


def _notebook_sharing(subject: Resource, index: Index) -> Iterator[str]:
    base = f"{_USER_SETTINGS[subject.type]}.sharingSettings"
    what = _WHAT[subject.type]
    option = subject.known(f"{base}.notebookOutputOption", "Disabled")
    if option == "Disabled":
        return
    if subject.get(f"{base}.s3OutputPath") in (None, ""):
        yield f"{what} {subject.label} shares notebook output ({option}) with no {base}.s3OutputPath"
    yield from location_findings(subject, index, f"{base}.s3OutputPath", what)
    yield from key_findings(subject, index, f"{base}.s3KmsKeyId", what)


def _walk(subject: Resource, value: Any, key: str, path: str = "") -> Iterator[Any]:
    """Every value under `key`, at any depth of the subject's settings (unknown parts raise)."""
    if value is UNKNOWN:
        raise UnknownValue(subject.label, path or key)
    if isinstance(value, dict):
        for k, v in value.items():
            if k == key:
                yield v
            else:
                yield from _walk(subject, v, key, f"{path}.{k}".lstrip("."))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(subject, item, key, f"{path}.{i}")


def _canvas(subject: Resource, index: Index) -> Iterator[str]:
    base = f"{_USER_SETTINGS[subject.type]}.canvasAppSettings"
    what = _WHAT[subject.type]
    for i, oauth in enumerate(subject.known(f"{base}.identityProviderOauthSettings", []) or []):
        if get(oauth, "status", "ENABLED") != "DISABLED":
            source = get(oauth, "dataSourceName", "?")
            yield (
                f"{what} {subject.label} connects Canvas to the external data source {source} (OAuth "
                f"setting {i})"
            )
    artifacts = f"{base}.workspaceSettings.s3ArtifactPath"
    if subject.known(artifacts):
        yield from location_findings(subject, index, artifacts, what)
        yield from key_findings(subject, index, f"{base}.workspaceSettings.s3KmsKeyId", what)


def _runs_lifecycle(subject: Resource, _index: Index) -> bool:
    return subject.type == NOTEBOOK_LIFECYCLE or bool(subject.known("lifecycleConfigName"))


def _lifecycle(subject: Resource, _index: Index) -> Iterator[str]:
    if subject.type == NOTEBOOK_LIFECYCLE:
        yield (
            f"notebook lifecycle configuration {subject.label} runs its scripts as root, whatever rootAccess "
            "says; what they do cannot be judged from the plan"
        )
    elif subject.known("lifecycleConfigName"):
        yield (
            f"notebook instance {subject.label} runs lifecycle configuration "
            f"{subject.get('lifecycleConfigName')} as root"
        )


def _git_findings(subject: Resource, urls: list[Any], index: Index) -> Iterator[str]:
    names = {r.get("codeRepositoryName") for r in index.of_type(CODE_REPOSITORY)}
    what = _WHAT.get(subject.type, "code repository")
    for url in urls:
        if url is UNKNOWN:
            raise UnknownValue(subject.label, "code repository URL")
        text = str(url)
        if _CODECOMMIT.match(text):
            continue
        if subject.type == NOTEBOOK and "://" not in text and text in names:
            continue
        yield (
            f"{what} {subject.label} uses git repository {text}, which is neither in AWS CodeCommit nor a "
            "code repository of the plan"
        )


def _git_repositories(subject: Resource, index: Index) -> Iterator[str]:
    if subject.type == CODE_REPOSITORY:
        urls = [subject.known("gitConfig.repositoryUrl")]
    elif subject.type == NOTEBOOK:
        urls = [
            u
            for u in [
                subject.known("defaultCodeRepository"),
                *as_list(subject.known("additionalCodeRepositories")),
            ]
            if u is not None and u != ""
        ]
    else:
        urls = [
            get(repository, "repositoryUrl")
            for repositories in _walk(subject, dict(subject.props), "codeRepositories")
            for repository in as_list(repositories)
        ]
    yield from _git_findings(subject, urls, index)


def _duty(role: Resource) -> Any:
    """The role's `strongroom:duty` tag (None when unset). Which separation-of-duties rules apply depends
    on it, so one unknown during preview is never read as another duty: `UnknownValue`."""
    tags = role.known("tags", {}) or {}
    duty = tags.get(DUTY_TAG) if isinstance(tags, Mapping) else None
    if duty is UNKNOWN:
        raise UnknownValue(role.label, f"tags.{DUTY_TAG}")
    return duty


def _is_approver(role: Resource) -> bool:
    return bool(_duty(role) == MODEL_APPROVER)


def _owner(subject: Resource, index: Index) -> Resource | None:
    """The role whose permissions `subject` is: itself, or the role an inline RolePolicy belongs to."""
    if subject.type == ROLE:
        return subject
    if subject.type != ROLE_POLICY:
        return None
    named = subject.get("role")
    by_urn, by_arn, by_name = index.memo("workspace:roles-by-reference", lambda: _roles_by_reference(index))
    # the first role of the stack that `_refers(subject, "role", role, unknown=False)` or whose name or
    # id is the role named: a lookup per way of naming, not a scan of every role per RolePolicy
    deps = subject.property_dependencies.get("role")
    found = [by_urn[urn] for urn in deps or () if urn in by_urn]
    if not deps:
        found += [by_arn[v] for v in as_list(named) if isinstance(v, str) and v in by_arn]
    if isinstance(named, str) and named in by_name:
        found.append(by_name[named])
    if found:
        return min(found, key=lambda entry: entry[0])[1]
    if named is UNKNOWN and not subject.property_dependencies.get("role"):
        raise UnknownValue(subject.label, "role")
    return None


def _roles_by_reference(
    index: Index,
) -> tuple[dict[str, tuple[int, Resource]], dict[str, tuple[int, Resource]], dict[str, tuple[int, Resource]]]:
    """The stack's roles, with their place in it, by URN, by string ARN and by string name or id (the
    first role for a value two of them share)."""
    by_urn: dict[str, tuple[int, Resource]] = {}
    by_arn: dict[str, tuple[int, Resource]] = {}
    by_name: dict[str, tuple[int, Resource]] = {}
    for order, role in enumerate(index.of_type(ROLE)):
        by_urn.setdefault(role.urn, (order, role))
        arn = role.get("arn")
        if isinstance(arn, str):
            by_arn.setdefault(arn, (order, role))
        for value in (role.get("name"), role.get("id")):
            if isinstance(value, str):
                by_name.setdefault(value, (order, role))
    return by_urn, by_arn, by_name


def _aws_principals(role: Resource) -> set[str]:
    """The AWS principals (not '*') a role's trust lets in; unknown ones cannot be judged."""
    found: set[str] = set()
    for i, statement in enumerate(_trust_statements(role)):
        for kind, value in principal_entries(statement):
            if value is UNKNOWN or value == repr(UNKNOWN):
                raise UnknownValue(role.label, f"assumeRolePolicy statement {i} Principal")
            if kind == "AWS" and value != "*":
                found.add(str(value))
    return found


def _duties_shared(approver: Resource, index: Index) -> Iterator[str]:
    """The approver role is a different person's: no principal that may assume a data scientist's role
    (tagged strongroom:duty=data-scientist) may assume it, nor may the data scientist's role itself."""
    trusted = _aws_principals(approver)
    if not trusted:
        return
    scientists: _Scientists | None = index.memo("workspace:data-scientists", lambda: _data_scientists(index))
    if scientists is not None:
        every, by_principal = scientists
        # only the data scientists some principal trusted by the approver names, in the plan's order
        for position in sorted({p for principal in trusted for p in by_principal.get(principal, ())}):
            scientist, principals = every[position]
            if scientist is approver:
                continue
            shared = trusted & principals
            yield (
                f"model approver role {approver.label} is trusted by {', '.join(sorted(shared))}, who may "
                f"also act as data scientist role {scientist.label}: one person could train, register and "
                "approve the same model"
            )
        return
    # Some role's tags or a data scientist's trust cannot be read: the scan below meets it where it did.
    for scientist in index.of_type(ROLE):
        if scientist is approver or _duty(scientist) != DATA_SCIENTIST:
            continue
        shared = trusted & (_aws_principals(scientist) | {str(scientist.get("arn"))})
        if shared:
            yield (
                f"model approver role {approver.label} is trusted by {', '.join(sorted(shared))}, who may "
                f"also act as data scientist role {scientist.label}: one person could train, register and "
                "approve the same model"
            )


_Scientists = tuple[tuple[tuple[Resource, frozenset[str]], ...], Mapping[str, tuple[int, ...]]]


def _data_scientists(index: Index) -> _Scientists | None:
    """The roles tagged strongroom:duty=data-scientist, in the plan's order, each with what an approver
    must not share with it (the AWS principals its trust lets in and its own ARN), and their places by
    each of those: one scan of the roles per stack instead of one per model approver. None when the scan
    of `_duties_shared` raises (an unknown tag or trust), which then runs as it did, role by role."""
    every: list[tuple[Resource, frozenset[str]]] = []
    by_principal: dict[str, list[int]] = {}
    try:
        for role in index.of_type(ROLE):
            if _duty(role) != DATA_SCIENTIST:
                continue
            principals = frozenset(_aws_principals(role) | {str(role.get("arn"))})
            for principal in principals:
                by_principal.setdefault(principal, []).append(len(every))
            every.append((role, principals))
    except Exception:
        return None
    return tuple(every), {principal: tuple(places) for principal, places in by_principal.items()}


def _may_approve(statement: Any) -> bool:
    values = _condition_values(statement, "sagemaker:ModelApprovalStatus", ("stringequals",)) or []
    return not values or any(not isinstance(v, str) or v.lower() == "approved" for v in values)


def _model_approval(subject: Resource, index: Index) -> Iterator[str]:
    if subject.type == MODEL_PACKAGE_GROUP:
        return
    groups = index.memo(
        "workspace:model-package-groups",
        lambda: {g.get("modelPackageGroupName") for g in index.of_type(MODEL_PACKAGE_GROUP)},
    )
    if subject.type == ROLE and _is_approver(subject) and not groups:
        yield (
            f"model approver role {subject.label} has no model package group in the plan: no approved "
            "package binds what it promotes"
        )
    if subject.type == ROLE and _is_approver(subject):
        yield from _duties_shared(subject, index)
    if _is_boundary_only(subject, index):
        return
    owner: Resource | None = None
    for grant in _grants(subject):
        if isinstance(grant, str):
            yield grant
            continue
        actions = sorted(a for a in grant.actions(subject) if a in APPROVAL_ACTIONS)
        if not actions:
            continue
        owner = owner or _owner(subject, index)
        if owner is not None and _is_approver(owner):
            for resource in grant.resources(subject):
                match = _GROUP_ARN.search(resource)
                if match and match.group("name") not in groups:
                    yield (
                        f"{grant.prefix(subject)} approves packages of model package group "
                        f"{match.group('name')}, which is not in the plan"
                    )
            if REGISTER_ACTION in actions and _may_approve(grant.statement):
                # The approver approves what others registered; a package it registers already approved
                # is one no one else reviewed.
                yield (
                    f"{grant.prefix(subject)} grants {REGISTER_ACTION} to the model approver without "
                    "StringEquals sagemaker:ModelApprovalStatus excluding Approved: it could register a "
                    "package already approved, which no one else reviewed (every role registers packages "
                    "only as PendingManualApproval)"
                )
            continue
        if _may_approve(grant.statement):
            yield (
                f"{grant.prefix(subject)} grants {', '.join(actions)} without StringEquals "
                "sagemaker:ModelApprovalStatus excluding Approved: only the model approver (a role tagged "
                f"{DUTY_TAG}={MODEL_APPROVER}) may approve a model package"
            )


_NIST_ISOLATION = ("SC-7", "AC-4", "SC-7(5)")
_AI = {"EU-AI-ACT": ("Art. 15(5)",)}

CONTROLS: tuple[Control, ...] = (
    Control(
        id="SR-WS-001",
        enforced_in=frozenset({"preview", "live"}),
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
        enforced_in=frozenset({"preview", "checkov", "live"}),
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
        enforced_in=frozenset({"preview", "checkov", "live"}),
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
        enforced_in=frozenset({"preview", "checkov", "live"}),
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
    Control(
        id="SR-WS-012",
        title="Models run in the VPC",
        severity="high",
        enforcement="mandatory",
        resource_types=(MODEL,),
        rationale="In the VPC, a model reaches its artifacts only through the endpoints and their policies.",
        frameworks={"NIST-800-53-r5": ("SC-7", "AC-4")},
        framework_note="No CIS or FSBP control covers model VPC placement.",
        remediation="Set vpc_config with the private subnets and the workspace security group.",
        predicate=_model_vpc,
        tags=("workspace", "sagemaker"),
    ),
    Control(
        id="SR-WS-013",
        title="Endpoints use an endpoint configuration of the plan",
        severity="high",
        enforcement="mandatory",
        resource_types=(ENDPOINT,),
        scope="stack",
        rationale=(
            "The configuration decides keys, data capture and async outputs; one made outside the plan "
            "escapes every control on them."
        ),
        frameworks={"NIST-800-53-r5": ("CM-2", "CM-3", "AC-4")},
        framework_note="No CIS or FSBP control relates endpoints to their configuration.",
        remediation="Create the aws.sagemaker.EndpointConfiguration in the stack; pass its name.",
        predicate=_endpoint_config,
        tags=("workspace", "sagemaker"),
    ),
    Control(
        id="SR-WS-014",
        title="Studio notebook output is shared only to a bucket of the plan, under a key of the stack",
        severity="high",
        enforcement="mandatory",
        resource_types=(DOMAIN, USER_PROFILE),
        scope="stack",
        rationale=(
            "Sharing a notebook with its output copies cell outputs, often data, to the sharing bucket; a "
            "user profile can turn it on for itself, overriding the domain."
        ),
        frameworks={"NIST-800-53-r5": ("AC-4", "AC-21", "SC-28")},
        framework_note="No CIS or FSBP control covers Studio notebook sharing.",
        remediation=(
            "Leave sharing_settings.notebook_output_option 'Disabled', or set s3_output_path to a bucket of "
            "the stack and s3_kms_key_id to a key of the stack."
        ),
        predicate=_notebook_sharing,
        tags=("workspace", "sagemaker", "perimeter"),
    ),
    Control(
        id="SR-WS-015",
        title="Studio Canvas connects to no external data source and keeps artifacts in the plan",
        severity="high",
        enforcement="mandatory",
        resource_types=(DOMAIN, USER_PROFILE),
        scope="stack",
        rationale=(
            "Canvas OAuth data sources (Snowflake, Salesforce, ...) move data across the perimeter; its "
            "workspace artifacts hold datasets and models."
        ),
        frameworks={"NIST-800-53-r5": ("AC-4", "SC-7", "SC-28")},
        framework_note="No CIS or FSBP control covers SageMaker Canvas.",
        remediation=(
            "Leave canvas_app_settings.identity_provider_oauth_settings unset (or DISABLED); set "
            "workspace_settings.s3_artifact_path to a bucket of the stack with a key of the stack."
        ),
        predicate=_canvas,
        tags=("workspace", "sagemaker", "perimeter"),
    ),
    Control(
        id="SR-WS-016",
        title="No notebook instance lifecycle configurations",
        severity="high",
        enforcement="mandatory",
        resource_types=(NOTEBOOK_LIFECYCLE, NOTEBOOK),
        applies=lambda subject, _index: (
            subject.type == NOTEBOOK_LIFECYCLE or bool(subject.known("lifecycleConfigName"))
        ),
        applicability="lifecycle configurations, and notebook instances that name one",
        rationale=(
            "Lifecycle scripts run as root even with rootAccess Disabled, so they can undo every setting of "
            "the instance; their effect cannot be judged from the plan, and one named by a notebook may not "
            "be in the plan at all."
        ),
        frameworks={"NIST-800-53-r5": ("AC-6", "CM-5", "CM-7")},
        framework_note="FSBP SageMaker.3 covers root access, which lifecycle scripts bypass.",
        remediation="Remove the lifecycle configuration; set up in the image or a Studio lifecycle config.",
        predicate=_lifecycle,
        tags=("workspace", "sagemaker"),
    ),
    Control(
        id="SR-WS-017",
        title="Git repositories are in AWS CodeCommit, not on the internet",
        severity="high",
        enforcement="mandatory",
        resource_types=(CODE_REPOSITORY, NOTEBOOK, DOMAIN, USER_PROFILE, SPACE),
        scope="stack",
        rationale=(
            "A repository on GitHub or any other host is a path out for notebooks and data and a path in for "
            "unreviewed code; CodeCommit stays behind IAM and the VPC endpoint."
        ),
        frameworks={"NIST-800-53-r5": ("AC-4", "SC-7", "CM-7(5)")},
        framework_note="No CIS or FSBP control judges SageMaker git repositories.",
        remediation=(
            "Use https://git-codecommit.<region>.amazonaws.com/v1/repos/<name> (or a CodeRepository of the "
            "stack pointing there)."
        ),
        predicate=_git_repositories,
        tags=("workspace", "sagemaker", "internet"),
    ),
    Control(
        id="SR-NET-036",
        title="Endpoint data capture and async outputs go to buckets of the plan",
        severity="critical",
        enforcement="mandatory",
        resource_types=(ENDPOINT_CONFIG,),
        scope="stack",
        rationale=(
            "Data capture copies every inference request and response, often customer data, to its S3 "
            "location; a bucket outside the plan may belong to anyone."
        ),
        frameworks={"NIST-800-53-r5": ("AC-4", "SC-7(10)"), **_AI},
        framework_note="No CIS or FSBP control judges where data capture writes.",
        remediation="Set destination_s3_uri / s3_output_path to s3://<bucket of the stack>/<prefix>.",
        predicate=_hosting_buckets,
        tags=("workspace", "sagemaker", "perimeter"),
    ),
    Control(
        id="SR-ENC-024",
        title="Endpoint storage, data capture and async outputs use keys of the stack",
        severity="high",
        enforcement="mandatory",
        resource_types=(ENDPOINT_CONFIG,),
        scope="stack",
        rationale="Endpoint volumes hold the model; captured data and async outputs hold inference data.",
        frameworks={"NIST-800-53-r5": ("SC-28", "SC-28(1)", "SC-12"), **_AI},
        framework_note="No CIS or FSBP control covers endpoint configuration keys.",
        remediation="Set kms_key_arn, data_capture_config.kms_key_id and the async output kms_key_id.",
        predicate=_hosting_keys,
        tags=("workspace", "sagemaker", "encryption"),
    ),
    Control(
        id="SR-IAM-025",
        title="Model package group policies reach no one outside the perimeter",
        severity="critical",
        enforcement="mandatory",
        resource_types=(MODEL_PACKAGE_GROUP_POLICY,),
        rationale="The policy lets the principals it names read or register the bank's models.",
        frameworks={"NIST-800-53-r5": ("AC-3", "AC-21"), **_AI},
        framework_note="No CIS or FSBP control judges model registry policies.",
        remediation="Name principals of the perimeter's accounts, or confine '*' with aws:PrincipalOrgID.",
        predicate=_model_package_policy,
        tags=("workspace", "sagemaker", "perimeter"),
    ),
    Control(
        id="SR-WS-040",
        title="Only the model approver approves model packages, in the plan's model package groups",
        severity="high",
        enforcement="advisory",
        prod_enforcement="mandatory",
        resource_types=(MODEL_PACKAGE_GROUP, *POLICY_TYPES),
        scope="stack",
        rationale=(
            "Promotion to production is bound to a reviewed model only if packages are registered pending "
            "and only the approver, a person other than who trained it, sets ModelApprovalStatus Approved, "
            "in registries the stack owns."
        ),
        frameworks={"NIST-800-53-r5": ("AC-5", "CM-3", "SA-10"), **_AI},
        framework_note="No CIS or FSBP control judges SageMaker model approval.",
        remediation=(
            "Create an aws.sagemaker.ModelPackageGroup per model; grant CreateModelPackage only with "
            "StringEquals sagemaker:ModelApprovalStatus PendingManualApproval; grant UpdateModelPackage only "
            f"to the approver role, tagged {DUTY_TAG}={MODEL_APPROVER}, which registers pending too and "
            f"trusts no principal (nor role) that may act as a {DUTY_TAG}={DATA_SCIENTIST} role."
        ),
        predicate=_model_approval,
        tags=("workspace", "sagemaker", "identity"),
    ),
)
