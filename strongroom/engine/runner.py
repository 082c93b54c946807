"""Run a Pulumi Python program offline, under the recording monitor, and return its Plan."""

from __future__ import annotations

import linecache
import os
import re
import runpy
import sys
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType, ModuleType, TracebackType
from typing import Any

import pulumi
import pulumi.runtime
import pulumi.runtime.resource as sdk_resource
from pulumi.output import Unknown
from pulumi.runtime import rpc
from pulumi.runtime.proto import source_pb2

from strongroom import process
from strongroom.engine.fakes import DEFAULT_ACCOUNT
from strongroom.engine.monitor import Recorder, install, run
from strongroom.engine.outputs import SCALARS, lean_outputs
from strongroom.engine.plan import Plan
from strongroom.engine.project import Project, StackConfig, load_project, load_stack_config
from strongroom.engine.stackrefs import resolve_stack_references
from strongroom.errors import ProgramFailed, UsageError, is_user_error

ACCOUNT_ID = re.compile(r"^\d{12}$")
_TOOL_PACKAGE = __name__.split(".")[0]


def validate_account(account: str) -> str:
    if not ACCOUNT_ID.match(account or ""):
        raise UsageError(
            f"Account id {account!r} is not valid: an AWS account id is 12 digits, e.g. 123456789012."
        )
    return account


DEFAULT_TIMEOUT = 600.0
"""Seconds a program may take under the offline engine (the 50-environment bench takes about a minute)."""


def run_plan(
    project_dir: Path,
    stack: str,
    *,
    account: str = DEFAULT_ACCOUNT,
    timeout: float = DEFAULT_TIMEOUT,
    _referencing: tuple[str, ...] = (),
) -> Plan:
    """Run the Pulumi Python project in ``project_dir`` for ``stack`` under the recording mock monitor.

    Honours the project's ``Pulumi.yaml`` (name, runtime, main, stackConfigDir, config defaults) and the
    stack's config file. Raises :class:`UsageError` for a bad project, stack, config file or a config
    error the program itself reports (an exception marked ``strongroom_user_error``), and
    :class:`ProgramFailed` when the program raises anything else, or when its outputs do not all resolve
    within ``timeout`` seconds (under mocks they resolve at once, so the program waits for ever).

    A ``pulumi.StackReference`` the stack's ``strongroom:stackReferences`` config maps to a local project
    is answered with that project's offline plan's exports (planned first); any other is unknown (see
    :mod:`strongroom.engine.stackrefs`).
    """
    validate_account(account)
    project = load_project(Path(project_dir))
    config = load_stack_config(project, stack)
    references = resolve_stack_references(
        project, stack, config, account=account, timeout=timeout, referencing=_referencing
    )
    recorder = install(
        project=project.name,
        stack=stack,
        region=_region(config),
        account=account,
        default_tags=_default_tags(config),
        config=config.values,
        secret_keys=config.secret_keys,
        stack_references=references,
    )
    for warning in config.warnings:
        recorder.warn(warning)
    try:
        with (
            _program_environment(project),
            _watch_preview_checks(project, recorder),
            sdk_stand_ins(),
            process.collector_paused(),
        ):
            run(lambda: runpy.run_path(str(project.entry), run_name="__main__"), timeout=timeout)
    except (KeyboardInterrupt, UsageError, ProgramFailed):
        raise
    except BaseException as exc:
        raise _translate(exc, project, stack, recorder) from exc
    finally:
        pulumi.runtime.set_all_config({}, [])
    return recorder.plan()


def _region(config: StackConfig) -> str | None:
    region = config.values.get("aws:region")
    return region or None


def _default_tags(config: StackConfig) -> dict[str, str]:
    value = config.get_json("aws:defaultTags")
    if isinstance(value, dict) and isinstance(value.get("tags"), dict):
        return {str(k): str(v) for k, v in value["tags"].items()}
    return {}


def _is_program_module(
    module: ModuleType | None, program_dir: Path, real_dirs: dict[str, str] | None = None
) -> bool:
    """A module loaded from the program's own files (not from a virtualenv, not this tool).

    ``program_dir`` is a real path. ``real_dirs`` caches the real path of each directory: the check runs
    over every module in ``sys.modules`` (a thousand in a check, ten thousand in a process that also
    imported boto3 and moto) before and after each run, and resolving every path component of each file
    was a tenth of a prod check. A file that is itself a symbolic link is resolved whole. What is
    remembered per module is its real path and whether it lies in a ``site-packages`` or
    ``dist-packages`` folder, so the check is a comparison of strings: whether the real path is the
    program's folder or lies under it, as ``Path.relative_to`` answers for normalised paths."""
    filename = _own_attribute(module, "__file__")
    name = _own_attribute(module, "__name__")
    if not isinstance(filename, str) or not filename or str(name).partition(".")[0] == _TOOL_PACKAGE:
        return False
    try:
        real, packaged = _module_real_path(module, filename, {} if real_dirs is None else real_dirs)
    except (ValueError, OSError):
        return False
    if packaged:
        return False
    directory = str(program_dir)
    inside = directory if directory.endswith(os.sep) else directory + os.sep
    return real == directory or real.startswith(inside)


#: module -> (its ``__file__``, that file's real path, whether that path is in a site-packages or
#: dist-packages folder) for the modules seen by ``_is_program_module``.
#: A module stays loaded from the file it was read from, so a library module (pulumi_aws's, boto3's...)
#: that stays in ``sys.modules`` from run to run is resolved once, not once per run; a program's modules,
#: deleted from ``sys.modules`` after each run, drop out with their module objects.
_REAL_FILES: weakref.WeakKeyDictionary[Any, tuple[str, str, bool]] = weakref.WeakKeyDictionary()
_PACKAGE_FOLDERS = frozenset({"site-packages", "dist-packages"})


def _own_attribute(module: object, name: str) -> object:
    """``module.<name>`` read from the module's own namespace, or None. ``getattr`` would run the code of
    a module that ``importlib.util.LazyLoader`` has not run yet (``lazyaws.LAZY_SDK_MODULES``): any
    attribute read through such a module loads it. An entry of ``sys.modules`` without a ``__dict__`` is
    read with ``getattr``."""
    try:
        namespace = object.__getattribute__(module, "__dict__")
    except AttributeError:
        return getattr(module, name, None)
    return namespace.get(name) if isinstance(namespace, dict) else None


def _module_real_path(module: object, filename: str, real_dirs: dict[str, str]) -> tuple[str, bool]:
    """``_real_path`` of the module's file and whether it is in a site-packages or dist-packages folder,
    remembered for the module object while its ``__file__`` stays the same (an entry of ``sys.modules``
    that cannot be weakly referenced is resolved every time)."""
    try:
        known = _REAL_FILES.get(module)
    except TypeError:
        return _resolved(filename, real_dirs)
    if known is not None and known[0] == filename:
        return known[1], known[2]
    real, packaged = _resolved(filename, real_dirs)
    _REAL_FILES[module] = (filename, real, packaged)
    return real, packaged


def _resolved(filename: str, real_dirs: dict[str, str]) -> tuple[str, bool]:
    real = _real_path(filename, real_dirs)
    return real, not _PACKAGE_FOLDERS.isdisjoint(real.split(os.sep))


def _real_path(filename: str, real_dirs: dict[str, str]) -> str:
    """``os.path.realpath(filename)``, with the real path of its directory taken from ``real_dirs``."""
    if os.path.islink(filename):
        return os.path.realpath(filename)
    directory, name = os.path.split(os.path.abspath(filename))
    real = real_dirs.get(directory)
    if real is None:
        real = real_dirs[directory] = os.path.realpath(directory)
    return os.path.join(real, name)


@contextmanager
def _program_environment(project: Project) -> Iterator[None]:
    """cwd, sys.path and sys.modules as the Pulumi language host sets them, restored afterwards.

    The program's own modules are imported fresh on every run (one process may plan several stacks),
    and whatever was imported before is put back, so callers keep the module objects they hold.
    """
    program_dir = project.program_dir
    saved_cwd = os.getcwd()
    saved_path = list(sys.path)
    real_dirs: dict[str, str] = {}
    saved_modules = {
        name: module
        for name, module in list(sys.modules.items())
        if _is_program_module(module, program_dir, real_dirs)
    }
    for name in saved_modules:
        del sys.modules[name]
    os.chdir(program_dir)
    sys.path.insert(0, str(program_dir))
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        sys.path[:] = saved_path
        for name, module in list(sys.modules.items()):
            if _is_program_module(module, program_dir, real_dirs):
                del sys.modules[name]
        sys.modules.update(saved_modules)


@contextmanager
def sdk_stand_ins() -> Iterator[None]:
    """The engine's lighter stand-ins for the SDK's per-resource work, in place for the ``with`` block:
    no stack trace per registration, the unknowns check without a cycle per call, and the per-output
    stand-ins of :mod:`strongroom.engine.outputs`. Each gives the program the SDK's answers (the tests hold
    them to it); a program run (:func:`run_plan`) and a recorder's run of a function
    (:meth:`strongroom.engine.monitor.Recorder.run`) both use them."""
    with _no_stack_traces(), _acyclic_unknowns_check(), lean_outputs():
        yield


@contextmanager
def _no_stack_traces() -> Iterator[None]:
    """The SDK captures the call stack of every resource it registers (``traceback.extract_stack`` and a
    file URI per frame, 9-11% of a program run) for the engine's source positions; the recording monitor
    never reads them. During the run each registration gets an empty trace; the SDK's function is put
    back afterwards."""
    original = sdk_resource._get_stack_trace
    if original is _empty_stack_trace:  # a run inside a run: the outer one puts the SDK's back
        yield
        return
    sdk_resource._get_stack_trace = _empty_stack_trace
    try:
        yield
    finally:
        sdk_resource._get_stack_trace = original


def _empty_stack_trace() -> source_pb2.StackTrace:
    return source_pb2.StackTrace()


@contextmanager
def _acyclic_unknowns_check() -> Iterator[None]:
    """The SDK asks ``rpc.contains_unknowns`` of every output value it handles (tens of thousands of
    times per environment); its implementation defines a recursive function inside each call, a
    function that refers to itself: a reference cycle per call, which only the cyclic collector frees,
    and that is off during the run. At fifty environments those cycles were about a quarter of the
    memory a run holds. During the run the same walk runs as a module-level function; the SDK's is put
    back afterwards."""
    original = rpc.contains_unknowns
    if original is contains_unknowns:  # a run inside a run: the outer one puts the SDK's back
        yield
        return
    rpc.contains_unknowns = contains_unknowns
    try:
        yield
    finally:
        rpc.contains_unknowns = original


def contains_unknowns(val: object) -> bool:
    """``pulumi.runtime.rpc.contains_unknowns`` without a reference cycle per call: whether ``val`` is,
    or holds in its dicts and lists, an ``Unknown`` (each container visited once). Most values the SDK
    asks about are plain strings, numbers or None: those answer at once, without a walk."""
    cls = type(val)
    if cls in SCALARS:
        return False
    return _holds_unknown(val, set())


def _holds_unknown(val: object, seen: set[int]) -> bool:
    if isinstance(val, Unknown):
        return True
    if isinstance(val, dict):
        if id(val) in seen:
            return False
        seen.add(id(val))
        # dict.values, not val.values(): an input type (a dict subclass) may have a property named
        # `values` (CloudTrail's data resources do), as the SDK's own walk allows.
        for item in dict.values(val):
            if type(item) not in SCALARS and _holds_unknown(item, seen):
                return True
    elif isinstance(val, list):
        if id(val) in seen:
            return False
        seen.add(id(val))
        for item in val:
            if type(item) not in SCALARS and _holds_unknown(item, seen):
                return True
    return False


@contextmanager
def _watch_preview_checks(project: Project, recorder: Recorder) -> Iterator[None]:
    """Record every place the program's own code calls ``pulumi.runtime.is_dry_run()``: a program that
    branches on it can deploy with ``pulumi up`` something other than what the preview showed, and the
    offline check only ever sees the preview. The SDK's own calls (through the names it imported) are
    not counted."""
    original = pulumi.runtime.is_dry_run
    program_dir = project.program_dir

    program_files: dict[str, bool] = {}  # the SDK asks tens of thousands of times: one path check per file

    def is_dry_run() -> bool:
        caller = sys._getframe(1)
        name = caller.f_code.co_filename
        inside = program_files.get(name)
        if inside is None:
            path = Path(name)
            inside = program_files[name] = _inside(path, program_dir) and not any(
                part in ("site-packages", "dist-packages") for part in path.parts
            )
        if inside:
            recorder.preview_checked(f"{project.display(Path(name))}:{caller.f_lineno}")
        return original()

    modules = [pulumi.runtime, pulumi.runtime.settings]
    for module in modules:
        module.is_dry_run = is_dry_run  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for module in modules:
            module.is_dry_run = original  # type: ignore[attr-defined]


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and every exception it was raised from or while handling, outermost first. Both links
    are followed: the SDK re-raises a failed registration with itself as ``__cause__`` (so ``__cause__``
    alone loops) and the program's own exception as ``__context__``."""
    seen: list[BaseException] = []
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop(0)
        if any(current is s for s in seen):
            continue
        seen.append(current)
        pending += [e for e in (current.__cause__, current.__context__) if e is not None]
    return seen


def _frames(tb: TracebackType | None) -> list[tuple[FrameType, int]]:
    out = []
    while tb is not None:
        out.append((tb.tb_frame, tb.tb_lineno))
        tb = tb.tb_next
    return out


def _message(exc: BaseException) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__


def _translate(exc: BaseException, project: Project, stack: str, recorder: Recorder) -> Exception:
    """Turn the program's exception into UsageError (user error) or ProgramFailed (naming where)."""
    chain = _chain(exc)
    if is_user_error(exc):
        user = next(e for e in chain if getattr(e, "strongroom_user_error", False))
        return UsageError(_message(user))
    root = chain[-1] if isinstance(exc, pulumi.RunError) and len(chain) > 1 else exc
    registering = _registering(chain)
    if any(_SDK_WRAPPER.search(str(e)) for e in chain):
        # The SDK wraps an exception raised while resolving a resource's inputs (typically inside an
        # ``apply``) in "While processing resource ... has risen: ..."; the program's own is the cause.
        root = next((e for e in reversed(chain) if not _SDK_WRAPPER.search(str(e))), root)
    if isinstance(root, SystemExit):
        summary = f"the program called sys.exit({root.code!r})"
    else:
        summary = f"{type(root).__name__}: {_message(root)}"
    component, location = _where(chain, project)
    parts = [f"The program of project {project.name} (stack {stack}) failed: {summary}."]
    if registering is not None:
        parts.append(f"It was resolving the inputs of {registering}.")
    elif component:
        parts.append(f"It was building {component}.")
    if location:
        parts.append(f"Raised at {location}.")
    last = recorder.last_registered
    if last is not None:
        parts.append(f"Last resource registered: {last.type} {last.name!r}.")
    parts.extend(_lookup_lines(recorder))
    return ProgramFailed(" ".join(parts))


_SDK_WRAPPER = re.compile(r"^While processing (resource|input): ")
_PROCESSING_RESOURCE = re.compile(r"^While processing resource: '(?P<name>[^']*)', type:? '(?P<type>[^']*)'")
_PROCESSING_INPUT = re.compile(r"While processing input: '(?P<input>[^']*)'")


def _registering(chain: list[BaseException]) -> str | None:
    """The resource (type, name and input) whose inputs the SDK was resolving when the program's code
    raised, from the SDK's wrapper messages; None when the failure was elsewhere."""
    for exc in chain:
        text = str(exc)
        match = _PROCESSING_RESOURCE.search(text)
        if match:
            field = _PROCESSING_INPUT.search(text)
            where = f" (input {field['input']!r})" if field else ""
            return f"{match['type']} {match['name']!r}{where}"
    return None


def _lookup_lines(recorder: Recorder) -> list[str]:
    """The lookups answered with fakes or unknowns: a likely cause when the program then fails."""
    from strongroom.engine.invokes import describe_call, faked_value

    invokes = recorder.invokes
    faked = [
        f"{describe_call(i.token, i.args)} -> {faked_value(i.token, i.result)}"
        for i in invokes
        if i.kind == "faked"
    ]
    unknown = [describe_call(i.token, i.args) for i in invokes if i.kind == "unknown"]
    faked, unknown = list(dict.fromkeys(faked)), list(dict.fromkeys(unknown))
    lines = []
    if faked:
        lines.append("Lookups faked offline: " + "; ".join(faked) + ".")
    if unknown:
        lines.append("Lookups with no offline answer (every field unknown): " + "; ".join(unknown) + ".")
    return lines


def _where(chain: list[BaseException], project: Project) -> tuple[str | None, str | None]:
    """The innermost resource under construction and the innermost program frame in the traceback."""
    component: str | None = None
    location: str | None = None
    for exc in chain:
        for frame, lineno in _frames(exc.__traceback__):
            filename = Path(frame.f_code.co_filename)
            inside = _inside(filename, project.program_dir) and not any(
                part in ("site-packages", "dist-packages") for part in filename.parts
            )
            if not inside:
                continue
            self_obj = frame.f_locals.get("self")
            if isinstance(self_obj, pulumi.Resource):
                token = getattr(self_obj, "_type", None) or type(self_obj).__name__
                name = getattr(self_obj, "_name", None) or frame.f_locals.get("name")
                component = f"{token} {name!r}" if name else str(token)
            source = _source_line(filename, lineno)
            location = f"{project.display(filename)}:{lineno} in {frame.f_code.co_name}" + (
                f" ({source})" if source else ""
            )
        if location:
            break
    return component, location


def _inside(path: Path, directory: Path) -> bool:
    try:
        path.resolve().relative_to(directory)
    except (ValueError, OSError):
        return False
    return True


def _source_line(filename: Path, lineno: int) -> str:
    return linecache.getline(str(filename), lineno).strip()
