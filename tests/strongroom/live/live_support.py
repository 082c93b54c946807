"""Helpers of the live tests (imported by conftest.py and the test modules): the stack's plan built once per
session, a fresh moto with fake credentials, an :class:`Aws` that shares the session's boto3 clients.
See conftest.py for the fixtures and why these keep materialisation fast."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions
import pytest
from moto import mock_aws

from strongroom.engine.plan import Plan
from strongroom.live import motofix
from strongroom.live.aws import Aws
from strongroom.live.materialise import Materialised

ROOT = Path(__file__).resolve().parents[3]
REGION = "eu-west-2"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
}

_PLANS: dict[str, Plan] = {}
_PLANS_LOCK = threading.Lock()
_SHARED: dict[str, Any] = {}


def stack_plan(stack: str) -> Plan:
    """The offline plan of ``stack`` of this repository, built once per session."""
    with _PLANS_LOCK:
        if stack not in _PLANS:
            from plan_support import repository_plan

            _PLANS[stack] = repository_plan(stack)
        return _PLANS[stack]


def share_event_alias_names() -> None:
    """botocore's event-name aliasing remembered once per test process, not once per client (idempotent).

    Each client has its own ``EventAliaser`` (a copy of its session's), which maps every event name it
    registers or emits (``before-call.s3.GetObject``...) through botocore's alias table and remembers the
    answer for that client only; the live tests make thousands of clients, so most names were worked out
    again: about 1.5% of the suite's CPU. The answer depends only on the name and the alias table, so the
    aliasers whose table equals botocore's ``EVENT_ALIASES`` share one memory; any other table keeps its
    own."""
    from botocore import hooks

    init = hooks.EventAliaser.__init__
    if getattr(init, "_shared", False):
        return
    shared: dict[str, str] = {}

    def __init__(self: Any, event_emitter: Any, event_aliases: Any = None) -> None:
        init(self, event_emitter, event_aliases)
        if self._event_aliases == hooks.EVENT_ALIASES:
            self._alias_name_cache = shared

    __init__._shared = True  # type: ignore[attr-defined]
    hooks.EventAliaser.__init__ = __init__  # type: ignore[method-assign]


def share_symmetric_key_material() -> None:
    """Every symmetric KMS key moto makes in this test process shares one RSA key (idempotent).

    moto generates an RSA private key for each symmetric key too (used only if the key is asked to Sign or
    Verify, which a symmetric key refuses), about 0.1 s per key: 1% of the suite's CPU went to it in the
    fixtures that call ``mock_aws()`` themselves. Installed for the whole process, not per moto context."""
    from moto.kms import models

    if getattr(models.generate_private_key, "_shared", False):
        return
    stub = _symmetric_key_stub()
    stub._shared = True  # type: ignore[attr-defined]
    models.generate_private_key = stub


def _symmetric_key_stub() -> Callable[[str], Any]:
    from moto.kms import utils

    real = utils.generate_private_key

    def generate(key_spec: str) -> Any:
        if key_spec != "SYMMETRIC_DEFAULT":
            return real(key_spec)
        if "rsa" not in _SHARED:
            _SHARED["rsa"] = real(key_spec)
        return _SHARED["rsa"]

    return generate


def share_botocore_loader() -> None:
    """Every botocore session of the test process shares one data loader per data path.

    Each test starts from ``boto3.DEFAULT_SESSION = None`` and a new :class:`Aws` (a new boto3 session),
    and botocore gives every session its own loader, which parses the service's JSON model again for the
    session's first client: ec2's alone is megabytes, and those parses were a third of the live tests'
    time. A loader's answers depend only on its search paths (keyed here) and the files on disk, and
    botocore already hands one loader's cached models to every client of a session, so sharing it across
    sessions changes what no client sees. Idempotent."""
    import botocore.loaders
    import botocore.session

    if getattr(botocore.session.create_loader, "_shared", False):
        return
    loaders: dict[str | None, botocore.loaders.Loader] = {}
    lock = threading.Lock()
    create = botocore.loaders.create_loader

    def shared(search_path_string: str | None = None) -> botocore.loaders.Loader:
        with lock:
            if search_path_string not in loaders:
                loaders[search_path_string] = create(search_path_string)
            return loaders[search_path_string]

    shared._shared = True  # type: ignore[attr-defined]
    botocore.session.create_loader = shared  # type: ignore[assignment]


def lean_moto_dispatch() -> None:
    """moto's per-request dispatch in process, without its repeated set-up (idempotent).

    For every request moto's stub rebuilt the backend's table of URL patterns (S3's after reloading its
    ``urls`` module), compiled each pattern it tried (more patterns than ``re``'s cache of 512 holds, so
    they were compiled again and again), and listed the response class's methods with
    ``inspect.getmembers``: together about a sixth of a live audit against moto. Here the table is built
    once per backend class and the settings it reads (S3's custom endpoints and subdomain switch, ISO
    regions), ``re`` keeps more compiled patterns, and the methods are listed once per class. What moto
    answers is unchanged: the same table, the same methods."""
    import re

    from moto.core import base_backend, responses, utils

    if getattr(base_backend.BaseBackend.urls, "_strongroom", False):
        return
    re._MAXCACHE = max(re._MAXCACHE, 8192)  # type: ignore[attr-defined]
    responses.method_names_from_class = functools.lru_cache(maxsize=None)(utils.method_names_from_class)  # type: ignore[attr-defined]
    build = base_backend.BaseBackend.urls.fget
    tables: dict[tuple[Any, ...], Any] = {}
    settings = ("MOTO_S3_CUSTOM_ENDPOINTS", "S3_IGNORE_SUBDOMAIN_BUCKETNAME", "MOTO_ENABLE_ISO_REGIONS")

    def urls(self: Any) -> Any:
        key = (type(self), *(os.environ.get(name) for name in settings))
        if key not in tables:
            tables[key] = build(self)  # type: ignore[misc]
        return tables[key]

    urls._strongroom = True  # type: ignore[attr-defined]
    base_backend.BaseBackend.urls = property(urls)  # type: ignore[assignment,method-assign]


def lean_moto_backend_lookup() -> None:
    """moto's ``backends[account]`` without a scan of every other service's backends (idempotent).

    Every request looks its service's backend up by account (``BackendDict.__getitem__``), and moto
    then checks, under a lock, that the account's backend exists (``list(self.keys())``) and that this
    ``BackendDict`` is registered for reset (``self not in BackendDict._instances``: an ``==`` in Python,
    which itself asks ``len()`` of the other dict, against every service's backend registered before
    it): about 5% of the live tests. Here a lookup whose account backend exists and whose ``BackendDict``
    is registered (by identity: moto's ``==`` compares a uuid made for each ``BackendDict``) returns at
    once; anything else goes to moto's own method, as before."""
    from moto.core.base_backend import BackendDict

    create = BackendDict._create_account_specific_backend
    if hasattr(create, "moto_original"):
        return

    def lookup(self: Any, account_id: str) -> None:
        if dict.__contains__(self, account_id) and any(i is self for i in BackendDict._instances):
            return
        create(self, account_id)

    lookup.moto_original = create  # type: ignore[attr-defined]
    BackendDict._create_account_specific_backend = lookup  # type: ignore[method-assign]


def lean_account_lookup() -> None:
    """moto's account of a request, from its access key, asked only of the IAM backends that exist
    (idempotent).

    For every request moto looks the access key up in each partition's IAM backend of every account
    (``get_account_id_from``), and asking an account for a partition's backend makes it: each fresh
    ``mock_aws()`` made six IAM backends (aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-eusc) for the
    default account on its first request, each with AWS's managed policies where those are loaded, and
    every later reset made them again. A backend that does not exist holds no access key, so the answer
    is the same: the account whose existing backend holds the key, else moto's default account."""
    from moto.iam import models as iam

    if hasattr(iam.get_account_id_from, "moto_original"):
        return
    original = iam.get_account_id_from

    def get_account_id_from(access_key: str) -> str:
        for account_id, account in list(iam.iam_backends.items()):
            if any(access_key in backend.access_keys for backend in list(account.values())):
                return account_id
        return iam.DEFAULT_ACCOUNT_ID

    get_account_id_from.moto_original = original  # type: ignore[attr-defined]
    iam.get_account_id_from = get_account_id_from


def no_access_log_delivery() -> None:
    """moto delivers no S3 server access logs in this test process (idempotent).

    For every bucket-level request to a bucket with logging on, moto writes a log object into the target
    bucket at once (AWS delivers them best-effort, within hours), and announces each such object to every
    EventBridge rule of the account (the stack's log buckets send their events to EventBridge): 12.5%
    of a profiled audit against moto; the tamper tests took 0.8x to 0.9x the CPU without it. The audit
    reads each bucket's logging configuration, never the log objects, and no test reads them;
    ``test_live_support.py`` audits the dev stack with and without delivery and requires the same report.
    The sandbox and ``moto_server`` subprocesses keep moto's behaviour."""
    from moto.s3.models import S3Backend

    deliver = S3Backend.log_incoming_request
    if hasattr(deliver, "moto_original"):
        return

    def log_incoming_request(self: Any, request: Any, bucket_name: str) -> None:
        return None

    log_incoming_request.moto_original = deliver  # type: ignore[attr-defined]
    S3Backend.log_incoming_request = log_incoming_request  # type: ignore[method-assign]


def unsigned_requests_to_moto() -> None:
    """botocore's SigV4 header signing, in this test process, writes the Authorization header without
    computing the signature (idempotent).

    moto never checks a signature, in process or as the ``moto_server`` the tests start: it reads the
    access key (the account) and the region from the header's credential scope, which is written as
    botocore writes it, with the date headers, the session token and S3's payload hash. The canonical
    request, the string to sign and the four HMACs were about 5% of the live tests' samples. Only the
    header signers themselves (``SigV4Auth``, ``S3SigV4Auth``) are lightened: presigned URLs, S3 Express
    and any subclass sign as botocore does, and the ``strongroom`` subprocesses of the end-to-end, sandbox
    and vault command-line tests sign for real. ``test_live_support.py`` compares the headers with
    botocore's and audits the dev stack both ways, requiring the same report."""
    from botocore import auth

    sign = auth.SigV4Auth.add_auth
    if hasattr(sign, "botocore_original"):
        return
    lightened = (auth.SigV4Auth, auth.S3SigV4Auth)

    def add_auth(self: Any, request: Any) -> None:
        if type(self) not in lightened:
            return sign(self, request)
        if self.credentials is None:
            raise botocore.exceptions.NoCredentialsError()
        request.context["timestamp"] = auth.get_current_datetime().strftime(auth.SIGV4_TIMESTAMP)
        self._modify_request_before_signing(request)
        headers = self.signed_headers(self.headers_to_sign(request))
        scope = self.scope(request)
        request.headers["Authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders={headers}, Signature={_UNSIGNED}"
        )
        return None

    add_auth.botocore_original = sign  # type: ignore[attr-defined]
    auth.SigV4Auth.add_auth = add_auth  # type: ignore[method-assign]


_UNSIGNED = "0" * 64


def parse_aws_managed_policies_once() -> None:
    """moto's IAM backend parses its 1.5 MB JSON of AWS managed policies again for every account and
    every reset (about 5 s of a suite's CPU). The parsed data is only read (each policy object is still
    made anew, with the backend's account and region): it is parsed once here."""
    from moto.iam import models as iam

    if hasattr(iam.IAMBackend._init_aws_policies, "moto_original"):
        return
    parsed: dict[str, Any] = {}

    def init_aws_policies(self: Any) -> list[Any]:
        if not iam.load_iam_aws_managed_policies():
            return []
        if not parsed:
            parsed.update(json.loads(iam.aws_managed_policies_data))
        return [
            iam.AWSManagedPolicy.from_data(name, self.account_id, self.region_name, data)
            for name, data in parsed.items()
        ]

    init_aws_policies.moto_original = iam.IAMBackend._init_aws_policies  # type: ignore[attr-defined]
    iam.IAMBackend._init_aws_policies = init_aws_policies  # type: ignore[method-assign]


def new_aws(region: str = REGION) -> Aws:
    """An :class:`Aws` for moto sharing the session's clients (made once: they cost ~0.1 s each)."""
    clients = _SHARED.setdefault("clients", {})
    aws = Aws(region=region, _clients=clients)
    return aws


def moto_client(service: str, region: str = REGION) -> Any:
    """A plain boto3 client of ``service`` in ``region`` for moto, made once per test process and shared by
    the tests (making one costs about 0.1 s; moto's mock answers any client while a test holds it)."""
    clients = _SHARED.setdefault("boto3-clients", {})
    if (service, region) not in clients:
        clients[service, region] = boto3.session.Session().client(service, region_name=region)
    return clients[service, region]


@contextmanager
def moto_context(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    motofix.apply()
    boto3.DEFAULT_SESSION = None
    with mock_aws():
        yield


Materialise = Callable[[str], tuple[Aws, Materialised, Plan]]


def scale_project(directory: Path, count: int) -> list[str]:
    """A copy of this project with ``count`` stacks ``e01``..``eNN``, each the dev stack's config with its
    own VPC range and without the account baseline (one per account and region: only ``e01`` has it).
    Returns the stack names."""
    import shutil

    import yaml

    shutil.copy(ROOT / "Pulumi.yaml", directory / "Pulumi.yaml")
    shutil.copy(ROOT / "__main__.py", directory / "__main__.py")
    (directory / "stacks").mkdir(exist_ok=True)
    dev = yaml.safe_load((ROOT / "stacks" / "Pulumi.dev.yaml").read_text(encoding="utf-8"))
    stacks = [f"e{n:02d}" for n in range(1, count + 1)]
    for n, stack in enumerate(stacks, start=1):
        config = dict(dev["config"])
        config["strongroom:network"] = {**config["strongroom:network"], "vpcCidr": f"10.{100 + n}.0.0/16"}
        config["strongroom:baseline"] = {**config["strongroom:baseline"], "enabled": n == 1}
        text = yaml.safe_dump({"config": config}, sort_keys=False)
        (directory / "stacks" / f"Pulumi.{stack}.yaml").write_text(text, encoding="utf-8")
    return stacks


def renamed_plan(plan: Plan, stack: str) -> Plan:
    """``plan`` (of a stack of :func:`scale_project`) as the plan of its sibling ``stack``: every name,
    tag, path and URN that carries the stack's name carries the sibling's, and the VPC range is the
    sibling's. Planning twenty copies of one config costs a minute; this costs milliseconds, and
    ``test_a_renamed_plan_is_the_siblings_plan`` holds it to a real plan of the sibling."""
    import json as _json

    old = plan.stack
    n_old, n_new = int(old[1:]), int(stack[1:])
    import re as _re

    text = _json.dumps(plan.to_dict())
    for before, after in (
        (rf"(sr|strongroom)-{old}(?![0-9A-Za-z])", rf"\1-{stack}"),
        (rf"/strongroom/{old}/", f"/strongroom/{stack}/"),
        (rf"urn:pulumi:{old}::", f"urn:pulumi:{stack}::"),
        (rf'"{old}"', f'"{stack}"'),
        (rf"10\.{100 + n_old}\.", f"10.{100 + n_new}."),
    ):
        text = _re.sub(before, after, text)
    text = text.replace(f'\\"{old}\\"', f'\\"{stack}\\"')  # inside JSON-encoded values (default tags)
    return Plan.from_dict(_json.loads(text))


def value_form(value: Any) -> str:
    """The form of a prop's value, to compare a live resource's shape with the plan's: bool, number,
    string, json (a JSON object in a string: a policy), map, list, or the type's name."""
    import json as _json
    from collections.abc import Mapping as _Mapping

    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        try:
            parsed = _json.loads(value)
        except ValueError:
            return "string"
        return "json" if isinstance(parsed, dict) else "string"
    if isinstance(value, _Mapping):
        return "map"
    if isinstance(value, list):
        return "list"
    return type(value).__name__


STRONGROOM = Path(sys.executable).with_name("strongroom")


def sandbox_env() -> dict[str, str]:
    """The environment of ``strongroom sandbox``: no AWS_* variable, a profile that does not exist."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["AWS_PROFILE"] = "no-such-profile-the-sandbox-must-not-read"
    return env


def start_sandbox(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """``strongroom sandbox <args>`` started as a user starts it (from the repository, no AWS_* variables;
    a profile that does not exist, which the sandbox must not read), with ``env`` added."""
    return subprocess.Popen(
        [str(STRONGROOM), "sandbox", *args],
        cwd=ROOT,
        env={**sandbox_env(), **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def sandbox_endpoint(process: subprocess.Popen[str], timeout: float = 240) -> str:
    """The endpoint a started sandbox prints once the stack is materialised (killed if it prints none)."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith("endpoint: "):
            return line.split(" ", 1)[1].strip()
        if not line and process.poll() is not None:
            break
    process.kill()
    raise AssertionError(f"no endpoint line; stderr: {process.stderr.read() if process.stderr else ''}")


#: the xdist group of the tests that drive the session's dev sandbox (``dev_sandbox`` in conftest.py) from
#: subprocesses: one worker starts it once (about 5 s of CPU) for all of them
DEV_SANDBOX_GROUP = "dev-sandbox"


@dataclass(frozen=True)
class Sandbox:
    """A running ``strongroom sandbox``: its process, its endpoint and what it printed after the endpoint
    line, up to and including ``Ctrl-C to stop.`` (the summary of what it created and the exports)."""

    process: subprocess.Popen[str]
    endpoint: str
    banner: str


def sandbox_started(process: subprocess.Popen[str], timeout: float = 240) -> Sandbox:
    """The sandbox ``process`` once it serves: its endpoint line and the banner after it, read."""
    endpoint = sandbox_endpoint(process, timeout)
    assert process.stdout is not None
    lines: list[str] = []
    while not lines or lines[-1].strip() != "Ctrl-C to stop.":
        line = process.stdout.readline()
        if not line:
            process.kill()
            raise AssertionError(f"the sandbox stopped before 'Ctrl-C to stop.': {''.join(lines)}")
        lines.append(line)
    return Sandbox(process, endpoint, "".join(lines))


def endpoint_client(service: str, endpoint: str) -> Any:
    """A boto3 client of ``service`` on a local endpoint (a sandbox), with the fake credentials."""
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
