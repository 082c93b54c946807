"""The Strongroom CrossGuard policy pack. The Pulumi CLI runs this file (`python -m pulumi.policy <engine>
<pack-dir>`); `PolicyPack(...)` starts the Analyzer gRPC server, prints its port and serves until killed.
This is the only place that builds the pack: everything else imports `policies.pack`."""

from pulumi_policy import EnforcementLevel, PolicyPack

from strongroom.policies.pack import PACK_NAME, build_policies, guard_configure

guard_configure()  # a policy config may not lower a mandatory control (pack.py)
PolicyPack(
    name=PACK_NAME,
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=build_policies(),
    description="Strongroom controls: private network, customer-managed encryption, locked storage, "
    "least-privilege IAM, audit trail and an isolated SageMaker workspace.",
    display_name="Strongroom",
    provider="aws",
    tags=["aws", "security", "nist-800-53", "cis-aws", "aws-fsbp"],
)
