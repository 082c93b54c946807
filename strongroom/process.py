"""Whether this process is the one-shot console script: it plans, checks, reports and ends with
``os._exit`` (``strongroom.cli.main``). Nothing here imports the SDK, so any command can say so cheaply.

The engine and the in-process pack read it to keep what a program run and a check built out of the
cyclic collector's reach for good (:func:`collector_paused`): right for a process that is about to end,
wrong for a library caller that plans many stacks in one process (the tests), which never declares it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_one_shot = False


def declare_one_shot() -> None:
    """This process ends when its one command is done (called by the console script only)."""
    global _one_shot
    _one_shot = True


def is_one_shot() -> bool:
    return _one_shot


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic collector off inside the block, on again afterwards.

    A program run builds hundreds of thousands of long-lived objects (pulumi_aws's modules, resources,
    outputs, futures) and little cyclic garbage, and a check builds a view of every resource and judges
    it; with the collector on, its passes over those objects were a good part of both (21 full
    collections in a program run at 50 environments; 3 in their check, 0.3-0.5 s). The commands import
    the engine, the SDK and the pack inside it too: those imports make long-lived objects only, and the
    collections they set off walked them all (about 60 ms of a cold check). A caller that had
    turned the collector off keeps it off. In a one-shot process (the console script) everything alive
    before the block and after it is frozen (``gc.freeze``), so later collections walk only the objects
    made since; the cycles the block left behind stay allocated until the process ends, a few percent of
    its memory (bench/bench_check.py reports the peak). Elsewhere (the tests) the collector finds them
    once it is on again."""
    was_enabled = gc.isenabled()
    if _one_shot:
        gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        if _one_shot:
            gc.freeze()
        if was_enabled:
            gc.enable()
