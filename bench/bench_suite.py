"""Time ``make test`` quiet and under load, each against a fixed reference workload run beside it.

Issue 11's last goal is ``make test`` under 3 minutes on 2 cores under load. This machine's speed changes
by up to about 2x over an hour (its "slow phases"), and a single timing cannot say whether a run was slow
because of the code or because of the machine. So each run of the suite is measured together with its
peer, a fixed single-threaded pure-Python workload (``REFERENCE``) timed in a fresh interpreter right
before and right after it. The report gives:

* the suite's wall clock, and the CPU of the suite and of every process it started (``getrusage``);
* the reference's seconds around it, and the suite's wall clock in units of the reference (``ratio``):
  two runs with the same ratio did the same work at the speeds of their phases;
* under load, whether the wall clock is under the goal's 180 s.

"Under load" is what the issue means: a busy-loop process holds one of the machine's cores for the
whole run (``--load 1``). Nothing is asserted: the numbers are for the README's suite-time section.

    .venv/bin/python bench/bench_suite.py [--mode quiet|loaded|both] [--load 1] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GOAL_SECONDS = 180.0

#: The peer: a fixed amount of single-threaded interpreter work (about 1.7 s on this machine).
REFERENCE = (
    "s = 0\n"
    "for i in range(12_000_000):\n"
    "    s += i % 7\n"
    "d = {}\n"
    "for i in range(1_500_000):\n"
    "    d[str(i)] = i\n"
)

#: ``make test``, as the Makefile runs it (its prerequisites are up to date once the environments exist).
SUITE = ["make", "--no-print-directory", "test"]

BUSY_LOOP = "while True:\n    pass\n"


def reference_seconds() -> float:
    """Wall-clock seconds of :data:`REFERENCE` in a fresh interpreter (its start-up excluded)."""
    code = f"import time\nt = time.perf_counter()\n{REFERENCE}print(time.perf_counter() - t)\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_suite(load: int) -> dict[str, object]:
    """One ``make test`` with ``load`` busy-loop processes beside it, and the reference around it."""
    before = reference_seconds()
    busy = [subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) for _ in range(load)]
    try:
        cpu = _children_cpu()
        started = time.perf_counter()
        result = subprocess.run(SUITE, cwd=REPO, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        cpu = _children_cpu() - cpu
    finally:
        for process in busy:
            process.kill()
            process.wait()
    after = reference_seconds()
    summary = next((line for line in reversed(result.stdout.splitlines()) if " in " in line), "")
    reference = (before + after) / 2
    return {
        "load": load,
        "exit_code": result.returncode,
        "summary": summary.strip("= "),
        "wall_seconds": round(wall, 1),
        "cpu_seconds": round(cpu, 1),
        "reference_seconds": [round(before, 2), round(after, 2)],
        "ratio": round(wall / reference, 1),
        "under_goal": wall < GOAL_SECONDS if load else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mode", choices=("quiet", "loaded", "both"), default="both")
    parser.add_argument("--load", type=int, default=1, help="busy-loop processes beside a loaded run")
    parser.add_argument("--json", type=Path, help="also write the results as JSON to FILE")
    args = parser.parse_args(argv)
    if args.load < 1:
        parser.error(f"--load {args.load}: a loaded run needs at least one busy-loop process")
    loads = {"quiet": [0], "loaded": [args.load], "both": [0, args.load]}[args.mode]
    runs = []
    for load in loads:
        run = run_suite(load)
        runs.append(run)
        label = "quiet" if not load else f"{load} busy core{'s' if load > 1 else ''}"
        goal = "" if run["under_goal"] is None else f"; under {GOAL_SECONDS:.0f} s: {run['under_goal']}"
        print(
            f"make test, {label}: {run['wall_seconds']} s wall, {run['cpu_seconds']} s CPU; reference "
            f"{run['reference_seconds'][0]} s / {run['reference_seconds'][1]} s; "  # type: ignore[index]
            f"ratio {run['ratio']}{goal}; exit {run['exit_code']}: {run['summary']}"
        )
    if args.json:
        results = {"python": sys.version.split()[0], "cpus": os.cpu_count(), "runs": runs}
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0 if all(run["exit_code"] == 0 for run in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
