"""pre-commit hook: `strongroom check` on the stacks a commit touches (see .pre-commit-config.yaml).

pre-commit passes the staged file names. A changed `<stackConfigDir>/Pulumi.<stack>.yaml` selects that
stack; a change to the program, the policy pack, the tool or the locked dependencies selects every stack
(`--all-stacks`); anything else checks nothing. The exit code is the worst of the checks run (0 ok,
1 mandatory violation, 2 usage or config error, 3 not evaluated).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import yaml

# Paths (relative to the project directory, POSIX separators) whose change can change any stack's result.
PROGRAM_FILES = frozenset({"__main__.py", "Pulumi.yaml", "pyproject.toml", "uv.lock"})
PROGRAM_DIRS = ("components/", "policies/", "strongroom/")
STACK_FILE_RE = re.compile(r"^Pulumi\.(?P<stack>[^/]+)\.yaml$")


@dataclass(frozen=True)
class Selection:
    """What to check: every stack, some stacks by name, or nothing."""

    all_stacks: bool
    stacks: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.all_stacks and not self.stacks


def stack_config_dir(project_dir: Path) -> str:
    """The project's `stackConfigDir` from Pulumi.yaml, '' for the project directory itself."""
    data = yaml.safe_load((project_dir / "Pulumi.yaml").read_text(encoding="utf-8")) or {}
    value = str(data.get("stackConfigDir") or "").strip("/")
    return "" if value in ("", ".") else value


def select(files: Iterable[str], config_dir: str) -> Selection:
    """The stacks the changed `files` (paths relative to the project directory) call for."""
    stacks: set[str] = set()
    for name in files:
        path = PurePosixPath(name.replace("\\", "/"))
        posix = path.as_posix().removeprefix("./")
        if posix in PROGRAM_FILES or posix.startswith(PROGRAM_DIRS):
            return Selection(all_stacks=True)
        parent = "" if str(path.parent) == "." else path.parent.as_posix()
        match = STACK_FILE_RE.match(path.name)
        if match and parent == config_dir:
            stacks.add(match["stack"])
    return Selection(all_stacks=False, stacks=tuple(sorted(stacks)))


def commands(selection: Selection, strongroom: str) -> list[list[str]]:
    """The `strongroom check` command lines for a selection."""
    if selection.all_stacks:
        return [[strongroom, "check", "--all-stacks"]]
    return [[strongroom, "check", "--stack", stack] for stack in selection.stacks]


def main(argv: Sequence[str] | None = None, project_dir: Path | None = None) -> int:
    files = list(sys.argv[1:] if argv is None else argv)
    project = project_dir or Path.cwd()
    config_dir = stack_config_dir(project)
    selection = select(files, config_dir)
    if not selection.all_stacks:
        # A stack file deleted in this commit has nothing left to check.
        on_disk = (s for s in selection.stacks if (project / config_dir / f"Pulumi.{s}.yaml").is_file())
        selection = Selection(all_stacks=False, stacks=tuple(on_disk))
    if selection.empty:
        return 0
    strongroom = str(Path(sys.executable).with_name("strongroom"))
    worst = 0
    for command in commands(selection, strongroom):
        worst = max(worst, subprocess.run(command, cwd=project, check=False).returncode)
    return worst


if __name__ == "__main__":
    sys.exit(main())
