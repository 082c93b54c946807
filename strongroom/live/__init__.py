"""The live audit: read the deployed environment with boto3 (read-only), turn it into the resource model the
policy pack's predicates read, and judge it with the same control IDs as the offline check.

* :mod:`strongroom.live.aws` - the boto3 clients, every call recorded with its IAM action, errors a person
  can act on.
* :mod:`strongroom.live.readers` - one module per area: AWS state -> :class:`policies.props.Resource`.
* :mod:`strongroom.live.materialise` - the offline plan of a stack created in moto (tests, ``sandbox``).
* :mod:`strongroom.live.audit` - the audit itself: read, judge the live controls, compare with the plan.
"""
