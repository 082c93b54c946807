"""The policy pack as `pulumi policy publish` uploads it and the Pulumi CLI installs it from Pulumi Cloud.

What the CLI does (pulumi/pulumi, read for this test):

* ``pulumi policy publish`` (``pkg/backend/httpstate/policypack.go``, ``Publish``) archives the pack folder
  with ``archive.TGZ(dir, "package", true)`` (``sdk/go/common/util/archive``): every regular file under the
  folder, symbolic links followed, under ``package/``, minus ``.git`` and the files matched by the
  ``.gitignore`` files in the folder, in its subfolders and in every folder above it (sabhiram/go-gitignore
  semantics; ``.pulumiignore`` is not read). Directories are always walked; only files are matched.
* ``installRequiredPolicy`` extracts the tarball, renames ``package`` to
  ``~/.pulumi/policies/<org>/<pack>/<version>``, sets ``virtualenv: venv`` when PulumiPolicy.yaml has none,
  and asks the Python language host to install dependencies as a plugin: with the pip toolchain,
  ``python3 -m venv venv``, ``pip install --upgrade pip setuptools wheel`` and ``pip install -r
  requirements.txt`` (``sdk/python/toolchain/pip.go``).
* The language host's ``RunPlugin`` starts the pack as ``venv/bin/python -u -m pulumi.policy <engine>
  <pack-dir>`` in the pack folder, and the engine drives it over the Analyzer protocol.

This test builds that tarball from ``policies/`` with the same rules, unpacks it into an empty directory,
creates the virtualenv from its requirements.txt with the wheel ``uv build`` makes of this repository
(uv instead of pip, offline: the pins are uv.lock's, so uv's cache has them), and drives the installed
pack with :class:`strongroom.check.PolicyPackProcess`, the client the conformance tests use.
"""

from __future__ import annotations

import copy
import io
import os
import re
import shutil
import subprocess
import tarfile
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from plan_support import repository_plan
from wheel_support import build_wheel, clean_env, run, uv

import strongroom.check
from strongroom.check import PolicyPackError, PolicyPackProcess, check_plan
from strongroom.engine import DEFAULT_ACCOUNT, Plan, load_project, load_stack_config
from strongroom.policies.catalog import get
from strongroom.policies.pack import REFUSAL_NAMED, lowered_enforcement, refusal
from strongroom.report import Report

REPO = Path(__file__).resolve().parents[2]
POLICIES = REPO / "policies"
pytestmark = pytest.mark.xdist_group("wheel")
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"


def pyproject_version() -> str:
    return str(tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"])


# -- the publish tarball, built as the CLI builds it -------------------------------------------------------


def gitignore_pattern(line: str) -> tuple[re.Pattern[str], bool] | None:
    """One .gitignore line as sabhiram/go-gitignore's ``getPatternFromLine`` compiles it (regex, negated)."""
    line = line.rstrip("\r")
    if line.startswith("#"):
        return None
    line = line.strip(" ")
    if not line:
        return None
    negate = line[0] == "!"
    if negate:
        line = line[1:]
    if re.match(r"^(#|!)", line):
        line = line[1:]
    if re.search(r"([^/+])/.*\*\.", line) and line[0] != "/":
        line = "/" + line
    line = line.replace(".", r"\.")
    magic = "#$~"
    if line.startswith("/**/"):
        line = line[1:]
    line = line.replace("/**/", "(/|/.+/)")
    line = line.replace("**/", f"(|.{magic}/)")
    line = line.replace("/**", f"(|/.{magic})")
    line = line.replace(r"\*", "\\" + magic)
    line = line.replace("*", "([^/]*)")
    line = line.replace("?", r"\?")
    line = line.replace(magic, "*")
    expr = line + ("(|.*)$" if line.endswith("/") else "(|/.*)$")
    expr = "^(|/)" + expr[1:] if expr.startswith("/") else "^(|.*/)" + expr
    try:
        return re.compile(expr), negate
    except re.error:
        return None


class GitIgnore:
    """A .gitignore file: its patterns match paths relative to its folder, with a leading slash."""

    def __init__(self, path: Path) -> None:
        self.root = str(path.parent)
        lines = path.read_text(encoding="utf-8").split("\n")
        self.patterns = [p for p in (gitignore_pattern(line) for line in lines) if p is not None]

    def ignores(self, full: str) -> bool:
        relative = full.removeprefix(self.root)
        matched = False
        for pattern, negate in self.patterns:
            if pattern.search(relative):
                if not negate:
                    matched = True
                elif matched:
                    matched = False
        return matched


class PathIgnorer:
    """``newPathIgnorer``: the ``.git`` file, or the whole ``.git`` folder."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)
        self.is_dir = path.is_dir()

    def ignores(self, full: str) -> bool:
        return full.startswith(self.path + os.sep) if self.is_dir else full == self.path


def _add_directory(tar: tarfile.TarFile, root: Path, folder: Path, ignores: list[Any]) -> None:
    """``addDirectoryToTar``: the folder's .gitignore first, at the root the ones above it, then ``.git``."""
    ignores = list(ignores)
    if (folder / ".gitignore").is_file():
        ignores.append(GitIgnore(folder / ".gitignore"))
    if folder == root:
        for parent in root.parents:
            if parent != Path(parent.anchor) and (parent / ".gitignore").is_file():
                ignores.append(GitIgnore(parent / ".gitignore"))
    if (folder / ".git").exists():
        ignores.append(PathIgnorer(folder / ".git"))
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        full = folder / entry.name
        if not entry.is_dir(follow_symlinks=False) and any(i.ignores(str(full)) for i in ignores):
            continue
        if full.is_dir():
            _add_directory(tar, root, full, ignores)
        elif full.is_file():
            tar.add(full, arcname=f"package/{full.relative_to(root).as_posix()}", recursive=False)


def publish_tarball(pack_dir: Path) -> bytes:
    """The .tgz ``pulumi policy publish`` uploads for a Python pack in ``pack_dir``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", dereference=True) as tar:
        _add_directory(tar, pack_dir.resolve(), pack_dir.resolve(), [])
    return buffer.getvalue()


def tarball_names(tarball: bytes) -> set[str]:
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as tar:
        return {m.name for m in tar.getmembers() if m.isfile()}


def install_from_tarball(tarball: bytes, policies_root: Path) -> Path:
    """``installRequiredPolicy``: extract, rename ``package`` to the pack's folder, default ``virtualenv``."""
    staging = policies_root / "strongroom.tmp"
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as tar:
        tar.extractall(staging, filter="data")
    final = policies_root / "strongroom" / pyproject_version()
    final.parent.mkdir(parents=True)
    (staging / "package").rename(final)
    shutil.rmtree(staging)
    manifest_path = final / "PulumiPolicy.yaml"
    manifest = yaml.safe_load(manifest_path.read_text(encoding="utf-8"))
    assert manifest["runtime"]["name"] == "python"
    options = manifest["runtime"].setdefault("options", {})
    if "virtualenv" not in options:
        options["virtualenv"] = "venv"
        manifest_path.write_text(yaml.safe_dump(manifest), encoding="utf-8")
    return final


def test_the_tarball_is_the_pack_as_git_tracks_it() -> None:
    """The files published are the files git sees in policies/ (tracked, or new and not ignored): the
    go-gitignore port agrees with git, and whatever lies ignored in a checkout (a venv, caches) stays out."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", "policies"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    expected = {
        f"package/{Path(p).relative_to('policies').as_posix()}" for p in listed if (REPO / p).is_file()
    }
    names = tarball_names(publish_tarball(POLICIES))
    assert names == expected
    assert {"package/PulumiPolicy.yaml", "package/__main__.py", "package/requirements.txt"} <= names


def test_the_packs_own_gitignore_keeps_venvs_and_caches_out(tmp_path: Path) -> None:
    """policies/.gitignore alone (published from a copy of the folder without the repository around it)
    keeps the virtualenv, bytecode and tool caches out of the tarball; a symlinked venv too."""
    pack = tmp_path / "policies"
    shutil.copytree(POLICIES, pack, ignore=shutil.ignore_patterns("venv", "__pycache__"))
    junk = [
        "venv/bin/python",
        "venv/lib/python3.11/site-packages/x.py",
        "__pycache__/catalog.cpython-311.pyc",
        "controls/__pycache__/network.cpython-311.pyc",
        ".pytest_cache/v/cache/lastfailed",
        ".mypy_cache/3.11/x.json",
        ".ruff_cache/x",
        ".hypothesis/examples/x",
        "build/lib/x.py",
        "dist/strongroom-0.2.0.whl",
        "x.pyc",
    ]
    for name in junk:
        (pack / name).parent.mkdir(parents=True, exist_ok=True)
        (pack / name).write_text("junk\n")
    names = tarball_names(publish_tarball(pack))
    assert not {f"package/{name}" for name in junk} & names
    assert "package/catalog.py" in names and "package/controls/network.py" in names
    shutil.rmtree(pack / "venv")
    (tmp_path / "elsewhere" / "bin").mkdir(parents=True)
    (tmp_path / "elsewhere" / "bin" / "python").write_text("junk\n")
    (pack / "venv").symlink_to(tmp_path / "elsewhere")
    assert not any(n.startswith("package/venv/") for n in tarball_names(publish_tarball(pack)))


def test_one_version_for_the_package_the_pack_and_its_requirements() -> None:
    version = pyproject_version()
    manifest = yaml.safe_load((POLICIES / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    assert str(manifest["version"]) == version, "PulumiPolicy.yaml version: is what publish uploads"
    pins = [
        line
        for line in (POLICIES / "requirements.txt").read_text().splitlines()
        if line.startswith("strongroom")
    ]
    assert pins == [f"strongroom=={version}"]
    assert manifest["runtime"]["options"] == {"toolchain": "pip", "virtualenv": "venv"}


def test_requirements_are_generated_from_pyproject_and_the_lock() -> None:
    checked = subprocess.run(
        [str(REPO / ".venv" / "bin" / "python"), "scripts/policy_requirements.py", "--check"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    lock = tomllib.loads((REPO / "uv.lock").read_text(encoding="utf-8"))
    locked = {p["name"]: p["version"] for p in lock["package"] if "version" in p}
    for line in (POLICIES / "requirements.txt").read_text().splitlines():
        if line and not line.startswith("#") and not line.startswith("strongroom=="):
            name, _, rest = line.partition("==")
            assert locked[name] == rest.split(" ;")[0].strip(), line


# -- the installed pack, driven over the Analyzer protocol --------------------------------------------------


@pytest.fixture(scope="session")
def installed_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The published pack installed as the CLI installs it, in a directory with nothing else in it."""
    work = tmp_path_factory.mktemp("published")
    wheel = build_wheel(work)
    pack = install_from_tarball(publish_tarball(POLICIES), work / "home" / ".pulumi" / "policies" / "org")
    env = clean_env("PYTHONPATH")
    created = run(uv(), "venv", "-q", "--python", "python3.11", str(pack / "venv"), cwd=pack, env=env)
    assert created.returncode == 0, created.stderr
    # requirements.txt as pip reads it, with the wheel of this checkout standing in for the index's
    install = run(
        uv(), "pip", "install", "-q", "--python", str(pack / "venv" / "bin" / "python"),
        "-r", "requirements.txt", str(wheel),
        cwd=pack,
        env=env,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr
    return pack


@pytest.fixture(scope="session")
def prod() -> tuple[Plan, dict[str, str]]:
    config = load_stack_config(load_project(REPO), "prod").values
    return repository_plan("prod", account=DEFAULT_ACCOUNT), config


@pytest.fixture
def published(installed_pack: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """``check_plan(..., via_analyzer=True)`` starts the installed pack with its own virtualenv's Python."""

    original = strongroom.check.open_pack

    def open_installed(pack_dir: Path | None, **kwargs: Any) -> Any:
        if pack_dir != installed_pack:
            return original(pack_dir, **kwargs)
        kwargs.pop("via_analyzer", None)
        return PolicyPackProcess(
            installed_pack, python=str(installed_pack / "venv" / "bin" / "python"), **kwargs
        )

    monkeypatch.setattr(strongroom.check, "open_pack", open_installed)
    yield installed_pack


def _violations(report: Report) -> list[tuple[str, str, str, str]]:
    return [(v.control, v.resource_urn, v.message, v.enforcement) for v in report.violations]


def test_the_installed_pack_imports_strongroom_from_its_own_virtualenv(installed_pack: Path) -> None:
    assert not (installed_pack / "venv").is_symlink()
    code = "import strongroom, strongroom.policies.pack as p; print(strongroom.__file__); print(p.PACK_NAME)"
    result = run(str(installed_pack / "venv" / "bin" / "python"), "-c", code, cwd=installed_pack)
    assert result.returncode == 0, result.stderr
    where, name = result.stdout.split()
    assert where.startswith(str(installed_pack / "venv")) and "site-packages/strongroom/" in where
    assert name == "strongroom"


def test_the_published_pack_passes_prod_as_the_in_process_check_does(
    published: Path, prod: tuple[Plan, dict[str, str]]
) -> None:
    plan, config = prod
    over_grpc = check_plan(plan, published, config=config, account=DEFAULT_ACCOUNT, via_analyzer=True)
    in_process = check_plan(plan, config=config, account=DEFAULT_ACCOUNT)
    assert _violations(over_grpc) == _violations(in_process) == []
    assert over_grpc.exit_code == 0 and len(over_grpc.rules) >= 100
    assert {r.id: r.enforcement for r in over_grpc.rules.values()} == {
        r.id: r.enforcement for r in in_process.rules.values()
    }


def test_the_published_pack_reports_a_bucket_without_its_customer_managed_key(
    published: Path, prod: tuple[Plan, dict[str, str]]
) -> None:
    plan, config = prod
    mutated = copy.deepcopy(plan)
    encryption = next(r for r in mutated.resources if r.type == SSE)
    sse_s3 = [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}, "bucketKeyEnabled": True}]
    encryption.inputs["rules"] = encryption.outputs["rules"] = sse_s3
    over_grpc = check_plan(mutated, published, config=config, account=DEFAULT_ACCOUNT, via_analyzer=True)
    in_process = check_plan(mutated, config=config, account=DEFAULT_ACCOUNT)
    assert _violations(over_grpc) == _violations(in_process)
    [violation] = over_grpc.violations  # prod had none: this one is the mutation's
    assert (violation.control, violation.enforcement) == ("SR-ENC-004", "mandatory")
    bucket = encryption.name.removesuffix("-encryption") + "-bucket"  # the SecureBucket's bucket
    assert violation.resource_urn.endswith(f"$aws:s3/bucket:Bucket::{bucket}"), violation.resource_urn
    assert over_grpc.exit_code == 1


# -- enforcement levels a policy config cannot lower --------------------------------------------------------


def test_a_mandatory_control_is_mandatory_for_its_stack_only() -> None:
    """SR-GOV-004 is advisory in dev and mandatory in prod: a config may disable it in dev, not in prod."""
    gov004 = get("SR-GOV-004")
    assert (gov004.enforcement_for("dev"), gov004.enforcement_for("prod")) == ("advisory", "mandatory")
    levels = {"sr-gov-004": "disabled", "sr-net-001": "remediate", "sr-sto-001": "mandatory"}
    assert lowered_enforcement(levels, "dev") == []
    assert lowered_enforcement(levels, "prod") == [
        "sr-gov-004.enforcementLevel = 'disabled': SR-GOV-004 is mandatory in stack prod"
    ]
    assert "A mandatory control changes only in the catalog" in refusal(lowered_enforcement(levels, "prod"))


def test_a_refusal_over_grpc_fits_the_status_metadata() -> None:
    """The refusal travels in the gRPC status's metadata: past the 8 KiB soft limit the CLI would get
    RESOURCE_EXHAUSTED (at random, the limit is soft) instead of the refusal."""
    from strongroom.policies.catalog import CATALOG

    every_control_advisory = {c.policy_name: "advisory" for c in CATALOG}
    lowered = lowered_enforcement(every_control_advisory, "prod")
    assert len(lowered) > REFUSAL_NAMED
    message = refusal(lowered, REFUSAL_NAMED)
    assert len(message.encode()) < 4096
    assert lowered[0] in message and f"and {len(lowered) - REFUSAL_NAMED} more" in message
    assert len(refusal(lowered).encode()) > 8192  # what went over gRPC before


def test_the_published_pack_refuses_all_advisory_and_keeps_its_levels(
    installed_pack: Path, prod: tuple[Plan, dict[str, str]]
) -> None:
    """``{"all": "advisory"}`` in ``--policy-pack-config`` (or ``pulumi policy enable --config``) reaches
    the pack as every policy advisory: its Configure refuses, and the pack judges with its own levels."""
    plan, config = prod
    mutated = copy.deepcopy(plan)
    encryption = next(r for r in mutated.resources if r.type == SSE)
    sse_s3 = [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}, "bucketKeyEnabled": True}]
    encryption.inputs["rules"] = encryption.outputs["rules"] = sse_s3
    python = str(installed_pack / "venv" / "bin" / "python")
    with PolicyPackProcess(
        installed_pack, python=python, project="strongroom", stack="prod", config=config
    ) as pack:
        assert pack.info is not None
        every_policy_advisory = {p.name: {"enforcementLevel": "advisory"} for p in pack.info.policies}
        with pytest.raises(
            PolicyPackError, match="failed in Configure: INVALID_ARGUMENT: Strongroom refuses"
        ):
            pack.configure(every_policy_advisory)
        pack.info = pack.get_analyzer_info()  # the client's view, reset to what the pack answers
        advisory = next(p.name for p in pack.info.policies if p.enforcement == "advisory")
        pack.configure({advisory: {"enforcementLevel": "mandatory"}})  # raising is accepted
        diagnostics = pack.analyze_plan(mutated)
    levels = {(d.policy_name, d.enforcement) for d in diagnostics if not d.could_not_run}
    assert ("sr-enc-004", "mandatory") in levels
