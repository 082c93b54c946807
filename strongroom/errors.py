"""Errors the command line turns into exit codes.

* :class:`UsageError` - the user's input is wrong (a flag, a file, a config value): exit 2.
* :class:`ProgramFailed` - the Pulumi program itself failed while running: exit 3, nothing could be
  evaluated.
* A report with a part that could not be evaluated (the program crashed, a remote component was not
  expanded, ``--checkov`` asked for and checkov did not run, or with ``--strict`` a control needed a value
  unknown at preview): exit 3.

A Pulumi program run by the offline engine can signal a user error of its own (for example a bad
stack config value) by raising any exception that carries ``strongroom_user_error = True``; the
engine turns it into a :class:`UsageError` without importing the program's modules.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_UNEVALUATED = 3
"""The check, or part of it, could not be evaluated (:class:`ProgramFailed`, ``Report.unevaluated``)."""


class StrongroomError(Exception):
    """Base class of the errors the CLI reports without a traceback."""

    exit_code: int = 1


class UsageError(StrongroomError):
    """Bad input from the user: a flag, a file, a key or a value. Exit code 2."""

    exit_code = EXIT_USAGE


class ProgramFailed(StrongroomError):
    """The Pulumi program raised while it was being run: nothing could be evaluated. Exit code 3."""

    exit_code = EXIT_UNEVALUATED


def is_user_error(exc: BaseException) -> bool:
    """True when ``exc`` (or an exception it wraps) marks itself as the user's mistake."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if getattr(current, "strongroom_user_error", False):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False
