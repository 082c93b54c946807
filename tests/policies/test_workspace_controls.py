"""Workspace controls over SageMaker Studio, notebooks, training jobs and models."""

from __future__ import annotations

from controls_support import (  # the test_* names run here over SPECS, parametrized in conftest.py
    Break,
    Spec,
    res,
    test_compliant_baseline_has_no_violation,  # noqa: F401
    test_control_does_not_apply_elsewhere,  # noqa: F401
    test_each_break_reports_the_exact_message,  # noqa: F401
)

from policies.controls.workspace import DOMAIN, MODEL, NOTEBOOK, TRAINING_JOB

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
model = res(MODEL, "model", enableNetworkIsolation=True)


def notebook_with(**changes: object) -> object:
    props = {k: v for k, v in (dict(notebook.props) | changes).items() if v is not None}
    return res(NOTEBOOK, "nb", **props)


def job_with(**changes: object) -> object:
    props = {k: v for k, v in (dict(job.props) | changes).items() if v is not None}
    return res(TRAINING_JOB, "train", **props)


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
}
