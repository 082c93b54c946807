"""Every module the installed packages import at run time comes from a declared runtime dependency.

A development-only dependency imported at run time (`junitparser` once was) works under `uv sync` and
crashes for everyone who installs the wheel. This test reads every import of the shipped packages
(`strongroom`, `policies`, `components`: statements anywhere, including inside functions, and
`importlib.import_module` / `find_spec` of a literal name), maps each third-party top-level module to the
distributions that provide it (`importlib.metadata.packages_distributions()`), and requires one of them to
be listed in pyproject.toml's `[project] dependencies`, not only in a dependency group.
"""

from __future__ import annotations

import ast
import os
import re
import sys
import tomllib
from collections.abc import Iterator, Mapping
from importlib.metadata import packages_distributions
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
RUNTIME_DEPENDENCIES: list[str] = PYPROJECT["project"]["dependencies"]
SHIPPED = tuple(PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"])


def python_files(root: Path) -> list[Path]:
    """Every ``.py`` file the wheel ships from ``root``: the links inside the package
    (``strongroom/components``, ``strongroom/policies``, to the top-level folders) followed, as the wheel
    build follows them; a virtualenv (``policies/venv`` of ``make policy-venv``, git-ignored) is not."""
    found: list[Path] = []
    for dirpath, dirnames, names in os.walk(root, followlinks=True):
        dirnames[:] = [d for d in dirnames if not (Path(dirpath) / d / "pyvenv.cfg").is_file()]
        found += [Path(dirpath) / name for name in names if name.endswith(".py")]
    return sorted(found)


_DYNAMIC_IMPORTERS = {"import_module", "find_spec", "__import__"}


def normalise(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_names(requirements: list[str]) -> set[str]:
    names = set()
    for requirement in requirements:
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
        assert match, f"unreadable requirement {requirement!r} in pyproject.toml"
        names.add(normalise(match.group(1)))
    return names


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def runtime_imports(node: ast.AST) -> Iterator[tuple[str, int]]:
    """(top-level module, line) of every absolute import that runs (``if TYPE_CHECKING:`` blocks skipped)."""
    if isinstance(node, ast.If) and _is_type_checking(node):
        for child in node.orelse:
            yield from runtime_imports(child)
        return
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name.split(".")[0], node.lineno
    elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        yield node.module.split(".")[0], node.lineno
    elif isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in _DYNAMIC_IMPORTERS and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                yield first.value.split(".")[0], node.lineno
    for child in ast.iter_child_nodes(node):
        yield from runtime_imports(child)


def guarded_lines(tree: ast.AST) -> set[int]:
    """Lines of the imports inside ``try:`` blocks that handle ImportError (an optional extra's import
    that fails with a message saying how to install it)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Try):
            continue
        caught = {getattr(h.type, "id", "") for h in node.handlers}
        if caught & {"ImportError", "ModuleNotFoundError"}:
            lines |= {
                n.lineno
                for stmt in node.body
                for n in ast.walk(stmt)
                if isinstance(n, ast.ImportFrom | ast.Import)
            }
    return lines


def undeclared_imports(
    roots: list[Path],
    declared: set[str],
    first_party: set[str],
    providers: Mapping[str, list[str]],
    optional: frozenset[str] | set[str] = frozenset(),
) -> list[str]:
    """``file:line: module`` for every third-party import that no declared dependency provides (an
    ``optional`` extra's distribution counts only for an import guarded by ``except ImportError``)."""
    problems = []
    for root in roots:
        for path in python_files(root):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            guarded = guarded_lines(tree)
            for module, line in runtime_imports(tree):
                if module in sys.stdlib_module_names or module in first_party:
                    continue
                distributions = {normalise(d) for d in providers.get(module, [])}
                if line in guarded and distributions & optional:
                    continue
                if not distributions & declared:
                    found = ", ".join(sorted(distributions)) or "no installed distribution"
                    problems.append(f"{path}:{line}: {module} (from {found})")
    return problems


def test_every_runtime_import_is_a_declared_runtime_dependency() -> None:
    declared = requirement_names(RUNTIME_DEPENDENCIES)
    extras = PYPROJECT["project"].get("optional-dependencies", {})
    optional = requirement_names([r for requirements in extras.values() for r in requirements])
    problems = undeclared_imports(
        [REPO / package for package in SHIPPED], declared, set(SHIPPED), packages_distributions(), optional
    )
    assert problems == [], "imported at run time but not a [project] dependency:\n" + "\n".join(problems)


def test_the_walk_sees_the_imports_that_matter() -> None:
    """The shipped packages' imports the walk must see: top-level, inside functions, by literal name."""
    seen = {
        module
        for package in SHIPPED
        for path in python_files(REPO / package)
        for module, _ in runtime_imports(ast.parse(path.read_text(encoding="utf-8")))
    }
    # junitparser is imported at module level of report.py, parliament only through find_spec.
    assert {"junitparser", "parliament", "pulumi_aws", "pulumi_policy", "typer", "yaml", "grpc"} <= seen


def test_a_dev_only_import_at_run_time_fails(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "import yaml\n"
        "import pkg.other\n"
        "if TYPE_CHECKING:\n"
        "    import mypy\n"
        "def render():\n"
        "    import jsonschema\n"
        "    from hypothesis import given\n"
        "    return importlib.import_module('moto')\n",
        encoding="utf-8",
    )
    providers = {
        "yaml": ["PyYAML"],
        "jsonschema": ["jsonschema"],
        "hypothesis": ["hypothesis"],
        "mypy": ["mypy"],
    }
    problems = undeclared_imports([package], {"pyyaml"}, {"pkg"}, providers)
    assert [p.split(":", 2)[1:] for p in problems] == [
        ["7", " jsonschema (from jsonschema)"],
        ["8", " hypothesis (from hypothesis)"],
        ["9", " moto (from no installed distribution)"],
    ]


def test_dev_dependencies_are_not_counted_as_runtime_ones() -> None:
    dev = requirement_names(PYPROJECT["dependency-groups"]["dev"])
    assert {"pytest", "jsonschema"} <= dev
    assert not {"pytest", "jsonschema"} & requirement_names(RUNTIME_DEPENDENCIES)


def test_an_optional_extra_counts_only_for_an_import_guarded_by_except_import_error(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text(
        "def serve():\n"
        "    try:\n"
        "        from moto.server import ThreadedMotoServer\n"
        "    except ImportError:\n"
        "        raise SystemExit(\"pip install 'pkg[sandbox]'\")\n"
        "    import moto\n",
        encoding="utf-8",
    )
    problems = undeclared_imports([package], set(), {"pkg"}, {"moto": ["moto"]}, {"moto"})
    assert [p.split(":", 2)[1:] for p in problems] == [["6", " moto (from moto)"]]
