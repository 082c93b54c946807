"""Whether this process is the one-shot console script: it plans, checks, reports and ends with
``os._exit`` (``strongroom.cli.main``). Nothing here imports the SDK, so any command can say so cheaply.

The engine reads it to keep what a program run built out of the cyclic collector's reach for good
(``strongroom.engine.runner._collector_paused``): right for a process that is about to end, wrong for a
library caller that plans many stacks in one process (the tests), which never declares it.
"""

from __future__ import annotations

_one_shot = False


def declare_one_shot() -> None:
    """This process ends when its one command is done (called by the console script only)."""
    global _one_shot
    _one_shot = True


def is_one_shot() -> bool:
    return _one_shot
