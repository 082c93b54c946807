"""The conformance check shared by the tests that compare Strongroom's pack in process with the same pack
over the Analyzer gRPC protocol (``test_inprocess.py``, ``test_evasions.py``)."""

from __future__ import annotations

from typing import Any

from strongroom.check import Diagnostic, check_plans
from strongroom.engine import Plan


def same_diagnostics(plans: list[Plan], **kwargs: Any) -> list[list[Diagnostic]]:
    """The plans judged over gRPC (``via_analyzer=True``: the pack started as the Pulumi CLI starts it)
    and in process; the same pack info and the same diagnostics, one for one, are required. The in-process
    diagnostics, plan by plan."""
    info_grpc, over_grpc = check_plans(plans, via_analyzer=True, **kwargs)
    info, in_process = check_plans(plans, **kwargs)
    assert info == info_grpc
    for i, (a, b) in enumerate(zip(over_grpc, in_process, strict=True)):
        assert b == a, f"plan {i} ({plans[i].stack}): the diagnostics differ"
    return in_process
