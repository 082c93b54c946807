"""Where moto answers differently from AWS in a way the live audit would misread, and the fix applied to
the moto that `strongroom sandbox` and the tests run (never to AWS, never to what the audit reads).

* ``GetBucketReplication``: moto 5 stores the whole replication configuration it was given but answers
  each rule with only ID, priority, status and destination (filter and delete-marker replication
  replaced by defaults, ``SourceSelectionCriteria`` and ``ExistingObjectReplication`` dropped). AWS
  answers what was put. Without the fix, every replication rule of the stack reads as skipping SSE-KMS
  objects (SR-STO-040) in the sandbox.
* Bucket policies on object calls: moto 5 judges a bucket policy's statements without their conditions,
  so each conditional Deny of the stack's buckets (outside the VPC endpoint, without TLS, another KMS key)
  denies every object call, and no ``strongroom vault`` command could run in the sandbox. The fix makes
  moto's bucket-policy answer neutral: the sandbox stands where the vault commands run (inside the VPC,
  over TLS), and the tests judge every call against the bucket and key policies with their conditions
  (:mod:`policies.iamsim`), which moto cannot.
"""

from __future__ import annotations

from typing import Any

_RULE_KEYS = (
    "ID",
    "Priority",
    "Status",
    "Prefix",
    "Filter",
    "SourceSelectionCriteria",
    "ExistingObjectReplication",
    "DeleteMarkerReplication",
    "Destination",
)


def _rules(stored: Any) -> list[dict[str, Any]]:
    rules = stored if isinstance(stored, list) else [stored]
    out = []
    for rule in rules:
        shaped = {k: rule[k] for k in _RULE_KEYS if k in rule}
        shaped.setdefault("DeleteMarkerReplication", {"Status": "Disabled"})
        if "Prefix" not in shaped:
            shaped.setdefault("Filter", {"Prefix": ""})
        out.append(shaped)
    return out


def apply() -> None:
    """Patch the imported moto (idempotent, each patch on its own: a test that monkeypatches one of these
    methods puts moto's back when it ends); nothing to do without moto (the ``sandbox`` extra)."""
    try:
        from moto.iam.access_control import PermissionResult
        from moto.s3 import responses
        from moto.s3.models import FakeBucket
    except ImportError:
        return

    if not getattr(FakeBucket.get_permission, "_strongroom", False):

        def get_permission(self: Any, action: str, resource: str) -> Any:
            return PermissionResult.NEUTRAL

        get_permission._strongroom = True  # type: ignore[attr-defined]
        FakeBucket.get_permission = get_permission  # type: ignore[method-assign]

    if getattr(responses.S3Response.get_bucket_replication, "_strongroom", False):
        return

    def get_bucket_replication(self: Any) -> Any:
        self.data["Action"] = "GetBucketReplication"
        replication = self.backend.get_bucket_replication(self.bucket_name)
        if not replication:
            raise responses.ReplicationConfigurationNotFoundError(bucket_name=self.bucket_name)
        return self.serialized(
            responses.ActionResult(
                {
                    "ReplicationConfiguration": {
                        "Role": replication["Role"],
                        "Rules": _rules(replication["Rule"]),
                    }
                }
            )
        )

    get_bucket_replication._strongroom = True  # type: ignore[attr-defined]
    responses.S3Response.get_bucket_replication = get_bucket_replication  # type: ignore[method-assign]
