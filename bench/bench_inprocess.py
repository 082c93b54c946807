"""Benchmark: Strongroom's pack evaluated in process against the same pack over the Analyzer gRPC protocol
(``--via-analyzer``), on the same prod plan, in one run; reported as a ratio.

Both paths must report the same violations (``tests/strongroom/test_inprocess.py`` holds them to it); the
benchmark checks that too. Run: ``.venv/bin/python bench/bench_inprocess.py [--stack prod] [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from strongroom.check import check_plan
from strongroom.engine import DEFAULT_ACCOUNT, load_project, load_stack_config, run_plan
from strongroom.report import Report

REPO = Path(__file__).resolve().parents[1]


def _violations(report: Report) -> list[tuple[str, str, str, str]]:
    return [(v.control, v.resource_urn, v.message, v.enforcement) for v in report.violations]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stack", default="prod")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    config = load_stack_config(load_project(REPO), args.stack).values
    plan = run_plan(REPO, args.stack, account=DEFAULT_ACCOUNT)
    times: dict[bool, list[float]] = {True: [], False: []}
    reports: dict[bool, Report] = {}
    for _ in range(args.repeat):
        for via_analyzer in (True, False):  # alternated, so both see the same load
            start = time.perf_counter()
            reports[via_analyzer] = check_plan(
                plan, config=config, account=DEFAULT_ACCOUNT, via_analyzer=via_analyzer
            )
            times[via_analyzer].append(time.perf_counter() - start)
    if _violations(reports[True]) != _violations(reports[False]):
        raise SystemExit("the two paths reported different violations")
    grpc, inproc = statistics.median(times[True]), statistics.median(times[False])
    print(f"{args.stack}: {len(plan.resources)} resources, {len(reports[False].violations)} violation(s)")
    print("| evaluation of the plan | median seconds | vs in process |")
    print("| --- | ---: | ---: |")
    print(f"| over gRPC (--via-analyzer) | {grpc:.2f} | {grpc / inproc:.1f} |")
    print(f"| in process | {inproc:.2f} | 1.0 |")


if __name__ == "__main__":
    main()
