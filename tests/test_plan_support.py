"""The tests' shared plans of the repository's stacks (tests/plan_support.py) are the plans run_plan makes,
and each caller's copy is its own."""

from __future__ import annotations

from plan_support import REPO, repository_plan

from strongroom.engine import run_plan


def test_a_shared_plan_is_the_plan_run_plan_makes() -> None:
    for stack in ("dev", "prod"):
        assert repository_plan(stack).to_dict() == run_plan(REPO, stack).to_dict()


def test_each_caller_gets_a_copy_of_its_own() -> None:
    first = repository_plan("dev")
    bucket = next(r for r in first if r.type == "aws:s3/bucket:Bucket")
    bucket.inputs["tags"] = {"changed": "by a test"}
    first.resources.pop()
    second = repository_plan("dev")
    assert second is not first and len(second.resources) == len(first.resources) + 1
    again = second.named(bucket.name)
    assert again.inputs.get("tags") != {"changed": "by a test"}
