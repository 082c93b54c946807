"""What makes a run fast without changing what it finds: no per-resource stack traces and the cyclic
collector paused during the program run (both put back afterwards), and the console script's fast exit.
Speed itself is measured by bench/bench_check.py, never asserted here."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib.util
import json
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pulumi.runtime.resource as sdk_resource
import pytest
import yaml
from pulumi.runtime._context import wrap_with_context
from test_engine import write_project  # a project of one program (tests/strongroom is on sys.path)

from strongroom import cli, process
from strongroom.components.settings import _STACK, is_prod_stack
from strongroom.engine import monitor as engine_monitor
from strongroom.engine import run_plan, validate_stack_name
from strongroom.engine import runner as engine_runner

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "tests" / "fixtures" / "tiny_project"


@pytest.fixture
def counted_stack_traces(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The SDK's ``_get_stack_trace`` wrapped to count its calls (restored by monkeypatch afterwards)."""
    calls: list[int] = []
    original = sdk_resource._get_stack_trace

    def counting() -> Any:
        calls.append(1)
        return original()

    monkeypatch.setattr(sdk_resource, "_get_stack_trace", counting)
    yield calls


def test_no_stack_trace_is_captured_during_a_run_and_the_sdk_function_is_put_back(
    counted_stack_traces: list[int],
) -> None:
    wrapped = sdk_resource._get_stack_trace
    plan = run_plan(TINY, "test")
    assert len(plan.custom_resources) > 1
    assert len(counted_stack_traces) <= 1, "only the root stack, registered before the program runs"
    assert sdk_resource._get_stack_trace is wrapped


def test_the_plan_is_identical_with_and_without_stack_traces(
    counted_stack_traces: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    without = run_plan(REPO, "prod").to_dict()
    assert len(counted_stack_traces) <= 1
    monkeypatch.setattr(engine_runner, "_no_stack_traces", contextlib.nullcontext)
    with_traces = run_plan(REPO, "prod").to_dict()
    assert len(counted_stack_traces) >= len(with_traces["resources"])
    assert without == with_traces


def test_nested_runs_leave_the_sdk_function_in_place() -> None:
    original = sdk_resource._get_stack_trace
    with engine_runner._no_stack_traces():
        with engine_runner._no_stack_traces():
            assert sdk_resource._get_stack_trace is not original
        assert sdk_resource._get_stack_trace is not original, "the inner run restored too early"
    assert sdk_resource._get_stack_trace is original


GC_PROGRAM = """
    import gc

    import pulumi
    import pulumi_aws as aws

    aws.s3.Bucket("data")
    pulumi.export("collector_enabled", gc.isenabled())
"""


def _gc_project(tmp_path: Path) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: gc-probe\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-2\n")
    (tmp_path / "__main__.py").write_text(textwrap.dedent(GC_PROGRAM))
    return tmp_path


def _exported(plan: Any, key: str) -> Any:
    stack = next(r for r in plan.resources if r.type == "pulumi:pulumi:Stack")
    return stack.outputs[key]


def test_the_collector_is_off_during_the_program_and_on_again_afterwards(tmp_path: Path) -> None:
    assert gc.isenabled()
    plan = run_plan(_gc_project(tmp_path), "dev")
    assert _exported(plan, "collector_enabled") is False
    assert gc.isenabled()


def test_a_library_caller_freezes_nothing(tmp_path: Path) -> None:
    frozen = gc.get_freeze_count()
    run_plan(_gc_project(tmp_path), "dev")
    assert gc.get_freeze_count() == frozen


def test_a_one_shot_process_freezes_the_imports_and_the_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(process, "_one_shot", True)
    frozen = gc.get_freeze_count()
    try:
        plan = run_plan(_gc_project(tmp_path), "dev")
        assert gc.get_freeze_count() > frozen
        collectable = {id(o) for o in gc.get_objects()}  # the permanent generation is not listed
        assert gc.is_tracked(plan.resources[-1]) and id(plan.resources[-1]) not in collectable
        assert _exported(plan, "collector_enabled") is False
        assert gc.isenabled()
    finally:
        gc.unfreeze()


# Every cyclic collection while a module of Strongroom's engine or check, the SDK or pulumi_aws runs its
# top level, during a command as the console script runs it (a fresh interpreter, declared one-shot).
_COLLECTIONS_DURING_IMPORTS = """
import gc, json, sys
from strongroom import cli, process
process.declare_one_shot()
during = []
def watch(phase, info):
    if phase != "start":
        return
    frame = sys._getframe().f_back
    while frame is not None:
        if frame.f_code.co_name == "<module>" and frame.f_globals.get("__name__", "").startswith(
            ("strongroom.check", "strongroom.engine", "strongroom.policies", "pulumi", "pulumi_aws")
        ):
            during.append(frame.f_globals["__name__"])
            return
        frame = frame.f_back
gc.callbacks.append(watch)
try:
    cli.app(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
print("DURING", json.dumps(during))
"""


@pytest.mark.parametrize(
    "argv",
    [["check", "--stack", "dev", "--no-cache", "--format", "json"], ["plan", "--stack", "dev"]],
    ids=["check", "plan"],
)
def test_a_command_imports_the_engine_with_the_collector_paused(argv: list[str]) -> None:
    """Importing the engine, the SDK and the pack builds long-lived objects only; a collection then walks
    all of them for nothing (about 60 ms of a cold check). The commands import them inside
    ``collector_paused``, which a one-shot process ends by freezing what was imported."""
    result = subprocess.run(
        [sys.executable, "-c", _COLLECTIONS_DURING_IMPORTS, *argv],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(x for x in result.stdout.splitlines() if x.startswith("DURING "))
    assert json.loads(line.removeprefix("DURING ")) == []


def test_a_caller_that_turned_the_collector_off_keeps_it_off(tmp_path: Path) -> None:
    gc.disable()
    try:
        run_plan(_gc_project(tmp_path), "dev")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_collector_is_on_again_after_a_program_that_fails(tmp_path: Path) -> None:
    project = _gc_project(tmp_path)
    (project / "__main__.py").write_text("raise RuntimeError('boom')\n")
    with pytest.raises(Exception, match="boom"):
        run_plan(project, "dev")
    assert gc.isenabled()


# --- the monitor's calls answered on the event loop's thread ------------------------------------------


@pytest.fixture
def monitor_threads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The threads RegisterResource and Invoke were answered on, in one run."""
    threads: list[int] = []
    for name in ("RegisterResource", "Invoke"):
        original = getattr(engine_monitor.RecordingMonitor, name)

        def recording(self: Any, request: Any, original: Callable[..., Any] = original) -> Any:
            threads.append(threading.get_ident())
            return original(self, request)

        monkeypatch.setattr(engine_monitor.RecordingMonitor, name, recording)
    return threads


def test_the_monitor_answers_the_sdk_on_the_event_loops_thread(monitor_threads: list[int]) -> None:
    plan = run_plan(REPO, "dev")
    assert len(monitor_threads) >= len(plan.custom_resources)
    assert set(monitor_threads) == {threading.get_ident()}, "a call went through the SDK's thread pool"
    loop = asyncio.get_event_loop()
    assert "run_in_executor" not in vars(loop), "the loop's own run_in_executor is put back"


def test_the_plan_is_identical_with_the_monitor_answering_inline_or_from_the_pool(
    monkeypatch: pytest.MonkeyPatch, monitor_threads: list[int]
) -> None:
    inline = run_plan(REPO, "dev").to_dict()
    monkeypatch.setattr(engine_monitor, "monitor_calls_inline", lambda _loop: contextlib.nullcontext())
    monitor_threads.clear()
    pooled = run_plan(REPO, "dev").to_dict()
    assert threading.get_ident() not in monitor_threads, "the comparison ran through the pool"
    assert inline == pooled


POOL_PROGRAM = """
    import asyncio
    import threading

    import pulumi
    import pulumi_aws as aws


    async def pool_thread():
        return await asyncio.get_running_loop().run_in_executor(None, threading.get_ident)


    aws.s3.Bucket("data")
    pulumi.export("loop_thread", threading.get_ident())
    pulumi.export("pool_thread", pulumi.Output.from_input(pool_thread()))
"""


def test_a_programs_own_work_for_the_pool_still_runs_there(tmp_path: Path) -> None:
    plan = run_plan(write_project(tmp_path, POOL_PROGRAM), "dev")
    assert _exported(plan, "loop_thread") == threading.get_ident()
    assert _exported(plan, "pool_thread") != threading.get_ident()


def test_an_inline_call_hands_its_answer_or_its_exception_to_the_awaiting_code() -> None:
    loop = asyncio.new_event_loop()

    def refused() -> None:
        raise LookupError("no such resource")

    async def calls() -> tuple[int, BaseException | None, int]:
        running = asyncio.get_running_loop()
        answer = await running.run_in_executor(None, wrap_with_context(threading.get_ident))
        try:
            await running.run_in_executor(None, wrap_with_context(refused))
        except LookupError as exc:
            raised: BaseException | None = exc
        else:
            raised = None
        pooled = await running.run_in_executor(None, threading.get_ident)
        return answer, raised, pooled

    try:
        with engine_monitor.monitor_calls_inline(loop):
            answer, raised, pooled = loop.run_until_complete(calls())
        assert answer == threading.get_ident()
        assert isinstance(raised, LookupError) and str(raised) == "no such resource"
        assert pooled != threading.get_ident()
        assert "run_in_executor" not in vars(loop)
    finally:
        loop.close()


def test_a_nested_block_leaves_the_outer_one_in_place() -> None:
    loop = asyncio.new_event_loop()
    try:
        with engine_monitor.monitor_calls_inline(loop):
            outer = vars(loop)["run_in_executor"]
            with engine_monitor.monitor_calls_inline(loop):
                assert vars(loop)["run_in_executor"] is not outer
            assert vars(loop)["run_in_executor"] is outer, "the inner block put the pool back too early"
        assert "run_in_executor" not in vars(loop)
    finally:
        loop.close()


def test_the_loop_is_put_back_after_a_program_that_fails(tmp_path: Path) -> None:
    project = write_project(
        tmp_path, "import pulumi_aws as aws\naws.s3.Bucket('b')\nraise RuntimeError('boom')\n"
    )
    with pytest.raises(Exception, match="boom"):
        run_plan(project, "dev")
    assert "run_in_executor" not in vars(asyncio.get_event_loop())


# --- the console script's fast exit -------------------------------------------------------------------


class _Exited(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


def _fake_exit(code: int) -> None:
    raise _Exited(code)


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["controls", "--format", "json"], 0),
        (["controls", "--format", "bogus"], 2),
        (["--version"], 0),
    ],
)
def test_main_flushes_and_ends_the_process_with_the_command_exit_code(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str], code: int
) -> None:
    flushed: list[str] = []
    monkeypatch.setattr(cli.os, "_exit", _fake_exit)
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        original_flush: Callable[[], None] = stream.flush

        def flush(name: str = name, original_flush: Callable[[], None] = original_flush) -> None:
            flushed.append(name)
            original_flush()

        monkeypatch.setattr(stream, "flush", flush)
    with pytest.raises(_Exited) as exited:
        cli.main(argv)
    assert exited.value.code == code
    assert {"stdout", "stderr"} <= set(flushed)
    out = capsys.readouterr()
    if code == 0:
        assert out.out
    else:
        assert "strongroom: error:" in out.err


@pytest.mark.parametrize(("code", "expected"), [(None, 0), (0, 0), (3, 3), ("message", 1)])
def test_exit_codes_follow_sys_exit(code: object, expected: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli._exit_code(code) == expected


def test_the_console_script_writes_its_whole_output_to_a_pipe_before_it_exits() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "strongroom.cli", "controls", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    controls = json.loads(result.stdout)
    assert len(controls) > 100


# --- the benchmark's program checks like prod -----------------------------------------------------------


def test_the_bench_stack_carries_the_production_settings() -> None:
    bench = yaml.safe_load((REPO / "bench" / "multi_env" / "Pulumi.bench.yaml").read_text())["config"]
    prod = yaml.safe_load((REPO / "stacks" / "Pulumi.prod.yaml").read_text())["config"]
    assert bench.pop("strongroom-bench:copies") == 1
    assert bench == prod


def _bench_module(name: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The script ``bench/<name>.py`` imported as a module."""
    spec = importlib.util.spec_from_file_location(name, REPO / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def bench_check(monkeypatch: pytest.MonkeyPatch) -> Any:
    return _bench_module("bench_check", monkeypatch)


@pytest.fixture
def bench_suite(monkeypatch: pytest.MonkeyPatch) -> Any:
    return _bench_module("bench_suite", monkeypatch)


def test_the_bench_names_production_stacks_with_the_copies_asked(bench_check: Any, tmp_path: Path) -> None:
    stacks = bench_check.copies_project(tmp_path, [1, 10, 50])
    assert stacks == {1: "prod-c1", 10: "prod-c10", 50: "prod-c50"}
    for stack in stacks.values():
        validate_stack_name(stack)
        assert is_prod_stack(stack)
        assert _STACK.match(stack), f"{stack}: the environment's settings refuse it as a name"
    config = yaml.safe_load((tmp_path / "multi_env" / "Pulumi.prod-c10.yaml").read_text())["config"]
    assert config["strongroom-bench:copies"] == 10


_ROW = {"resources": 350, "violations": 0, "max_rss_mib": 200.0, "resource_ratio": 1.0}


def _bench_results(fifty: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """What bench_check.run returns for prod (2 s), one copy (2 s) and the row of fifty given."""
    return {
        "python": "3.11",
        "cpus": 2,
        "repeat": 1,
        "flags": ["--no-cache"],
        "prod": {**_ROW, "seconds": 2.0},
        "growth": [{**_ROW, "copies": 1, "seconds": 2.0, "ms_per_resource": 5.7, "time_ratio": 1.0}, fifty],
        **extra,
    }


def test_a_size_that_fails_is_reported_in_its_row_and_the_others_still_count(bench_check: Any) -> None:
    results = _bench_results({"copies": 50, "error": "strongroom check exited 2: DEADLINE_EXCEEDED"})
    text = bench_check.render(results)
    assert "50 failed: strongroom check exited 2: DEADLINE_EXCEEDED" in text
    assert "t(50)/t(1)" not in text


def test_fifty_environments_are_also_reported_against_checkov_in_the_same_run(bench_check: Any) -> None:
    fifty = {**_ROW, "copies": 50, "seconds": 24.0, "ms_per_resource": 1.4, "time_ratio": 12.0}
    checkov = {"seconds": 5.0, "exported_resources": 324, "runs": [5.0]}
    results = _bench_results(fifty, checkov=checkov, ratio_to_checkov=0.4)
    text = bench_check.render(results)
    assert "50 environments 24.0 s (goal < 15 s" in text
    assert "50 environments = 4.8x checkov's time" in text
    assert "the 15 s goal was 6.8x checkov's 2.22 s" in text
    del results["checkov"]
    assert "checkov's time" not in bench_check.render(results)


# --- the suite's benchmark ------------------------------------------------------------------------------


def test_the_suite_bench_times_make_test_beside_its_busy_loop_and_reference(
    bench_suite: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """bench_suite.py's mechanics, with a stand-in suite and a small reference: the busy loop runs while
    the suite does and is gone after it, the reference is timed on both sides, pytest's summary is read."""
    seen = tmp_path / "busy-seen"
    marker = f"strongroom-bench-busy-{os.getpid()}"
    suite = (
        "import subprocess, pathlib\n"
        "ps = subprocess.run(['ps', '-eo', 'args'], capture_output=True, text=True).stdout\n"
        f"busy = [line for line in ps.splitlines() if {marker!r} in line]\n"
        f"pathlib.Path({str(seen)!r}).write_text(str(len(busy)))\n"
        "print('== 3 passed in 0.01s ==')\n"
    )
    monkeypatch.setattr(bench_suite, "SUITE", [sys.executable, "-c", suite])
    monkeypatch.setattr(bench_suite, "REFERENCE", "s = sum(range(1000))\n")
    monkeypatch.setattr(bench_suite, "BUSY_LOOP", f"# {marker}\n{bench_suite.BUSY_LOOP}")
    run = bench_suite.run_suite(1)
    assert seen.read_text() == "1", "one busy loop beside the suite"
    leftover = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert marker not in leftover, "the busy loop ended with the suite"
    assert run["exit_code"] == 0 and run["summary"] == "3 passed in 0.01s"
    assert run["under_goal"] is True and run["load"] == 1
    assert len(run["reference_seconds"]) == 2 and all(r >= 0 for r in run["reference_seconds"])
    assert bench_suite.run_suite(0)["under_goal"] is None  # a quiet run has no goal of its own


def test_the_suite_bench_refuses_a_loaded_run_without_load(bench_suite: Any, capsys: Any) -> None:
    with pytest.raises(SystemExit) as exit_:
        bench_suite.main(["--mode", "loaded", "--load", "0"])
    assert exit_.value.code == 2
    assert "--load 0: a loaded run needs at least one busy-loop process" in capsys.readouterr().err
