"""Parametrizes the table-driven control tests of `controls_support` over the SPECS of the area module that
imports them: the break test over every break, the baseline and not-applicable tests over every control."""

from __future__ import annotations

import pytest
from controls_support import baseline_cases, break_cases


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.function.__module__ != "controls_support":
        return
    specs = metafunc.module.SPECS
    if "brk" in metafunc.fixturenames:
        metafunc.parametrize(("cid", "spec", "brk"), break_cases(specs))
    else:
        metafunc.parametrize(("cid", "spec"), baseline_cases(specs))
