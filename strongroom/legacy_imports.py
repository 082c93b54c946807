"""The import paths of Strongroom 0.1 (``components.*``, ``policies.*``), deprecated: they still work for
one minor version, with a DeprecationWarning, then go (see CHANGELOG.md).

Strongroom 0.1's wheel installed its components and its policy pack as the top-level packages
``components`` and ``policies``, which collide with any other project's. They are now
``strongroom.components`` and ``strongroom.policies``. The wheel installs ``strongroom-legacy-imports.pth``,
which calls :func:`install`: a finder that answers an import of ``components`` or ``policies`` with the
``strongroom.`` module itself (the same module object, so classes and isinstance keep working), and only
when no other installed distribution provides a top-level package of that name: another project's
``components`` always wins, nothing is shadowed.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys

TYPE_CHECKING = False  # typing's own costs 7 ms at start-up; mypy reads this name as typing's
if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import ModuleType

LEGACY: dict[str, str] = {"components": "strongroom.components", "policies": "strongroom.policies"}
REMOVED_IN = "0.3.0"


class LegacyImportFinder:
    """``components[.x]`` -> ``strongroom.components[.x]`` (and ``policies``), with a DeprecationWarning.

    A meta path finder and loader by protocol (``find_spec``, ``create_module``, ``exec_module``), not a
    subclass of ``importlib.abc``'s: the ``.pth`` file installs it in every interpreter that starts in the
    environment, and ``importlib.abc`` imports ``importlib.resources`` and with it ``pathlib``,
    ``tempfile`` and ``re``, about 20 ms at every start of any Python program there. Only what the finder
    needs at start-up is imported at start-up (``importlib.machinery`` is part of the import system)."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        head, _, _ = fullname.partition(".")
        if head not in LEGACY:
            return None
        if head == fullname:
            if importlib.machinery.PathFinder.find_spec(fullname) is not None:
                return None  # a real top-level package of that name (another project's): not ours to alias
        elif sys.modules.get(head) is not sys.modules.get(LEGACY[head]):
            return None  # the parent is that other project's package
        # what importlib.util.spec_from_loader answers for a loader without is_package or a file
        # (typeshed wants an importlib.abc.Loader; the import system asks only for the two methods below)
        return importlib.machinery.ModuleSpec(fullname, self, is_package=False)  # type: ignore[arg-type]

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        import warnings

        head, _, rest = spec.name.partition(".")
        new = LEGACY[head] + (f".{rest}" if rest else "")
        warnings.warn(
            f"`import {spec.name}` is deprecated since Strongroom 0.2 and stops working in {REMOVED_IN}: "
            f"import {new}",
            DeprecationWarning,
            stacklevel=2,
        )
        return importlib.import_module(new)

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the module is the ``strongroom.`` one, already executed."""


def install() -> None:
    """Put the finder first on ``sys.meta_path`` once (it defers to any real package of the same name)."""
    if not any(isinstance(f, LegacyImportFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, LegacyImportFinder())
