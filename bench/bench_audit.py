"""Benchmark the live audit on an account holding N environments (default 20) served by `moto_server`
(its own process, over HTTP).

Each environment is the dev stack's config under its own name and VPC range (the first also has the
account baseline), planned once and renamed for the others (``tests/strongroom/live/live_support.py``),
materialised into the server. Reported, every timing measured in this run (absolute seconds depend on the
machine and its load, so each is also given as a ratio to its peer):

* one stack audited alone: seconds, API reads, reads per second, and the ratio of the audit's time to
  the time the same environment took to create (its writes): the audit reads more than it writes;
* the same audit with ``--concurrency 1`` against the default 8: what the bounded parallel reads buy;
* all N stacks at once (``--all-stacks``' path: one session per region, account-wide discovery shared):
  seconds per environment, reads per second, and the ratio to N single audits (each re-discovering the
  account).

    .venv/bin/python bench/bench_audit.py [--envs 20] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "strongroom" / "live"))

from live_support import renamed_plan, scale_project  # noqa: E402

from strongroom.engine import run_plan  # noqa: E402
from strongroom.live.audit import audit, planned_of  # noqa: E402
from strongroom.live.aws import Aws  # noqa: E402
from strongroom.live.materialise import materialise  # noqa: E402

REGION = "eu-west-2"


def _audit(
    endpoint: str, plans: dict[str, object], project: Path, stacks: list[str], concurrency: int, shared: bool
) -> tuple[float, int]:
    """Seconds and API calls to audit ``stacks`` (one session shared by all when ``shared``)."""
    session = Aws(region=REGION, endpoint_url=endpoint, concurrency=concurrency)
    calls = 0
    started = time.perf_counter()
    for stack in stacks:
        aws = session if shared else Aws(region=REGION, endpoint_url=endpoint, concurrency=concurrency)
        before = len(aws.calls)
        report = audit(aws, planned_of(plans[stack], project))  # type: ignore[arg-type]
        calls += len(aws.calls) - before
        if report.violations:
            raise RuntimeError(f"{stack}: the clean environment has findings: {report.violations[:3]}")
    return time.perf_counter() - started, calls


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"moto_server did not listen on {port}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--envs", type=int, default=20)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", MOTO_EC2_LOAD_DEFAULT_AMIS="false"
    )
    os.environ.pop("AWS_PROFILE", None)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        stacks = scale_project(project, args.envs)
        first = run_plan(project, stacks[0])
        second = run_plan(project, stacks[1]) if len(stacks) > 1 else first
        plans = {stacks[0]: first, **{s: renamed_plan(second, s) for s in stacks[1:]}}
        port = _free_port()
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_for(port)
            endpoint = f"http://127.0.0.1:{port}"
            created: dict[str, float] = {}
            for stack, plan in plans.items():
                started = time.perf_counter()
                materialise(plan, Aws(region=REGION, endpoint_url=endpoint))
                created[stack] = time.perf_counter() - started
            last = stacks[-1]
            single, single_calls = _audit(endpoint, plans, project, [last], 8, shared=False)
            serial, _ = _audit(endpoint, plans, project, [last], 1, shared=False)
            each, each_calls = _audit(endpoint, plans, project, stacks, 8, shared=False)
            together, together_calls = _audit(endpoint, plans, project, stacks, 8, shared=True)
        finally:
            server.terminate()
            server.wait(timeout=30)
    result = {
        "environments": args.envs,
        "single": {
            "seconds": round(single, 3),
            "reads": single_calls,
            "reads_per_second": round(single_calls / single, 1),
            "ratio_to_creating_it": round(single / created[last], 2),
            "concurrency_1_over_8": round(serial / single, 2),
        },
        "all_stacks": {
            "seconds": round(together, 3),
            "seconds_per_environment": round(together / len(stacks), 3),
            "reads": together_calls,
            "reads_per_second": round(together_calls / together, 1),
            "ratio_to_single_audits": round(together / each, 2),
            "reads_ratio_to_single_audits": round(together_calls / each_calls, 2),
        },
    }
    print(f"live audit, {args.envs} environments in one account (moto server over HTTP)")
    s, a = result["single"], result["all_stacks"]
    print(
        f"  one stack:   {s['seconds']} s, {s['reads']} reads, {s['reads_per_second']} reads/s; "
        f"{s['ratio_to_creating_it']}x the time to create it; "
        f"--concurrency 1 takes {s['concurrency_1_over_8']}x"
    )
    print(
        f"  all stacks:  {a['seconds']} s, {a['seconds_per_environment']} s per environment, "
        f"{a['reads_per_second']} reads/s; {a['ratio_to_single_audits']}x the time and "
        f"{a['reads_ratio_to_single_audits']}x the reads of {args.envs} single audits"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
