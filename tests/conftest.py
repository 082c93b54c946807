"""Shared fixtures: a recording mock monitor with realistic AWS outputs.

Component tests::

    def test_bucket_is_versioned(pulumi_mocks):
        pulumi_mocks.run(lambda: SecureBucket("data", SecureBucketArgs(...)))
        versioning = pulumi_mocks.plan().of_type("aws:s3/bucketVersioning:BucketVersioning")
        assert versioning[0].inputs["versioningConfiguration"]["status"] == "Enabled"

``pulumi_mocks.run(fn)`` runs ``fn`` as a Pulumi program and waits for every registration, apply and
invoke it started, re-raising its exception. ``@pulumi.runtime.test`` functions work too (call them
inside the test; the recorder sees everything they register). Recorded resources are
:class:`strongroom.engine.PlanResource` (camelCase ``inputs``, realistic mock ``outputs``).
For another stack, region or config use ``make_pulumi_mocks(stack="prod", config={...})``.
"""

from __future__ import annotations

import atexit
import gc
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pulumi.runtime
import pytest

from strongroom.engine import Recorder, install

TEST_PROJECT = "strongroom"
TEST_STACK = "test"
TEST_REGION = "eu-west-2"
TEST_ACCOUNT = "123456789012"

MakeMocks = Callable[..., Recorder]


@pytest.fixture
def make_pulumi_mocks() -> Iterator[MakeMocks]:
    """Factory: ``make_pulumi_mocks(stack=..., region=..., account=..., config={"ns:key": "value"})``
    installs a fresh recording monitor and returns its recorder. Config values are strings as the
    Pulumi CLI passes them (structured values JSON-encoded)."""

    def make(
        *,
        project: str = TEST_PROJECT,
        stack: str = TEST_STACK,
        region: str = TEST_REGION,
        account: str = TEST_ACCOUNT,
        config: dict[str, str] | None = None,
        secret_keys: list[str] | None = None,
        default_tags: dict[str, str] | None = None,
    ) -> Recorder:
        values: dict[str, Any] = {"aws:region": region, **(config or {})}
        return install(
            project=project,
            stack=stack,
            region=region,
            account=account,
            config=values,
            secret_keys=secret_keys,
            default_tags=default_tags,
        )

    yield make
    pulumi.runtime.set_all_config({}, [])


@pytest.fixture
def pulumi_mocks(make_pulumi_mocks: MakeMocks) -> Recorder:
    """A fresh recording monitor for project ``strongroom``, stack ``test``, region eu-west-2."""
    return make_pulumi_mocks()


@pytest.fixture(scope="session")
def _plan_caches(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of the tests' private plan caches (one per test process)."""
    return tmp_path_factory.mktemp("xdg-caches")


@pytest.fixture(autouse=True)
def _private_plan_cache(_plan_caches: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own, empty plan cache (``strongroom check`` caches plans under
    ``$XDG_CACHE_HOME``): no test reads a plan another test, or a user's run, stored. The folders are
    made inside one folder (``tempfile.mkdtemp``): a numbered ``tmp_path_factory.mktemp`` per test
    lists pytest's base folder each time, which grew with every test (about 5 s of a suite's run)."""
    monkeypatch.setenv("XDG_CACHE_HOME", tempfile.mkdtemp(prefix="xdg-cache-", dir=_plan_caches))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under ``--dist loadgroup`` (``make test``), pytest-xdist sends the tests of one ``xdist_group`` to
    one worker by adding the group to their node ids; the expensive shared fixtures (the evasion
    programs, the mutation plans, the wheel) rely on it. A pytest that ignores the added id (9.2 with
    xdist 3.8) silently splits the groups and builds each fixture once per worker: stop instead."""
    if not getattr(config.option, "loadgroup", False):
        return
    for item in items:
        if item.get_closest_marker("xdist_group") is not None and "@" not in item.nodeid:
            raise pytest.UsageError(
                f"{item.nodeid}: its xdist_group is not in its node id, so --dist loadgroup would not keep "
                "the group on one worker (pytest-xdist and this pytest do not agree; see pyproject.toml)"
            )


# The cyclic collector's thresholds for a test process (the Python defaults are 700, 10, 10).
TEST_GC_THRESHOLDS = (200_000, 50, 1000)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Python's cyclic collector tuned for a test process, once the tests are collected. A worker holds
    millions of long-lived objects (pulumi_aws, moto and botocore modules, session fixtures' plans) and
    the live tests allocate without pause (botocore requests, moto's answers): with the default
    thresholds, collections walking that heap were about a fifth of the suite's CPU. What collection
    imported is frozen out of the collector's reach (``gc.freeze``); young cycles are still collected,
    every 200,000 allocations, and a full collection waits for 50,000 of those. Measured on the whole
    suite (2 workers): about 20% less CPU, each worker's peak memory below 820 MiB. The product tunes
    its own runs (``strongroom.process.collector_paused``); this changes only the tests'."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*TEST_GC_THRESHOLDS)


_SESSION_DONE = False


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """The session ended normally (the last thing pytest does with its config).

    pytest collects the garbage twice at the end of a session to report the unraisable exceptions of
    what it frees: in its own ``pytest_unconfigure`` (which has run by now) and again in the config's
    cleanup, right after this hook, with nothing run in between. Over a worker's heap (every module,
    parsed service model and session plan made after the collection's freeze) each is a full
    collection of about 0.8 s. The second finds nothing the first left; it is told to make none."""
    global _SESSION_DONE
    _SESSION_DONE = True
    try:
        from _pytest.unraisableexception import gc_collect_iterations_key
    except ImportError:  # another pytest: its own collections, as many as it makes
        return
    config.stash[gc_collect_iterations_key] = 0


def _worker_exit_at_once() -> None:
    """An xdist worker whose session ended normally leaves without tearing its heap down. By now its
    results are with the controller and every other exit handler has run (this one was registered
    first, so it runs last): what remains is the interpreter freeing each of the millions of objects
    the worker holds (pulumi_aws, moto, botocore, the session's plans), 2 to 3 s during which the
    controller waits for the worker to end. A worker that did not finish its session exits as usual."""
    if _SESSION_DONE:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


if os.environ.get("PYTEST_XDIST_WORKER"):
    atexit.register(_worker_exit_at_once)
