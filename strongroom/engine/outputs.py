"""Lighter stand-ins for the Pulumi SDK's per-output bookkeeping, used while a program runs offline.

A program run registers thousands of resources with some twenty output properties each, and the SDK's
machinery per output (futures, a task, a tracking closure and callbacks on the event loop) was most of
a large run's time and memory. Each stand-in below gives the program the same outputs, with the same
values, known and secret flags, dependencies and failures, for less work; each is put in place only for
the run and the SDK's own is put back afterwards (:func:`lean_outputs`). ``tests/strongroom/
test_lean_outputs.py`` holds each to the SDK's answers and compares the plans made with and without them.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from typing import Any

import pulumi
import pulumi._types as sdk_types
import pulumi.output as sdk_output
import pulumi.runtime.resource as sdk_resource
import pulumi.runtime.resource_cycle_breaker as cycle_breaker
from pulumi.output import _OutputData
from pulumi.runtime import rpc, settings
from pulumi.runtime.mocks import MockEngine
from pulumi.runtime.settings import SETTINGS

SCALARS = frozenset({str, int, float, bool, type(None)})
"""The plain leaf types the engine's shortcuts answer at once. Exactly these types (compared with
``type(value) in SCALARS``): a subclass, such as an Enum member that is a str or an int, is the SDK's to
judge."""


@contextmanager
def lean_outputs() -> Iterator[None]:
    """The stand-ins of this module in place of the SDK's for the length of the ``with`` block (a run
    inside a run leaves them to the outer one, which puts the SDK's back)."""
    tracked, lock = SETTINGS.outputs, SETTINGS.lock
    with ExitStack() as stack:
        stack.enter_context(_replaced(rpc, "transfer_properties", transfer_properties))
        stack.enter_context(_replaced(rpc, "serialize_property", serialize_property))
        stack.enter_context(_replaced(sdk_resource, "create_urn", create_urn))
        stack.enter_context(_replaced(cycle_breaker, "_reachable", reachable))
        stack.enter_context(_replaced(cycle_breaker, "_add_dep", add_dep))
        _DEPENDED_ON.append(set())
        stack.callback(_DEPENDED_ON.pop)
        _TRACKING.append((tracked, lock))
        stack.callback(_TRACKING.pop)
        stack.enter_context(_replaced(sdk_output.Output, "_track", _track))
        stack.enter_context(_replaced(pulumi.log, "debug", debug))
        stack.enter_context(_replaced(sdk_output.Output, "from_input", _FROM_INPUT))
        for name, memo in _type_metadata_memos().items():
            stack.enter_context(_replaced(sdk_types, name, memo))
        yield


@contextmanager
def _replaced(owner: object, attribute: str, replacement: object) -> Iterator[None]:
    """``owner.attribute`` is ``replacement`` for the length of the ``with`` block, then what it was (a
    class's own attribute as the class holds it: a staticmethod stays one)."""
    own = owner.__dict__ if isinstance(owner, type) else {}
    original = own[attribute] if attribute in own else getattr(owner, attribute)
    if original is replacement:  # a run inside a run: the outer one puts the SDK's back
        yield
        return
    setattr(owner, attribute, replacement)
    try:
        yield
    finally:
        setattr(owner, attribute, original)


# --- debug messages nobody listens to are not sent ------------------------------------------------------

_SDK_DEBUG = pulumi.log.debug


def debug(
    msg: str, resource: Any = None, stream_id: int | None = None, ephemeral: bool | None = None
) -> None:
    """``pulumi.log.debug``, dropping at once a message the offline engine's logger would drop: the SDK
    logs several per resource, each built into a protobuf request for the mock engine, which hands it to
    a logger that is not enabled for DEBUG. A message about a resource (sent once its URN is known) and
    any message while the logger is enabled for DEBUG still go the SDK's way."""
    if resource is None:
        engine = settings.get_engine()
        if type(engine) is MockEngine and not engine.logger.isEnabledFor(logging.DEBUG):
            return
    _SDK_DEBUG(msg, resource, stream_id, ephemeral)


# --- a plain value is an output at once -----------------------------------------------------------------

_SDK_FROM_INPUT = sdk_output.Output.from_input


def from_input(val: Any) -> pulumi.Output[Any]:
    """``Output.from_input``, answering a string, number, boolean or None at once: the SDK asks such a
    value whether it is an output, an input type, a dict, list or tuple, and awaitable (an abstract-class
    check) before it makes the same known, non-secret output with no resources. Most values the SDK lifts
    (an argument of ``Output.all``, ``concat``, a resource's inputs) are such leaves. Exactly these types:
    a subclass (an Enum member is a str or an int) is the SDK's to judge."""
    if type(val) in SCALARS:
        data: asyncio.Future[_OutputData[Any]] = asyncio.Future()
        data.set_result(_OutputData(resources=set(), value=val, is_known=True, is_secret=False))
        return pulumi.Output._from_data(data)
    return _SDK_FROM_INPUT(val)


_FROM_INPUT = staticmethod(from_input)


# --- a resource class's type metadata read once per run --------------------------------------------------

_TYPE_METADATA = ("resource_types", "resource_pulumi_to_py_names", "resource_py_to_pulumi_names")


def _type_metadata_memos() -> dict[str, Any]:
    """``pulumi._types``'s functions that read a resource class's property names and types, each answering
    once per class for the run. The SDK asks them of every registration (the types and names of the
    outputs it resolves, the names of additional secret outputs) and recomputes them each time: the class's
    annotations resolved with ``typing.get_type_hints`` over a copy of its modules' globals. What they read
    (the class, its annotations and its modules) is fixed once the program has defined the class; the
    answers are the SDK's, shared as the SDK shares its own cached ones (``_types_from_py_properties``);
    the SDK only reads them."""
    memos: dict[str, Any] = {}
    for name in _TYPE_METADATA:
        original = getattr(sdk_types, name)
        if isinstance(original, _ClassMemo):  # a run inside a run: the outer one's stay
            memos[name] = original
        else:
            memos[name] = _ClassMemo(original)
    return memos


class _ClassMemo:
    """``function(cls)``, answered once per class (a dict per memo, dropped with the run)."""

    def __init__(self, function: Any) -> None:
        self.function = function
        self.answers: dict[type, Any] = {}
        functools.update_wrapper(self, function)

    def __call__(self, cls: type) -> Any:
        answers = self.answers
        if cls in answers:
            return answers[cls]
        answer = answers[cls] = self.function(cls)
        return answer


# --- plain values serialise as themselves ------------------------------------------------------------

_SDK_SERIALIZE_PROPERTY = rpc.serialize_property


async def serialize_property(
    value: Any,
    deps: list[Any] | None,
    property_key: str | None,
    resource_obj: Any = None,
    input_transformer: Any = None,
    typ: Any = None,
    keep_output_values: bool = False,
    exclude_resource_refs_from_deps: bool = False,
    return_protobuf_value: bool = False,
) -> Any:
    """``rpc.serialize_property``, answering a string, number, boolean or None at once: the SDK's walks
    every other kind of value first (the type annotation unwrapped, a dozen instance checks, half of them
    against abstract classes) to return such a value unchanged. Most of a resource's properties are such
    leaves. Exactly these types: a subclass (an Enum member is a str or an int) is the SDK's to judge."""
    if type(value) in SCALARS and not return_protobuf_value:
        return value
    return await _SDK_SERIALIZE_PROPERTY(
        value,
        deps,
        property_key,
        resource_obj,
        input_transformer,
        typ,
        keep_output_values,
        exclude_resource_refs_from_deps,
        return_protobuf_value,
    )


# --- one future per output property --------------------------------------------------------------------


def transfer_properties(res: pulumi.Resource, props: Mapping[str, Any], custom: bool) -> dict[str, Any]:
    """``pulumi.runtime.rpc.transfer_properties``: an output for each of the resource's properties and
    the resolvers the registration calls (same keys, same arguments).

    The SDK gives each property four futures (value, known, secret, dependencies) and an ``Output``
    whose data is a task awaiting the four: a coroutine, a task and two steps of the event loop per
    property. Here each gets one future of the output's data, wrapped without a task as the SDK's
    ``Output._from_data`` wraps the ``urn`` and ``id`` outputs, and resolved in the resolver's call with
    the same value, flags and dependencies (the resource itself added), or failed with the same exception.

    The SDK also tracks every output until it resolves (``SETTINGS.outputs``) so that the end of the
    program re-raises a failed one. These resolve in the call that answers the registration, so only a
    failed one is tracked: it is put where the SDK leaves a failed output, and the end re-raises it."""
    resolvers: dict[str, Any] = {}
    new_future = asyncio.get_event_loop().create_future
    new_output = object.__new__
    for name in props:
        if name == "urn" or (name == "id" and custom):
            continue  # the SDK resolves these itself
        data: asyncio.Future[_OutputData[Any]] = new_future()
        resolvers[name] = functools.partial(_resolve_output, res, data)
        output = new_output(pulumi.Output)
        output._data = data
        res.__dict__[name] = output
    return resolvers


def _resolve_output(
    res: pulumi.Resource,
    data: asyncio.Future[_OutputData[Any]],
    value: Any,
    is_known: bool,
    is_secret: bool,
    deps: set[pulumi.Resource] | None,
    failed: Exception | None,
) -> None:
    if failed is not None:
        data.set_exception(failed)
        tracked, lock = _tracking()
        with lock:  # where the SDK leaves a failed output: the program's end re-raises it
            tracked.add(data)
        return
    resources = set(deps) if deps else set()
    resources.add(res)
    data.set_result(_OutputData(resources=resources, value=value, is_known=is_known, is_secret=is_secret))


# --- tracking without a closure per output ---------------------------------------------------------------

_TRACKING: list[tuple[set[Any], threading.Lock]] = []
"""The run's ``SETTINGS.outputs`` and ``SETTINGS.lock``, read once: the SDK reads both through context
properties twice per output."""


def _track(self: pulumi.Output[Any]) -> None:
    """``Output._track``: the output's data is tracked until it resolves, and a failed or cancelled one
    stays tracked for the program's end to re-raise, as the SDK does; the callback is one module-level
    function rather than a closure made for each output."""
    data = self._data
    if data.done() and not data.cancelled() and data.exception() is None:
        return  # resolved already: the SDK's callback would untrack it on the loop's next turn
    tracked, lock = _tracking()
    with lock:
        tracked.add(data)
    data.add_done_callback(_untrack_resolved)


def _untrack_resolved(fut: asyncio.Future[Any]) -> None:
    if fut.cancelled() or fut.exception() is not None:
        return  # left for the program's end, which re-raises it
    tracked, lock = _tracking()
    with lock:
        tracked.discard(fut)


def _tracking() -> tuple[set[Any], threading.Lock]:
    """The run's tracked outputs and their lock; an output of the run can resolve after it, and then it
    is the SDK's settings'."""
    return _TRACKING[-1] if _TRACKING else (SETTINGS.outputs, SETTINGS.lock)


# --- URNs without outputs --------------------------------------------------------------------------------

_sdk_create_urn = sdk_resource.create_urn


def create_urn(
    name: Any, type_: Any, parent: Any = None, project: str | None = None, stack: str | None = None
) -> pulumi.Output[str]:
    """``pulumi.runtime.resource.create_urn``. Every registration asks for the URN it would have
    without a monitor (from plain strings: the name, type and resolved parent URN), and the SDK builds
    it from outputs: ``from_input``, ``all`` and two ``apply`` calls, each with tasks on the event loop.
    From plain strings the same URN is made directly, as a known output with no dependencies, as the
    SDK's is; anything else (an output, a resource as parent) goes to the SDK's."""
    if not (type(name) is str and type(type_) is str and (parent is None or type(parent) is str)):
        return _sdk_create_urn(name, type_, parent, project, stack)
    if parent is not None:
        prefix = parent[0 : parent.rfind("::")] + "$"
    else:
        stack = settings.get_stack() if stack is None else stack
        project = settings.get_project() if project is None else project
        prefix = "urn:pulumi:" + stack + "::" + project + "::"
    data: asyncio.Future[_OutputData[str]] = asyncio.get_event_loop().create_future()
    data.set_result(
        _OutputData(resources=set(), value=prefix + type_ + "::" + name, is_known=True, is_secret=False)
    )
    return pulumi.Output._from_data(data)


# --- the dependency cycle check without recursive generators --------------------------------------------


_DEPENDED_ON: list[set[int]] = []
"""The ids of the resources some resource of the run depends on (recorded by :func:`add_dep`)."""

_sdk_add_dep = cycle_breaker._add_dep


def add_dep(from_resource: pulumi.Resource, to_resource: pulumi.Resource) -> None:
    """``pulumi.runtime.resource_cycle_breaker._add_dep``, also noting that ``to_resource`` is depended on."""
    if _DEPENDED_ON:
        _DEPENDED_ON[-1].add(id(to_resource))
    _sdk_add_dep(from_resource, to_resource)


def reachable(from_resource: pulumi.Resource, to_resource: pulumi.Resource) -> bool:
    """``pulumi.runtime.resource_cycle_breaker._reachable``: whether ``to_resource`` is ``from_resource``
    or among its transitive dependencies, asked for every dependency a resource declares (whether the
    resource being registered can be reached from what it depends on). The SDK walks the whole graph below
    with recursive generators, each step passing up through every level above it. Here a resource nothing
    depends on yet (the usual case for one being registered) is reachable only from itself, answered at
    once; otherwise the graph is walked with a stack (the answer does not depend on the order)."""
    if from_resource is not to_resource and _DEPENDED_ON and id(to_resource) not in _DEPENDED_ON[-1]:
        return False
    visited: set[int] = set()
    pending = [from_resource]
    while pending:
        resource = pending.pop()
        if id(resource) in visited:
            continue
        visited.add(id(resource))
        if resource == to_resource:
            return True
        pending.extend(getattr(resource, cycle_breaker._DEPENDENCIES_PROPERTY, ()))
    return False
