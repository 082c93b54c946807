"""Live reader for the workspace area: SageMaker Studio domains, notebook instances, model package groups.

Discovery is by the tag ``strongroom:environment=<stack>`` through ``tag:GetResources`` (one call per
region for every SageMaker resource type), then ``DescribeDomain`` / ``DescribeNotebookInstance`` per
resource and ``ListModelPackageGroups`` for the groups' descriptions. AWS's PascalCase settings become
pulumi-aws's camelCase (``DefaultUserSettings.SharingSettings.NotebookOutputOption`` ->
``defaultUserSettings.sharingSettings.notebookOutputOption``), nested objects staying objects, as the plan
shows them.

Not read: notebook lifecycle configurations' scripts (SR-WS-016 judges a notebook by its
``lifecycleConfigName`` alone) and model package group policies (``sagemaker:GetModelPackageGroupPolicy``
is not an auditor grant).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from strongroom.live.aws import Aws
from strongroom.live.readers import Scope, live_resource
from strongroom.policies.props import Resource

DOMAIN = "aws:sagemaker/domain:Domain"
NOTEBOOK = "aws:sagemaker/notebookInstance:NotebookInstance"
MODEL_PACKAGE_GROUP = "aws:sagemaker/modelPackageGroup:ModelPackageGroup"

TYPES: tuple[str, ...] = (DOMAIN, NOTEBOOK, MODEL_PACKAGE_GROUP)

#: Words pulumi-aws spells differently from a plain lower-casing of AWS's first letter.
_WORDS = (("OAuth", "Oauth"), ("SageMaker", "Sagemaker"))
#: AWS settings keys whose pulumi-aws name is not their camelCase.
_KEYS = {"RStudioServerProAppSettings": "rStudioServerProAppSettings"}

_ARN = re.compile(r"^arn:[^:]+:sagemaker:[^:]*:[^:]*:(?P<kind>[a-z-]+)/(?P<name>.+)$")


def camel(key: str) -> str:
    """pulumi-aws's name for an AWS API key (``S3KmsKeyId`` -> ``s3KmsKeyId``)."""
    if key in _KEYS:
        return _KEYS[key]
    for aws_word, pulumi_word in _WORDS:
        key = key.replace(aws_word, pulumi_word)
    return key[:1].lower() + key[1:]


def shaped(value: Any) -> Any:
    """AWS's nested settings with pulumi-aws's keys, recursively."""
    if isinstance(value, Mapping):
        return {camel(str(k)): shaped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shaped(v) for v in value]
    return value


def read(aws: Aws, scope: Scope) -> Iterator[Resource]:
    """Every SageMaker resource of the environment, region by region."""
    for region in dict.fromkeys((scope.region, *scope.regions)):
        yield from _region(aws, scope, region)


def _region(aws: Aws, scope: Scope, region: str) -> Iterator[Resource]:
    name, value = scope.tag
    found: dict[str, dict[str, dict[str, str]]] = {}
    for mapping in aws.pages(
        "resourcegroupstaggingapi",
        "get_resources",
        "ResourceTagMappingList",
        region=region,
        TagFilters=[{"Key": name, "Values": [value]}],
        ResourceTypeFilters=["sagemaker"],
    ):
        match = _ARN.match(str(mapping.get("ResourceARN", "")))
        if match:
            tags = {str(t["Key"]): str(t.get("Value", "")) for t in mapping.get("Tags", [])}
            found.setdefault(match.group("kind"), {})[mapping["ResourceARN"]] = tags
    domains = found.get("domain", {})
    for arn, domain in zip(
        domains, aws.map(lambda a: _describe_domain(aws, region, a), domains), strict=True
    ):
        if domain is not None:
            yield _domain(arn, domain, domains[arn])
    notebooks = found.get("notebook-instance", {})
    for arn, notebook in zip(
        notebooks, aws.map(lambda a: _describe_notebook(aws, region, a), notebooks), strict=True
    ):
        if notebook is not None:
            yield _notebook(arn, notebook, notebooks[arn])
    groups = found.get("model-package-group", {})
    if groups:
        listed = {
            str(g.get("ModelPackageGroupArn")): g
            for g in aws.pages(
                "sagemaker", "list_model_package_groups", "ModelPackageGroupSummaryList", region=region
            )
        }
        for arn, tags in groups.items():
            if arn in listed and listed[arn].get("ModelPackageGroupStatus") not in ("Deleting", "Deleted"):
                yield _model_package_group(arn, listed[arn], tags)


def _describe_domain(aws: Aws, region: str, arn: str) -> dict[str, Any] | None:
    """The domain, or None when it is gone (the tag index may list a deleted one for a while): AWS answers
    ResourceNotFound, moto ValidationException ("Could not find domain"); the ID is AWS's own, from the
    ARN, so a validation error can only mean it no longer exists."""
    domain_id = arn.rsplit("/", 1)[1]
    return aws.call(
        "sagemaker",
        "describe_domain",
        region=region,
        missing=("ResourceNotFound", "ValidationException"),
        DomainId=domain_id,
    )


def _describe_notebook(aws: Aws, region: str, arn: str) -> dict[str, Any] | None:
    """The notebook instance, or None when it is gone (AWS answers ValidationException "RecordNotFound")."""
    name = arn.rsplit("/", 1)[1]
    return aws.call(
        "sagemaker",
        "describe_notebook_instance",
        region=region,
        missing=("ResourceNotFound", "ValidationException"),
        NotebookInstanceName=name,
    )


def _domain(arn: str, domain: Mapping[str, Any], tags: Mapping[str, str]) -> Resource:
    domain_id = str(domain.get("DomainId", arn.rsplit("/", 1)[1]))
    props: dict[str, Any] = {
        "id": domain_id,
        "arn": str(domain.get("DomainArn", arn)),
        "domainName": domain.get("DomainName", ""),
        "authMode": domain.get("AuthMode", ""),
        "appNetworkAccessType": domain.get("AppNetworkAccessType", "PublicInternetOnly"),
        "appSecurityGroupManagement": domain.get("AppSecurityGroupManagement", ""),
        "kmsKeyId": domain.get("KmsKeyId", ""),
        "vpcId": domain.get("VpcId", ""),
        "subnetIds": list(domain.get("SubnetIds", [])),
        "defaultUserSettings": shaped(domain.get("DefaultUserSettings", {})),
        "defaultSpaceSettings": shaped(domain.get("DefaultSpaceSettings", {})),
        "domainSettings": shaped(domain.get("DomainSettings", {})),
        "homeEfsFileSystemId": domain.get("HomeEfsFileSystemId", ""),
        "securityGroupIdForDomainBoundary": domain.get("SecurityGroupIdForDomainBoundary", ""),
        "singleSignOnApplicationArn": domain.get("SingleSignOnApplicationArn", ""),
        "url": domain.get("Url", ""),
        "tags": dict(tags),
        "tagsAll": dict(tags),
    }
    return live_resource(DOMAIN, props["arn"], str(props["domainName"] or domain_id), props)


def _notebook(arn: str, notebook: Mapping[str, Any], tags: Mapping[str, str]) -> Resource:
    name = str(notebook.get("NotebookInstanceName", arn.rsplit("/", 1)[1]))
    props: dict[str, Any] = {
        "id": name,
        "name": name,
        "arn": str(notebook.get("NotebookInstanceArn", arn)),
        "roleArn": notebook.get("RoleArn", ""),
        "instanceType": notebook.get("InstanceType", ""),
        "platformIdentifier": notebook.get("PlatformIdentifier", ""),
        "subnetId": notebook.get("SubnetId", ""),
        "securityGroups": list(notebook.get("SecurityGroups", [])),
        "kmsKeyId": notebook.get("KmsKeyId", ""),
        "lifecycleConfigName": notebook.get("NotebookInstanceLifecycleConfigName", ""),
        "directInternetAccess": notebook.get("DirectInternetAccess", "Enabled"),
        "rootAccess": notebook.get("RootAccess", "Enabled"),
        "volumeSize": notebook.get("VolumeSizeInGB", 5),
        "defaultCodeRepository": notebook.get("DefaultCodeRepository", ""),
        "additionalCodeRepositories": list(notebook.get("AdditionalCodeRepositories", [])),
        "networkInterfaceId": notebook.get("NetworkInterfaceId", ""),
        "url": notebook.get("Url", ""),
        "tags": dict(tags),
        "tagsAll": dict(tags),
    }
    metadata = notebook.get("InstanceMetadataServiceConfiguration")
    if metadata:
        props["instanceMetadataServiceConfiguration"] = shaped(metadata)
    return live_resource(NOTEBOOK, props["arn"], name, props)


def _model_package_group(arn: str, group: Mapping[str, Any], tags: Mapping[str, str]) -> Resource:
    name = str(group.get("ModelPackageGroupName", arn.rsplit("/", 1)[1]))
    props = {
        "id": name,
        "name": name,
        "arn": arn,
        "modelPackageGroupName": name,
        "modelPackageGroupDescription": group.get("ModelPackageGroupDescription", ""),
        "tags": dict(tags),
        "tagsAll": dict(tags),
    }
    return live_resource(MODEL_PACKAGE_GROUP, arn, name, props)
