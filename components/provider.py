"""Strongroom's components as a Pulumi component package, for programs in any language.

`components/PulumiPlugin.yaml` makes this folder a Python plugin; Pulumi runs `components/__main__.py`,
which calls :func:`main`: `pulumi.provider.experimental.component_provider_host` serves the components of
:data:`HOSTED` under the package name `strongroom` (their type tokens are `strongroom:index:<Class>`), with
a schema the SDK's analyzer infers from each component's `args` type and output annotations, docstrings
included. `pulumi package add <repo>/components@<tag>` generates a typed SDK for TypeScript, Go, C#, Java
or YAML from that schema (README, "Components for other languages").

Two components are not hosted, because the analyzer cannot express them (see :data:`NOT_HOSTED`).

Nothing here runs when the repository's own program imports the components: only the plugin's entry point
and the schema test import this module.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import inspect
import tomllib
import typing
from pathlib import Path
from typing import Any

import pulumi

from strongroom.components.alerts import SecurityAlerts
from strongroom.components.audit import AuditTrail
from strongroom.components.baseline import AccountBaseline
from strongroom.components.identity import MlRoles
from strongroom.components.keys import KeyRing
from strongroom.components.network import PrivateNetwork
from strongroom.components.storage import SecureBucket
from strongroom.components.workspace import MlWorkspace

COMPONENTS = __name__.rpartition(".")[0]
"""The Python package of the components (``strongroom.components``): the classes the schema reaches."""

PACKAGE = "strongroom"
"""The package name: the first part of every component's type token `strongroom:index:<Class>`."""

HOSTED: tuple[type[pulumi.ComponentResource], ...] = (
    PrivateNetwork,
    KeyRing,
    SecureBucket,
    AuditTrail,
    SecurityAlerts,
    AccountBaseline,
    MlRoles,
    MlWorkspace,
)
"""The components other languages can use."""

NOT_HOSTED: dict[str, str] = {
    "SecureMlEnvironment": (
        "its args hold `settings: EnvironmentSettings`, the pydantic settings model, whose fields use types "
        "the analyzer rejects (tuples, e.g. `NetworkSettings.optional_endpoints: tuple[str, ...]`; it "
        "accepts str, int, float, bool, list, dict[str, T], Optional, enums and annotated classes), and its "
        "outputs are the child components (KeyRing, PrivateNetwork, ...), which a schema can only reference "
        "as resources of a package with a `pulumi_type`; a program in another language composes the hosted "
        "components instead"
    ),
    "BackupVault": (
        "`BackupVaultArgs.sources` takes SecureBucket instances (Python objects whose replication it "
        "configures); the analyzer can only reference resources by a package's type token "
        "(`SecureBucket.pulumi_type`), which a component resource does not have"
    ),
}
"""Public components that are not in the package, and why."""


def _resolve(target: Any, seen: set[int]) -> None:
    """Replace the string annotations of `target` (PEP 563, `from __future__ import annotations`) by the
    types they name, in place, mark a dataclass field with a default `NotRequired`, and do the same for
    every class those types reach.

    The SDK's analyzer reads `inspect.get_annotations` without evaluating strings, and every Strongroom
    module postpones its annotations; evaluating them changes no behaviour (dataclasses and the components
    never read `__annotations__` after the class is built)."""
    if id(target) in seen or not hasattr(target, "__annotations__"):
        return
    seen.add(id(target))
    if inspect.isclass(target):
        for cls in reversed(target.__mro__):
            if cls is object or cls.__module__.startswith(("pulumi", "builtins", "typing")):
                continue
            own = inspect.get_annotations(cls)
            if any(isinstance(v, str) for v in own.values()):
                cls.__annotations__ = own = inspect.get_annotations(cls, eval_str=True)
            if dataclasses.is_dataclass(cls):
                # The analyzer ignores dataclass defaults: a field with one is an optional input, as in
                # Python (the component then gets the default).
                defaulted = {
                    f.name
                    for f in dataclasses.fields(cls)
                    if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
                }
                cls.__annotations__ = {
                    name: typing.NotRequired[value]
                    if name in defaulted and typing.get_origin(value) is not typing.NotRequired
                    else value
                    for name, value in own.items()
                }
            for value in inspect.get_annotations(cls).values():
                _reach(value, seen)
    elif inspect.isfunction(target):
        target.__annotations__ = inspect.get_annotations(target, eval_str=True)
        for value in target.__annotations__.values():
            _reach(value, seen)


def _reach(annotation: Any, seen: set[int]) -> None:
    for arg in typing.get_args(annotation):
        _reach(arg, seen)
    if inspect.isclass(annotation) and annotation.__module__.startswith(f"{COMPONENTS}."):
        _resolve(annotation, seen)


def analyzable(
    components: tuple[type[pulumi.ComponentResource], ...] = HOSTED,
) -> list[type[pulumi.ComponentResource]]:
    """The components, with the annotations of their constructors, args and outputs evaluated and their
    docstrings dedented."""
    seen: set[int] = set()
    for component in components:
        _resolve(component.__init__, seen)
        _resolve(component, seen)
        # The analyzer takes `__doc__.strip()`: without the source's indentation the SDKs' docs read well.
        if component.__doc__:
            component.__doc__ = inspect.cleandoc(component.__doc__)
    return list(components)


def package_version() -> str:
    """The Strongroom version (the plugin's and the generated SDK's version)."""
    try:
        return importlib.metadata.version("strongroom")
    except importlib.metadata.PackageNotFoundError:
        pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
        return str(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"])


def package_schema(version: str | None = None) -> dict[str, Any]:
    """The package schema the plugin serves, built offline with the SDK's analyzer (no CLI, no engine)."""
    from pulumi.provider.experimental.analyzer import Analyzer
    from pulumi.provider.experimental.schema import generate_schema

    result = Analyzer(PACKAGE).analyze(analyzable())
    dependencies = sorted(result["dependencies"], key=lambda d: f"{d.name}{d.version}")
    spec = generate_schema(
        PACKAGE,
        version or package_version(),
        None,
        result["component_definitions"],
        result["type_definitions"],
        dependencies,
    )
    return spec.to_json()


def main() -> None:
    """Serve the hosted components (the plugin's entry point; Pulumi passes the engine address)."""
    from pulumi.provider.experimental import component_provider_host

    component_provider_host(analyzable(), PACKAGE, version=package_version())
