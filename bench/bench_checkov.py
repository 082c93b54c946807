"""Benchmark: Strongroom's policy pack against checkov on the same prod plan, and export + checkov as the
number of environments grows (1, 10, 50 copies of the production environment, bench/multi_env).

Everything is measured in one run on this machine and reported as ratios, so the figures compare like
with like. Run: ``.venv/bin/python bench/bench_checkov.py [--sizes 1,10,50] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from strongroom.check import check_plan
from strongroom.checkov import scan_export
from strongroom.engine import run_plan
from strongroom.terraform import export_plan

REPO = Path(__file__).resolve().parents[1]
MULTI_ENV = REPO / "bench" / "multi_env"


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median wall time of ``repeat`` calls, and the last result."""
    times: list[float] = []
    result: Any = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def multi_env_plan(copies: int, workdir: Path) -> Any:
    project = workdir / f"multi_env_{copies}"
    shutil.copytree(MULTI_ENV, project, ignore=shutil.ignore_patterns("__pycache__"))
    config = yaml.safe_load((project / "Pulumi.bench.yaml").read_text())
    config["config"]["strongroom-bench:copies"] = copies
    (project / "Pulumi.prod-bench.yaml").write_text(yaml.safe_dump(config))
    return run_plan(project, "prod-bench")  # a production stack name: the production rules apply


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10,50", help="environment counts, comma separated")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median reported)")
    args = parser.parse_args()

    prod = run_plan(REPO, "prod")
    export = export_plan(prod)
    pack_s, _ = timed(lambda: check_plan(prod), args.repeat)
    checkov_s, scan = timed(lambda: scan_export(export), args.repeat)
    if not scan.ran:
        raise SystemExit(f"bench_checkov: {scan.unavailable}")
    print(f"prod plan: {len(prod.resources)} resources, {export.resource_count} exported to Terraform JSON")
    print(f"  strongroom policy pack (gRPC, as the Pulumi CLI): {pack_s:7.2f} s")
    print(f"  checkov {scan.version} (terraform_json, subprocess):  {checkov_s:7.2f} s")
    print(f"  ratio checkov / pack: {checkov_s / pack_s:.1f}x")

    print("export + checkov as environments grow (bench/multi_env):")
    with tempfile.TemporaryDirectory(prefix="strongroom-bench-") as tmp:
        base: float | None = None
        for size in [int(s) for s in args.sizes.split(",")]:
            plan = multi_env_plan(size, Path(tmp))
            export_s, exported = timed(partial(export_plan, plan), args.repeat)
            scan_s, scan = timed(partial(scan_export, exported), 1)
            total = export_s + scan_s
            base = base or total
            print(
                f"  {size:3d} env(s): {exported.resource_count:6d} resources, export {export_s:6.2f} s, "
                f"checkov {scan_s:7.2f} s ({len(scan.results)} results), {total / base:5.1f}x the 1-env time"
            )


if __name__ == "__main__":
    main()
