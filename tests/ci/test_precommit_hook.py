"""The pre-commit configuration and its `strongroom check` hook's choice of stacks."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("precommit_check", ROOT / "scripts" / "precommit_check.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


hook = _load_script()


@pytest.mark.parametrize(
    ("files", "all_stacks", "stacks"),
    [
        (["stacks/Pulumi.dev.yaml"], False, ("dev",)),
        (["stacks/Pulumi.prod.yaml", "stacks/Pulumi.dev.yaml", "README.md"], False, ("dev", "prod")),
        (["README.md", "CHANGELOG.md", ".github/workflows/strongroom.yml", "tests/ci/x.py"], False, ()),
        # A stack file of another project (an example) or outside stackConfigDir is not one of ours.
        (["examples/data-only-team/Pulumi.dev.yaml", "Pulumi.dev.yaml"], False, ()),
        (["stacks/Pulumi.dev.yaml", "components/storage.py"], True, ()),
        (["__main__.py"], True, ()),
        (["Pulumi.yaml"], True, ()),
        (["policies/controls/iam.py"], True, ()),
        (["strongroom/check.py"], True, ()),
        (["uv.lock"], True, ()),
        (["pyproject.toml"], True, ()),
        (["./stacks/Pulumi.staging.yaml"], False, ("staging",)),
    ],
)
def test_selection(files: list[str], all_stacks: bool, stacks: tuple[str, ...]) -> None:
    assert hook.select(files, "stacks") == hook.Selection(all_stacks=all_stacks, stacks=stacks)


def test_the_stack_config_dir_comes_from_pulumi_yaml(tmp_path: Path) -> None:
    assert hook.stack_config_dir(ROOT) == "stacks"
    (tmp_path / "Pulumi.yaml").write_text("name: p\nruntime: python\n", encoding="utf-8")
    assert hook.stack_config_dir(tmp_path) == ""
    assert hook.select(["Pulumi.dev.yaml", "stacks/Pulumi.prod.yaml"], "") == hook.Selection(False, ("dev",))


def test_commands() -> None:
    assert hook.commands(hook.Selection(True), "sr") == [["sr", "check", "--all-stacks"]]
    assert hook.commands(hook.Selection(False, ("dev", "prod")), "sr") == [
        ["sr", "check", "--stack", "dev"],
        ["sr", "check", "--stack", "prod"],
    ]
    assert hook.commands(hook.Selection(False), "sr") == []


class _Runs:
    def __init__(self, codes: dict[str, int]) -> None:
        self.codes = codes
        self.calls: list[list[str]] = []

    def __call__(self, command: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        self.calls.append(command)
        return subprocess.CompletedProcess(command, self.codes.get(command[-1], 0))


def _project(tmp_path: Path, stacks: list[str]) -> Path:
    (tmp_path / "Pulumi.yaml").write_text(
        "name: p\nruntime: python\nstackConfigDir: stacks\n", encoding="utf-8"
    )
    (tmp_path / "stacks").mkdir()
    for stack in stacks:
        (tmp_path / "stacks" / f"Pulumi.{stack}.yaml").write_text("config: {}\n", encoding="utf-8")
    return tmp_path


def test_main_checks_the_changed_stacks_and_returns_the_worst_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _project(tmp_path, ["dev", "prod"])
    runs = _Runs({"prod": 1})
    monkeypatch.setattr(hook.subprocess, "run", runs)
    code = hook.main(["stacks/Pulumi.dev.yaml", "stacks/Pulumi.prod.yaml", "README.md"], project)
    assert code == 1
    assert [c[1:] for c in runs.calls] == [["check", "--stack", "dev"], ["check", "--stack", "prod"]]
    assert Path(runs.calls[0][0]).name == "strongroom"


def test_main_skips_a_deleted_stack_and_checks_nothing_for_docs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _project(tmp_path, ["dev"])
    runs = _Runs({})
    monkeypatch.setattr(hook.subprocess, "run", runs)
    assert hook.main(["stacks/Pulumi.gone.yaml", "README.md"], project) == 0
    assert runs.calls == []
    assert hook.main(["components/keys.py"], project) == 0
    assert [c[1:] for c in runs.calls] == [["check", "--all-stacks"]]


def test_main_runs_strongroom_check_for_real() -> None:
    """End to end on the repository's dev stack: the hook's exit code is strongroom check's (0, passing)."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "precommit_check.py"), "stacks/Pulumi.dev.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASSED: stack dev" in done.stdout


def test_pre_commit_config_runs_ruff_and_the_hook() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = {h["id"]: h for repo in config["repos"] for h in repo["hooks"]}
    assert hooks["ruff-check"]["entry"].startswith(".venv/bin/ruff check")
    assert hooks["ruff-format"]["entry"].startswith(".venv/bin/ruff format")
    strongroom = hooks["strongroom-check"]
    assert strongroom["entry"] == ".venv/bin/python scripts/precommit_check.py"
    # Every staged file reaches the script, which alone decides what to check.
    assert strongroom["pass_filenames"] is True and "files" not in strongroom
    assert all(h["language"] == "system" for h in hooks.values())


def _pre_commit(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit"), "PATH": _path()}
    return subprocess.run(
        [str(Path(sys.executable).with_name("pre-commit")), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def _path() -> str:
    return f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"


def test_pre_commit_accepts_the_config(tmp_path: Path) -> None:
    done = _pre_commit(tmp_path, "validate-config", ".pre-commit-config.yaml")
    assert done.returncode == 0, done.stdout + done.stderr


def test_pre_commit_runs_the_hooks_as_a_user_would(tmp_path: Path) -> None:
    """`pre-commit run` with a changed stack file: the check hook runs strongroom check on dev and passes;
    ruff's hooks pass on the hook script (nothing to fix)."""
    done = _pre_commit(
        tmp_path, "run", "--files", "stacks/Pulumi.dev.yaml", "scripts/precommit_check.py", "--verbose"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"strongroom check \(changed stacks\)\.+Passed", done.stdout), done.stdout
    assert "PASSED: stack dev" in done.stdout
    assert re.search(r"ruff check\.+Passed", done.stdout) and re.search(r"ruff format\.+Passed", done.stdout)
