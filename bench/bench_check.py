"""Time ``strongroom check`` on the prod stack and on 1, 10 and 50 copies of the environment.

Each timing is a fresh ``strongroom check`` process (offline plan, policy pack over gRPC, JSON report),
measured by wall clock as a user or CI sees it, best of ``--repeat`` runs. The multi-copy program is
``bench/multi_env`` (N copies of SecureMlEnvironment with the prod settings); it is copied to a temporary
directory with one stack file per N. Growth is reported as time and resource ratios against one copy,
and as milliseconds per resource: linear growth keeps the per-resource cost flat.

    .venv/bin/python bench/bench_check.py [--copies 1 10 50] [--repeat 1] [--json FILE]

``time_check`` is the function other benchmarks (``bench/bench_checkov.py``) call to time the same
command on the same stack.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MULTI_ENV = REPO / "bench" / "multi_env"


@dataclass(frozen=True)
class CheckTiming:
    """One timed ``strongroom check``: best wall-clock seconds, and what it checked."""

    label: str
    seconds: float
    resources: int
    controls: int
    violations: int
    exit_code: int

    @property
    def ms_per_resource(self) -> float:
        return 1000 * self.seconds / max(self.resources, 1)


def time_check(project_dir: Path, stack: str, *, label: str = "", repeat: int = 1) -> CheckTiming:
    """Run ``strongroom check --format json`` ``repeat`` times in fresh processes; keep the fastest.

    Raises RuntimeError (with the command's stderr) if the check exits 2 (usage or config error).
    """
    command = [
        sys.executable,
        "-m",
        "strongroom.cli",
        "check",
        "--project-dir",
        str(project_dir),
        "--stack",
        stack,
        "--format",
        "json",
        "--no-cache",  # cold runs: the plan cache would answer every repeat after the first
    ]
    best: float | None = None
    for _ in range(max(repeat, 1)):
        started = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=REPO)
        elapsed = time.perf_counter() - started
        if result.returncode not in (0, 1):
            raise RuntimeError(f"{' '.join(command)} exited {result.returncode}:\n{result.stderr}")
        best = elapsed if best is None else min(best, elapsed)
    report = json.loads(result.stdout)
    assert best is not None
    return CheckTiming(
        label=label or f"{project_dir.name}/{stack}",
        seconds=best,
        resources=report["resources"],
        controls=report["controls"],
        violations=len(report["violations"]),
        exit_code=result.returncode,
    )


def copies_project(workdir: Path, copies: list[int]) -> dict[int, str]:
    """Copy ``bench/multi_env`` into ``workdir`` with a stack ``copies<N>`` per N; return N -> stack."""
    project = workdir / "multi_env"
    shutil.copytree(MULTI_ENV, project)
    template = (project / "Pulumi.bench.yaml").read_text()
    stacks = {}
    for n in copies:
        stack = f"copies{n}"
        text = template.replace("strongroom-bench:copies: 1", f"strongroom-bench:copies: {n}")
        (project / f"Pulumi.{stack}.yaml").write_text(text)
        stacks[n] = stack
    return stacks


def run(copies: list[int], repeat: int) -> dict[str, object]:
    timings = [time_check(REPO, "prod", label="prod stack", repeat=repeat)]
    with tempfile.TemporaryDirectory(prefix="strongroom-bench-") as tmp:
        stacks = copies_project(Path(tmp), copies)
        for n, stack in stacks.items():
            timings.append(time_check(Path(tmp) / "multi_env", stack, label=f"{n} copies", repeat=repeat))
    base = timings[1]
    rows = []
    for t in timings:
        rows.append(
            {
                **asdict(t),
                "ms_per_resource": round(t.ms_per_resource, 2),
                "time_ratio": round(t.seconds / base.seconds, 2),
                "resource_ratio": round(t.resources / base.resources, 2),
            }
        )
    return {"python": sys.version.split()[0], "repeat": repeat, "timings": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--copies", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the results as JSON to FILE")
    args = parser.parse_args(argv)
    results = run(sorted(set(args.copies)), args.repeat)
    header = (
        f"{'run':<12} {'seconds':>8} {'resources':>9} {'ms/res':>7} {'x time':>7} {'x res':>7} {'viol':>5}"
    )
    print(header)
    for row in results["timings"]:  # type: ignore[attr-defined]
        print(
            f"{row['label']:<12} {row['seconds']:>8.2f} {row['resources']:>9} {row['ms_per_resource']:>7.2f} "
            f"{row['time_ratio']:>7.2f} {row['resource_ratio']:>7.2f} {row['violations']:>5}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
