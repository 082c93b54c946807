"""The engine's cheaper bookkeeping gives the answers of the expensive one."""

from __future__ import annotations

import os
import types
from pathlib import Path
from typing import Any

import pytest

from strongroom.engine import runner
from strongroom.engine.runner import _is_program_module, _real_path


def test_real_path_matches_realpath_through_linked_directories_and_files(tmp_path: Path) -> None:
    real = tmp_path / "real"
    (real / "pkg").mkdir(parents=True)
    (real / "pkg" / "mod.py").write_text("")
    (tmp_path / "outside.py").write_text("")
    (tmp_path / "linked").symlink_to(real, target_is_directory=True)
    (real / "pkg" / "alias.py").symlink_to(tmp_path / "outside.py")
    cache: dict[str, str] = {}
    for name in (
        real / "pkg" / "mod.py",
        tmp_path / "linked" / "pkg" / "mod.py",
        tmp_path / "linked" / "pkg" / "alias.py",
        tmp_path / "linked" / "pkg" / ".." / "pkg" / "mod.py",
        tmp_path / "missing" / "x.py",
    ):
        assert _real_path(str(name), cache) == os.path.realpath(name), name
    assert cache  # directories are remembered


def test_a_module_s_file_is_resolved_once_while_it_stays_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A library module that stays in ``sys.modules`` from run to run is resolved once; a module whose
    ``__file__`` changed is resolved again; a module that is gone leaves no entry; an entry of
    ``sys.modules`` that is no module still gets its answer."""
    program = tmp_path / "program"
    program.mkdir()
    (program / "local.py").write_text("")
    (tmp_path / "lib.py").write_text("")
    resolved: list[str] = []
    real_path = runner._real_path

    def counting(filename: str, real_dirs: dict[str, str]) -> str:
        resolved.append(filename)
        return real_path(filename, real_dirs)

    monkeypatch.setattr(runner, "_real_path", counting)
    library = types.ModuleType("lib")
    library.__file__ = str(tmp_path / "lib.py")
    real_dir = program.resolve()
    for _ in range(3):  # three runs
        assert not _is_program_module(library, real_dir, {})
    assert resolved == [library.__file__]
    library.__file__ = str(program / "local.py")
    assert _is_program_module(library, real_dir, {})
    assert resolved[-1] == library.__file__ and len(resolved) == 2

    local = types.ModuleType("local")
    local.__file__ = str(program / "local.py")
    assert _is_program_module(local, real_dir, {})
    entries = len(runner._REAL_FILES)
    del local  # a module holding no function is in no cycle: freed at once, its entry with it
    assert len(runner._REAL_FILES) == entries - 1

    class NotAModule:  # some packages put other objects in sys.modules
        __slots__ = ("__file__", "__name__")

    stand_in = NotAModule()
    stand_in.__file__, stand_in.__name__ = str(program / "local.py"), "stand_in"
    assert _is_program_module(stand_in, real_dir, {})  # type: ignore[arg-type]
    assert _is_program_module(stand_in, real_dir, {})  # type: ignore[arg-type]


def test_program_modules_are_found_through_a_linked_directory_and_not_through_a_linked_file(
    tmp_path: Path,
) -> None:
    program = tmp_path / "program"
    program.mkdir()
    (program / "local.py").write_text("")
    (tmp_path / "elsewhere.py").write_text("")
    (program / "alias.py").symlink_to(tmp_path / "elsewhere.py")
    (tmp_path / "view").symlink_to(program, target_is_directory=True)
    (program / ".venv" / "lib" / "site-packages").mkdir(parents=True)
    (program / ".venv" / "lib" / "site-packages" / "dep.py").write_text("")

    def module(path: Path, name: str = "m") -> types.ModuleType:
        m = types.ModuleType(name)
        m.__file__ = str(path)
        return m

    cache: dict[str, str] = {}
    real_dir = program.resolve()
    assert _is_program_module(module(tmp_path / "view" / "local.py"), real_dir, cache)
    assert not _is_program_module(module(program / "alias.py"), real_dir, cache)
    assert not _is_program_module(
        module(program / ".venv" / "lib" / "site-packages" / "dep.py"), real_dir, cache
    )
    assert not _is_program_module(module(program / "local.py", "strongroom.x"), real_dir, cache)
    # a sibling folder whose name starts with the program's is not inside it; the folder's own file is
    (tmp_path / "program2").mkdir()
    (tmp_path / "program2" / "local.py").write_text("")
    assert not _is_program_module(module(tmp_path / "program2" / "local.py"), real_dir, cache)
    assert _is_program_module(module(program / "sub" / ".." / "local.py"), real_dir, cache)
    assert _is_program_module(module(program), real_dir, cache)  # a namespace-like entry naming the folder


def test_the_unknowns_check_answers_as_the_sdks_and_leaves_no_cycles() -> None:
    import gc

    from pulumi.output import Unknown
    from pulumi.runtime import rpc

    from strongroom.engine.runner import contains_unknowns

    class InputType(dict):  # type: ignore[type-arg]
        """An input type with a property named like a dict method (CloudTrail's data resources)."""

        @property
        def values(self) -> list[str]:  # type: ignore[override]
            return ["arn:aws:s3"]

    sdk = rpc.contains_unknowns
    loop: list[object] = [1]
    loop.append(loop)
    values: list[object] = [
        None,
        "x",
        Unknown(),
        {"a": [1, {"b": Unknown()}]},
        {"a": [1, {"b": 2}], "c": "d"},
        [[], {}, [Unknown()]],
        loop,
        {"k": loop, "u": Unknown()},
        0,
        1.5,
        True,
        b"bytes",
        (Unknown(),),
        ["a", 1, None, 2.0, False, [Unknown()]],
        {"a": "x", "b": {"c": [None, {"d": Unknown()}]}},
        InputType(type="AWS::S3::Object"),
        [InputType(type="AWS::S3::Object", values=Unknown())],
    ]
    assert [contains_unknowns(v) for v in values] == [sdk(v) for v in values]

    # With the collector off, what the calls make stays in the youngest generation: collecting that one
    # alone finds their cycles (a full collection walks the whole worker's heap, about a second each).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        gc.collect(0)
        for _ in range(50):
            sdk({"a": [1, 2]})
        assert gc.collect(0) > 0, "the SDK's check leaves a cycle per call (what the engine works around)"
        for _ in range(50):
            contains_unknowns({"a": [1, 2]})
        assert gc.collect(0) == 0
    finally:
        if was_enabled:
            gc.enable()


def test_a_run_uses_the_acyclic_check_and_puts_the_sdks_back() -> None:
    from pulumi.runtime import rpc

    from strongroom.engine import runner

    sdk = rpc.contains_unknowns
    with runner._acyclic_unknowns_check():
        assert rpc.contains_unknowns is runner.contains_unknowns
        with runner._acyclic_unknowns_check():
            assert rpc.contains_unknowns is runner.contains_unknowns
        assert rpc.contains_unknowns is runner.contains_unknowns
    assert rpc.contains_unknowns is sdk


def test_the_analyzer_path_asks_strongroom_s_pack_once_per_distinct_resource(monkeypatch: Any) -> None:
    from strongroom.check import PolicyPackProcess, default_pack_dir
    from strongroom.engine import run_plan

    fixtures = Path(__file__).resolve().parents[1] / "fixtures"
    plan = run_plan(fixtures / "insecure_project", "ci")
    asked: list[str] = []
    original = PolicyPackProcess._stub_call

    def counting(self: PolicyPackProcess, method: str, request: Any) -> Any:
        asked.append(method)
        return original(self, method, request)

    monkeypatch.setattr(PolicyPackProcess, "_stub_call", counting)
    with PolicyPackProcess(default_pack_dir(), project=plan.project, stack=plan.stack) as pack:
        first = pack.analyze_plan(plan)
        once = len(asked)
        again = pack.analyze_plan(plan)
        assert again == first and first, "the same diagnostics, none of them asked again"
        assert len(asked) == once == len(plan.resources)
        assert pack.info is not None
        advisory = next(p for p in pack.info.policies if p.enforcement == "advisory")
        pack.configure({advisory.name: {"enforcementLevel": "disabled"}})
        pack.analyze_plan(plan)
        assert len(asked) == 2 * once, "a new policy config asks every resource again"
    other = PolicyPackProcess(fixtures / "mini_pack", project=plan.project, stack=plan.stack)
    assert other._analyzed is None  # another pack is asked every time


def test_the_monitors_answers_serialise_as_the_sdks_without_its_event_loop(monkeypatch: Any) -> None:
    import enum

    from pulumi.runtime import rpc
    from pulumi.runtime.sync_await import _sync_await

    from strongroom.engine import monitor

    class Colour(enum.StrEnum):
        RED = "red"

    plain_values: list[dict[str, Any]] = [
        {},
        {"id": "i-1", "arn": rpc.UNKNOWN, "count": 3, "ratio": 0.5, "on": True, "gone": None},
        {"tags": {"a": "b", "none": None}, "rules": [{"port": 443, "cidrs": ["10.0.0.0/8"]}, None, []]},
        {"secret": {rpc._special_sig_key: rpc._special_secret_sig, "value": "s"}},
    ]
    other_values: list[dict[str, Any]] = [{"colour": Colour.RED}, {"pair": ("a", 1)}, {"key": {1: "x"}}]
    expected = [_sync_await(rpc.serialize_properties(v, {})) for v in plain_values + other_values[:2]]
    assert [monitor.serialized(v) for v in plain_values + other_values[:2]] == expected

    def refuse(*_: object, **__: object) -> object:
        raise AssertionError("plain data is serialised without the SDK's asynchronous serializer")

    monkeypatch.setattr(rpc, "serialize_properties", refuse)
    for value in plain_values:
        monitor.serialized(value)
    for value in other_values:  # not plain: the SDK's serializer, whatever it makes of them
        with pytest.raises(AssertionError, match="without the SDK"):
            monitor.serialized(value)
