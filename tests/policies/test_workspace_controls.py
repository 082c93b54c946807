"""Workspace controls over SageMaker Studio, notebooks, training jobs and models."""

from __future__ import annotations

import json
from dataclasses import replace
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

from strongroom.policies.controls.workspace import (
    CODE_REPOSITORY,
    DOMAIN,
    ENDPOINT,
    ENDPOINT_CONFIG,
    MODEL,
    MODEL_PACKAGE_GROUP,
    MODEL_PACKAGE_GROUP_POLICY,
    NOTEBOOK,
    NOTEBOOK_LIFECYCLE,
    SPACE,
    TRAINING_JOB,
    USER_PROFILE,
)
from strongroom.policies.props import UNKNOWN
from strongroom.policies.references import BUCKET, KEY

domain = res(DOMAIN, "studio", appNetworkAccessType="VpcOnly", subnetIds=["subnet-1"], vpcId="vpc-1")
notebook = res(
    NOTEBOOK,
    "nb",
    directInternetAccess="Disabled",
    rootAccess="Disabled",
    subnetId="subnet-1",
    securityGroups=["sg-1"],
)
job = res(
    TRAINING_JOB,
    "train",
    enableNetworkIsolation=True,
    enableInterContainerTrafficEncryption=True,
    vpcConfig={"subnets": ["subnet-1"], "securityGroupIds": ["sg-1"]},
)
model = res(
    MODEL,
    "model",
    enableNetworkIsolation=True,
    vpcConfig={"subnets": ["subnet-1"], "securityGroupIds": ["sg-1"]},
)

IN = "123456789012"
OUT = "999999999999"
KEY_ARN = f"arn:aws:kms:eu-west-2:{IN}:key/1111-2222"
OUT_KEY = f"arn:aws:kms:eu-west-2:{OUT}:key/3333-4444"
CODECOMMIT = "https://git-codecommit.eu-west-2.amazonaws.com/v1/repos/notebooks"
GITHUB = "https://github.com/someone/notebooks.git"
key = res(KEY, "key", arn=KEY_ARN)
bucket = res(BUCKET, "data", bucket="team-data")
unnamed_bucket = res(BUCKET, "capture")
"""A bucket named by AWS (no `bucket` given): its name is not known until it is created."""
endpoint_config = res(
    ENDPOINT_CONFIG,
    "serving",
    kmsKeyArn=KEY_ARN,
    dataCaptureConfig={"destinationS3Uri": "s3://team-data/capture", "kmsKeyId": KEY_ARN},
    asyncInferenceConfig={"outputConfig": {"s3OutputPath": "s3://team-data/async", "kmsKeyId": KEY_ARN}},
)
named_config = replace(endpoint_config, props=dict(endpoint_config.props) | {"name": "serving-config"})
sharing = {"notebookOutputOption": "Allowed", "s3OutputPath": "s3://team-data/shared", "s3KmsKeyId": KEY_ARN}
profile = res(USER_PROFILE, "alice", domainId="d-1", userSettings={"sharingSettings": sharing})
code_repository = res(
    CODE_REPOSITORY, "repo", codeRepositoryName="notebooks", gitConfig={"repositoryUrl": CODECOMMIT}
)


def notebook_with(**changes: object) -> object:
    props = {k: v for k, v in (dict(notebook.props) | changes).items() if v is not None}
    return res(NOTEBOOK, "nb", **props)


def config_with(**changes: Any) -> Any:
    props = {k: v for k, v in (dict(endpoint_config.props) | changes).items() if v is not None}
    return res(ENDPOINT_CONFIG, "serving", **props)


def profile_with(settings: dict[str, Any], **deps: Any) -> Any:
    return res(USER_PROFILE, "alice", deps=deps or None, domainId="d-1", userSettings=settings)


def job_with(**changes: object) -> object:
    props = {k: v for k, v in (dict(job.props) | changes).items() if v is not None}
    return res(TRAINING_JOB, "train", **props)


IAM_ROLE = "aws:iam/role:Role"
IAM_ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
IAM_POLICY = "aws:iam/policy:Policy"
GROUP_ARN = "arn:aws:sagemaker:eu-west-2:123456789012:model-package-group/sr-prod-credit-pd"
PACKAGES = "arn:aws:sagemaker:eu-west-2:123456789012:model-package/sr-prod-credit-pd/*"
PENDING = {"StringEquals": {"sagemaker:ModelApprovalStatus": "PendingManualApproval"}}
group = res(MODEL_PACKAGE_GROUP, "credit-pd", modelPackageGroupName="sr-prod-credit-pd")
approver = res(
    IAM_ROLE,
    "approver",
    arn="arn:aws:iam::123456789012:role/approver",
    tags={"strongroom:duty": "model-approver"},
)
scientist = res(IAM_ROLE, "scientist", arn="arn:aws:iam::123456789012:role/scientist", tags={"owner": "ml"})


def grants(name: str, owner: Any, *statements: dict[str, Any]) -> Any:
    return res(
        IAM_ROLE_POLICY,
        name,
        deps={"role": [owner]},
        role=UNKNOWN,
        policy=json.dumps({"Version": "2012-10-17", "Statement": list(statements)}),
    )


def _naming_role(name: str, role: str) -> Any:
    """A RolePolicy granting CreateModelPackage with no status condition, its role given as a known value
    (a name or an ARN) with no property dependency."""
    statement = model_actions("sagemaker:CreateModelPackage")
    return res(
        IAM_ROLE_POLICY,
        name,
        role=role,
        policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
    )


def model_actions(action: Any, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": action, "Resource": [GROUP_ARN, PACKAGES]}
    if condition is not None:
        statement["Condition"] = condition
    return statement


APPROVES_WITHOUT_DUTY = (
    "without StringEquals sagemaker:ModelApprovalStatus excluding Approved: only the model approver (a role "
    "tagged strongroom:duty=model-approver) may approve a model package"
)

APPROVER_REGISTERS = (
    "to the model approver without StringEquals sagemaker:ModelApprovalStatus excluding Approved: it could "
    "register a package already approved, which no one else reviewed (every role registers packages only as "
    "PendingManualApproval)"
)

PERSON = "arn:aws:iam::333333333333:role/aws-reserved/sso.amazonaws.com/eu-west-2/AWSReservedSSO_DS_0a1b"
REVIEWER = "arn:aws:iam::333333333333:role/aws-reserved/sso.amazonaws.com/eu-west-2/AWSReservedSSO_Risk_2c3d"
SCIENTIST_ARN = "arn:aws:iam::123456789012:role/data-scientist"


def duty_role(name: str, duty: str, *principals: str) -> Any:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": list(principals)}, "Action": "sts:AssumeRole"}
        ],
    }
    arn = SCIENTIST_ARN if duty == "data-scientist" else f"arn:aws:iam::123456789012:role/{name}"
    return res(IAM_ROLE, name, arn=arn, assumeRolePolicy=json.dumps(trust), tags={"strongroom:duty": duty})


def shares_duties(principal: str) -> str:
    return (
        f"model approver role 'model-approver' is trusted by {principal}, who may also act as data scientist "
        "role 'data-scientist': one person could train, register and approve the same model"
    )


SPECS: dict[str, Spec] = {
    "SR-WS-001": Spec(
        baseline=[domain],
        breaks=[
            Break(
                "default",
                [res(DOMAIN, "studio")],
                "studio",
                [
                    "Studio domain 'studio' has appNetworkAccessType 'PublicInternetOnly' (default "
                    "PublicInternetOnly), not VpcOnly"
                ],
            )
        ],
        not_applicable=[notebook],
    ),
    "SR-WS-002": Spec(
        baseline=[notebook],
        breaks=[
            Break(
                "default",
                [notebook_with(directInternetAccess=None)],
                "nb",
                ["notebook instance 'nb' has directInternetAccess 'Enabled' (default Enabled)"],
            )
        ],
        not_applicable=[domain],
    ),
    "SR-WS-003": Spec(
        baseline=[notebook],
        breaks=[
            Break(
                "enabled",
                [notebook_with(rootAccess="Enabled")],
                "nb",
                ["notebook instance 'nb' has rootAccess 'Enabled' (default Enabled)"],
            ),
            Break(
                "default",
                [notebook_with(rootAccess=None)],
                "nb",
                ["notebook instance 'nb' has rootAccess 'Enabled' (default Enabled)"],
            ),
        ],
        not_applicable=[domain],
    ),
    "SR-WS-004": Spec(
        baseline=[notebook],
        breaks=[
            Break(
                "no-subnet",
                [notebook_with(subnetId=None, securityGroups=None)],
                "nb",
                [
                    "notebook instance 'nb' sets no subnetId, so it runs outside the VPC",
                    "notebook instance 'nb' sets no securityGroups",
                ],
            )
        ],
        not_applicable=[domain],
    ),
    "SR-WS-005": Spec(
        baseline=[job],
        breaks=[
            Break(
                "default",
                [job_with(enableNetworkIsolation=None)],
                "train",
                ["training job 'train' does not set enableNetworkIsolation=true (default false)"],
            )
        ],
        not_applicable=[model],
    ),
    "SR-WS-006": Spec(
        baseline=[job],
        breaks=[
            Break(
                "no-vpc",
                [job_with(vpcConfig=None)],
                "train",
                ["training job 'train' has no vpcConfig with subnets and securityGroupIds"],
            )
        ],
        not_applicable=[model],
    ),
    "SR-WS-007": Spec(
        baseline=[job],
        breaks=[
            Break(
                "default",
                [job_with(enableInterContainerTrafficEncryption=None)],
                "train",
                [
                    "training job 'train' does not set enableInterContainerTrafficEncryption=true (default "
                    "false)"
                ],
            )
        ],
        not_applicable=[model],
    ),
    "SR-WS-008": Spec(
        baseline=[model],
        breaks=[
            Break(
                "default",
                [res(MODEL, "model")],
                "model",
                ["model 'model' does not set enableNetworkIsolation=true (default false)"],
            )
        ],
        not_applicable=[job],
    ),
    "SR-WS-012": Spec(
        baseline=[model],
        breaks=[
            Break(
                "no-vpc",
                [res(MODEL, "model", enableNetworkIsolation=True)],
                "model",
                ["model 'model' has no vpcConfig with subnets and securityGroupIds"],
            )
        ],
        not_applicable=[job],
    ),
    "SR-WS-013": Spec(
        baseline=[
            named_config,
            res(ENDPOINT, "by-name", endpointConfigName="serving-config"),
            res(
                ENDPOINT, "by-ref", deps={"endpointConfigName": [endpoint_config]}, endpointConfigName=UNKNOWN
            ),
        ],
        breaks=[
            Break(
                "config-not-in-the-plan",
                [named_config, res(ENDPOINT, "ep", endpointConfigName="made-by-hand")],
                "ep",
                [
                    "endpoint 'ep' uses endpoint configuration made-by-hand, which is not one of the plan, "
                    "so its "
                    "keys and data capture cannot be judged"
                ],
            ),
            Break(
                "unknown",
                [res(ENDPOINT, "ep", endpointConfigName=UNKNOWN)],
                "ep",
                ["endpointConfigName of 'ep' can't be known during preview"],
            ),
            Break(
                "computed-from-a-plan-config-but-naming-another",
                [
                    named_config,
                    res(
                        ENDPOINT,
                        "ep",
                        deps={"endpointConfigName": [named_config]},
                        endpointConfigName="made-by-hand",
                    ),
                ],
                "ep",
                [
                    "endpoint 'ep' uses endpoint configuration made-by-hand, which is not one of the plan, "
                    "so its keys and data capture cannot be judged"
                ],
            ),
        ],
        not_applicable=[endpoint_config],
    ),
    "SR-WS-014": Spec(
        baseline=[domain, bucket, key, profile],
        breaks=[
            Break(
                "bucket-not-in-the-plan",
                [key, profile_with({"sharingSettings": sharing | {"s3OutputPath": "s3://exfil/x"}})],
                "alice",
                [
                    "user profile 'alice' writes to s3://exfil (userSettings.sharingSettings.s3OutputPath), "
                    "which is no bucket of this stack"
                ],
            ),
            Break(
                "computed-from-the-plan-bucket-but-another-bucket",
                [
                    bucket,
                    key,
                    profile_with(
                        {"sharingSettings": sharing | {"s3OutputPath": "s3://exfil/x"}},
                        userSettings=[bucket, key],
                    ),
                ],
                "alice",
                [
                    "user profile 'alice' writes to s3://exfil (userSettings.sharingSettings.s3OutputPath), "
                    "which is no bucket of this stack"
                ],
            ),
            Break(
                "no-key",
                [bucket, profile_with({"sharingSettings": sharing | {"s3KmsKeyId": None}})],
                "alice",
                ["user profile 'alice' does not set userSettings.sharingSettings.s3KmsKeyId"],
            ),
            Break(
                "key-of-another-account",
                [bucket, profile_with({"sharingSettings": sharing | {"s3KmsKeyId": OUT_KEY}})],
                "alice",
                [
                    f"user profile 'alice' uses the KMS key {OUT_KEY} in "
                    f"userSettings.sharingSettings.s3KmsKeyId, of account {OUT} outside the perimeter"
                ],
            ),
            Break(
                "domain-default-without-path",
                [
                    key,
                    res(
                        DOMAIN,
                        "studio",
                        defaultUserSettings={
                            "sharingSettings": {"notebookOutputOption": "Allowed", "s3KmsKeyId": KEY_ARN}
                        },
                    ),
                ],
                "studio",
                [
                    "Studio domain 'studio' shares notebook output (Allowed) with no "
                    "defaultUserSettings.sharingSettings.s3OutputPath"
                ],
            ),
        ],
        not_applicable=[notebook],
    ),
    "SR-WS-015": Spec(
        baseline=[
            domain,
            bucket,
            key,
            profile_with(
                {
                    "canvasAppSettings": {
                        "workspaceSettings": {
                            "s3ArtifactPath": "s3://team-data/canvas",
                            "s3KmsKeyId": KEY_ARN,
                        }
                    }
                }
            ),
        ],
        breaks=[
            Break(
                "oauth-data-source",
                [
                    profile_with(
                        {
                            "canvasAppSettings": {
                                "identityProviderOauthSettings": [
                                    {"dataSourceName": "SnowflakeConnection", "secretArn": "arn:x"}
                                ]
                            }
                        }
                    )
                ],
                "alice",
                [
                    "user profile 'alice' connects Canvas to the external data source SnowflakeConnection "
                    "(OAuth setting 0)"
                ],
            ),
            Break(
                "artifacts-outside-the-plan",
                [
                    key,
                    profile_with(
                        {
                            "canvasAppSettings": {
                                "workspaceSettings": {"s3ArtifactPath": "s3://exfil/c", "s3KmsKeyId": KEY_ARN}
                            }
                        }
                    ),
                ],
                "alice",
                [
                    "user profile 'alice' writes to s3://exfil "
                    "(userSettings.canvasAppSettings.workspaceSettings.s3ArtifactPath), which is no bucket "
                    "of this stack"
                ],
            ),
        ],
        not_applicable=[notebook],
    ),
    "SR-WS-016": Spec(
        baseline=[notebook],
        forbidden=True,
        breaks=[
            Break(
                "lifecycle-configuration",
                [res(NOTEBOOK_LIFECYCLE, "lcc", onStart="IyEvYmluL2Jhc2g=")],
                "lcc",
                [
                    "notebook lifecycle configuration 'lcc' runs its scripts as root, whatever rootAccess "
                    "says; "
                    "what they do cannot be judged from the plan"
                ],
            ),
            Break(
                "named-by-the-notebook",
                [notebook_with(lifecycleConfigName="made-by-hand")],
                "nb",
                ["notebook instance 'nb' runs lifecycle configuration made-by-hand as root"],
            ),
        ],
        not_applicable=[notebook, domain],
    ),
    "SR-WS-017": Spec(
        baseline=[
            code_repository,
            notebook_with(defaultCodeRepository="notebooks", additionalCodeRepositories=[CODECOMMIT]),
            res(
                DOMAIN,
                "studio",
                defaultUserSettings={
                    "jupyterServerAppSettings": {"codeRepositories": [{"repositoryUrl": CODECOMMIT}]}
                },
            ),
        ],
        breaks=[
            Break(
                "github-repository",
                [res(CODE_REPOSITORY, "repo", gitConfig={"repositoryUrl": GITHUB})],
                "repo",
                [
                    f"code repository 'repo' uses git repository {GITHUB}, which is neither in AWS "
                    "CodeCommit nor "
                    "a code repository of the plan"
                ],
            ),
            Break(
                "notebook-additional-github",
                [notebook_with(additionalCodeRepositories=[GITHUB])],
                "nb",
                [
                    f"notebook instance 'nb' uses git repository {GITHUB}, which is neither in AWS "
                    "CodeCommit "
                    "nor a code repository of the plan"
                ],
            ),
            Break(
                "notebook-repository-not-in-the-plan",
                [notebook_with(defaultCodeRepository="made-by-hand")],
                "nb",
                [
                    "notebook instance 'nb' uses git repository made-by-hand, which is neither in AWS "
                    "CodeCommit "
                    "nor a code repository of the plan"
                ],
            ),
            Break(
                "look-alike-codecommit",
                [notebook_with(defaultCodeRepository=f"{CODECOMMIT}.evil.example/x")],
                "nb",
                [
                    f"notebook instance 'nb' uses git repository {CODECOMMIT}.evil.example/x, which is "
                    "neither "
                    "in AWS CodeCommit nor a code repository of the plan"
                ],
            ),
            Break(
                "user-profile-jupyterlab",
                [profile_with({"jupyterLabAppSettings": {"codeRepositories": [{"repositoryUrl": GITHUB}]}})],
                "alice",
                [
                    f"user profile 'alice' uses git repository {GITHUB}, which is neither in AWS CodeCommit "
                    "nor "
                    "a code repository of the plan"
                ],
            ),
            Break(
                "space",
                [
                    res(
                        SPACE,
                        "shared",
                        domainId="d-1",
                        spaceSettings={
                            "jupyterLabAppSettings": {"codeRepositories": [{"repositoryUrl": GITHUB}]}
                        },
                    )
                ],
                "shared",
                [
                    f"space 'shared' uses git repository {GITHUB}, which is neither in AWS CodeCommit nor a "
                    "code "
                    "repository of the plan"
                ],
            ),
            Break(
                "domain-default-space",
                [
                    res(
                        DOMAIN,
                        "studio",
                        defaultSpaceSettings={
                            "jupyterServerAppSettings": {"codeRepositories": [{"repositoryUrl": GITHUB}]}
                        },
                    )
                ],
                "studio",
                [
                    f"Studio domain 'studio' uses git repository {GITHUB}, which is neither in AWS "
                    "CodeCommit "
                    "nor a code repository of the plan"
                ],
            ),
        ],
        not_applicable=[job, model],
    ),
    "SR-NET-036": Spec(
        baseline=[
            bucket,
            endpoint_config,
            res(ENDPOINT_CONFIG, "plain", kmsKeyArn=KEY_ARN),
            res(
                ENDPOINT_CONFIG,
                "by-ref",
                deps={"dataCaptureConfig": [bucket]},
                dataCaptureConfig={"destinationS3Uri": UNKNOWN},
            ),
        ],
        breaks=[
            Break(
                "capture-outside-the-plan",
                [bucket, config_with(dataCaptureConfig={"destinationS3Uri": "s3://exfil/capture"})],
                "serving",
                [
                    "endpoint configuration 'serving' writes to s3://exfil "
                    "(dataCaptureConfig.destinationS3Uri), "
                    "which is no bucket of this stack"
                ],
            ),
            Break(
                "async-output-outside-the-plan",
                [
                    bucket,
                    config_with(asyncInferenceConfig={"outputConfig": {"s3OutputPath": "s3://exfil/a"}}),
                ],
                "serving",
                [
                    "endpoint configuration 'serving' writes to s3://exfil "
                    "(asyncInferenceConfig.outputConfig.s3OutputPath), which is no bucket of this stack"
                ],
            ),
            Break(
                "computed-from-an-unnamed-plan-bucket-but-another-bucket",
                [
                    bucket,
                    unnamed_bucket,
                    res(
                        ENDPOINT_CONFIG,
                        "serving",
                        deps={"dataCaptureConfig": [unnamed_bucket]},
                        **(
                            dict(endpoint_config.props)
                            | {
                                "dataCaptureConfig": {
                                    "destinationS3Uri": "s3://exfil/capture",
                                    "kmsKeyId": KEY_ARN,
                                }
                            }
                        ),
                    ),
                ],
                "serving",
                [
                    "endpoint configuration 'serving' writes to s3://exfil "
                    "(dataCaptureConfig.destinationS3Uri), which is no bucket of this stack"
                ],
            ),
            Break(
                "not-an-s3-location",
                [bucket, config_with(dataCaptureConfig={"destinationS3Uri": "https://exfil.example/c"})],
                "serving",
                [
                    "endpoint configuration 'serving' dataCaptureConfig.destinationS3Uri "
                    "'https://exfil.example/c' is not an s3:// location"
                ],
            ),
            Break(
                "unknown-without-dependency",
                [bucket, config_with(dataCaptureConfig={"destinationS3Uri": UNKNOWN})],
                "serving",
                ["dataCaptureConfig.destinationS3Uri of 'serving' can't be known during preview"],
            ),
        ],
        not_applicable=[model],
    ),
    "SR-ENC-024": Spec(
        baseline=[key, endpoint_config],
        breaks=[
            Break(
                "no-volume-key",
                [key, config_with(kmsKeyArn=None)],
                "serving",
                ["endpoint configuration 'serving' does not set kmsKeyArn"],
            ),
            Break(
                "capture-without-key",
                [key, config_with(dataCaptureConfig={"destinationS3Uri": "s3://team-data/capture"})],
                "serving",
                ["endpoint configuration 'serving' does not set dataCaptureConfig.kmsKeyId"],
            ),
            Break(
                "async-key-of-another-account",
                [
                    key,
                    config_with(
                        asyncInferenceConfig={
                            "outputConfig": {"s3OutputPath": "s3://team-data/a", "kmsKeyId": OUT_KEY}
                        }
                    ),
                ],
                "serving",
                [
                    f"endpoint configuration 'serving' uses the KMS key {OUT_KEY} in "
                    f"asyncInferenceConfig.outputConfig.kmsKeyId, of account {OUT} outside the perimeter"
                ],
            ),
        ],
        not_applicable=[model],
    ),
    "SR-IAM-025": Spec(
        baseline=[
            res(
                MODEL_PACKAGE_GROUP_POLICY,
                "registry",
                modelPackageGroupName="models",
                resourcePolicy=doc(
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{IN}:root"},
                        "Action": "sagemaker:*",
                    }
                ),
            )
        ],
        breaks=[
            Break(
                "public",
                [
                    res(
                        MODEL_PACKAGE_GROUP_POLICY,
                        "registry",
                        resourcePolicy=doc({"Effect": "Allow", "Principal": "*"}),
                    )
                ],
                "registry",
                [
                    "model package group policy 'registry' statement 0 allows principal '*' with no "
                    "condition "
                    "confining callers to the perimeter (aws:PrincipalAccount, aws:PrincipalOrgID, "
                    "aws:SourceVpce, ... with StringEquals)"
                ],
            )
        ],
        not_applicable=[model],
    ),
    "SR-WS-040": Spec(
        baseline=[
            group,
            approver,
            scientist,
            grants("approver-policy", approver, model_actions("sagemaker:UpdateModelPackage")),
            grants("scientist-policy", scientist, model_actions("sagemaker:CreateModelPackage", PENDING)),
            # the approver may register too, pending like everyone else
            grants("approver-registers", approver, model_actions("sagemaker:CreateModelPackage", PENDING)),
            # people of different duties: the reviewer approves, the data scientist trains and registers
            duty_role("model-approver", "model-approver", REVIEWER),
            duty_role("data-scientist", "data-scientist", PERSON),
        ],
        breaks=[
            Break(
                "approver-trusted-by-a-data-scientist",
                [
                    group,
                    duty_role("model-approver", "model-approver", REVIEWER, PERSON),
                    duty_role("data-scientist", "data-scientist", PERSON),
                ],
                "model-approver",
                [shares_duties(PERSON)],
            ),
            Break(
                "data-scientist-role-may-assume-the-approver",
                [
                    group,
                    duty_role("model-approver", "model-approver", SCIENTIST_ARN),
                    duty_role("data-scientist", "data-scientist", PERSON),
                ],
                "model-approver",
                [shares_duties(SCIENTIST_ARN)],
            ),
            Break(
                "approver-registers-approved",
                [group, approver, grants("p", approver, model_actions("sagemaker:CreateModelPackage"))],
                "p",
                [f"policy of 'p' statement 0 grants sagemaker:CreateModelPackage {APPROVER_REGISTERS}"],
            ),
            # the policy's role named by a known value instead of a property dependency: by name, by ARN
            Break(
                "approver-registers-approved-role-named",
                [
                    group,
                    scientist,
                    replace(approver, props={**approver.props, "name": "sr-approver"}),
                    _naming_role("p", "sr-approver"),
                ],
                "p",
                [f"policy of 'p' statement 0 grants sagemaker:CreateModelPackage {APPROVER_REGISTERS}"],
            ),
            Break(
                "approver-registers-approved-role-by-arn",
                [group, scientist, approver, _naming_role("p", "arn:aws:iam::123456789012:role/approver")],
                "p",
                [f"policy of 'p' statement 0 grants sagemaker:CreateModelPackage {APPROVER_REGISTERS}"],
            ),
            Break(
                "approver-registers-by-wildcard",
                [group, approver, grants("p", approver, model_actions("sagemaker:*ModelPackage"))],
                "p",
                [f"policy of 'p' statement 0 grants sagemaker:CreateModelPackage {APPROVER_REGISTERS}"],
            ),
            Break(
                "approver-registers-approved-explicitly",
                [
                    group,
                    approver,
                    grants(
                        "p",
                        approver,
                        model_actions(
                            "sagemaker:CreateModelPackage",
                            {"StringEquals": {"sagemaker:ModelApprovalStatus": "Approved"}},
                        ),
                    ),
                ],
                "p",
                [f"policy of 'p' statement 0 grants sagemaker:CreateModelPackage {APPROVER_REGISTERS}"],
            ),
            Break(
                "scientist-registers-approved",
                [
                    group,
                    approver,
                    scientist,
                    grants("p", scientist, model_actions("sagemaker:CreateModelPackage")),
                ],
                "p",
                [f"policy of 'p' statement 0 grants sagemaker:CreateModelPackage {APPROVES_WITHOUT_DUTY}"],
            ),
            Break(
                "scientist-approves-by-wildcard",
                [
                    group,
                    approver,
                    scientist,
                    grants("p", scientist, model_actions("sagemaker:*ModelPackage")),
                ],
                "p",
                [
                    "policy of 'p' statement 0 grants sagemaker:CreateModelPackage, "
                    "sagemaker:UpdateModelPackage "
                    f"{APPROVES_WITHOUT_DUTY}"
                ],
            ),
            Break(
                "approved-allowed-explicitly",
                [
                    group,
                    approver,
                    scientist,
                    grants(
                        "p",
                        scientist,
                        model_actions(
                            "sagemaker:UpdateModelPackage",
                            {"StringEquals": {"sagemaker:ModelApprovalStatus": ["Rejected", "Approved"]}},
                        ),
                    ),
                ],
                "p",
                [f"policy of 'p' statement 0 grants sagemaker:UpdateModelPackage {APPROVES_WITHOUT_DUTY}"],
            ),
            Break(
                "managed-policy",
                [
                    group,
                    res(
                        IAM_POLICY,
                        "managed",
                        policy=json.dumps(
                            {
                                "Version": "2012-10-17",
                                "Statement": [model_actions("sagemaker:UpdateModelPackage")],
                            }
                        ),
                    ),
                ],
                "managed",
                [
                    "policy of 'managed' statement 0 grants sagemaker:UpdateModelPackage "
                    f"{APPROVES_WITHOUT_DUTY}"
                ],
            ),
            Break(
                "approver-without-group",
                [approver],
                "approver",
                [
                    "model approver role 'approver' has no model package group in the plan: no approved "
                    "package "
                    "binds what it promotes"
                ],
            ),
            Break(
                "group-not-in-plan",
                [
                    group,
                    approver,
                    grants("p", approver, model_actions("sagemaker:UpdateModelPackage")),
                    grants(
                        "q",
                        approver,
                        {
                            "Effect": "Allow",
                            "Action": "sagemaker:UpdateModelPackage",
                            "Resource": GROUP_ARN.replace("credit-pd", "fraud"),
                        },
                    ),
                ],
                "q",
                [
                    "policy of 'q' statement 0 approves packages of model package group sr-prod-fraud, which "
                    "is not in the plan"
                ],
            ),
        ],
        not_applicable=[notebook],
        stack="prod",
    ),
}
