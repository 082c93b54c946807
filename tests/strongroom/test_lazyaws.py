"""pulumi_aws's service packages loaded name by name (strongroom.engine.lazyaws): the same names bound to
the same objects as the generated star imports, fewer modules imported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from strongroom.engine.lazyaws import declared_names, star_modules

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("ec2", "s3", "iam", "kms")

# Every public name of each package, as "module:qualname" (or the module's name for a module), after
# the package is imported. LAZY=1 installs the finder first; the names are then resolved one by one.
_DESCRIBE = """
import importlib, json, sys, types
if sys.argv[1] == "1":
    from strongroom.engine import lazyaws  # installs its finder
import pulumi_aws
out = {}
for service in sys.argv[2:]:
    package = getattr(pulumi_aws, service)
    package._utilities  # loads a package that pulumi_aws imports lazily (dir() alone does not)
    names = sorted(n for n in dir(package) if not n.startswith("_"))
    described = {}
    for name in names:
        value = getattr(package, name)
        if isinstance(value, types.ModuleType):
            described[name] = "module " + value.__name__
        else:
            qualname = getattr(value, "__qualname__", repr(value))
            described[name] = f"{getattr(value, '__module__', '?')}:{qualname}"
    out[service] = described
star = {}
exec("from pulumi_aws.ec2 import *", star)
out["star"] = sorted(n for n in star if n != "__builtins__")
print(json.dumps(out))
"""


def _describe(lazy: bool) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", _DESCRIBE, "1" if lazy else "0", *PACKAGES],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    described: dict[str, object] = json.loads(result.stdout)
    return described


def test_lazy_packages_bind_what_the_star_imports_bind() -> None:
    eager, lazy = _describe(False), _describe(True)
    for service in PACKAGES:
        assert lazy[service] == eager[service], service
    assert lazy["star"] == eager["star"]
    # a function that shares its module's name is the function, as the star import leaves it
    ec2 = eager["ec2"]
    assert (
        isinstance(ec2, dict) and ec2["get_prefix_list"] == "pulumi_aws.ec2.get_prefix_list:get_prefix_list"
    )


_MODULES_AFTER_USE = """
import json, sys
from strongroom.engine import lazyaws
lazyaws.install()
import pulumi_aws as aws
from pulumi_aws.ec2 import get_prefix_list
vpc = aws.ec2.Vpc
assert callable(get_prefix_list), get_prefix_list
assert lazyaws.is_lazy(aws.ec2) and not lazyaws.is_lazy(aws.config)
assert aws.config.region is None or isinstance(aws.config.region, str)
print(json.dumps(sorted(m for m in sys.modules if m.startswith("pulumi_aws.ec2."))))
"""


def test_only_the_modules_of_the_names_used_are_imported() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _MODULES_AFTER_USE], cwd=REPO, capture_output=True, text=True, check=True
    )
    modules = set(json.loads(result.stdout))
    assert {"pulumi_aws.ec2.vpc", "pulumi_aws.ec2.get_prefix_list"} <= modules
    assert "pulumi_aws.ec2.instance" not in modules
    assert "pulumi_aws.ec2.launch_template" not in modules


def test_star_modules_accepts_only_the_generated_shape() -> None:
    generated = (
        "# coding=utf-8\n\nimport builtins as _builtins\nfrom .. import _utilities\nimport typing\n"
        "from ._enums import *\nfrom .vpc import *\nfrom ._inputs import *\nfrom . import outputs\n"
    )
    assert star_modules(generated) == ["_enums", "vpc", "_inputs"]
    assert star_modules(generated + "from .vars import _ExportableConfig\n") is None
    assert star_modules(generated + "x = 1\n") is None


def test_declared_names_reads_a_literal_all_past_the_first_block(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    names = [f"Name{i}" for i in range(6000)]  # longer than the first read
    module.write_text("import x\n__all__ = [\n" + "".join(f"    '{n}',\n" for n in names) + "]\n")
    assert declared_names(module) == names
    bare = tmp_path / "bare.py"
    bare.write_text("A = 1\n")
    assert declared_names(bare) is None


@pytest.mark.parametrize("stack", ["prod"])
def test_a_check_imports_only_the_modules_it_uses(stack: str) -> None:
    code = (
        "import json, sys\n"
        "import strongroom.cli as cli\n"
        "try:\n"
        f"    cli.app(['check', '--stack', {stack!r}, '--no-cache', '--format', 'json'],"
        " standalone_mode=False)\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('MODULES', json.dumps(sorted(m for m in sys.modules if m.startswith('pulumi_aws.ec2.'))))\n"
        "print('SDK', json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'dill'"
        " or m.startswith(('pulumi.dynamic.', 'pulumi.automation.')))))\n"
        "print('RENDERERS', json.dumps(sorted(m for m in ('rich', 'junitparser') if m in sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    line = next(x for x in result.stdout.splitlines() if x.startswith("MODULES "))
    modules = set(json.loads(line.removeprefix("MODULES ")))
    assert "pulumi_aws.ec2.vpc" in modules
    assert "pulumi_aws.ec2.spot_instance_request" not in modules
    assert len(modules) < 40  # of the package's 180
    sdk_line = next(x for x in result.stdout.splitlines() if x.startswith("SDK "))
    assert json.loads(sdk_line.removeprefix("SDK ")) == []  # pulumi.dynamic and automation never ran
    # a JSON report needs neither the text report's tables (rich) nor the JUnit writer
    renderers = next(x for x in result.stdout.splitlines() if x.startswith("RENDERERS "))
    assert json.loads(renderers.removeprefix("RENDERERS ")) == []


_SDK_ON_USE = """
import json, sys
from strongroom.engine import lazyaws
import pulumi
before = ["dill" in sys.modules, "pulumi.automation._local_workspace" in sys.modules]
bound = [getattr(pulumi, n.split(".")[1]) is sys.modules[n] for n in ("pulumi.dynamic", "pulumi.automation")]
from pulumi.dynamic import Resource, ResourceProvider
from pulumi.automation import LocalWorkspace, create_or_select_stack
import pulumi.automation._server
after = ["dill" in sys.modules, "pulumi.automation._local_workspace" in sys.modules]
names = [Resource.__module__, ResourceProvider.__name__]
names += [LocalWorkspace.__name__, create_or_select_stack.__name__]
print(json.dumps([before, bound, after, names, sorted(lazyaws.LAZY_SDK_MODULES)]))
"""


def test_the_sdk_s_unused_subpackages_run_on_first_use_and_bind_the_same_names() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _SDK_ON_USE], cwd=REPO, capture_output=True, text=True, check=True
    )
    before, bound, after, names, lazy = json.loads(result.stdout)
    assert before == [False, False]  # imported by pulumi/__init__.py, not run
    assert bound == [True, True]
    assert after == [True, True]
    assert names == ["pulumi.dynamic.dynamic", "ResourceProvider", "LocalWorkspace", "create_or_select_stack"]
    assert lazy == ["pulumi.automation", "pulumi.dynamic"]


_LOAD_ALL = """
import json, sys
from strongroom.engine import lazyaws
import pulumi_aws as aws
lazyaws.load_all(sys.modules["pulumi_aws.kms"])  # not loaded yet: pulumi_aws defers it
lazyaws.load_all(aws.config)
found = [lazyaws.is_lazy(aws.kms), "pulumi_aws.kms.key" in sys.modules, lazyaws.is_lazy(aws.config)]
print(json.dumps(found))
"""


def test_load_all_imports_every_module_of_a_lazy_package_and_leaves_others() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _LOAD_ALL], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout) == [True, True, False]
