"""The engine's stand-ins for the SDK's per-output bookkeeping (``strongroom.engine.outputs``) give the
program the same outputs as the SDK's: same plans, same failures, same answers, and the SDK's own
functions back after each run. Their speed and memory are measured by bench/bench_check.py."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import itertools
import logging
import random
import re
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Optional

import pulumi
import pulumi._types as sdk_types
import pulumi.output as sdk_output
import pulumi.runtime.resource as sdk_resource
import pulumi.runtime.resource_cycle_breaker as cycle_breaker
import pytest
from pulumi.runtime import rpc, settings
from pulumi.runtime.mocks import MockEngine
from pulumi.runtime.settings import SETTINGS
from test_engine import write_project  # a project of one program (tests/strongroom is on sys.path)

from strongroom.engine import outputs as lean
from strongroom.engine import run_plan
from strongroom.engine import runner as engine_runner
from strongroom.errors import ProgramFailed

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"

# A program that uses what the stand-ins touch: outputs of every resource fed to others (dependencies,
# property dependencies), apply/all/concat/secret, depends_on a component (the cycle check), a child of
# a component (a URN from a parent), an alias, a lookup, and exported outputs.
EXERCISE = """
    import json

    import pulumi
    import pulumi_aws as aws


    class Box(pulumi.ComponentResource):
        def __init__(self, name, opts=None):
            super().__init__("scratch:index:Box", name, None, opts)
            child = pulumi.ResourceOptions(parent=self)
            self.key = aws.kms.Key(f"{name}-key", enable_key_rotation=True, opts=child)
            self.bucket = aws.s3.Bucket(f"{name}-bucket", opts=child)
            self.register_outputs({"bucket": self.bucket.id})


    boxes = [Box(f"box{i}") for i in range(3)]
    caller = aws.get_caller_identity_output()
    for i, box in enumerate(boxes):
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"sse{i}",
            bucket=box.bucket.id,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms",
                                                                  "kms_master_key_id": box.key.arn}}],
            opts=pulumi.ResourceOptions(depends_on=boxes[:i], parent=box),
        )
        aws.s3.BucketPolicy(
            f"policy{i}",
            bucket=box.bucket.id,
            policy=pulumi.Output.all(box.bucket.arn, caller.account_id).apply(
                lambda args: json.dumps({"Version": "2012-10-17", "Statement": [{
                    "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                    "Resource": [args[0], args[0] + "/*"],
                    "Condition": {"StringNotEquals": {"aws:PrincipalAccount": args[1]}}}]})
            ),
            opts=pulumi.ResourceOptions(aliases=[pulumi.Alias(name=f"old-policy{i}")]),
        )
    secret = pulumi.Output.secret("s3cr3t")
    aws.ssm.Parameter("param", type="SecureString", value=secret, key_id=boxes[0].key.arn)
    pulumi.export("arns", [b.bucket.arn for b in boxes])
    pulumi.export("name", pulumi.Output.concat("x-", boxes[0].bucket.bucket, "-", caller.account_id))
"""


@pytest.fixture
def without_stand_ins(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    def turn_off() -> None:
        monkeypatch.setattr(engine_runner, "lean_outputs", contextlib.nullcontext)

    return turn_off


@pytest.mark.parametrize(
    "project, stack",
    [
        (REPO, "prod"),
        (FIXTURES / "insecure_project", "ci"),
        (FIXTURES / "invokes_project", "dev"),
        (None, "dev"),
    ],
    ids=["repo:prod", "insecure", "invokes", "exercise"],
)
def test_the_plan_is_identical_with_and_without_the_stand_ins(
    project: Path | None, stack: str, tmp_path: Path, without_stand_ins: Callable[[], None]
) -> None:
    project = project or write_project(tmp_path / "exercise", EXERCISE)
    lean_plan = run_plan(project, stack).to_dict()
    without_stand_ins()
    sdk_plan = run_plan(project, stack).to_dict()
    assert len(lean_plan["resources"]) > 2
    assert lean_plan == sdk_plan
    if project.name == "exercise":  # the exports are the program's, not set_mocks' empty ones
        stack = next(r for r in lean_plan["resources"] if r["type"] == "pulumi:pulumi:Stack")
        assert set(stack["outputs"]) == {"arns", "name"}


FAILING = {
    "dependency cycle through components": """
        import pulumi
        import pulumi_aws as aws


        class Box(pulumi.ComponentResource):
            def __init__(self, name, opts=None):
                super().__init__("scratch:index:Box", name, None, opts)
                self.bucket = aws.s3.Bucket(f"{name}-bucket", opts=pulumi.ResourceOptions(parent=self))


        boxes = [Box(f"box{i}") for i in range(3)]
        for i, box in enumerate(boxes):
            aws.s3.BucketVersioning(
                f"v{i}",
                bucket=box.bucket.id,
                versioning_configuration={"status": "Enabled"},
                opts=pulumi.ResourceOptions(depends_on=[boxes[i - 1]], parent=box),
            )
    """,
    "apply raises": """
        import pulumi
        import pulumi_aws as aws

        bucket = aws.s3.Bucket("data")
        aws.s3.BucketPolicy("policy", bucket=bucket.id, policy=bucket.arn.apply(lambda arn: 1 / 0))
    """,
    "output of a failed resource used later": """
        import pulumi
        import pulumi_aws as aws

        bad = aws.s3.Bucket("bad", bucket=pulumi.Output.from_input("x").apply(lambda _: {}["missing"]))
        aws.s3.BucketVersioning("v", bucket=bad.id, versioning_configuration={"status": "Enabled"})
        pulumi.export("arn", bad.arn)
    """,
}


@pytest.mark.parametrize("program", list(FAILING.values()), ids=list(FAILING))
def test_a_failing_program_fails_the_same_with_and_without_the_stand_ins(
    program: str, tmp_path: Path, without_stand_ins: Callable[[], None]
) -> None:
    project = write_project(tmp_path / "failing", program)
    with pytest.raises(ProgramFailed) as lean_failure:
        run_plan(project, "dev", timeout=60)
    without_stand_ins()
    with pytest.raises(ProgramFailed) as sdk_failure:
        run_plan(project, "dev", timeout=60)
    # the last resource the monitor saw is a matter of timing: the stand-ins reach the monitor sooner
    assert _without_last(lean_failure.value) == _without_last(sdk_failure.value)
    assert (
        "circular dependency" in str(lean_failure.value)
        or "ZeroDivisionError" in str(lean_failure.value)
        or "KeyError" in str(lean_failure.value)
    )


@pytest.mark.parametrize("stand_ins", [True, False], ids=["lean", "sdk"])
def test_a_failed_program_leaves_nothing_running_into_the_next_one(
    stand_ins: bool, tmp_path: Path, without_stand_ins: Callable[[], None], caplog: pytest.LogCaptureFixture
) -> None:
    """A dependency cycle stops the program while dozens of its registrations are still in flight; they
    must not run on when the next program runs on this thread's loop (they used to register into its
    monitor and fail it with the first program's error)."""
    if not stand_ins:
        without_stand_ins()
    failing = write_project(tmp_path / "failing", FAILING["dependency cycle through components"])
    healthy = write_project(tmp_path / "healthy", EXERCISE)
    for _ in range(2):
        with pytest.raises(ProgramFailed, match="circular dependency"):
            run_plan(failing, "dev", timeout=60)
        loop = asyncio.get_event_loop()
        assert [task for task in asyncio.all_tasks(loop) if not task.done()] == []
        caplog.clear()
        with caplog.at_level(logging.DEBUG):
            plan = run_plan(healthy, "dev")
        assert not any("BucketVersioning" in r.getMessage() for r in caplog.records), "the failed run went on"
        assert all("::v" not in r.urn for r in plan.resources)


def test_a_callers_own_task_on_the_loop_is_left_alone(tmp_path: Path) -> None:
    loop = asyncio.get_event_loop()
    own = loop.create_task(asyncio.sleep(3600))
    try:
        failing = write_project(tmp_path / "failing", FAILING["dependency cycle through components"])
        with pytest.raises(ProgramFailed):
            run_plan(failing, "dev")
        assert not own.done()
    finally:
        own.cancel()
        loop.run_until_complete(asyncio.gather(own, return_exceptions=True))


def test_a_logger_enabled_for_debug_gets_the_same_messages_with_and_without_the_stand_ins(
    tmp_path: Path, without_stand_ins: Callable[[], None], caplog: pytest.LogCaptureFixture
) -> None:
    project = write_project(tmp_path / "exercise", EXERCISE)

    def messages() -> set[str]:
        # distinct messages: how many times the SDK repeats one (the stack's "registration successful")
        # depends on the order its registrations complete in, which varies from run to run either way
        caplog.clear()
        with caplog.at_level(logging.DEBUG):
            run_plan(project, "dev")
        return {r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG and r.name != "asyncio"}

    lean_messages = messages()
    without_stand_ins()
    assert lean_messages == messages()
    assert any(m.startswith("registering resource: ty=aws:s3/bucket:Bucket") for m in lean_messages)


def test_debug_messages_are_dropped_only_where_the_logger_would_drop_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[str] = []
    engine = MockEngine(logging.getLogger("strongroom-test-debug"))
    monkeypatch.setattr(engine, "Log", lambda request: sent.append(request.message))
    monkeypatch.setattr(settings, "get_engine", lambda: engine)
    engine.logger.setLevel(logging.INFO)
    lean.debug("dropped")
    engine.logger.setLevel(logging.DEBUG)
    lean.debug("sent")
    assert sent == ["sent"]


def _without_last(failure: Exception) -> str:
    return re.sub(r" Last resource registered: [^']*'[^']*'\.", "", str(failure))


def sdk_functions() -> tuple[object, ...]:
    return (
        rpc.transfer_properties,
        rpc.serialize_property,
        sdk_resource.create_urn,
        cycle_breaker._reachable,
        cycle_breaker._add_dep,
        sdk_output.Output._track,
        pulumi.log.debug,
        sdk_output.Output.__dict__["from_input"],
        sdk_types.resource_types,
        sdk_types.resource_pulumi_to_py_names,
        sdk_types.resource_py_to_pulumi_names,
    )


def _backup_vault_program() -> None:
    import pulumi_aws as aws

    from strongroom.components.backup import BackupVault, BackupVaultArgs

    provider = aws.Provider("replica", region="eu-west-1")
    BackupVault(
        "backup",
        BackupVaultArgs(
            environment="prod",
            kms_key_arn="arn:aws:kms:eu-west-2:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
            log_bucket_name="strongroom-prod-logs",
            vpc_endpoint_ids=["vpce-0123456789abcdef0"],
            admin_principal_arns=["arn:aws:iam::123456789012:role/deployer"],
            object_lock_mode="COMPLIANCE",
            object_lock_days=30,
            iam_path="/strongroom/prod/",
            replica_provider=provider,
            replica_region="eu-west-1",
        ),
    )


def test_a_recorders_run_has_the_stand_ins_records_the_same_and_puts_the_sdks_back(
    make_pulumi_mocks: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    originals = (sdk_functions(), sdk_resource._get_stack_trace, rpc.contains_unknowns)
    seen: list[Any] = []

    def program() -> None:
        seen.append((sdk_functions(), sdk_resource._get_stack_trace, rpc.contains_unknowns))
        _backup_vault_program()

    lean_recorder = make_pulumi_mocks()
    lean_recorder.run(program)
    assert (sdk_functions(), sdk_resource._get_stack_trace, rpc.contains_unknowns) == originals
    inside, trace, unknowns = seen[0]
    assert inside[:3] == (lean.transfer_properties, lean.serialize_property, lean.create_urn)
    assert trace is engine_runner._empty_stack_trace
    assert unknowns is engine_runner.contains_unknowns

    monkeypatch.setattr(engine_runner, "sdk_stand_ins", contextlib.nullcontext)
    sdk_recorder = make_pulumi_mocks()
    sdk_recorder.run(program)
    assert seen[1] == originals
    lean_plan, sdk_plan = lean_recorder.plan().to_dict(), sdk_recorder.plan().to_dict()
    assert len(lean_plan["resources"]) > 20
    assert lean_plan == sdk_plan


def test_the_sdk_functions_are_back_after_a_run_and_nested_runs_leave_them_to_the_outer(
    tmp_path: Path,
) -> None:
    originals = sdk_functions()
    with lean.lean_outputs():
        inside = sdk_functions()
        assert inside == (
            lean.transfer_properties,
            lean.serialize_property,
            lean.create_urn,
            lean.reachable,
            lean.add_dep,
            lean._track,
            lean.debug,
            lean._FROM_INPUT,
            *(getattr(sdk_types, name) for name in lean._TYPE_METADATA),
        )
        assert all(isinstance(memo, lean._ClassMemo) for memo in inside[-3:])
        with lean.lean_outputs():
            pass
        assert sdk_functions() == inside, "the inner run restored the SDK's too early"
    assert sdk_functions() == originals
    run_plan(write_project(tmp_path / "p", EXERCISE), "dev")
    assert sdk_functions() == originals


# --- each stand-in against the SDK's function ----------------------------------------------------------


class Res:
    """Stands for a resource: the stand-ins only set attributes on it and put it in sets."""


async def _data(output: pulumi.Output[Any]) -> tuple[str, Any]:
    try:
        data = await output._data
    except Exception as exc:
        return ("failed", repr(exc))
    return ("ok", (data.value, data.is_known, data.is_secret, sorted(id(r) for r in data.resources)))


RESOLUTIONS: list[tuple[Any, bool, bool, Any, Exception | None]] = [
    ("v", True, False, None, None),
    (None, False, False, None, None),
    ({"a": [1, pulumi.UNKNOWN]}, True, False, None, None),  # unknown inside: not known
    (["x"], True, True, "deps", None),
    (None, False, False, None, ValueError("boom")),
]


def test_transfer_properties_gives_the_sdks_outputs_and_leaves_only_failed_ones_tracked() -> None:
    dependency = Res()

    async def outcomes(transfer: Callable[..., dict[str, Any]]) -> tuple[list[Any], int]:
        res = Res()
        SETTINGS.outputs.clear()
        resolvers = transfer(
            res, {f"p{i}": None for i in range(len(RESOLUTIONS))} | {"urn": None, "id": None}, True
        )
        assert set(resolvers) == {f"p{i}" for i in range(len(RESOLUTIONS))}
        for (value, known, secret, deps, failed), resolve in zip(
            RESOLUTIONS, resolvers.values(), strict=True
        ):
            resolve(value, known, secret, {dependency} if deps else None, failed)
        results = [await _data(getattr(res, f"p{i}")) for i in range(len(RESOLUTIONS))]
        await asyncio.sleep(0)  # the SDK untracks resolved outputs on the loop's next turn
        await asyncio.sleep(0)
        left = {f for f in SETTINGS.outputs if f.done()}
        failed_left = sum(1 for f in left if f.exception() is not None)
        SETTINGS.outputs.clear()
        # the resource itself is in every output's resources, as the SDK adds it
        return [r if r[0] == "failed" else (r[0], r[1][:3], len(r[1][3])) for r in results], failed_left

    loop = asyncio.new_event_loop()
    try:
        with lean.lean_outputs():
            ours = loop.run_until_complete(outcomes(lean.transfer_properties))
        sdks = loop.run_until_complete(outcomes(rpc.transfer_properties))
    finally:
        loop.close()
    assert ours == sdks
    assert ours[1] == 1, "the failed output stays tracked for the program's end to re-raise"


def test_tracking_keeps_a_failed_output_and_drops_a_resolved_one() -> None:
    async def scenario() -> tuple[int, int, int]:
        SETTINGS.outputs.clear()
        done = pulumi.Output.from_input("known")  # resolved when made: never tracked
        after_done = len(SETTINGS.outputs)
        pending_ok, resolve_ok = pulumi.deferred_output()
        pending_bad, resolve_bad = pulumi.deferred_output()
        during = len(SETTINGS.outputs)
        resolve_ok(pulumi.Output.from_input(1))
        resolve_bad(pulumi.Output.from_input(None).apply(lambda _: 1 / 0))
        with contextlib.suppress(ZeroDivisionError):
            await pending_bad.future()
        await pending_ok.future()
        for _ in range(5):
            await asyncio.sleep(0)
        left = [f for f in SETTINGS.outputs if f.done() and f.exception() is not None]
        SETTINGS.outputs.clear()
        assert await done.future() == "known"
        return after_done, during, len(left)

    loop = asyncio.new_event_loop()
    try:
        with lean.lean_outputs():
            after_done, during, failed_left = loop.run_until_complete(scenario())
    finally:
        loop.close()
    assert after_done == 0
    assert during == 2
    assert failed_left >= 1


@pytest.mark.parametrize(
    "name, type_, parent, project, stack",
    [
        ("b", "aws:s3/bucket:Bucket", None, None, None),
        ("b", "aws:s3/bucket:Bucket", None, "proj", "stk"),
        ("k", "aws:kms/key:Key", "urn:pulumi:dev::scratch::scratch:index:Box::box0", None, None),
        (
            "k",
            "aws:kms/key:Key",
            "urn:pulumi:dev::scratch::pulumi:pulumi:Stack$scratch:index:Box::box0",
            None,
            None,
        ),
        ("k", "t", "", None, None),
        ("k", "t", "no-separator", None, None),
    ],
)
def test_create_urn_from_plain_strings_is_the_sdks(
    name: str, type_: str, parent: str | None, project: str | None, stack: str | None
) -> None:
    pulumi.runtime.set_mocks(_NoMocks(), project="scratch", stack="dev", preview=True)

    async def both() -> tuple[Any, Any]:
        ours = await _data(lean.create_urn(name, type_, parent, project, stack))
        sdks = await _data(lean._sdk_create_urn(name, type_, parent, project, stack))
        return ours, sdks

    ours, sdks = asyncio.new_event_loop().run_until_complete(both())
    assert ours == sdks


class Colour(str, enum.Enum):  # noqa: UP042 (as pulumi_aws declares its enums)
    RED = "red"


class Size(enum.IntEnum):
    BIG = 2


def serialized_cases() -> list[tuple[Any, Any]]:
    """Values and type annotations to serialise (made inside the running loop: outputs hold tasks). The
    annotations are spelled as pulumi_aws spells them (``Optional``), which is what the SDK unwraps."""
    return [
        ("text", Optional[pulumi.Input[str]]),  # noqa: UP045
        ("", None),
        (0, pulumi.Input[int]),
        (-3, None),
        (2.5, Optional[pulumi.Input[float]]),  # noqa: UP045
        (float("inf"), None),
        (True, pulumi.Input[bool]),
        (False, None),
        (None, Optional[pulumi.Input[str]]),  # noqa: UP045
        (Colour.RED, pulumi.Input[Colour]),  # subclasses of str and int: left to the SDK
        (Size.BIG, None),
        (["a", 1, None, Colour.RED], Optional[Sequence[pulumi.Input[str]]]),  # noqa: UP045
        ({"k": "v", "n": [1, 2.0], "e": Size.BIG}, Optional[pulumi.Input[Mapping[str, Any]]]),  # noqa: UP045
        (pulumi.Output.from_input("out"), pulumi.Input[str]),
        (pulumi.Output.secret(3), None),
        (pulumi.Output.from_input({"nested": ["x", True]}), None),
        (pulumi.UNKNOWN, None),
        (object(), None),  # not a legal value: the same error
    ]


def _same_answers(
    answer: Callable[[Callable[..., Any], Any, Any], Awaitable[Any]],
    ours: Callable[..., Any],
    sdks: Callable[..., Any],
    cases: Callable[[], list[tuple[Any, Any]]],
) -> list[tuple[Any, Any, Any]]:
    """``answer(function, value, type)`` of the stand-in and of the SDK's function for every case (made
    inside the running loop: outputs hold tasks); each pair must be the same. Returns (value, ours, sdks)."""

    async def both() -> list[tuple[Any, Any, Any]]:
        return [(v, await answer(ours, v, typ), await answer(sdks, v, typ)) for v, typ in cases()]

    answers = asyncio.new_event_loop().run_until_complete(both())
    for value, mine, theirs in answers:
        assert mine == theirs, value
    return answers


@pytest.mark.parametrize("return_protobuf_value", [False, True])
def test_serialize_property_answers_as_the_sdks(return_protobuf_value: bool) -> None:
    pulumi.runtime.set_mocks(_NoMocks(), project="scratch", stack="dev", preview=True)

    async def serialize(function: Callable[..., Any], value: Any, typ: Any) -> tuple[str, Any, list[int]]:
        deps: list[Any] = []
        try:
            result = await function(value, deps, "prop", None, None, typ, False, False, return_protobuf_value)
        except Exception as exc:
            return ("failed", f"{type(exc).__name__}: {exc}", [])
        return ("ok", (type(result), result), sorted(id(d) for d in deps))

    ours, sdks = lean.serialize_property, lean._SDK_SERIALIZE_PROPERTY
    answers = _same_answers(serialize, ours, sdks, serialized_cases)
    assert len(answers) == 18
    assert [ours[0] for _, ours, _ in answers].count("failed") == 1  # only the illegal value


def test_from_input_answers_as_the_sdks() -> None:
    pulumi.runtime.set_mocks(_NoMocks(), project="scratch", stack="dev", preview=True)
    assert isinstance(sdk_output.Output.__dict__["from_input"], staticmethod)

    async def lifted(function: Callable[[Any], pulumi.Output[Any]], value: Any) -> tuple[str, Any]:
        try:
            data = await function(value)._data
        except Exception as exc:
            return ("failed", f"{type(exc).__name__}: {exc}")
        value = data.value
        return ("ok", (type(value), value, data.is_known, data.is_secret, len(data.resources)))

    def cases() -> list[tuple[Any, Any]]:
        # an output is the SDK's either way; an object is a plain value to both
        plain = [(v, t) for v, t in serialized_cases() if not isinstance(v, pulumi.Output)]
        return [(v, t) for v, t in plain if type(v) is not object]

    answers = _same_answers(lambda fn, v, _: lifted(fn, v), lean.from_input, lean._SDK_FROM_INPUT, cases)
    assert len(answers) == 14
    with lean.lean_outputs():
        assert sdk_output.Output.from_input is lean.from_input
        assert isinstance(sdk_output.Output.__dict__["from_input"], staticmethod)
    assert sdk_output.Output.from_input is lean._SDK_FROM_INPUT
    assert isinstance(sdk_output.Output.__dict__["from_input"], staticmethod), "put back as it was"


def test_create_urn_leaves_outputs_to_the_sdk() -> None:
    pulumi.runtime.set_mocks(_NoMocks(), project="scratch", stack="dev", preview=True)

    async def answer() -> str | None:
        return await lean.create_urn(pulumi.Output.from_input("n"), "t", None).future()

    assert asyncio.new_event_loop().run_until_complete(answer()) == "urn:pulumi:dev::scratch::t::n"


def test_type_metadata_is_the_sdks_for_every_resource_class_and_read_once_per_class() -> None:
    import pulumi_aws as aws

    from strongroom.components.environment import SecureMlEnvironment
    from strongroom.components.storage import SecureBucket

    # pulumi_aws classes (properties only), Strongroom's components (annotated: the SDK resolves their
    # hints), and the SDK's own bases
    classes = [aws.s3.Bucket, aws.kms.Key, aws.iam.Role, SecureBucket, SecureMlEnvironment]
    classes += [pulumi.CustomResource, pulumi.ComponentResource, pulumi.ProviderResource]
    originals = {name: getattr(sdk_types, name) for name in lean._TYPE_METADATA}
    calls: list[type] = []
    with lean.lean_outputs():
        for name, original in originals.items():
            memo = getattr(sdk_types, name)
            assert memo.function is original
            memo.function = lambda cls, original=original: calls.append(cls) or original(cls)
            for cls in classes * 2:
                assert memo(cls) == original(cls), (name, cls)
    assert sorted(map(id, calls)) == sorted(map(id, classes * 3))  # each class once per function
    assert {name: getattr(sdk_types, name) for name in lean._TYPE_METADATA} == originals
    assert sdk_types.resource_types(SecureBucket)["bucket"] is aws.s3.Bucket  # hints were resolved


class _NoMocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        return args.name + "-id", args.inputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


def test_reachable_answers_as_the_sdks_on_random_graphs_with_cycles() -> None:
    rng = random.Random(11)
    for size, trial in itertools.product((1, 5, 30), range(20)):
        nodes = [Res() for _ in range(size)]
        for node in nodes:
            deps = {rng.choice(nodes) for _ in range(rng.randint(0, 3))}
            setattr(node, cycle_breaker._DEPENDENCIES_PROPERTY, deps)
        for a, b in itertools.product(nodes[:6], nodes[:6]):
            assert lean.reachable(a, b) == cycle_breaker._reachable(a, b), (size, trial)


def test_reachable_answers_as_the_sdks_on_graphs_declared_during_a_run() -> None:
    """Within a run, dependencies are declared through ``_add_dep``, which notes what is depended on: a
    resource nothing depends on is answered without a walk, and the answers stay the SDK's."""
    rng = random.Random(7)
    sdk_reachable = cycle_breaker._reachable
    with lean.lean_outputs():
        for size, trial in itertools.product((1, 5, 30), range(20)):
            nodes = [Res() for _ in range(size)]
            for node in nodes:
                for _ in range(rng.randint(0, 3)):
                    cycle_breaker._add_dep(node, rng.choice(nodes))
            for a, b in itertools.product(nodes[:8], nodes[:8]):
                assert lean.reachable(a, b) == sdk_reachable(a, b), (size, trial)
            isolated = Res()
            assert not lean.reachable(nodes[0], isolated) and lean.reachable(isolated, isolated)


@pytest.fixture(autouse=True)
def _sdk_settings_restored() -> Iterator[None]:
    yield
    SETTINGS.outputs.clear()
