"""A cache of offline plans for unchanged inputs: a stack whose program, config, lock files, account and
Strongroom installation are unchanged answers from the Plan recorded last time instead of running the
program again. The cache stores the plan only, never a verdict: the policy pack evaluates it every time.

The key is SHA-256 over, in order:

* every file under the project directory (``Pulumi.yaml`` included) except ``.git``, virtualenvs (any
  directory holding ``pyvenv.cfg``, ``.venv``, ``venv``), caches (``__pycache__``, ``.mypy_cache``,
  ``.pytest_cache``, ``.ruff_cache``, ``.cache``, ...) and the *other* stacks' config files; and the
  program directory when ``main`` points outside the project;
* the stack's config file and the stack name;
* the lock files found in the project (``uv.lock``, ``requirements*.txt``, ``poetry.lock``,
  ``Pipfile.lock``), named again so a lock file outside the walk counts;
* the account the stack is planned as;
* Strongroom's version and every file of the ``strongroom``, ``components`` and ``policies`` packages
  where they are imported from (a program imports the components);
* the installed versions of ``pulumi`` and ``pulumi-aws``, and Python's ``major.minor``.

Entries live in ``$XDG_CACHE_HOME/strongroom/plans/<key>.json`` (``~/.cache`` when unset), written
atomically (a temporary file renamed over the entry). An entry that cannot be read or parsed is ignored
with a warning and the stack is planned again (and the entry rewritten).

A cache entry is trusted input: whoever can write the cache directory can make a check see a plan other
than the program's. CI should run with ``--no-cache`` or restore caches only from trusted branches.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from strongroom.engine.plan import Plan
from strongroom.engine.project import Project, load_project, load_stack_config
from strongroom.engine.stackrefs import stack_reference_targets

FORMAT = 1
"""The entry format; part of the key, so a new format never reads an old entry."""

EXCLUDED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "__pycache__",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".hypothesis",
        ".cache",
        ".eggs",
        "node_modules",
    }
)
LOCK_NAMES = ("uv.lock", "poetry.lock", "Pipfile.lock")
TOOL_PACKAGES = ("strongroom", "strongroom.components", "strongroom.policies")
"""Strongroom's packages whose files key the cache: the components and the pack are links to the top-level
folders in a source checkout, which the walk of ``strongroom`` does not follow, so each is digested itself."""
KEY_PREFIX = 12


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/strongroom/plans``, ``~/.cache/strongroom/plans`` when it is unset or empty."""
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    root = Path(base) if base else Path.home() / ".cache"
    return root / "strongroom" / "plans"


def _excluded_dir(path: Path) -> bool:
    name = path.name
    return (
        name in EXCLUDED_DIRS
        or name.endswith(".egg-info")
        or (name.endswith("_cache") and name.startswith("."))
        or (path / "pyvenv.cfg").is_file()
    )


def _walk(root: Path, skip: frozenset[Path] = frozenset()) -> Iterator[Path]:
    """Every regular file under ``root`` (symlinked files followed, symlinked directories not), minus
    excluded directories and the paths in ``skip``, sorted for a stable key."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not _excluded_dir(here / d))
        for name in filenames:
            path = here / name
            if name == ".git" or path in skip:
                continue
            found.append(path)
    return iter(sorted(found))


def _file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes; of the link text for a dangling symlink."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        try:
            return "link:" + os.readlink(path)
        except OSError:
            return "unreadable"


def _tree_digest(root: Path, skip: frozenset[Path] = frozenset()) -> str:
    digest = hashlib.sha256()
    for path in _walk(root, skip):
        digest.update(f"{path.relative_to(root).as_posix()}\0{_file_digest(path)}\n".encode())
    return digest.hexdigest()


def _version(distribution: str) -> str:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "absent"


@lru_cache(maxsize=1)
def installation_digest() -> str:
    """Strongroom's version, its packages' files where they are imported from, and the versions of
    pulumi, pulumi-aws and Python (computed once a process)."""
    from strongroom import package_version

    parts = [
        f"strongroom {package_version()}",
        f"pulumi {_version('pulumi')}",
        f"pulumi-aws {_version('pulumi-aws')}",
        f"python {sys.version_info.major}.{sys.version_info.minor}",
    ]
    for name in TOOL_PACKAGES:
        module = sys.modules.get(name)
        origin = getattr(module, "__file__", None) if module is not None else None
        if origin is None:
            spec = importlib.util.find_spec(name)
            origin = spec.origin if spec is not None else None
        if origin is None:
            parts.append(f"{name} absent")
            continue
        package_dir = Path(origin).resolve().parent
        parts.append(f"{name} {package_dir} {_tree_digest(package_dir)}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def lock_files(project: Project) -> list[Path]:
    """The lock files of the project: in its directory and in the program's directory."""
    found: list[Path] = []
    for directory in dict.fromkeys([project.directory, project.program_dir]):
        for path in sorted(directory.glob("*")):
            if path.is_file() and (path.name in LOCK_NAMES or _is_requirements(path.name)):
                found.append(path)
        requirements_dir = directory / "requirements"
        if requirements_dir.is_dir():
            found.extend(p for p in sorted(requirements_dir.glob("*.txt")) if p.is_file())
    return found


def _is_requirements(name: str) -> bool:
    return name.startswith("requirements") and name.endswith(".txt")


@dataclass
class SourceDigest:
    """The part of the key every stack of a project shares: its sources (minus the stacks' config
    files), its lock files and the installation. Computed once for ``--all-stacks``."""

    project: Project
    digest: str

    @classmethod
    def of(cls, project: Project) -> SourceDigest:
        stack_files = frozenset(
            p.resolve() for p in project.stack_config_dir.glob("Pulumi.*.yaml") if p.name != "Pulumi.yaml"
        )
        skip = frozenset(stack_files | {p.absolute() for p in stack_files})
        parts = [
            f"format {FORMAT}",
            f"project {project.name}",
            f"sources {_tree_digest(project.directory, skip)}",
        ]
        if project.program_dir.resolve() != project.directory and not _inside(
            project.program_dir, project.directory
        ):
            parts.append(f"program {_tree_digest(project.program_dir, skip)}")
        for lock in lock_files(project):
            parts.append(f"lock {lock.name} {_file_digest(lock)}")
        parts.append(f"installation {installation_digest()}")
        return cls(project=project, digest=hashlib.sha256("\n".join(parts).encode()).hexdigest())

    def key(self, stack: str, account: str, _seen: frozenset[str] = frozenset()) -> str:
        """The cache key of one stack planned as ``account``, including the keys of the stacks its
        ``strongroom:stackReferences`` maps to local projects (their exports are part of the plan)."""
        stack_file = self.project.stack_file(stack)
        parts = [
            self.digest,
            f"stack {stack}",
            f"config {_file_digest(stack_file) if stack_file.is_file() else 'absent'}",
            f"account {account}",
        ]
        here = f"{self.project.directory}/{stack}"
        if stack_file.is_file() and here not in _seen:
            config = load_stack_config(self.project, stack)
            for target in stack_reference_targets(self.project, stack, config):
                sources = SourceDigest.of(target.project)
                parts.append(
                    f"reference {target.reference} {sources.key(target.stack, account, _seen | {here})}"
                )
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _inside(path: Path, directory: Path) -> bool:
    try:
        path.resolve().relative_to(directory)
    except ValueError:
        return False
    return True


@dataclass
class CacheHit:
    """A plan answered from the cache: its key and when the entry was written (UTC, ISO 8601)."""

    key: str
    written: str

    def note(self) -> str:
        return (
            f"plan cache: the plan was read from cache entry {self.key[:KEY_PREFIX]} "
            f"(written {self.written}) because the program, config, lock files, account and Strongroom are "
            "unchanged; the policy pack evaluated it now. --no-cache plans afresh."
        )


@dataclass
class PlanCache:
    """The cache directory, read and written for one run; ``warnings`` collects unreadable entries."""

    directory: Path = field(default_factory=cache_dir)
    warnings: list[str] = field(default_factory=list)

    def path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def get(self, key: str, stack: str) -> tuple[Plan, CacheHit] | None:
        """The cached plan of ``key``, or None when there is none or it cannot be used (with a warning)."""
        path = self.path(key)
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or data.get("key") != key or data.get("format") != FORMAT:
                raise ValueError("not an entry of this key and format")
            plan = Plan.from_dict(data["plan"])
            if plan.stack != stack:
                raise ValueError(f"its plan is of stack {plan.stack!r}")
            written = str(data.get("written") or "unknown time")
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            self.warnings.append(
                f"plan cache entry {path} is unreadable or corrupt ({reason}); ignored, the stack {stack} "
                "is planned again"
            )
            return None
        return plan, CacheHit(key=key, written=written)

    def put(self, key: str, plan: Plan) -> None:
        """Store ``plan`` under ``key`` atomically; a cache that cannot be written only warns."""
        entry: dict[str, Any] = {
            "format": FORMAT,
            "key": key,
            "written": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "plan": plan.to_dict(),
        }
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{key[:KEY_PREFIX]}.", suffix=".tmp", dir=self.directory)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump(entry, handle, separators=(",", ":"))
                os.replace(tmp, self.path(key))
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            self.warnings.append(
                f"plan cache {self.directory} cannot be written ({exc.strerror}); not cached"
            )


def plan_and_check_cached(
    project_dir: Path,
    stack: str,
    *,
    pack_dir: Path | None = None,
    account: str,
    policy_config: Mapping[str, Mapping[str, Any]] | None = None,
    cache: PlanCache | None = None,
    sources: SourceDigest | None = None,
    via_analyzer: bool = False,
) -> tuple[Any, Plan]:
    """:func:`strongroom.check.plan_and_check` with the plan cache: without ``cache`` it is exactly that
    function; with it, an unchanged stack's plan is read from the cache and checked (the report notes the
    entry), and a fresh plan is stored. ``sources`` is the project's shared digest when already known."""
    from strongroom.check import plan_and_check

    def checked(planned: Plan | None = None) -> tuple[Any, Plan]:
        return plan_and_check(
            project_dir,
            stack,
            pack_dir=pack_dir,
            account=account,
            policy_config=policy_config,
            via_analyzer=via_analyzer,
            planned=planned,
        )

    if cache is None:
        return checked()
    project = load_project(Path(project_dir))
    digest = sources if sources is not None else SourceDigest.of(project)
    key = digest.key(stack, account)
    cached = cache.get(key, stack)
    if cached is None:
        report, plan = checked()
        cache.put(key, plan)
        return report, plan
    plan, hit = cached
    report, _ = checked(plan)
    report.notes.insert(len(plan.warnings), hit.note())
    return report, plan
