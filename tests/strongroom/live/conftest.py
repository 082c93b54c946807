"""Fixtures of the live audit's tests: a stack's offline plan materialised into moto.

``materialised(stack)`` (function scope) builds the stack's plan once per session, starts a fresh
``mock_aws()`` for the test and creates the plan in it; it returns ``(aws, materialised, plan)``::

    def test_tampered_bucket_is_found(materialised):
        aws, env, plan = materialised("dev")
        aws.client("s3").delete_bucket_policy(Bucket=...)   # tamper (a client call: not in aws.calls)
        ...                                                   # audit with aws, assert

Call it once per test. The first call for a stack (under the same ``MOTO_*`` settings) in a test process
materialises it and takes a :class:`moto_snapshot.MotoSnapshot`; every later call restores a copy of that
snapshot into the test's fresh moto (0.05 s instead of 2 to 4 s) and gets its own copy of the
materialisation's result. The ``aws`` returned has made no
call yet (the materialiser used another), so ``aws.calls`` are the audit's only. ``moto_env`` is the same
environment without a plan. Both keep moto's calls lean: the boto3 clients are made once per session and
shared (clients work across ``mock_aws()`` contexts; their credentials are the fake ``testing`` ones),
no default AMIs (``MOTO_EC2_LOAD_DEFAULT_AMIS=false``: the environment has no instances), and one RSA key
reused for every symmetric KMS key of the process, the fixtures that start ``mock_aws()`` themselves included
(moto generates an RSA key for each symmetric key too, only for Sign/Verify).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

import pytest
from live_support import (
    Materialise,
    Sandbox,
    lean_account_lookup,
    lean_moto_backend_lookup,
    lean_moto_dispatch,
    moto_context,
    new_aws,
    no_access_log_delivery,
    parse_aws_managed_policies_once,
    sandbox_started,
    share_botocore_loader,
    share_event_alias_names,
    share_symmetric_key_material,
    stack_plan,
    start_sandbox,
    unsigned_requests_to_moto,
)
from moto_snapshot import MotoSnapshot, moto_settings

from strongroom.engine.plan import Plan
from strongroom.live.aws import Aws
from strongroom.live.materialise import Materialised, materialise

T = TypeVar("T")
R = TypeVar("R")

share_botocore_loader()  # for every test here, those that make their own moto and clients too
lean_moto_dispatch()
lean_moto_backend_lookup()
lean_account_lookup()
no_access_log_delivery()
share_symmetric_key_material()
share_event_alias_names()
parse_aws_managed_policies_once()
unsigned_requests_to_moto()

#: (stack, moto's settings) -> the snapshot taken right after its materialisation, and the result.
_SNAPSHOTS: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[MotoSnapshot, Materialised]] = {}


@pytest.fixture(scope="session", autouse=True)
def _dispose_snapshots() -> Iterator[None]:
    """At the session's end, the snapshots' S3 keys are closed as moto closes its own (not left to the
    interpreter's shutdown, where moto's ``FakeKey.__del__`` fails)."""
    yield
    for snapshot, _ in _SNAPSHOTS.values():
        snapshot.dispose()
    _SNAPSHOTS.clear()


@pytest.fixture(autouse=True)
def _in_process_reads_in_order(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Against moto in this process, :meth:`Aws.map` reads in order on the test's thread.

    moto in process answers every call under this process's GIL, so the audit's threads only take turns
    with each other: a pool per ``map`` call, a thread start and a GIL hand-off per read made the audits
    here slower (wall) than reading in order, with the same answers. The threads are exercised where they
    pay: against ``moto_server`` (an ``endpoint_url``: the sandbox, end-to-end and vault command-line
    tests, every ``strongroom audit`` subprocess) and in the tests marked ``threaded_reads``."""
    if request.node.get_closest_marker("threaded_reads") is not None:
        return
    threaded = Aws.map

    def in_order(self: Aws, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        if self.endpoint_url:
            return threaded(self, fn, items)
        return map(fn, list(items))

    monkeypatch.setattr(Aws, "map", in_order)


@pytest.fixture
def moto_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    """A fresh, empty moto account (fake credentials) and an :class:`Aws` on it."""
    with moto_context(monkeypatch):
        yield new_aws()


@pytest.fixture
def materialised(monkeypatch: pytest.MonkeyPatch) -> Iterator[Materialise]:
    """``materialised(stack) -> (aws, materialised, plan)``: the stack's plan created in a fresh moto (or
    restored there from the process's snapshot of its first materialisation)."""
    with moto_context(monkeypatch):
        made: list[str] = []

        def make(stack: str) -> tuple[Aws, Materialised, Plan]:
            if made:
                raise AssertionError(f"materialised({stack!r}): this test's moto already holds {made[0]!r}")
            made.append(stack)
            plan = stack_plan(stack)
            key = (stack, moto_settings())
            if key in _SNAPSHOTS:
                snapshot, result = _SNAPSHOTS[key]
                snapshot.restore()
            else:
                result = materialise(plan, new_aws())
                _SNAPSHOTS[key] = MotoSnapshot.take(), result
            # an Aws whose calls are the test's only (not the materialiser's), and a result of its own
            return new_aws(), copy.deepcopy(result), plan

        yield make


@pytest.fixture(scope="session")
def dev_sandbox() -> Iterator[Sandbox]:
    """``strongroom sandbox --stack dev`` started once per test process as a user starts it, shared by the
    tests that drive it from subprocesses (the sandbox, end-to-end audit and vault command-line tests,
    marked ``xdist_group(DEV_SANDBOX_GROUP)``). A test that changes the environment puts it back; what the
    vault commands add (model versions, snapshots) changes nothing the audit judges.

    It starts from a shell where the README's loop has exported endpoints, one of them nowhere: the
    sandbox's own client must still reach only its own moto (a test of ``test_sandbox.py``)."""
    dead = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9"}
    process = start_sandbox("--stack", "dev", "--port", "0", env=dead)
    try:
        yield sandbox_started(process)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
