"""Whether this process is the one-shot console script: it plans, checks, reports and ends with
``os._exit`` (``strongroom.cli.main``). Nothing here imports the SDK, so any command can say so cheaply.

The engine and the in-process pack read it to keep what a program run and a check built out of the
cyclic collector's reach for good (:func:`collector_paused`): right for a process that is about to end,
wrong for a library caller that plans many stacks in one process (the tests), which never declares it.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

_one_shot = False

#: gRPC's fork handling is set in two places: its C core and its Python layer each read
#: GRPC_ENABLE_FORK_SUPPORT, the Python layer when ``grpc`` is first imported. Left unset, grpcio 1.85 runs
#: with the two defaults apart (grpc/grpc#41455, #41768), and a child forked while gRPC was in use died of
#: a segmentation fault (a forked ``--all-stacks`` child in a CI run of the suite; reproduced by
#: tests/strongroom/test_multistack.py). Set to either value before ``grpc`` loads, the two agree.
#: ``strongroom`` is imported first in every process of an environment it is installed in (its ``.pth``
#: file loads :mod:`strongroom.legacy_imports`), so the variable is set before anything loads ``grpc``.
GRPC_FORK_SUPPORT = "GRPC_ENABLE_FORK_SUPPORT"
_GRPC_CORE = "grpc._cython.cygrpc"


def _align_grpc_fork_support() -> bool:
    """Set GRPC_ENABLE_FORK_SUPPORT to ``false`` (fork handlers off: a forked child never uses its
    parent's channels or servers) unless it is set already; whether gRPC's two layers agree in this
    process, which they cannot when ``grpc`` was loaded before with the variable unset."""
    aligned = _GRPC_CORE not in sys.modules or GRPC_FORK_SUPPORT in os.environ
    os.environ.setdefault(GRPC_FORK_SUPPORT, "false")
    return aligned


_grpc_fork_aligned = _align_grpc_fork_support()


def fork_is_safe() -> bool:
    """Whether this process may fork children that run Python (``check --all-stacks``): False when
    ``grpc`` was loaded before Strongroom with GRPC_ENABLE_FORK_SUPPORT unset, so gRPC's fork handling
    is split between its layers."""
    return _grpc_fork_aligned


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
