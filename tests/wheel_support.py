"""What the tests that install the product share: uv, a subprocess runner, and the wheel of this checkout
(tests/test_installed_wheel.py: the package as users get it; tests/policies/test_published_pack.py: the
policy pack as the Pulumi CLI installs it). tests/ is on sys.path through its conftest.py."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def uv() -> str:
    found = REPO / ".tools" / "bin" / "uv"
    if found.is_file():
        return str(found)
    on_path = shutil.which("uv")
    assert on_path, "uv is needed to build the wheel (make venv installs it into .tools/bin)"
    return on_path


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False, timeout=900, env=env)


def build_wheel(work: Path) -> Path:
    """The wheel of this checkout, built with uv into ``work/dist``."""
    built = run(uv(), "build", "--wheel", "--out-dir", str(work / "dist"), str(REPO), cwd=work)
    assert built.returncode == 0, built.stderr
    [wheel] = (work / "dist").glob("strongroom-*.whl")
    return wheel


def clean_env(*prefixes: str) -> dict[str, str]:
    """This process's environment without the variables that would point uv at the project's own venv,
    and without ``UV_COMPILE_BYTECODE`` (the Makefile sets it for the project's own environment): compiling
    every module of the locked dependencies (pulumi_aws alone is 11,000 files) took 15 s and 24 s of CPU
    per install, where the installed package's first run compiles the few hundred it imports in under a
    second. uv's default, as for a user's ``uv pip install``."""
    dropped = ("UV_PROJECT", "VIRTUAL_ENV", "UV_COMPILE_BYTECODE", *prefixes)
    return {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
