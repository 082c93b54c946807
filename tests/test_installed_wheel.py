"""The product as users get it: the built wheel, installed with the locked dependencies into a fresh
virtualenv, outside the repository. A green suite inside `uv sync` once hid a crash of `strongroom check`
for every user (a runtime import declared only as a development dependency); this test runs the console
script of the installed package, so a missing dependency or data file fails here."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

import pytest
from wheel_support import build_wheel, clean_env, run, uv

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.xdist_group("wheel")


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    wheel = build_wheel(work)
    constraints = work / "constraints.txt"
    exported = run(
        uv(),
        "export",
        "--frozen",
        "--no-dev",
        "--no-emit-project",
        "--no-hashes",
        "-o",
        str(constraints),
        cwd=REPO,
    )
    assert exported.returncode == 0, exported.stderr
    venv = work / "venv"
    env = clean_env()
    created = run(uv(), "venv", "-q", "--python", "python3.11", str(venv), cwd=work, env=env)
    assert created.returncode == 0, created.stderr
    install = run(
        uv(),
        "pip",
        "install",
        "-q",
        "--python",
        str(venv / "bin" / "python"),
        "-c",
        str(constraints),
        str(wheel),
        cwd=work,
        env=env,
    )
    assert install.returncode == 0, install.stderr
    return venv


def test_installed_check_passes_the_dev_stack_and_writes_every_format(
    installed: Path, tmp_path: Path
) -> None:
    strongroom = str(installed / "bin" / "strongroom")
    result = run(strongroom, "check", "-C", str(REPO), "--stack", "dev", "-f", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["violations"] == [] and report["controls"] >= 100
    for fmt in ("junit",):  # junitparser is imported only when this format is written
        rendered = run(strongroom, "check", "-C", str(REPO), "--stack", "dev", "-f", fmt, cwd=tmp_path)
        assert rendered.returncode == 0, rendered.stderr


def test_installed_check_finds_the_insecure_program(installed: Path, tmp_path: Path) -> None:
    project = REPO / "tests" / "fixtures" / "insecure_project"
    result = run(
        str(installed / "bin" / "strongroom"),
        "check",
        "-C",
        str(project),
        "--stack",
        "ci",
        "-f",
        "json",
        cwd=tmp_path,
    )
    assert result.returncode == 1, result.stderr
    controls = {v["control"] for v in json.loads(result.stdout)["violations"]}
    assert {"SR-NET-001", "SR-IAM-006", "SR-STO-005"} <= controls


def test_installed_policy_config_and_controls(installed: Path, tmp_path: Path) -> None:
    strongroom = str(installed / "bin" / "strongroom")
    config = run(strongroom, "policy-config", "-C", str(REPO), "--stack", "prod", cwd=tmp_path)
    assert config.returncode == 0, config.stderr
    assert json.loads(config.stdout)["sr-gov-001"]["organizationId"] == "o-nb7k2x9q4m"
    listed = run(strongroom, "controls", "-f", "json", cwd=tmp_path)
    assert listed.returncode == 0 and any(c["id"] == "SR-GOV-001" for c in json.loads(listed.stdout))


def test_installed_export_terraform_reads_the_shipped_type_table(installed: Path, tmp_path: Path) -> None:
    """The type table and the renamed fields are package data (policies/data/): every mapped resource reads
    both, so a file missing from the wheel fails the export."""
    project = REPO / "tests" / "fixtures" / "sg_users"
    out = tmp_path / "tf"
    strongroom = str(installed / "bin" / "strongroom")
    result = run(
        strongroom, "export-terraform", "-C", str(project), "--stack", "ci", "--out", str(out), cwd=tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads((out / "main.tf.json").read_text())
    assert {"aws_ecs_service", "aws_eks_cluster", "aws_db_instance", "aws_lb"} <= set(document["resource"])
    assert "not exported to Terraform" not in result.stderr


def test_installed_version_and_usage_errors(installed: Path, tmp_path: Path) -> None:
    strongroom = str(installed / "bin" / "strongroom")
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    for flag in ("--version", "-V"):
        version = run(strongroom, flag, cwd=tmp_path)
        assert (version.returncode, version.stdout) == (0, f"strongroom {declared}\n"), version.stderr
    refused = run(strongroom, "controls", "--area", "NOPE", cwd=tmp_path)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.startswith("strongroom: error: --area 'NOPE' is not accepted; accepted: GOV, NET,")
    assert "Traceback" not in refused.stderr


def test_installed_check_writes_sarif_for_a_fixture_project(installed: Path, tmp_path: Path) -> None:
    project = REPO / "tests" / "fixtures" / "tiny_project"
    result = run(
        str(installed / "bin" / "strongroom"),
        "check",
        "-C",
        str(project),
        "-s",
        "test",
        "-f",
        "sarif",
        cwd=tmp_path,
    )
    assert result.returncode == 1, result.stderr  # the tiny program breaks mandatory controls
    [sarif_run] = json.loads(result.stdout)["runs"]
    driver = sarif_run["tool"]["driver"]
    assert (
        driver["name"] == "strongroom"
        and driver["version"] == tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    )
    assert len(driver["rules"]) >= 100 and sarif_run["results"]
    urns = {r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] for r in sarif_run["results"]}
    assert all(urn.startswith("urn:pulumi:test::tiny-analytics::") for urn in urns), urns


def test_installed_sandbox_without_its_extra_says_how_to_install_it(installed: Path, tmp_path: Path) -> None:
    """moto is the 'sandbox' extra, not a dependency: without it the command says so (exit 2)."""
    assert run(str(installed / "bin" / "python"), "-c", "import moto", cwd=tmp_path).returncode != 0
    refused = run(str(installed / "bin" / "strongroom"), "sandbox", "--stack", "dev", cwd=tmp_path)
    assert refused.returncode == 2, refused.stderr
    assert "pip install 'strongroom[sandbox]'" in refused.stderr and "Traceback" not in refused.stderr


def test_installed_audit_plans_its_stack_and_says_what_is_missing(installed: Path, tmp_path: Path) -> None:
    """The live audit from the wheel (boto3 is a runtime dependency, moto is not): without credentials it
    exits 2 saying how to give them, after importing every reader."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | {
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    readers = run(
        str(installed / "bin" / "python"),
        "-c",
        "from strongroom.live.readers import read_types; print(len(read_types()))",
        cwd=tmp_path,
        env=env,
    )
    assert readers.returncode == 0 and int(readers.stdout) > 40, readers.stderr
    refused = run(
        str(installed / "bin" / "strongroom"),
        "audit",
        "-C",
        str(REPO),
        "--stack",
        "dev",
        "--endpoint-url",
        "http://127.0.0.1:9",
        cwd=tmp_path,
        env=env,
    )
    assert refused.returncode == 2, refused.stderr
    assert "no AWS credentials" in refused.stderr and "Traceback" not in refused.stderr


def test_installed_wheel_has_one_top_level_package(installed: Path) -> None:
    """Components and the pack live under ``strongroom.``: nothing the wheel installs collides with another
    project's ``components`` or ``policies``."""
    site = next((installed / "lib").glob("python3.*/site-packages"))
    record = next(site.glob("strongroom-*.dist-info")) / "RECORD"
    tops = {line.split(",")[0].split("/")[0] for line in record.read_text().splitlines()}
    installed_tops = {t for t in tops if not t.endswith(".dist-info") and t != ".."}  # ..: bin/ scripts
    assert installed_tops == {"strongroom", "strongroom-legacy-imports.pth"}
    code = (
        "import strongroom.components.environment as e, strongroom.policies.catalog as c; "
        "print(e.__file__); print(len(c.CATALOG))"
    )
    result = run(str(installed / "bin" / "python"), "-c", code, cwd=installed)
    assert result.returncode == 0, result.stderr
    assert "site-packages/strongroom/components/environment.py" in result.stdout


def test_installed_old_import_paths_warn_and_give_the_same_modules(installed: Path, tmp_path: Path) -> None:
    code = (
        "import warnings; warnings.simplefilter('error', DeprecationWarning)\n"
        "try:\n    import components.environment\nexcept DeprecationWarning as w:\n    print('warned:', w)\n"
        "warnings.simplefilter('ignore')\n"
        "import components.environment, strongroom.components.environment as new, policies.catalog\n"
        "from components.keys import KeyRing\n"
        "print(components.environment is new, KeyRing.__module__, policies.catalog.__name__)\n"
    )
    result = run(str(installed / "bin" / "python"), "-c", code, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "warned: `import components` is deprecated since Strongroom 0.2" in result.stdout
    assert "import strongroom.components" in result.stdout
    assert "True strongroom.components.keys strongroom.policies.catalog" in result.stdout


def test_installed_another_projects_components_package_wins(installed: Path, tmp_path: Path) -> None:
    (tmp_path / "components").mkdir()
    (tmp_path / "components" / "__init__.py").write_text("MINE = True\n")
    (tmp_path / "components" / "widgets.py").write_text("WIDGET = 1\n")
    code = (
        "import warnings; warnings.simplefilter('error')\n"
        "import components, components.widgets, strongroom.components.keys\n"
        "print(components.MINE, components.widgets.WIDGET, components.__file__)\n"
    )
    result = run(str(installed / "bin" / "python"), "-c", code, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("True 1 ") and str(tmp_path) in result.stdout


def test_installed_vault_commands_load_and_say_what_is_missing(installed: Path, tmp_path: Path) -> None:
    """Every vault command from the wheel: its help names its role, and without credentials it exits 2
    saying how to give them (no traceback)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | {
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    strongroom = str(installed / "bin" / "strongroom")
    listing = run(strongroom, "vault", "--help", cwd=tmp_path, env=env)
    assert listing.returncode == 0, listing.stderr
    for command in ("push", "list", "verify", "promote", "rollback", "snapshot", "restore", "status"):
        assert command in listing.stdout
    refused = run(strongroom, "vault", "status", "-C", str(REPO), "--stack", "dev", cwd=tmp_path, env=env)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "no AWS credentials" in refused.stderr and "Traceback" not in refused.stderr
