"""MlWorkspace under the recording mock monitor."""

from __future__ import annotations

from typing import Any

import pytest

from strongroom.components.workspace import MlWorkspace, MlWorkspaceArgs
from strongroom.engine import PlanResource, Recorder

KEY = "arn:aws:kms:eu-west-2:123456789012:key/1c7e7b1e-5f4a-4c55-9c1e-2f7d1d0a1b01"
ROLE = "arn:aws:iam::123456789012:role/strongroom/dev/dev-roles-data-scientist-1a2b3c4"
SUBNETS = ["subnet-0a1b2c3d4e5f60718", "subnet-0a1b2c3d4e5f60719"]
ENDPOINT_SG = "sg-0e0e0e0e0e0e0e0e0"
DOMAIN = "aws:sagemaker/domain:Domain"
NOTEBOOK = "aws:sagemaker/notebookInstance:NotebookInstance"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"


def make_args(**overrides: Any) -> MlWorkspaceArgs:
    values: dict[str, Any] = {
        "vpc_id": "vpc-0a1b2c3d4e5f60718",
        "subnet_ids": SUBNETS,
        "endpoint_security_group_id": ENDPOINT_SG,
        "execution_role_arn": ROLE,
        "kms_key_arn": KEY,
        "s3_prefix_list_id": "pl-7ca54015",
        "create_notebook_instance": True,
    }
    values.update(overrides)
    return MlWorkspaceArgs(**values)


def build(mocks: Recorder, **overrides: Any) -> Recorder:
    mocks.run(lambda: MlWorkspace("dev-workspace", make_args(**overrides)))
    return mocks


@pytest.fixture
def built(pulumi_mocks: Recorder) -> Recorder:
    return build(pulumi_mocks)


def one(mocks: Recorder, type_: str) -> PlanResource:
    (found,) = mocks.of_type(type_)
    return found


def sg_id(mocks: Recorder) -> str:
    return str(one(mocks, "aws:ec2/securityGroup:SecurityGroup").outputs["id"])


def test_domain_is_vpc_only_iam_auth_on_private_subnets_with_kms(built: Recorder) -> None:
    d = one(built, DOMAIN)
    assert d.inputs["appNetworkAccessType"] == "VpcOnly", d.urn
    assert d.inputs["authMode"] == "IAM", d.urn
    assert d.inputs["subnetIds"] == SUBNETS, d.urn
    assert d.inputs["vpcId"] == "vpc-0a1b2c3d4e5f60718", d.urn
    assert d.inputs["kmsKeyId"] == KEY, d.urn


def test_domain_users_and_spaces_use_the_data_scientist_role_and_workspace_group(built: Recorder) -> None:
    d = one(built, DOMAIN)
    sg = sg_id(built)
    for setting in ("defaultUserSettings", "defaultSpaceSettings"):
        assert d.inputs[setting]["executionRole"] == ROLE, f"{d.urn} {setting}"
        assert d.inputs[setting]["securityGroups"] == [sg], f"{d.urn} {setting}"
    assert d.inputs["defaultUserSettings"]["sharingSettings"]["notebookOutputOption"] == "Disabled", d.urn
    assert d.inputs["domainSettings"]["dockerSettings"]["enableDockerAccess"] == "DISABLED", d.urn


def test_security_group_reaches_only_itself_the_endpoints_and_s3(built: Recorder) -> None:
    sg = sg_id(built)
    group = one(built, "aws:ec2/securityGroup:SecurityGroup")
    assert not group.inputs.get("ingress") and not group.inputs.get("egress"), group.urn
    ingress = {
        (r.inputs["fromPort"], r.inputs["toPort"], r.inputs.get("referencedSecurityGroupId"))
        for r in built.of_type(INGRESS)
        if r.inputs["securityGroupId"] == sg
    }
    assert ingress == {(2049, 2049, sg), (8192, 65535, sg)}
    egress = {
        (
            r.inputs["fromPort"],
            r.inputs["toPort"],
            r.inputs.get("referencedSecurityGroupId") or r.inputs.get("prefixListId"),
        )
        for r in built.of_type(EGRESS)
        if r.inputs["securityGroupId"] == sg
    }
    assert egress == {(2049, 2049, sg), (8192, 65535, sg), (443, 443, ENDPOINT_SG), (443, 443, "pl-7ca54015")}
    for rule in built.of_type(INGRESS) + built.of_type(EGRESS):
        assert "cidrIpv4" not in rule.inputs and "cidrIpv6" not in rule.inputs, f"{rule.urn} opens a CIDR"
        assert rule.inputs["ipProtocol"] == "tcp", rule.urn


def test_endpoint_group_admits_the_workspace_on_https_only(built: Recorder) -> None:
    """The egress to the endpoints needs its ingress half on the endpoints' group, or Studio cannot reach
    the SageMaker API, STS or KMS through the interface endpoints."""
    sg = sg_id(built)
    on_endpoints = [r for r in built.of_type(INGRESS) if r.inputs["securityGroupId"] == ENDPOINT_SG]
    assert [
        (
            r.name,
            r.inputs["ipProtocol"],
            r.inputs["fromPort"],
            r.inputs["toPort"],
            r.inputs["referencedSecurityGroupId"],
        )
        for r in on_endpoints
    ] == [("dev-workspace-endpoints-ingress", "tcp", 443, 443, sg)]
    assert "cidrIpv4" not in on_endpoints[0].inputs, on_endpoints[0].urn


def test_notebook_has_no_internet_no_root_and_kms(built: Recorder) -> None:
    nb = one(built, NOTEBOOK)
    assert nb.inputs["directInternetAccess"] == "Disabled", nb.urn
    assert nb.inputs["rootAccess"] == "Disabled", nb.urn
    assert nb.inputs["kmsKeyId"] == KEY, nb.urn
    assert nb.inputs["subnetId"] == SUBNETS[0], nb.urn
    assert nb.inputs["securityGroups"] == [sg_id(built)], nb.urn
    assert nb.inputs["roleArn"] == ROLE, nb.urn
    assert nb.inputs["instanceMetadataServiceConfiguration"]["minimumInstanceMetadataServiceVersion"] == "2"


def test_no_notebook_by_default_and_no_domain_when_off(pulumi_mocks: Recorder) -> None:
    build(pulumi_mocks, create_notebook_instance=False, create_domain=True)
    assert pulumi_mocks.of_type(NOTEBOOK) == []
    assert len(pulumi_mocks.of_type(DOMAIN)) == 1


def test_domain_can_be_left_out_for_a_notebook_only_workspace(pulumi_mocks: Recorder) -> None:
    build(pulumi_mocks, create_domain=False)
    assert pulumi_mocks.of_type(DOMAIN) == []
    assert len(pulumi_mocks.of_type(NOTEBOOK)) == 1


def test_no_s3_rule_without_prefix_list(pulumi_mocks: Recorder) -> None:
    build(pulumi_mocks, s3_prefix_list_id=None)
    assert {r.name for r in pulumi_mocks.of_type(EGRESS)} == {
        "dev-workspace-egress-nfs",
        "dev-workspace-egress-apps",
        "dev-workspace-egress-endpoints",
    }


def test_outputs(built: Recorder) -> None:
    component = next(r for r in built.resources if r.type == "strongroom:index:MlWorkspace")
    assert component.outputs["security_group_id"] == sg_id(built), component.urn
    assert component.outputs["domain_id"] == one(built, DOMAIN).outputs["id"], component.urn
    assert component.outputs["notebook_instance_arn"] == one(built, NOTEBOOK).outputs["arn"], component.urn


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"domain_name": "-bad"}, "domain_name"),
        ({"notebook_instance_type": "t3.medium"}, "notebook_instance_type"),
        ({"notebook_volume_size_gb": 1}, "notebook_volume_size_gb"),
        ({"subnet_ids": []}, "subnet_ids"),
        ({"create_domain": False, "create_notebook_instance": False}, "both off"),
    ],
)
def test_args_refuse_bad_values(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_args(**overrides)
