"""Time ``strongroom check --all-stacks`` against one ``check --stack`` process per stack, and a plan-cache
hit against a cold check, on the repository's stacks.

Every timing is a fresh process measured by wall clock, best of ``--repeat`` runs, and is reported as a
ratio to its peer measured in the same run (absolute seconds depend on the machine and its load):

* ``all-stacks / per-stack``: one ``--all-stacks --no-cache`` run (one start-up, stacks in parallel up
  to the core count) against the sum of one ``--stack S --no-cache`` process per stack;
* ``cached / cold``: ``--stack prod`` answered from the plan cache (the pack still evaluates the plan)
  against ``--stack prod --no-cache``.

The cache lives in a temporary ``XDG_CACHE_HOME`` for the run.

    .venv/bin/python bench/bench_all_stacks.py [--repeat 1] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def time_command(args: list[str], env: dict[str, str], repeat: int) -> float:
    """Best wall-clock seconds of ``strongroom <args>`` in fresh processes; RuntimeError on exit 2."""
    command = [sys.executable, "-m", "strongroom.cli", *args]
    best: float | None = None
    for _ in range(max(repeat, 1)):
        started = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=REPO, env=env)
        elapsed = time.perf_counter() - started
        if result.returncode not in (0, 1):
            raise RuntimeError(f"{' '.join(command)} exited {result.returncode}:\n{result.stderr}")
        best = elapsed if best is None else min(best, elapsed)
    assert best is not None
    return best


def run(repeat: int) -> dict[str, object]:
    sys.path.insert(0, str(REPO))
    from strongroom.engine.project import load_project

    stacks = load_project(REPO).stacks()
    with tempfile.TemporaryDirectory(prefix="strongroom-bench-cache-") as cache:
        env = {**os.environ, "XDG_CACHE_HOME": cache}
        per_stack = {
            s: time_command(["check", "-s", s, "-f", "json", "--no-cache"], env, repeat) for s in stacks
        }
        all_stacks = time_command(["check", "--all-stacks", "-f", "json", "--no-cache"], env, repeat)
        cold = per_stack["prod"] if "prod" in per_stack else next(iter(per_stack.values()))
        cache_stack = "prod" if "prod" in per_stack else stacks[0]
        time_command(["check", "-s", cache_stack, "-f", "json"], env, 1)  # fills the cache
        cached = time_command(["check", "-s", cache_stack, "-f", "json"], env, repeat)
    total = sum(per_stack.values())
    return {
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "repeat": repeat,
        "stacks": stacks,
        "per_stack_seconds": {s: round(t, 2) for s, t in per_stack.items()},
        "per_stack_total_seconds": round(total, 2),
        "all_stacks_seconds": round(all_stacks, 2),
        "all_stacks_ratio": round(all_stacks / total, 2),
        "cache_stack": cache_stack,
        "cold_seconds": round(cold, 2),
        "cached_seconds": round(cached, 2),
        "cached_ratio": round(cached / cold, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the results as JSON to FILE")
    args = parser.parse_args(argv)
    results = run(args.repeat)
    r = results
    stacks = ", ".join(r["stacks"])  # type: ignore[arg-type]
    print(
        f"{stacks} on {r['cpus']} cores: --all-stacks {r['all_stacks_seconds']} s vs one process per stack "
        f"{r['per_stack_total_seconds']} s = {r['all_stacks_ratio']}x"
    )
    print(
        f"--stack {r['cache_stack']}: cache hit {r['cached_seconds']} s vs cold {r['cold_seconds']} s "
        f"= {r['cached_ratio']}x"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
