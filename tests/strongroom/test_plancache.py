"""The plan cache of ``strongroom check``: an unchanged stack answers from the plan recorded last time
(the pack still evaluates it); any change of program, config, account or Strongroom plans afresh."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

import strongroom.check
from strongroom.cli import app
from strongroom.engine.project import load_project
from strongroom.plancache import PlanCache, SourceDigest, cache_dir

runner = CliRunner()
ACCOUNT = "123456789012"
PROGRAM = (
    "import pulumi_aws as aws\naws.ssm.Parameter('image', type='String', value='ami-0123456789abcdef0')\n"
)


def write_project(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "Pulumi.yaml").write_text("name: cached\nruntime: python\n")
    (root / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-2\n")
    (root / "Pulumi.prod.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    (root / "__main__.py").write_text(PROGRAM)
    (root / "requirements.txt").write_text("pulumi-aws>=7\n")
    return root


def check(project: Path, *args: str) -> Result:
    return runner.invoke(app, ["check", "-C", str(project), "-s", "dev", "-f", "json", *args])


def entries() -> list[Path]:
    directory = cache_dir()
    return sorted(directory.glob("*.json")) if directory.is_dir() else []


def cache_notes(result: Result) -> list[str]:
    return [n for n in json.loads(result.stdout)["notes"] if n.startswith("plan cache:")]


def verdict(result: Result) -> list[tuple[str, str, str]]:
    data = json.loads(result.stdout)
    return [(v["control"], v["resource_urn"], v["message"]) for v in data["violations"]]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(tmp_path / "project")


def test_an_unchanged_stack_answers_from_the_cache_and_the_pack_still_judges_it(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = check(project)
    assert first.exit_code == 1, first.stderr
    assert cache_notes(first) == []
    [entry] = entries()
    assert entry.parent == Path(os.environ["XDG_CACHE_HOME"]) / "strongroom" / "plans"
    stored = json.loads(entry.read_text())
    assert stored["plan"]["stack"] == "dev" and "verdict" not in stored and "violations" not in stored

    def no_program(*args: object, **kwargs: object) -> None:
        raise AssertionError("the program ran although its plan was cached")

    monkeypatch.setattr(strongroom.check, "run_plan", no_program)
    second = check(project)
    assert second.exit_code == 1, second.stderr
    [note] = cache_notes(second)
    assert entry.stem[:12] in note and stored["written"] in note
    assert verdict(second) == verdict(first)  # evaluated again by the pack, same findings


@pytest.mark.parametrize("change", ["program", "module", "config", "lock", "account"])
def test_a_changed_input_plans_afresh(project: Path, change: str) -> None:
    assert check(project).exit_code == 1
    args: list[str] = []
    if change == "program":
        (project / "__main__.py").write_text(PROGRAM + "# reviewed\n")
    elif change == "module":
        (project / "helpers.py").write_text("NAME = 'image'\n")
    elif change == "config":
        (project / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    elif change == "lock":
        (project / "requirements.txt").write_text("pulumi-aws>=7.10\n")
    else:
        args = ["--account", "210987654321"]
    again = check(project, *args)
    assert again.exit_code == 1, again.stderr
    assert cache_notes(again) == []
    assert len(entries()) == 2


def test_unrelated_files_do_not_change_the_key(project: Path) -> None:
    before = SourceDigest.of(load_project(project)).key("dev", ACCOUNT)
    (project / "__pycache__").mkdir()
    (project / "__pycache__" / "x.pyc").write_bytes(b"\0")
    (project / ".venv").mkdir()
    (project / ".venv" / "pyvenv.cfg").write_text("home = /usr\n")
    (project / "Pulumi.prod.yaml").write_text("config:\n  aws:region: us-east-1\n")  # another stack
    after = SourceDigest.of(load_project(project))
    assert after.key("dev", ACCOUNT) == before
    assert after.key("prod", ACCOUNT) != before and after.key("dev", "210987654321") != before


def test_no_cache_neither_reads_nor_writes(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    uncached = check(project, "--no-cache")
    assert uncached.exit_code == 1 and entries() == []
    assert check(project).exit_code == 1
    [entry] = entries()
    entry.write_text(entry.read_text().replace('"image"', '"renamed"'))  # a poisoned entry is not read
    again = check(project, "--no-cache")
    assert cache_notes(again) == []
    assert {urn.rsplit("::", 1)[1] for _, urn, _ in verdict(again)} == {"image"}


def test_a_corrupt_entry_is_ignored_with_a_warning_and_rewritten(project: Path) -> None:
    assert check(project).exit_code == 1
    [entry] = entries()
    entry.write_text('{"format": 1, "key": "trunc')
    again = check(project)
    assert again.exit_code == 1, again.stderr
    assert f"warning: plan cache entry {entry} is unreadable or corrupt" in again.stderr
    assert cache_notes(again) == []
    assert json.loads(entry.read_text())["plan"]["stack"] == "dev"  # rewritten
    third = check(project)
    assert len(cache_notes(third)) == 1 and "warning" not in third.stderr


def test_an_unwritable_cache_only_warns(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("")
    cache = PlanCache(directory=blocked / "plans")
    from strongroom.engine.plan import Plan

    cache.put("0" * 64, Plan(project="p", stack="dev"))
    assert len(cache.warnings) == 1 and "cannot be written" in cache.warnings[0]
    assert cache.get("0" * 64, "dev") is None


def test_the_installation_digest_covers_the_components_and_the_pack(monkeypatch: pytest.MonkeyPatch) -> None:
    """The components and the pack are links inside the strongroom package (not followed by its walk):
    each is digested in its own right, so an edit to a component or a control invalidates cached plans."""
    import strongroom.plancache as plancache

    digested: list[Path] = []

    def record(root: Path, skip: frozenset[Path] = frozenset()) -> str:
        digested.append(root)
        return "x"

    monkeypatch.setattr(plancache, "_tree_digest", record)
    plancache.installation_digest.__wrapped__()
    repo = Path(__file__).resolve().parents[2]
    assert {repo / "components", repo / "policies"} <= set(digested), digested
