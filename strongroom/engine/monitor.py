"""A recording mock resource monitor with realistic AWS outputs.

``RecordingMonitor`` stands in for the Pulumi engine: every RegisterResource (custom and component
resources, providers, the root stack), ReadResource and Invoke the program makes is recorded as the
engine would see it, and answered with deterministic, realistic outputs (see :mod:`.fakes`).

Use it through :func:`install` (what ``run_plan`` and the test fixture do)::

    recorder = install(project="demo", stack="dev", region="eu-west-2")
    ...  # construct resources, then wait for the program (pulumi.runtime.test or run_plan)
    recorder.plan().of_type("aws:s3/bucket:Bucket")
"""

from __future__ import annotations

import asyncio
import json
import math
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pulumi
import pulumi.runtime
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs, Mocks, _resolve_callbacks
from pulumi.runtime.proto import provider_pb2, resource_pb2
from pulumi.runtime.settings import ROOT
from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

from strongroom.engine.fakes import DEFAULT_ACCOUNT, DEFAULT_REGION, fake_invoke, fake_resource, has_output
from strongroom.engine.invokes import InvokeError, answer_invoke, called_in_plain_form
from strongroom.engine.outputs import SCALARS
from strongroom.engine.plan import STACK_TYPE, Plan, PlanInvoke, PlanResource

STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference"
STACK_REFERENCES_KEY = "strongroom:stackReferences"

_SIG = rpc._special_sig_key
_SECRET = rpc._special_secret_sig
_RESOURCE = rpc._special_resource_sig
_OUTPUT_VALUE = rpc._special_output_value_sig


UNKNOWN: str = rpc.UNKNOWN
"""The value of a property that is not known during preview, as the engine marshals it (``KeepUnknowns``)."""


def plain(value: Any) -> Any:
    """A JSON-friendly copy of a deserialised property value, as the engine sees it: secrets unwrapped,
    resource references replaced by their URN, integral numbers as int. Unknowns stay the UNKNOWN
    sentinel, and assets and archives keep their wire form (the signature key and ``path``, ``text``,
    ``uri`` or ``assets``), as the engine hands both to a policy pack. An output value that is not known
    is UNKNOWN."""
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else value
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        sig = value.get(_SIG)
        if sig == _SECRET:
            return plain(value.get("value"))
        if sig == _OUTPUT_VALUE:
            return plain(value["value"]) if "value" in value else UNKNOWN
        if sig == _RESOURCE:
            return value.get("urn")
        return {k: plain(v) for k, v in value.items()}
    return value


def has_unknown(value: Any) -> bool:
    """True when ``value`` is, or holds anywhere, an unknown."""
    if isinstance(value, str):
        return value == UNKNOWN
    if isinstance(value, list):
        return any(has_unknown(v) for v in value)
    if isinstance(value, dict):
        return any(has_unknown(v) for v in value.values())
    return False


def _unknown_where_derived(value: Any) -> Any:
    """A fake's output with every string built from an unknown input made unknown itself (an ARN made
    from an unknown name is not known either)."""
    if isinstance(value, str):
        return UNKNOWN if UNKNOWN in value else value
    if isinstance(value, list):
        return [_unknown_where_derived(v) for v in value]
    if isinstance(value, dict):
        return {k: _unknown_where_derived(v) for k, v in value.items()}
    return value


def struct_to_plain(struct: struct_pb2.Struct) -> dict[str, Any]:
    result = plain(json_format.MessageToDict(struct))
    return result if isinstance(result, dict) else {}


def _is_plain(value: Any) -> bool:
    """Whether ``value`` is JSON-like data only: dicts with string keys, lists, strings, numbers, booleans
    and None (what the fakes and the invoke answers are made of)."""
    if type(value) in SCALARS:  # exactly: an Enum member (a str or int too) is the SDK's to serialise
        return True
    if type(value) is dict:
        return all(type(k) is str and _is_plain(v) for k, v in value.items())
    if type(value) is list:
        return all(_is_plain(v) for v in value)
    return False


def serialized(values: dict[str, Any]) -> struct_pb2.Struct:
    """``rpc.serialize_properties(values, {})`` for the monitor's answers. Plain data (see :func:`_is_plain`)
    is put into the Struct directly, as the SDK's serializer ends up doing (None at the top level left
    out, kept as null inside); the SDK's serializer is asynchronous, and run from the monitor's executor
    thread it started an event loop of its own for every resource (a tenth of a program run). Anything
    else goes through the SDK's."""
    if type(values) is not dict or not _is_plain(values):
        return _sync_await(rpc.serialize_properties(values, {}))
    struct = struct_pb2.Struct()
    for key, value in values.items():
        if value is not None:
            struct[key] = value
    return struct


class Recorder:
    """What the monitor saw. Thread-safe: the SDK calls the monitor from executor threads."""

    def __init__(
        self,
        *,
        project: str,
        stack: str,
        region: str | None = None,
        account: str = DEFAULT_ACCOUNT,
        default_tags: dict[str, str] | None = None,
        stack_references: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.project = project
        self.stack_references = dict(stack_references or {})
        """Stack reference -> the referenced stack's outputs (see :mod:`.stackrefs`)."""
        self.stack = stack
        self.region = region or DEFAULT_REGION
        self.account = account
        self.default_tags = dict(default_tags or {})
        self._lock = threading.Lock()
        self._resources: dict[str, PlanResource] = {}
        self._sequence: dict[str, int] = {}
        self._invokes: list[PlanInvoke] = []
        self.warnings: list[str] = []
        self.preview_checks: list[str] = []
        self.last_registered: PlanResource | None = None
        if region is None:
            self.warnings.append(
                f"aws:region is not set in the stack config; mock ARNs and look-ups use {DEFAULT_REGION}"
            )

    # -- recording ----------------------------------------------------------------------------------

    def add_resource(self, resource: PlanResource) -> None:
        with self._lock:
            self._sequence.setdefault(resource.urn, len(self._sequence))
            self._resources[resource.urn] = resource
            self.last_registered = resource

    def add_invoke(self, invoke: PlanInvoke) -> None:
        with self._lock:
            self._invokes.append(invoke)

    def preview_checked(self, where: str) -> None:
        """The program asked ``is_dry_run()`` at ``where`` (``file:line``)."""
        with self._lock:
            if where not in self.preview_checks:
                self.preview_checks.append(where)

    def warn(self, message: str) -> None:
        with self._lock:
            if message not in self.warnings:
                self.warnings.append(message)

    def set_outputs(self, urn: str, outputs: dict[str, Any]) -> None:
        with self._lock:
            resource = self._resources.get(urn)
            if resource is not None and not resource.custom:
                resource.outputs = outputs

    def region_for(self, inputs: dict[str, Any], provider: str | None) -> str:
        """The region a resource lives in: its own ``region`` input (pulumi-aws 7), its explicit
        provider's ``region``, or the stack's ``aws:region``."""
        own = inputs.get("region")
        if isinstance(own, str) and own:
            return own
        if provider:
            provider_urn = provider.rsplit("::", 1)[0]
            with self._lock:
                registered = self._resources.get(provider_urn)
            if registered is not None and isinstance(registered.inputs.get("region"), str):
                return str(registered.inputs["region"])
        return self.region

    def tags_for(self, inputs: dict[str, Any], provider: str | None) -> dict[str, Any]:
        """``tagsAll``: the provider's default tags overlaid with the resource's own tags."""
        defaults: dict[str, Any] = dict(self.default_tags)
        if provider and "::" in provider:
            provider_urn = provider.rsplit("::", 1)[0]
            with self._lock:
                registered = self._resources.get(provider_urn)
            if registered is not None:
                configured = registered.inputs.get("defaultTags")
                if isinstance(configured, str):
                    # Provider inputs of object type reach the monitor JSON-encoded, as the CLI sends them.
                    try:
                        configured = json.loads(configured)
                    except ValueError:
                        configured = None
                if isinstance(configured, dict) and isinstance(configured.get("tags"), dict):
                    defaults = dict(configured["tags"])
        own = inputs.get("tags")
        defaults.update(own if isinstance(own, dict) else {})
        return defaults

    # -- reading ------------------------------------------------------------------------------------

    @property
    def resources(self) -> list[PlanResource]:
        """All resources, in a deterministic order: the root stack first, then depth first by parent,
        siblings sorted by type and name (the SDK registers concurrently, so arrival order varies)."""
        with self._lock:
            items = list(self._resources.values())
        by_parent: dict[str | None, list[PlanResource]] = {}
        known = {r.urn for r in items}
        for r in items:
            key = r.parent if r.parent in known else None
            by_parent.setdefault(key, []).append(r)
        ordered: list[PlanResource] = []

        def visit(parent: str | None) -> None:
            children = sorted(
                by_parent.get(parent, []), key=lambda r: (r.type != STACK_TYPE, r.type, r.name, r.urn)
            )
            for child in children:
                ordered.append(child)
                visit(child.urn)

        visit(None)
        return ordered

    @property
    def invokes(self) -> list[PlanInvoke]:
        with self._lock:
            return sorted(self._invokes, key=lambda i: (i.token, repr(sorted(i.args.items()))))

    def of_type(self, type_: str) -> list[PlanResource]:
        return [r for r in self.resources if r.type == type_]

    def named(self, name: str) -> PlanResource:
        return self.plan().named(name)

    def run(self, fn: Callable[[], Any]) -> None:
        """Run ``fn`` as a Pulumi program and wait for everything it started (see :func:`run`), with the
        engine's stand-ins for the SDK's per-resource work, as a program run has them
        (:func:`strongroom.engine.runner.sdk_stand_ins`)."""
        from strongroom.engine import runner  # runner imports this module

        with runner.sdk_stand_ins():
            run(fn)

    def plan(self) -> Plan:
        return Plan(
            project=self.project,
            stack=self.stack,
            resources=self.resources,
            invokes=self.invokes,
            warnings=list(self.warnings),
            preview_checks=list(self.preview_checks),
        )


class AwsMocks(Mocks):
    """``pulumi.runtime.Mocks`` with realistic AWS outputs, for code that calls the Mocks API directly
    (the recording monitor does not go through it for RegisterResource and Invoke)."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        inputs = plain(args.inputs)
        if not args.custom and args.resource_id is None:
            return None, {}
        urn = f"urn:pulumi:{self.recorder.stack}::{self.recorder.project}::{args.typ}::{args.name}"
        rid, outputs = fake_resource(
            args.typ,
            args.name,
            urn,
            inputs,
            region=self.recorder.region_for(inputs, args.provider),
            account=self.recorder.account,
        )
        return args.resource_id or rid, outputs

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        result = fake_invoke(
            args.token, plain(args.args), region=self.recorder.region, account=self.recorder.account
        )
        return (result or {}), None


def is_taggable(type_token: str) -> bool:
    """Whether a pulumi-aws resource type has ``tagsAll`` (the provider's default tags apply to it), read
    from the installed SDK class: ``aws:s3/bucket:Bucket`` -> ``pulumi_aws.s3.Bucket.tags_all``."""
    return has_output(type_token, "tags_all")


def _hooks(request: Any) -> list[str]:
    """The resource hooks bound to a registration (``before_create``: [names], ...), as ``kind:name``."""
    if not request.HasField("hooks"):
        return []
    binding = request.hooks
    return [
        f"{field.name}:{name}" for field in binding.DESCRIPTOR.fields for name in getattr(binding, field.name)
    ]


class RecordingMonitor(MockMonitor):
    """A ``MockMonitor`` that records every request and answers with realistic AWS outputs."""

    def __init__(self, recorder: Recorder) -> None:
        super().__init__(AwsMocks(recorder))
        self.recorder = recorder

    def _outputs_for(self, request: Any, urn: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        provider = request.provider or None
        region = self.recorder.region_for(inputs, provider)
        try:
            rid, outputs = fake_resource(
                request.type, request.name, urn, inputs, region=region, account=self.recorder.account
            )
        except Exception as exc:  # a fake must never break the user's program
            self.recorder.warn(f"mock outputs for {request.type} failed ({exc!r}); inputs echoed instead")
            rid, outputs = f"{request.name}-id", dict(inputs)
        outputs = _unknown_where_derived(outputs)
        if UNKNOWN in rid:
            rid = ""  # an id made from an unknown input is unknown: the SDK reads "" so during preview
        if request.type.startswith("aws:") and ("tags" in inputs or is_taggable(request.type)):
            outputs["tagsAll"] = self.recorder.tags_for(inputs, provider)
        return rid, outputs

    def _transformed(self, request: Any, inputs: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """The inputs and ignore_changes after the resource's own ``transforms`` and the stack transforms
        (``register_resource_transform``), applied in that order as the engine applies them. The SDK's
        mock monitor resolves these callbacks but never runs them: a transform would otherwise change
        what deploys without the plan, and so the pack, ever seeing it."""
        transforms = [*_resolve_callbacks(request.transforms), *self._stack_transforms]
        ignore = list(request.ignoreChanges)
        if not transforms:
            return inputs, ignore
        props: dict[str, Any] = dict(inputs)
        opts = pulumi.ResourceOptions(ignore_changes=ignore or None)
        for transform in transforms:
            args = pulumi.ResourceTransformArgs(
                custom=bool(request.custom), type_=request.type, name=request.name, props=props, opts=opts
            )
            result = transform(args)
            if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
                result = _sync_await(result)
            if result is not None:
                props, opts = dict(result.props), result.opts or opts
        resolved = _sync_await(rpc.serialize_properties(props, {}))
        return struct_to_plain(resolved), list(opts.ignore_changes or [])

    def RegisterResource(self, request: Any) -> Any:
        urn = self.make_urn(request.parent, request.type, request.name)
        inputs, ignore_changes = self._transformed(request, struct_to_plain(request.object))
        record = PlanResource(
            urn=urn,
            type=request.type,
            name=request.name,
            parent=request.parent or None,
            custom=bool(request.custom),
            provider=request.provider or None,
            inputs=inputs,
            dependencies=sorted(set(request.dependencies)),
            property_dependencies={
                key: sorted(set(value.urns)) for key, value in sorted(request.propertyDependencies.items())
            },
            protect=bool(request.protect),
            retain_on_delete=bool(request.retainOnDelete),
            ignore_changes=ignore_changes,
            hooks=_hooks(request),
            remote=bool(request.remote),
        )
        if request.type == STACK_TYPE or not request.custom:
            self.recorder.add_resource(record)
            return resource_pb2.RegisterResourceResponse(urn=urn)
        rid = request.importId or None
        fake_id, outputs = self._outputs_for(request, urn, inputs)
        rid = rid or fake_id
        outputs["id"] = rid or UNKNOWN
        record.id = rid or None
        record.outputs = outputs
        self.recorder.add_resource(record)
        self.resources[urn] = MockMonitor.ResourceRegistration(urn, rid, outputs)
        obj_proto = serialized(outputs)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=rid, object=obj_proto)

    def _stack_reference(self, request: Any, inputs: dict[str, Any]) -> dict[str, Any]:
        """A StackReference's outputs: the referenced stack's exports when its project is mapped in
        ``strongroom:stackReferences``, else unknown (with a warning naming the reference and the key)."""
        reference = str(inputs.get("name") or request.id)
        if reference in self.recorder.stack_references:
            exports = self.recorder.stack_references[reference]
            return {"name": reference, "outputs": exports, "secretOutputNames": [], "id": reference}
        self.recorder.warn(
            f"StackReference {request.name} reads stack {reference!r}, which is not mapped to a local "
            "project: its outputs are unknown offline, and what depends on them is not evaluated. Fix: map "
            f"it in the stack file, `{STACK_REFERENCES_KEY}: {{{reference}: <the project's directory>}}`."
        )
        return {"name": reference, "outputs": UNKNOWN, "secretOutputNames": UNKNOWN, "id": reference}

    def ReadResource(self, request: Any) -> Any:
        urn = self.make_urn(request.parent, request.type, request.name)
        inputs = struct_to_plain(request.properties)
        provider = None
        if request.type == STACK_REFERENCE_TYPE:
            outputs = self._stack_reference(request, inputs)
        else:
            fake_id, outputs = self._outputs_for(request, urn, inputs)
            outputs["id"] = request.id or fake_id
            provider = request.provider or None
        self.recorder.add_resource(
            PlanResource(
                urn=urn,
                type=request.type,
                name=request.name,
                parent=request.parent or None,
                custom=True,
                provider=provider,
                id=outputs["id"],
                inputs=inputs,
                outputs=outputs,
                dependencies=sorted(set(request.dependencies)),
            )
        )
        if request.type != STACK_REFERENCE_TYPE:
            self.recorder.warn(f"{request.type} {request.name} is read (Resource.get), not created")
        self.resources[urn] = MockMonitor.ResourceRegistration(urn, outputs["id"], outputs)
        return resource_pb2.ReadResourceResponse(urn=urn, properties=serialized(outputs))

    def RegisterResourceOutputs(self, request: Any) -> Any:
        self.recorder.set_outputs(request.urn, struct_to_plain(request.outputs))
        return empty_pb2.Empty()

    def Invoke(self, request: Any) -> Any:
        if request.tok == "pulumi:pulumi:getResource":
            return super().Invoke(request)
        args = struct_to_plain(request.args)
        try:
            answer = answer_invoke(
                request.tok, args, region=self.recorder.region, account=self.recorder.account
            )
        except InvokeError as exc:  # the provider's own refusal: the SDK raises it in the program
            return resource_pb2.ResourceInvokeResponse(failures=[provider_pb2.CheckFailure(reason=str(exc))])
        answered = answer.kind != "unknown"
        if not answered:
            self.recorder.warn(f"provider function {request.tok} has no offline mock; its result is unknown")
        self.recorder.add_invoke(
            PlanInvoke(
                token=request.tok,
                args=args,
                result=answer.result,
                provider=request.provider or None,
                answered=answered,
                kind=answer.kind,
            )
        )
        if answer.wholly_unknown and not called_in_plain_form(request.tok):
            return resource_pb2.ResourceInvokeResponse(unknown=True)
        ret_proto = serialized(answer.wire())
        return resource_pb2.ResourceInvokeResponse(failures=None, **{"return": ret_proto})


def install(
    *,
    project: str,
    stack: str,
    region: str | None = None,
    account: str = DEFAULT_ACCOUNT,
    default_tags: dict[str, str] | None = None,
    config: dict[str, str] | None = None,
    secret_keys: list[str] | None = None,
    stack_references: dict[str, dict[str, Any]] | None = None,
) -> Recorder:
    """Point the Pulumi runtime at a fresh recording monitor (a new root stack, the given config) and
    return its recorder. The program runs as a preview (``pulumi.runtime.is_dry_run()`` is true): an
    output no fake provides is unknown, and callbacks on unknown values are skipped, as the SDK does."""
    recorder = Recorder(
        project=project,
        stack=stack,
        region=region,
        account=account,
        default_tags=default_tags,
        stack_references=stack_references,
    )
    pulumi.runtime.set_all_config(dict(config or {}), list(secret_keys or []))
    ROOT.set(None)
    loop = _ensure_event_loop()
    before = asyncio.all_tasks(loop)
    pulumi.runtime.set_mocks(
        AwsMocks(recorder), project=project, stack=stack, preview=True, monitor=RecordingMonitor(recorder)
    )
    _INSTALLING[:] = [task for task in asyncio.all_tasks(loop) - before if not task.done()]
    return recorder


_INSTALLING: list[asyncio.Task[Any]] = []
"""What :func:`install` left running: the root stack's registration and set_mocks' registration of its
(empty) outputs. :func:`run` lets them settle before the program starts, so the program's outputs,
registered at its end, are always the last the monitor hears, however many turns of the loop each
registration takes."""


def _quiet_unretrieved(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """The event loop's exception handler: when a program fails, the SDK leaves the failed registration's
    futures unread, and asyncio logs each one with its traceback whenever the collector frees it, in the
    middle of unrelated work (the SDK chains that exception to itself, and formatting it there has been
    seen to raise SystemError in CPython 3.11's compiler). The failure itself is reported by :func:`run`."""
    if context.get("message") == "Future exception was never retrieved":
        return
    loop.default_exception_handler(context)


_SDK_CONTEXT_MODULE = "pulumi.runtime._context"
"""Where ``wrap_with_context`` lives: the SDK wraps every call it makes to the monitor with it before
handing the call to ``loop.run_in_executor``."""


@contextmanager
def monitor_calls_inline(loop: asyncio.AbstractEventLoop) -> Iterator[None]:
    """Answer the SDK's calls to the monitor on the event loop's own thread while the block runs.

    The SDK hands every monitor call (RegisterResource, Invoke, RegisterResourceOutputs, ...) to
    ``loop.run_in_executor``: built for a monitor in another process over gRPC, whose answer takes a
    network round trip. The recording monitor is in this process and answers at once, so the hop only
    costs: a switch to a pool thread and back under the GIL and a write to the loop's wake-up pipe for
    every call, about a quarter of a 50-environment program run. Inline, the call runs where it was made
    and its future is already done, so the awaiting coroutine goes on without a turn of the loop.

    Only the SDK's own calls (a callable made by ``wrap_with_context`` and the default executor) are
    answered inline; anything else a program hands to ``run_in_executor`` (a blocking read, say) still
    goes to the pool. An exception of the call is set on its future, as the pool sets it; the monitor's
    recorder takes its lock only around its own bookkeeping, so a call made while another is answered
    (a transform that waits for an output pumps the loop) cannot deadlock on it."""
    to_pool = loop.run_in_executor
    outer = vars(loop).get("run_in_executor")  # a block already running on this loop (a nested run)

    def run_in_executor(executor: Any, func: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
        if executor is not None or getattr(func, "__module__", None) != _SDK_CONTEXT_MODULE:
            return to_pool(executor, func, *args)
        future: asyncio.Future[Any] = loop.create_future()
        try:
            future.set_result(func(*args))
        except Exception as exc:  # set on the future, as the pool sets it, for the SDK to raise
            future.set_exception(exc)
        return future

    loop.run_in_executor = run_in_executor  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        if outer is None:
            del loop.run_in_executor  # type: ignore[misc]
        else:
            loop.run_in_executor = outer  # type: ignore[method-assign]


class ProgramTimeout(Exception):
    """The program's outputs did not all resolve within the deadline (see :func:`run`)."""


def run(fn: Callable[[], Any], *, timeout: float | None = None) -> None:
    """Run ``fn`` as a Pulumi program on the installed monitor and wait for every outstanding
    registration, apply and invoke; re-raises the program's exception.

    Under mocks every output resolves at once, so a program still waiting after ``timeout`` seconds waits
    for something that will never come (typically a ``pulumi.deferred_output()`` it never resolves):
    :class:`ProgramTimeout` is raised instead of hanging for ever."""
    from pulumi.runtime.settings import SETTINGS
    from pulumi.runtime.stack import Stack, massage, run_pulumi_func

    SETTINGS.rpc_manager.clear()
    SETTINGS.outputs.clear()

    async def program() -> None:
        # As the SDK's run_in_stack does for `pulumi up`/`preview`: the program, then an async program
        # given to pulumi.run, then the root stack's outputs (the exports). set_mocks registered the root
        # stack's outputs already (empty, at install), so they are registered again here, once.
        stack = pulumi.runtime.get_root_resource()
        await asyncio.gather(*installing)  # see _INSTALLING
        try:
            result = fn()
            if isinstance(result, pulumi.Output):
                await result.future()
            if isinstance(stack, Stack):
                async_program = stack._take_async_program()
                if async_program is not None:
                    stack._add_program_outputs(await async_program())
        finally:
            if isinstance(stack, Stack):
                stack.register_outputs(massage(stack.outputs, []))

    loop = _ensure_event_loop()
    loop.set_exception_handler(_quiet_unretrieved)
    installing = [task for task in _INSTALLING if task.get_loop() is loop]
    _INSTALLING.clear()
    before = asyncio.all_tasks(loop)
    try:
        with monitor_calls_inline(loop):
            _sync_await(asyncio.wait_for(run_pulumi_func(program), timeout))
    except TimeoutError:
        raise ProgramTimeout(
            f"the program's outputs did not all resolve within {timeout:g} s; under the offline engine every "
            "resource output resolves at once, so something waits for a value that is never provided "
            "(for example a pulumi.deferred_output() that is never resolved)"
        ) from None
    finally:
        _cancel_leftovers(loop, (asyncio.all_tasks(loop) - before) | set(installing))


def _cancel_leftovers(loop: asyncio.AbstractEventLoop, tasks: set[asyncio.Task[Any]]) -> None:
    """Cancel what a run left pending on the loop, and let it finish. A program that fails stops waiting
    for its registrations, and the SDK leaves those still in flight (36 tasks for a dependency cycle
    between three components) on the event loop, which the next run on this thread turns again: they
    went on registering into the next program's monitor, which then failed with the first program's
    error. Only tasks this run started are touched (a caller's own tasks on the same loop are not), and
    only when the loop is not running (a run from inside a running loop leaves them to it)."""
    pending = [task for task in tasks if not task.done()]
    if not pending or loop.is_running():
        return
    for task in pending:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
