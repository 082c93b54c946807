"""``strongroom check --all-stacks``: every stack of a project after one start-up, in forked children up
to the core count, one combined report in every format, and the combined exit code."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import sysconfig
from concurrent import futures
from pathlib import Path

import jsonschema
import pytest
from click.testing import Result
from junitparser import JUnitXml
from typer.testing import CliRunner

import strongroom.multistack as multistack
from strongroom.cli import app
from strongroom.engine import run_plan
from strongroom.engine.project import load_project
from strongroom.errors import UsageError
from strongroom.multistack import StackJob, StackResult, check_all_stacks, external_imports, render_all
from strongroom.report import Report

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO / "tests" / "data" / "sarif-schema-2.1.0.json"
ACCOUNT = "123456789012"
PROGRAM = """\
import pulumi
import pulumi_aws as aws

mode = pulumi.Config().get("mode") or "empty"
if mode == "fail":
    raise RuntimeError("broken on purpose")
if mode == "ssm":
    aws.ssm.Parameter("image", type="String", value="ami-0123456789abcdef0")
"""


def write_project(root: Path, modes: dict[str, str]) -> Path:
    """A project with one stack per entry of ``modes`` (stack -> what its program does)."""
    (root / "stacks").mkdir(parents=True, exist_ok=True)
    (root / "Pulumi.yaml").write_text("name: fleet\nruntime: python\nstackConfigDir: stacks\n")
    (root / "__main__.py").write_text(PROGRAM)
    for stack, mode in modes.items():
        (root / "stacks" / f"Pulumi.{stack}.yaml").write_text(
            f"config:\n  aws:region: eu-west-2\n  fleet:mode: {mode}\n"
        )
    return root


def run(*args: str) -> Result:
    return CliRunner().invoke(app, ["check", *args])


@pytest.fixture(scope="session")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[StackResult]]:
    """Three stacks: one clean, one with a mandatory violation, one whose program fails."""
    root = write_project(tmp_path_factory.mktemp("fleet"), {"clean": "empty", "bad": "ssm", "broken": "fail"})
    run_plan(root, "clean")  # this process planned before it forks: the children must still work
    _, results = check_all_stacks(root, account=ACCOUNT, use_cache=False, jobs=3)
    return root, results


def reports(fleet: tuple[Path, list[StackResult]]) -> list[Report]:
    return [r.report for r in fleet[1]]


def test_every_stack_is_checked_in_stack_order_with_its_own_verdict(
    fleet: tuple[Path, list[StackResult]],
) -> None:
    assert [r.stack for r in fleet[1]] == ["bad", "broken", "clean"]
    bad, broken, clean = reports(fleet)
    assert [v.control for v in bad.mandatory_violations] == ["SR-GOV-001"] and bad.exit_code == 1
    assert broken.exit_code == 3 and "broken on purpose" in broken.unevaluated[0]
    assert clean.exit_code == 0
    [message] = fleet[1][1].messages
    assert message.startswith("stack broken: The program of project fleet (stack broken) failed")


def test_json_has_a_report_object_per_stack_and_the_combined_exit_code(
    fleet: tuple[Path, list[StackResult]],
) -> None:
    document = json.loads(render_all("fleet", reports(fleet), "json"))
    assert document["exit_code"] == 1
    assert [s["stack"] for s in document["stacks"]] == ["bad", "broken", "clean"]
    assert [s["exit_code"] for s in document["stacks"]] == [1, 3, 0]


def test_sarif_has_one_run_per_stack_pointing_at_its_config_file(
    fleet: tuple[Path, list[StackResult]],
) -> None:
    document = json.loads(render_all("fleet", reports(fleet), "sarif"))
    jsonschema.Draft4Validator(json.loads(SCHEMA.read_text())).validate(document)
    runs = document["runs"]
    assert [run["automationDetails"]["id"] for run in runs] == [
        f"strongroom/check/{stack}/" for stack in ("bad", "broken", "clean")
    ]
    [result] = runs[0]["results"]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri.endswith("Pulumi.bad.yaml")  # relative to the repository root (here: no repository)
    assert runs[2]["results"] == []


def test_junit_has_one_suite_per_stack(fleet: tuple[Path, list[StackResult]]) -> None:
    xml = JUnitXml.fromstring(render_all("fleet", reports(fleet), "junit"))
    suites = list(xml)
    assert [suite.name for suite in suites] == [f"strongroom check {s}" for s in ("bad", "broken", "clean")]
    failures = [case.name for case in suites[0] if case.result]
    assert [name.split(":")[0] for name in failures] == ["SR-GOV-001"]


def test_text_has_a_section_per_stack_then_the_overall_line(fleet: tuple[Path, list[StackResult]]) -> None:
    text = render_all("fleet", reports(fleet), "text")
    headings = [line for line in text.splitlines() if line.startswith("== stack ")]
    assert [h.split()[2] for h in headings] == ["bad", "broken", "clean"]
    last = text.strip().splitlines()[-1]
    assert last.startswith("FAILED: 3 stack(s) of project fleet: 1 violation(s) (1 mandatory) in all;")
    assert last.endswith("bad FAILED, broken NOT EVALUATED, clean PASSED")


def test_the_cli_exits_1_on_a_violation_else_3_on_a_failed_program_else_0(tmp_path: Path) -> None:
    failing = run("-C", str(write_project(tmp_path / "a", {"one": "empty", "two": "fail"})), "--all-stacks")
    assert failing.exit_code == 3, failing.stdout
    assert "strongroom: error: stack two: The program of project fleet (stack two) failed" in failing.stderr
    assert failing.stdout.strip().splitlines()[-1].startswith("NOT EVALUATED: 2 stack(s)")
    out = tmp_path / "report.json"
    passing = run(
        "-C",
        str(write_project(tmp_path / "b", {"one": "empty"})),
        "--all-stacks",
        "-f",
        "json",
        "-o",
        str(out),
    )
    assert passing.exit_code == 0, passing.stderr
    assert json.loads(out.read_text())["exit_code"] == 0
    assert passing.stderr.startswith("PASSED: 1 stack(s) of project fleet")


def test_checkov_runs_per_stack(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", {"one": "empty", "two": "empty"})
    missing = tmp_path / "no-checkov"
    result = run("-C", str(project), "--all-stacks", "--checkov-bin", str(missing), "-f", "json")
    assert result.exit_code == 3, result.stderr
    stacks = json.loads(result.stdout)["stacks"]
    assert [s["stack"] for s in stacks] == ["one", "two"]
    assert all(any("checkov" in reason for reason in s["unevaluated"]) for s in stacks)


def test_checkov_starts_once_for_every_stack_and_each_stack_gets_its_own_results(tmp_path: Path) -> None:
    """``--all-stacks --checkov``: the children send their exports, the parent scans them all in one
    checkov process (a sub-directory each) and merges each stack's results into its own report."""
    project = write_project(tmp_path / "p", {"one": "empty", "two": "empty", "three": "empty"})
    calls = tmp_path / "calls"
    fake = tmp_path / "checkov"
    fake.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        f"open({str(calls)!r}, 'a').write(' '.join(sys.argv[1:3]) + '\\n')\n"
        "target = sys.argv[2]\n"
        "passed = [{'check_id': 'CKV_AWS_1', 'resource': f'aws_x.r{n}',\n"
        "           'file_path': f'/{folder}/main.tf.json'}\n"
        "          for folder in sorted(os.listdir(target)) for n in range(int(folder) + 1)]\n"
        "print(json.dumps({'summary': {'checkov_version': '9.9.9'}, 'results': {'passed_checks': passed}}))\n"
    )
    fake.chmod(0o755)
    result = run("-C", str(project), "--all-stacks", "--checkov-bin", str(fake), "-f", "json", "--no-cache")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert calls.read_text().splitlines()[0].startswith("-d ") and len(calls.read_text().splitlines()) == 1
    stacks = {s["stack"]: s for s in json.loads(result.stdout)["stacks"]}
    summaries = {name: [n for n in s["notes"] if n.startswith("checkov ")] for name, s in stacks.items()}
    # the stacks are exported in stack order (one, three, two: sorted) and folder i answered i + 1 checks
    assert summaries == {
        "one": ["checkov 9.9.9: 1 passed, 0 failed, 0 suppressed with a justification, 0 parsing error(s)"],
        "three": ["checkov 9.9.9: 2 passed, 0 failed, 0 suppressed with a justification, 0 parsing error(s)"],
        "two": ["checkov 9.9.9: 3 passed, 0 failed, 0 suppressed with a justification, 0 parsing error(s)"],
    }
    assert all(s["sources"].get("checkov") for s in stacks.values())


def test_stack_and_all_stacks_are_mutually_exclusive(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", {"one": "empty"})
    result = run("-C", str(project), "--all-stacks", "--stack", "one")
    assert result.exit_code == 2
    assert "--stack and --all-stacks are mutually exclusive" in result.stderr


def test_a_project_without_stack_files_exits_2_naming_the_directory(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", {})
    result = run("-C", str(project), "--all-stacks")
    assert result.exit_code == 2
    message = " ".join(result.stderr.split())
    assert f"no stack config file (Pulumi.<stack>.yaml) in {project.resolve() / 'stacks'}" in message
    assert "pulumi stack init dev" in message and "Traceback" not in result.stderr


def _report_pid(stack: str, job: StackJob) -> StackResult:
    """A stand-in for check_stack: an empty report, and the process that made it as its message."""
    report = Report(stack=stack, resources=0, controls=0, violations=[])
    return StackResult(stack=stack, report=report, messages=[str(os.getpid())])


def _collect_then_report_pid(stack: str, job: StackJob) -> StackResult:
    gc.collect()  # the collections a program run sets off
    return _report_pid(stack, job)


def test_stacks_run_in_forked_children_up_to_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(multistack, "check_stack", _report_pid)
    job = StackJob(Path("."), None, ACCOUNT, None, False, None, False, None, None)
    results = multistack.run_stacks(["a", "b", "c"], job, jobs=2)
    assert [r.stack for r in results] == ["a", "b", "c"]
    pids = {int(r.messages[0]) for r in results}
    assert os.getpid() not in pids and len(pids) == 3  # one child per stack
    serial = multistack.run_stacks(["a", "b"], job, jobs=1)
    assert {int(r.messages[0]) for r in serial} == {os.getpid()}


def test_a_usage_error_in_one_stack_is_raised_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_check(stack: str, job: StackJob) -> StackResult:
        if stack == "b":
            raise UsageError("stacks/Pulumi.b.yaml: key 'config' must be a mapping")
        return StackResult(stack=stack, report=Report(stack=stack, resources=0, controls=0, violations=[]))

    monkeypatch.setattr(multistack, "check_stack", fake_check)
    job = StackJob(Path("."), None, ACCOUNT, None, False, None, False, None, None)
    with pytest.raises(UsageError, match=r"^stack b: stacks/Pulumi.b.yaml: key 'config'"):
        multistack.run_stacks(["a", "b"], job, jobs=2)


def test_the_shared_start_up_finds_the_aws_modules_the_program_uses() -> None:
    modules = external_imports(load_project(REPO))
    assert {"pulumi_aws.s3", "pulumi_aws.iam", "pulumi_aws.kms", "pulumi_aws.ec2"} <= set(modules)
    assert not any(m.split(".")[0] == "components" for m in modules)  # the program's own modules


def test_a_child_that_dies_is_that_stacks_not_evaluated_report(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_check(stack: str, job: StackJob) -> StackResult:
        if stack == "b":
            os._exit(9)  # killed, out of memory, ...
        return StackResult(stack=stack, report=Report(stack=stack, resources=0, controls=0, violations=[]))

    monkeypatch.setattr(multistack, "check_stack", fake_check)
    job = StackJob(Path("."), None, ACCOUNT, None, False, None, False, None, None)
    a, b = multistack.run_stacks(["a", "b"], job, jobs=2)
    assert a.report.exit_code == 0
    assert b.report.exit_code == 3
    assert "ended with exit code 9" in b.report.unevaluated[0] and "stack b" in b.messages[0]


class _Cycle:
    """Cyclic garbage whose finalizer records the process that ran it."""

    def __init__(self, marker: Path | None) -> None:
        self.marker = marker
        self.held: object = None
        self.me = self

    @classmethod
    def holding(cls, thing: object) -> None:
        """Leave ``thing`` in a reference cycle (garbage only the cyclic collector frees)."""
        cls(None).held = thing

    def __del__(self) -> None:
        if self.marker is not None:
            with self.marker.open("a") as out:
                out.write(f"{os.getpid()}\n")


def test_a_child_never_finalizes_what_it_inherited(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The parent's objects are frozen out of a child's collections: a finalizer run in a child acts on
    state that did not survive the fork (an inherited gRPC object finalized in a child crashed it)."""
    marker = tmp_path / "finalized"

    monkeypatch.setattr(multistack, "check_stack", _collect_then_report_pid)
    job = StackJob(Path("."), None, ACCOUNT, None, False, None, False, None, None)
    was_enabled = gc.isenabled()
    gc.disable()  # the garbage is still there when the children fork
    try:
        _Cycle(marker)
        frozen = gc.get_freeze_count()
        results = multistack.run_stacks(["a", "b"], job, jobs=2)
        children = {int(r.messages[0]) for r in results}
        assert len(children) == 2 and os.getpid() not in children
        assert not marker.exists(), f"finalized in a child: {marker.read_text()}"
        assert gc.get_freeze_count() == frozen  # the parent's collector as it was
        gc.collect()
        assert marker.read_text() == f"{os.getpid()}\n"
    finally:
        if was_enabled:
            gc.enable()


def test_a_child_forked_beside_grpc_garbage_survives_its_collections(monkeypatch: pytest.MonkeyPatch) -> None:
    """The crash seen in CI, made on purpose: this process has gRPC in use (a server serving, as
    test_check.py's session-long pack leaves one in its worker, and channels that polled it left in
    reference cycles) when the children fork and collect. With GRPC_ENABLE_FORK_SUPPORT unset (grpcio
    1.85) most such children died of a segmentation fault, even with nothing to collect; set, as
    :mod:`strongroom.process` sets it, and with the inherited objects frozen, none does."""
    import grpc

    monkeypatch.setattr(multistack, "check_stack", _collect_then_report_pid)
    job = StackJob(Path("."), None, ACCOUNT, None, False, None, False, None, None)
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        for _ in range(5):
            channel = grpc.insecure_channel(f"127.0.0.1:{port}")
            grpc.channel_ready_future(channel).result(timeout=30)
            _Cycle.holding(channel)
        del channel
        results = multistack.run_stacks(["a", "b"], job, jobs=2)
        assert [r.report.exit_code for r in results] == [0, 0], [r.messages for r in results]
    finally:
        server.stop(None)
        gc.collect()
        if was_enabled:
            gc.enable()


def _fresh_python(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``code`` in a new interpreter that loads no ``.pth`` file (``-S``: nothing is imported before it),
    with this environment's packages and the repository on its path."""
    paths = [str(REPO), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]
    prelude = f"import sys; sys.path[:0] = {paths!r}\n"
    environment = {k: v for k, v in os.environ.items() if k != "GRPC_ENABLE_FORK_SUPPORT"} | (env or {})
    return subprocess.run(
        [sys.executable, "-S", "-c", prelude + code],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )


@pytest.mark.parametrize(
    ("first", "preset", "expected"),
    [
        ("strongroom", None, "false True"),  # Strongroom first: the variable set before grpc loads
        # grpc first, the variable unset: set on Strongroom's import all the same, too late for grpc's
        # Python layer, so its two layers disagree
        ("grpc", None, "false False"),
        ("grpc", "true", "true True"),  # set by the user: kept, and both layers read it
    ],
)
def test_grpc_fork_support_is_set_before_grpc_loads_or_forking_is_declared_unsafe(
    first: str, preset: str | None, expected: str
) -> None:
    code = (
        f"import {first}\nimport os, strongroom.process as p, grpc\n"
        "print(os.environ.get('GRPC_ENABLE_FORK_SUPPORT'), p.fork_is_safe())"
    )
    env = {"GRPC_ENABLE_FORK_SUPPORT": preset} if preset else None
    result = _fresh_python(code, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_where_forking_is_unsafe_the_stacks_run_in_this_process_with_a_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(multistack, "check_stack", _report_pid)
    monkeypatch.setattr(multistack, "fork_is_safe", lambda: False)
    job = StackJob(Path("."), None, ACCOUNT, None, False, None, False, None, None)
    with pytest.warns(
        RuntimeWarning, match="grpc was loaded before strongroom with GRPC_ENABLE_FORK_SUPPORT"
    ):
        results = multistack.run_stacks(["a", "b"], job, jobs=2)
    assert {int(r.messages[0]) for r in results} == {os.getpid()}
