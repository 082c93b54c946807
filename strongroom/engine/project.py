"""Reading a Pulumi project the way the Pulumi CLI does: ``Pulumi.yaml`` and the stack's config file."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from strongroom.errors import UsageError

STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
SECRET_PLACEHOLDER = "offline-secret-placeholder"


@dataclass
class Project:
    """The parts of ``Pulumi.yaml`` the offline engine needs."""

    directory: Path
    name: str
    runtime: str
    main: Path
    stack_config_dir: Path
    config_defaults: dict[str, Any] = field(default_factory=dict)

    @property
    def program_dir(self) -> Path:
        """The directory the program runs in (``main`` if it is a directory, else its parent)."""
        return self.main if self.main.is_dir() else self.main.parent

    @property
    def entry(self) -> Path:
        """The file run as ``__main__``."""
        return self.main / "__main__.py" if self.main.is_dir() else self.main

    def stack_file(self, stack: str) -> Path:
        return self.stack_config_dir / f"Pulumi.{stack}.yaml"

    def stacks(self) -> list[str]:
        """The stacks that have a config file, sorted."""
        if not self.stack_config_dir.is_dir():
            return []
        return sorted(
            p.name[len("Pulumi.") : -len(".yaml")]
            for p in self.stack_config_dir.glob("Pulumi.*.yaml")
            if p.is_file()
        )

    def display(self, path: Path) -> str:
        """``path`` relative to the project directory when it is inside it (for messages)."""
        try:
            return str(path.relative_to(self.directory))
        except ValueError:
            return str(path)


@dataclass
class StackConfig:
    """A stack's config as the Pulumi CLI hands it to a program (``PULUMI_CONFIG``)."""

    values: dict[str, str]
    secret_keys: list[str]
    warnings: list[str]

    def get_json(self, key: str) -> Any:
        raw = self.values.get(key)
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw


def _load_yaml(path: Path, what: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"Cannot read {what} {path}: {exc.strerror}.") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}, line {mark.line + 1}, column {mark.column + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise UsageError(f"{where}: invalid YAML in {what}: {problem}.") from exc


def load_project(project_dir: Path) -> Project:
    """Read ``<project_dir>/Pulumi.yaml``; UsageError for anything the offline engine cannot run."""
    directory = Path(project_dir).expanduser()
    if not directory.exists():
        raise UsageError(f"Project directory {directory} does not exist. Pass --project-dir DIR.")
    if not directory.is_dir():
        raise UsageError(f"Project directory {directory} is not a directory. Pass --project-dir DIR.")
    directory = directory.resolve()
    manifest = directory / "Pulumi.yaml"
    if not manifest.is_file():
        alternative = directory / "Pulumi.yml"
        hint = " (found Pulumi.yml: Pulumi reads Pulumi.yaml)" if alternative.is_file() else ""
        raise UsageError(
            f"No Pulumi.yaml in {directory}{hint}: this is not a Pulumi project directory. "
            "Pass --project-dir DIR pointing at the directory that holds Pulumi.yaml."
        )
    data = _load_yaml(manifest, "the project file")
    if not isinstance(data, dict):
        raise UsageError(
            f"{manifest}: expected a mapping with keys name and runtime, found {type(data).__name__}."
        )
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise UsageError(f"{manifest}: key 'name' is missing or empty; Pulumi needs a project name.")
    runtime_value = data.get("runtime")
    runtime = runtime_value.get("name") if isinstance(runtime_value, dict) else runtime_value
    if runtime != "python":
        raise UsageError(
            f"{manifest}: runtime is {runtime!r}; strongroom runs Pulumi programs with runtime 'python' only."
        )
    main_value = data.get("main")
    main = (directory / str(main_value)).resolve() if main_value else directory
    config_dir_value = data.get("stackConfigDir")
    stack_config_dir = (directory / str(config_dir_value)).resolve() if config_dir_value else directory
    project = Project(
        directory=directory,
        name=name,
        runtime=runtime,
        main=main,
        stack_config_dir=stack_config_dir,
        config_defaults=_project_config_defaults(data.get("config"), name, manifest),
    )
    if not project.entry.is_file():
        raise UsageError(
            f"{manifest}: the program entry point {project.display(project.entry)} does not exist "
            f"(main: {main_value or '.'}); a Python program needs a __main__.py there."
        )
    return project


def _namespaced(key: str, project_name: str) -> str:
    return key if ":" in key else f"{project_name}:{key}"


def _project_config_defaults(config: Any, project_name: str, manifest: Path) -> dict[str, Any]:
    """Defaults from the project file's ``config:`` block (``key: value`` or ``key: {default: v}``)."""
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise UsageError(f"{manifest}: key 'config' must be a mapping of config keys.")
    defaults: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, dict) and ("type" in value or "default" in value or "value" in value):
            if "value" in value:
                defaults[_namespaced(str(key), project_name)] = value["value"]
            elif "default" in value:
                defaults[_namespaced(str(key), project_name)] = value["default"]
        else:
            defaults[_namespaced(str(key), project_name)] = value
    return defaults


def _encode(value: Any) -> str:
    """A config value as the Pulumi CLI passes it to a program: strings as they are, everything else
    JSON (objects and lists are structured config; ``true``, ``3``)."""
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _replace_secrets(value: Any) -> tuple[Any, bool]:
    """Replace every ``{secure: ...}`` in a value by the placeholder; True if any was found."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return SECRET_PLACEHOLDER, True
        found = False
        out = {}
        for k, v in value.items():
            out[k], inner = _replace_secrets(v)
            found = found or inner
        return out, found
    if isinstance(value, list):
        items = [_replace_secrets(v) for v in value]
        return [v for v, _ in items], any(s for _, s in items)
    return value, False


def validate_stack_name(stack: str) -> str:
    if not STACK_NAME.match(stack or ""):
        raise UsageError(
            f"Stack name {stack!r} is not valid: use 1 to 100 letters, digits, '-', '_' or '.', "
            "for example --stack dev."
        )
    return stack


def load_stack_config(project: Project, stack: str) -> StackConfig:
    """The stack's config, namespaced (``ns:key``) and encoded as the Pulumi CLI does."""
    validate_stack_name(stack)
    path = project.stack_file(stack)
    if not path.is_file():
        existing = project.stacks()
        listing = ", ".join(existing) if existing else "none"
        raise UsageError(
            f"Stack {stack!r} has no config file {project.display(path)} in project {project.name}. "
            f"Stacks with a config file: {listing}. To create stack {stack!r}, run `pulumi stack init "
            f"{stack}` and `pulumi config set aws:region eu-west-2` in {project.directory}, or create "
            f"{path} with a `config:` map, e.g. `config: {{aws:region: eu-west-2}}`."
        )
    data = _load_yaml(path, "the stack config")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise UsageError(f"{path}: expected a mapping (with a 'config' key), found {type(data).__name__}.")
    config = data.get("config") or {}
    if not isinstance(config, dict):
        raise UsageError(f"{path}: key 'config' must be a mapping of 'namespace:key: value'.")
    warnings: list[str] = []
    if data.get("environment"):
        warnings.append(
            f"{project.display(path)}: 'environment' (Pulumi ESC) cannot be resolved offline; "
            "values it would provide are missing."
        )
    merged: dict[str, Any] = dict(project.config_defaults)
    for key, value in config.items():
        merged[_namespaced(str(key), project.name)] = value
    values: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in merged.items():
        value, secret = _replace_secrets(value)
        if secret:
            secret_keys.append(key)
            warnings.append(
                f"{project.display(path)}: {key} is a secure (encrypted) value; strongroom cannot decrypt "
                f"it offline and passes the placeholder {SECRET_PLACEHOLDER!r}, marked secret."
            )
        values[key] = _encode(value)
    return StackConfig(values=values, secret_keys=sorted(secret_keys), warnings=warnings)
