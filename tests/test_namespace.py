"""One import namespace: the repository's own code imports its components and its policy pack as
``strongroom.components`` and ``strongroom.policies``, never by Strongroom 0.1's top-level names (which the
wheel no longer installs, and which in a source checkout would load every module a second time, as a
different module object: two ``ConfigError`` classes, two catalogs)."""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LEGACY = ("components", "policies")


def _python_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "*.py"], cwd=REPO, capture_output=True, text=True, check=True)
    return [REPO / f for f in listed.stdout.split() if "/venv/" not in f and not (REPO / f).is_symlink()]


def _legacy_imports(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        names = []
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        found += [f"line {node.lineno}: {n}" for n in names if n.split(".")[0] in LEGACY]
    return found


def test_no_file_of_the_repository_imports_the_legacy_top_level_packages() -> None:
    files = _python_files()
    assert len(files) > 100
    offenders = {
        str(f.relative_to(REPO)): found
        for f in files
        if (found := _legacy_imports(f.read_text(encoding="utf-8")))
    }
    assert offenders == {}


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("from components.keys import KeyRing", ["line 1: components.keys"]),
        ("import policies.catalog", ["line 1: policies.catalog"]),
        ("def f():\n    from policies import pack", ["line 2: policies"]),
        ("from strongroom.components.keys import KeyRing\nfrom . import policies", []),
    ],
)
def test_the_guard_finds_every_spelling(source: str, found: list[str]) -> None:
    assert _legacy_imports(source) == found


def test_the_package_links_are_the_top_level_folders() -> None:
    for name in LEGACY:
        link = REPO / "strongroom" / name
        assert link.is_symlink() and link.resolve() == (REPO / name).resolve(), name


def test_the_legacy_finder_aliases_the_same_module_and_warns(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib
    import sys

    import strongroom.components.keys as keys
    from strongroom import legacy_imports

    finder = legacy_imports.LegacyImportFinder()
    monkeypatch.setattr(sys, "meta_path", [finder, *sys.meta_path])
    monkeypatch.setattr(legacy_imports.importlib.machinery.PathFinder, "find_spec", lambda *_: None)
    for name in ("components", "components.keys"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    deprecated = r"`import components.keys` is deprecated .* import strongroom\.components\.keys"
    with pytest.warns(DeprecationWarning, match=deprecated):
        old = importlib.import_module("components.keys")  # the legacy name, not an import statement
    assert old is keys


def test_the_legacy_finder_adds_almost_nothing_to_an_interpreter_start() -> None:
    """The wheel's ``.pth`` file installs the finder in every interpreter that starts in the environment,
    the user's own programs and tools included: it imports neither ``importlib.abc`` (which brings in
    ``importlib.resources``, ``pathlib``, ``tempfile`` and ``re``, about 20 ms) nor ``typing``."""
    import json
    import sys

    heavy = ["importlib.abc", "importlib.resources", "importlib.util", "typing", "pathlib", "tempfile", "re"]
    code = (
        "import sys\n"
        f"loaded = [m for m in {heavy!r} if m in sys.modules]\n"
        "finders = [type(f).__name__ for f in sys.meta_path]\n"
        "import json\n"
        "print(json.dumps([loaded, finders]))\n"
    )
    result = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True)
    loaded, finders = json.loads(result.stdout)
    assert "LegacyImportFinder" in finders  # the .pth ran
    assert loaded == []
