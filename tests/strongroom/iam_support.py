"""The policies of a stack's plan for :mod:`policies.iamsim`: a role's identity documents and boundary, a
bucket's policy, a key's policy, each bucket's default KMS key; and :func:`check_call`, which judges every
request a boto3 call implies.

Import it from a test anywhere under tests/::

    import sys; from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[N] / "strongroom"))  # tests/strongroom
    from iam_support import PlanPolicies

    policies = PlanPolicies(stack_plan("dev"))                  # plan ARNs and names as planned
    policies = PlanPolicies(plan, real=materialised.real)       # against moto: fake IDs -> moto's real ones
    verdicts = policies.check_call("training", "s3", "put_object", {...}, context=policies.s3_context())
    assert all(d.allowed for _, d in verdicts), verdicts
    judged = policies.judge_calls("training", aws.calls, context=policies.s3_context())  # calls recorded
    assert [f"{r.action} {r.resource}: {d.reason}" for _, r, d in judged if not d.allowed] == []

With ``real`` every document and name is passed through it (``Materialised.real`` replaces each fake ID and
ARN of the plan with the one moto returned), so the requests of calls recorded against moto can be judged.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from strongroom.components.policydocs.iam import DUTY_TAG
from strongroom.engine.plan import Plan, PlanResource
from strongroom.live.aws import Call
from strongroom.policies.iamsim import ContextValue, Decision, Request, decide, implied

#: the duties of the stack's roles; the auditor role carries no duty tag and is named ``...roles-auditor``
AUDITOR = "auditor"


def _doc(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else dict(value)


@dataclass(frozen=True)
class RolePolicies:
    arn: str
    name: str
    identity: list[dict[str, Any]]
    boundary: dict[str, Any] | None


@dataclass
class PlanPolicies:
    plan: Plan
    real: Callable[[Any], Any] = field(default=lambda value: value)

    def _of_type(self, type_: str) -> list[PlanResource]:
        return [r for r in self.plan.resources if r.type == type_]

    def _policy_by_arn(self, arn: str) -> dict[str, Any]:
        (doc,) = [
            r.inputs["policy"]
            for r in self._of_type("aws:iam/policy:Policy")
            if self.real(r.outputs["arn"]) == arn
        ]
        return self.real(_doc(doc))  # type: ignore[no-any-return]

    def role(self, duty: str) -> RolePolicies:
        """The role with ``strongroom:duty`` = ``duty`` (or the auditor role): inline + attached documents and
        its permissions boundary."""
        roles = self._of_type("aws:iam/role:Role")
        if duty == AUDITOR:
            matches = [r for r in roles if r.name.endswith("roles-auditor")]
        else:
            matches = [r for r in roles if (r.inputs.get("tags") or {}).get(DUTY_TAG) == duty]
        if len(matches) != 1:
            raise LookupError(f"duty {duty!r}: {len(matches)} roles in the plan of {self.plan.stack!r}")
        role = matches[0]
        name, arn = self.real(role.outputs["name"]), self.real(role.outputs["arn"])
        inline = [
            self.real(_doc(r.inputs["policy"]))
            for r in self._of_type("aws:iam/rolePolicy:RolePolicy")
            if self.real(r.inputs.get("role")) == name
        ]
        inline += [
            self.real(_doc(p["policy"])) for p in role.inputs.get("inlinePolicies") or [] if p.get("policy")
        ]
        attached = [
            self._policy_by_arn(self.real(a.inputs["policyArn"]))
            for a in self._of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
            if self.real(a.inputs.get("role")) == name
        ]
        attached += [self._policy_by_arn(self.real(p)) for p in role.inputs.get("managedPolicyArns") or []]
        boundary_arn = role.inputs.get("permissionsBoundary")
        boundary = self._policy_by_arn(self.real(boundary_arn)) if boundary_arn else None
        return RolePolicies(arn, name, inline + attached, boundary)

    def bucket(self, name_part: str) -> str:
        """The (real) name of the one bucket whose resource name contains ``name_part``."""
        names = [
            self.real(r.outputs["bucket"])
            for r in self._of_type("aws:s3/bucket:Bucket")
            if name_part in r.name
        ]
        if len(names) != 1:
            raise LookupError(f"bucket {name_part!r}: {names}")
        return str(names[0])

    def key(self, name_part: str) -> str:
        """The (real) ARN of the one KMS key whose resource name contains ``name_part``."""
        arns = [self.real(r.outputs["arn"]) for r in self._of_type("aws:kms/key:Key") if name_part in r.name]
        if len(arns) != 1:
            raise LookupError(f"key {name_part!r}: {arns}")
        return str(arns[0])

    def bucket_policy(self, bucket: str) -> dict[str, Any] | None:
        docs = [
            self.real(_doc(r.inputs["policy"]))
            for r in self._of_type("aws:s3/bucketPolicy:BucketPolicy")
            if self.real(r.inputs.get("bucket")) == bucket
        ]
        return docs[0] if docs else None

    def key_policy(self, key_arn: str) -> dict[str, Any] | None:
        for r in self._of_type("aws:kms/key:Key"):
            if self.real(r.outputs["arn"]) == key_arn and r.inputs.get("policy"):
                return self.real(_doc(r.inputs["policy"]))  # type: ignore[no-any-return]
        for r in self._of_type("aws:kms/keyPolicy:KeyPolicy"):
            if self.real(r.inputs.get("keyId")) in (key_arn, key_arn.rsplit("/", 1)[-1]):
                return self.real(_doc(r.inputs["policy"]))  # type: ignore[no-any-return]
        return None

    def key_arn_of_bucket(self) -> dict[str, str]:
        """Bucket name -> the ARN of its default SSE-KMS key."""
        out: dict[str, str] = {}
        for r in self._of_type(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
        ):
            for rule in r.inputs.get("rules") or []:
                default = rule.get("applyServerSideEncryptionByDefault") or {}
                if default.get("sseAlgorithm") == "aws:kms" and default.get("kmsMasterKeyId"):
                    out[self.real(r.inputs["bucket"])] = self.real(default["kmsMasterKeyId"])
        return out

    def vpc_endpoint(self, name_part: str = "vpce-s3") -> str:
        ids = [
            self.real(r.outputs["id"])
            for r in self._of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
            if name_part in r.name
        ]
        if len(ids) != 1:
            raise LookupError(f"VPC endpoint {name_part!r}: {ids}")
        return str(ids[0])

    def s3_context(self, **extra: ContextValue) -> dict[str, ContextValue]:
        """The context of an S3 request made as the bucket policies require: over TLS 1.2+, through the
        stack's S3 gateway endpoint."""
        return {
            "aws:SecureTransport": True,
            "s3:TlsVersion": "1.3",
            "aws:SourceVpce": self.vpc_endpoint(),
            **extra,
        }

    def decide(self, role: RolePolicies, request: Request) -> Decision:
        """``request`` of ``role`` judged with the resource's policy from the plan (bucket or key)."""
        resource = request.resource
        if resource.startswith("arn:aws:s3:::"):
            bucket = resource[len("arn:aws:s3:::") :].split("/", 1)[0]
            return decide(
                request,
                identity=role.identity,
                boundary=role.boundary,
                resource_policy=self.bucket_policy(bucket),
                resource_kind="s3",
            )
        if resource.startswith("arn:aws:kms:"):
            return decide(
                request,
                identity=role.identity,
                boundary=role.boundary,
                resource_policy=self.key_policy(resource),
                resource_kind="kms",
            )
        return decide(
            request,
            identity=role.identity,
            boundary=role.boundary,
            resource_policy=None,
            resource_kind="other",
        )

    def key_arns(self) -> dict[str, str]:
        """Each key's id, ARN, alias name and alias ARN -> the key's ARN (for a call's ``KeyId``)."""
        out: dict[str, str] = {}
        by_id: dict[str, str] = {}
        for r in self._of_type("aws:kms/key:Key"):
            arn = str(self.real(r.outputs["arn"]))
            key_id = str(self.real(r.outputs.get("keyId") or arn.rsplit("/", 1)[-1]))
            out[arn] = out[key_id] = by_id[key_id] = arn
        for r in self._of_type("aws:kms/alias:Alias"):
            target = str(self.real(r.inputs.get("targetKeyId", "")))
            found = by_id.get(target) or out.get(target)
            if found:
                out[str(r.inputs["name"])] = found
                if r.outputs.get("arn"):
                    out[str(self.real(r.outputs["arn"]))] = found
        return out

    def judge_calls(
        self, duty: str, calls: Iterable[Call], *, context: Mapping[str, ContextValue]
    ) -> list[tuple[Call, Request, Decision]]:
        """Every S3, KMS and STS call recorded by an :class:`strongroom.live.aws.Aws` (``aws.calls``, with
        their params) judged for the role of ``duty``; other services raise (not judged is not allowed).
        KMS calls without a KeyId (ListKeys, ListAliases) are judged on resource ``*``."""
        role = self.role(duty)
        buckets, keys = self.key_arn_of_bucket(), self.key_arns()
        out: list[tuple[Call, Request, Decision]] = []
        for call in calls:
            if call.service == "kms" and "KeyId" not in call.params:
                requests = [Request(role.arn, call.action, "*", dict(context))]
            else:
                requests = implied(
                    call.service,
                    call.operation,
                    call.params,
                    principal_arn=role.arn,
                    context=context,
                    key_arn_of_bucket=buckets,
                    key_arns=keys,
                )
            out += [(call, r, self.decide(role, r)) for r in requests]
        return out

    def check_call(
        self,
        duty: str,
        service: str,
        operation: str,
        params: Mapping[str, Any],
        *,
        context: Mapping[str, ContextValue],
    ) -> list[tuple[Request, Decision]]:
        """Every request the boto3 call implies, each with its decision for the role of ``duty``."""
        role = self.role(duty)
        requests = implied(
            service,
            operation,
            params,
            principal_arn=role.arn,
            context=context,
            key_arn_of_bucket=self.key_arn_of_bucket(),
        )
        return [(r, self.decide(role, r)) for r in requests]
