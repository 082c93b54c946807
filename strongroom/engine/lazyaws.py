"""pulumi_aws's service packages (``pulumi_aws.ec2``, ``pulumi_aws.s3``, ...) loaded one name at a time.

Each generated service package's ``__init__.py`` star-imports every module of the service: ``import
pulumi_aws.ec2`` defines the classes of all 180 EC2 resources, functions and their argument types to use
the handful a program names (``aws.ec2.Vpc``). Those imports were about a third of a cold ``strongroom
check``. With :func:`install`, a service package whose ``__init__.py`` is exactly that generated shape
(comments, ``from .x import *`` lines and the generator's fixed imports, nothing else) starts empty, and a
name is imported from its module on first use (a module ``__getattr__``, PEP 562). What a name resolves
to is what the star imports would have bound: the modules are indexed by their ``__all__`` in the
``__init__``'s order, the last one naming it winning, as the star imports do. ``from pulumi_aws.ec2 import
*`` still imports everything. A package of any other shape (``pulumi_aws.config``) is imported as usual.

The finder must be on ``sys.meta_path`` before ``pulumi_aws`` itself is imported: ``pulumi_aws`` looks up
the spec of every service package then (``_utilities.lazy_import``). The engine installs it when it is
imported (importing this module installs it); it changes which modules are loaded, never what a name
means.

The same holds for two subpackages of the SDK that ``pulumi/__init__.py`` imports eagerly and a program
run never uses: ``pulumi.dynamic`` (which imports dill) and ``pulumi.automation``, about 60 ms of a cold
check. :class:`LazySdkFinder` gives them the standard library's ``importlib.util.LazyLoader``: the module
exists and is bound on ``pulumi`` as before, and its code runs on the first use of one of its attributes.
It too must be installed before ``pulumi`` is imported; a module imported before keeps its form. As with
the ``lazy_import`` that pulumi_aws uses for every service package, Python 3.11's lazy module is not
guarded against two threads using it first at the same moment; a program run is single-threaded.
"""

from __future__ import annotations

import builtins
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import re
import sys
import threading
import typing
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

PACKAGE = "pulumi_aws"

_FIXED_LINES = frozenset(
    {"import builtins as _builtins", "import typing", "from .. import _utilities", "from . import outputs"}
)
_STAR_IMPORT = re.compile(r"from \.(\w+) import \*")
_ALL = re.compile(r"^__all__\s*=\s*\[(?P<names>[^\]]*)\]", re.M)
_QUOTED = re.compile(r"['\"](\w+)['\"]")
_HEAD_BYTES = 1 << 16


def star_modules(init_text: str) -> list[str] | None:
    """The modules a generated ``__init__.py`` star-imports, in order; None for any other shape."""
    modules = []
    for raw in init_text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or line in _FIXED_LINES:
            continue
        match = _STAR_IMPORT.fullmatch(line)
        if match is None:
            return None
        modules.append(match[1])
    return modules


def declared_names(path: Path) -> list[str] | None:
    """The names in a module's literal ``__all__`` list, read from its source; None when it has none."""
    with path.open(encoding="utf-8") as source:
        text = source.read(_HEAD_BYTES)
        match = _ALL.search(text)
        if match is None or match.end() == len(text):
            text += source.read()
            match = _ALL.search(text)
    return None if match is None else _QUOTED.findall(match["names"])


class _Names:
    """One lazy package's names: which module each comes from, built on the first lookup."""

    def __init__(self, package: str, directory: Path, modules: Sequence[str]) -> None:
        self.package = package
        self.directory = directory
        self.modules = list(modules)
        self._index: dict[str, str] | None = None
        self._lock = threading.RLock()  # building may import a module, which may look a name up

    def index(self) -> dict[str, str]:
        if self._index is None:
            with self._lock:
                if self._index is None:
                    self._index = self._build()
        return self._index

    def _build(self) -> dict[str, str]:
        index: dict[str, str] = {}
        for module in self.modules:
            names = declared_names(self.directory / f"{module}.py")
            if names is None:  # no literal __all__: the star import binds the module's public names
                loaded = importlib.import_module(f"{self.package}.{module}")
                names = [n for n in vars(loaded) if not n.startswith("_")]
            for name in names:
                index[name] = module
        return index

    def is_submodule(self, name: str) -> bool:
        return (self.directory / f"{name}.py").is_file() or (self.directory / name / "__init__.py").is_file()

    def everything(self) -> list[str]:
        """What ``from package import *`` binds: every star-imported name and the package's submodules."""
        submodules = [p.stem for p in self.directory.glob("*.py") if not p.stem.startswith("_")]
        return sorted({*self.index(), *submodules, "typing"})


class _LazyPackage(ModuleType):
    """The package module. Importing a submodule binds it on the package under its own name; where a
    star import also binds that name (``get_prefix_list``, the function, from the module of that name),
    the star import comes after and wins, so here the module is not bound and the name resolves through
    ``__getattr__`` to what the star import binds."""

    _strongroom_names: _Names

    def __setattr__(self, name: str, value: Any) -> None:
        if (
            isinstance(value, ModuleType)
            and value.__name__ == f"{self.__name__}.{name}"
            and name in self._strongroom_names.index()
        ):
            return
        super().__setattr__(name, value)


def _attach(module: ModuleType, names: _Names) -> None:
    package = module.__name__

    def __getattr__(name: str) -> Any:
        if name == "__all__":
            return names.everything()
        if name.startswith("__"):
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        source = names.index().get(name)
        if source is not None:
            value = getattr(importlib.import_module(f"{package}.{source}"), name)
            setattr(module, name, value)
            return value
        if names.is_submodule(name):
            return importlib.import_module(f"{package}.{name}")
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({*vars(module), *names.everything()})

    module.__getattr__ = __getattr__  # type: ignore[method-assign]
    module.__dir__ = __dir__  # type: ignore[method-assign]
    module._strongroom_names = names  # type: ignore[attr-defined]
    module.__class__ = _LazyPackage


class _LazyPackageLoader(importlib.abc.Loader):
    """Loads a service package lazily when its ``__init__.py`` has the generated shape, else with the
    package's own loader. The shape is read when the package is first used, not when ``pulumi_aws``
    looks up all 240 packages' specs."""

    def __init__(self, original: importlib.abc.Loader, package: str, init: Path) -> None:
        self.original = original
        self.package = package
        self.init = init

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        try:
            modules = star_modules(self.init.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            modules = None
        if modules is None:
            self.original.exec_module(module)
            return
        # What the generated __init__ binds besides its star imports.
        module._builtins = builtins  # type: ignore[attr-defined]
        module.typing = typing  # type: ignore[attr-defined]
        module._utilities = importlib.import_module(f"{PACKAGE}._utilities")  # type: ignore[attr-defined]
        _attach(module, _Names(self.package, self.init.parent, modules))


class LazyServiceFinder(importlib.abc.MetaPathFinder):
    """Finds ``pulumi_aws.<service>`` packages; those of the generated shape are loaded lazily."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith(PACKAGE + ".") or fullname.count(".") != 1:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.origin is None or not spec.submodule_search_locations or spec.loader is None:
            return None
        spec.loader = _LazyPackageLoader(spec.loader, fullname, Path(spec.origin))
        return spec


#: Subpackages ``pulumi/__init__.py`` imports that the engine, the pack and a program run do not use.
LAZY_SDK_MODULES = frozenset({"pulumi.dynamic", "pulumi.automation"})


class LazySdkFinder(importlib.abc.MetaPathFinder):
    """Finds :data:`LAZY_SDK_MODULES` and defers running their code to the first attribute used."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in LAZY_SDK_MODULES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return None
        spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec


_FINDER = LazyServiceFinder()
_SDK_FINDER = LazySdkFinder()


def install() -> None:
    """Put the finders first on ``sys.meta_path`` (once). Modules imported before keep their form."""
    for finder in (_SDK_FINDER, _FINDER):
        if not any(isinstance(f, type(finder)) for f in sys.meta_path):
            sys.meta_path.insert(0, finder)


def load_all(module: ModuleType) -> None:
    """Import every name of a lazily loaded service package now (before a fork, so children share it);
    any other module is left as it is."""
    getattr(module, "_utilities", None)  # pulumi_aws defers loading its packages until an attribute is used
    if isinstance(module, _LazyPackage):
        for name in module.__all__:
            getattr(module, name, None)


def is_lazy(module: ModuleType) -> bool:
    return isinstance(module, _LazyPackage)


install()
