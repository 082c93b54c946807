"""The offline plans of this repository's own stacks (dev, staging, prod), planned once per test process.

About fifty tests need the plan of a repository stack as their input, and planned it afresh each time:
0.3 to 0.5 s a plan, about 25 s of a suite's run. :func:`repository_plan` plans each (stack, account) once
per test process and hands every caller its own copy (unpickled from the first plan: 4 ms for prod), so a
test may change its plan without another test seeing the change.

Tests of the planning itself (``tests/strongroom/test_engine.py``, ``test_speed.py``,
``test_lean_outputs.py``) call :func:`strongroom.engine.run_plan` directly, as must any test that changes
what the program reads (``PULUMI_CONFIG``, the stack files). tests/ is on sys.path through its conftest.py."""

from __future__ import annotations

import pickle
import threading
from pathlib import Path

from strongroom.engine import DEFAULT_ACCOUNT, Plan, run_plan

REPO = Path(__file__).resolve().parents[1]

_PICKLED: dict[tuple[str, str], bytes] = {}
_LOCK = threading.Lock()


def repository_plan(stack: str, *, account: str = DEFAULT_ACCOUNT) -> Plan:
    """``run_plan(REPO, stack, account=account)``, planned once per test process; a copy of its own for
    every call."""
    key = (stack, account)
    with _LOCK:
        if key not in _PICKLED:
            _PICKLED[key] = pickle.dumps(run_plan(REPO, stack, account=account), pickle.HIGHEST_PROTOCOL)
        data = _PICKLED[key]
    plan = pickle.loads(data)
    assert isinstance(plan, Plan)
    return plan
