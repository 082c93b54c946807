"""Run a CrossGuard policy pack over a Plan, speaking the Analyzer gRPC protocol as the Pulumi CLI does.

What the CLI does (pulumi/pulumi ``sdk/go/common/resource/plugin/analyzer_plugin.go`` and
``pkg/resource/deploy/step_generator.go``, read for this module):

* A Python pack is started through the ``pulumi-analyzer-policy-python`` shim, which runs
  ``python -u -m pulumi.policy <engine-address> .`` with the pack directory as working directory and the
  environment plus ``PULUMI_CONFIG`` (the stack config as JSON), ``PULUMI_PROJECT``, ``PULUMI_STACK``,
  ``PULUMI_ORGANIZATION`` and ``PULUMI_DRY_RUN``. The pack prints its port on stdout.
* The CLI then calls ``Handshake`` (Python packs answer UNIMPLEMENTED, which the CLI accepts),
  ``ConfigureStack``, ``GetAnalyzerInfo`` and ``Configure`` (the policy config).
* ``Analyze`` is called once for every resource the program registers - custom resources, providers,
  component resources and the root stack alike: the step generator sends each registration to the
  analyzers after the provider's Check, with the checked *inputs*, the URN's name, the options
  (protect, parent, ...) and the resource's provider (type, URN, name and the provider's inputs). A
  diagnostic is attributed to the analyzed resource.
* ``AnalyzeStack`` is called once at the end with every resource (``deployment.news``), this time with
  the resource *outputs*, plus parent, dependencies and property dependencies. A diagnostic whose URN
  is not a resource of the stack is attributed to the root stack.
* Properties are marshalled with secrets kept (``{SIG: SECRET_SIG, "value": ...}``) and unknowns kept
  (the UNKNOWN sentinel string); the pack's ``deserialize_properties`` unwraps secrets, and reading an
  unknown value makes the pack answer with an advisory "can't run policy ... during preview" diagnostic.

The pack's ``__main__`` never calls the engine address it is given (``pulumi.policy.__main__`` parses it
and configures the runtime without it: log calls go to stderr), but the CLI always passes a live engine,
so :class:`PolicyPackProcess` serves a minimal Engine service on 127.0.0.1 and keeps what is logged to
it, together with the pack's stderr, for error messages.
"""

from __future__ import annotations

from strongroom.engine import lazyaws  # noqa: F401  (first: its finders must see pulumi imported)

# isort: split
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, engine_pb2, engine_pb2_grpc

from strongroom.engine import DEFAULT_ACCOUNT, load_project, load_stack_config, run_plan
from strongroom.engine.plan import STACK_TYPE, Plan, PlanResource
from strongroom.errors import StrongroomError, UsageError
from strongroom.process import collector_paused
from strongroom.report import Report, Rule, Violation, severity_of

if TYPE_CHECKING:
    from strongroom.inprocess import InProcessPack

#: Signature key and secret signature of Pulumi's property encoding (sdk/go/common/resource/properties.go).
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
#: The value the engine sends for a property that is not known during preview.
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

SOURCE = "pulumi-policy"
_GRPC_OPTIONS = [("grpc.max_receive_message_length", 1 << 30), ("grpc.max_send_message_length", 1 << 30)]
_CONTROL_NAME = re.compile(r"^sr-[a-z]+-\d{3}$")
_CANT_RUN = "can't run policy"
_IN_FLIGHT = 16

_ENFORCEMENT_NAMES = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.DISABLED: "disabled",
    analyzer_pb2.REMEDIATE: "remediate",
}
_ENFORCEMENT_VALUES = {name: value for value, name in _ENFORCEMENT_NAMES.items()}


class PolicyPackError(StrongroomError):
    """The policy pack could not be started or failed while analysing. Exit code 2 (a configuration
    problem of the pack given to ``strongroom check``, never a finding)."""

    exit_code = 2


def secret(value: Any) -> dict[str, Any]:
    """``value`` marked secret, in the engine's wire form."""
    return {SIG_KEY: SECRET_SIG, "value": value}


def _check_value(value: Any, path: str) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        return {str(k): _check_value(v, f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_check_value(v, f"{path}[{i}]") for i, v in enumerate(value)]
    raise TypeError(
        f"property {path} has a value of type {type(value).__name__}; the analyzer protocol accepts "
        "null, booleans, numbers, strings, lists and maps (secrets as secret(...), unknowns as UNKNOWN)"
    )


def to_struct(properties: Mapping[str, Any]) -> struct_pb2.Struct:
    """Marshal plain properties into the ``google.protobuf.Struct`` the engine sends.

    Secrets and unknowns are already in wire form in a Plan (:func:`secret`, :data:`UNKNOWN`) and pass
    through unchanged, exactly as the engine marshals them with ``KeepSecrets`` and ``KeepUnknowns``.
    Numbers become doubles, as on the wire.
    """
    struct = struct_pb2.Struct()
    struct.update({k: _check_value(v, k) for k, v in properties.items()})
    return struct


@dataclass(frozen=True)
class PolicyInfo:
    """One policy as ``GetAnalyzerInfo`` describes it."""

    name: str
    description: str
    enforcement: str
    kind: str
    severity: str | None = None
    display_name: str = ""
    remediation: str = ""
    url: str = ""
    tags: tuple[str, ...] = ()
    config_schema: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AnalyzerInfo:
    name: str
    version: str
    policies: tuple[PolicyInfo, ...]
    initial_config: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def enabled(self) -> list[PolicyInfo]:
        return [p for p in self.policies if p.enforcement != "disabled"]


@dataclass(frozen=True)
class Diagnostic:
    """One ``AnalyzeDiagnostic``, attributed to a URN the way the CLI attributes it."""

    policy_name: str
    policy_pack_name: str
    description: str
    message: str
    enforcement: str
    urn: str
    severity: str | None = None

    @property
    def could_not_run(self) -> bool:
        """The pack could not evaluate the policy (it read an unknown value): not a violation."""
        return self.message.startswith(_CANT_RUN)


def _policy_info(p: analyzer_pb2.PolicyInfo) -> PolicyInfo:
    severity_name = analyzer_pb2.PolicySeverity.Name(p.severity)
    kind = {analyzer_pb2.POLICY_TYPE_RESOURCE: "resource", analyzer_pb2.POLICY_TYPE_STACK: "stack"}
    return PolicyInfo(
        name=p.name,
        description=p.description,
        enforcement=_ENFORCEMENT_NAMES.get(p.enforcementLevel, "advisory"),
        kind=kind.get(p.policy_type, "unknown"),
        severity=None
        if p.severity == analyzer_pb2.POLICY_SEVERITY_UNSPECIFIED
        else severity_of(severity_name),
        display_name=p.displayName,
        remediation=p.remediation_steps,
        url=p.url,
        tags=tuple(p.tags),
        config_schema=json_format.MessageToDict(p.configSchema),
    )


class _Engine(engine_pb2_grpc.EngineServicer):
    """The slice of the CLI's Engine service a policy pack may call: logging and the root resource."""

    def __init__(self) -> None:
        self.logs: list[tuple[str, str, str]] = []
        self.root_resource = ""
        self._lock = threading.Lock()

    def Log(self, request: engine_pb2.LogRequest, context: grpc.ServicerContext) -> empty_pb2.Empty:
        with self._lock:
            self.logs.append((engine_pb2.LogSeverity.Name(request.severity), request.urn, request.message))
        return empty_pb2.Empty()

    def GetRootResource(
        self, request: engine_pb2.GetRootResourceRequest, context: grpc.ServicerContext
    ) -> engine_pb2.GetRootResourceResponse:
        return engine_pb2.GetRootResourceResponse(urn=self.root_resource)

    def SetRootResource(
        self, request: engine_pb2.SetRootResourceRequest, context: grpc.ServicerContext
    ) -> engine_pb2.SetRootResourceResponse:
        self.root_resource = request.urn
        return engine_pb2.SetRootResourceResponse()


class _Drain(threading.Thread):
    """Reads a pipe to the end so the pack never blocks on a full pipe; keeps the text."""

    def __init__(self, stream: Any, *, first_line: threading.Event | None = None) -> None:
        super().__init__(daemon=True)
        self._stream = stream
        self._first_line = first_line
        self.lines: list[str] = []

    def run(self) -> None:
        for raw in iter(self._stream.readline, b""):
            self.lines.append(raw.decode(errors="replace"))
            if self._first_line is not None:
                self._first_line.set()
        if self._first_line is not None:
            self._first_line.set()

    @property
    def text(self) -> str:
        return "".join(self.lines)


def validate_pack_dir(pack_dir: Path) -> Path:
    """The pack directory, resolved; UsageError naming the path if it is not a Python policy pack."""
    pack_dir = pack_dir.expanduser().resolve()
    manifest = pack_dir / "PulumiPolicy.yaml"
    if not manifest.is_file():
        raise UsageError(
            f"--policy-pack {pack_dir}: no PulumiPolicy.yaml there; give the directory of a CrossGuard "
            "policy pack (PulumiPolicy.yaml with runtime: python, and __main__.py)"
        )
    if not (pack_dir / "__main__.py").is_file():
        raise UsageError(f"--policy-pack {pack_dir}: no __main__.py; a Python policy pack needs one")
    text = manifest.read_text(encoding="utf-8")
    if not re.search(r"^runtime:\s*(\{\s*name:\s*)?python\b|^\s+name:\s*python\b", text, re.MULTILINE):
        raise UsageError(f"{manifest}: runtime must be python (strongroom check runs Python packs only)")
    return pack_dir


def configured_info(info: AnalyzerInfo, policy_config: Mapping[str, Mapping[str, Any]]) -> AnalyzerInfo:
    """``info`` with the enforcement levels ``policy_config`` sets (a policy without ``enforcementLevel``
    keeps its own). UsageError for a policy the pack does not have or a level that does not exist."""
    levels = {p.name: p.enforcement for p in info.policies}
    for name, cfg in policy_config.items():
        if name not in levels:
            raise UsageError(
                f"policy config names {name!r}, which pack {info.name} does not have; "
                f"its policies: {', '.join(sorted(levels))}"
            )
        level = str(cfg.get("enforcementLevel", levels[name]))
        if level not in _ENFORCEMENT_VALUES:
            raise UsageError(
                f"policy config {name}.enforcementLevel is {level!r}; accepted: "
                f"{', '.join(_ENFORCEMENT_VALUES)}"
            )
    return AnalyzerInfo(
        name=info.name,
        version=info.version,
        policies=tuple(
            PolicyInfo(**{**p.__dict__, "enforcement": str(policy_config[p.name].get("enforcementLevel"))})
            if p.name in policy_config and "enforcementLevel" in policy_config[p.name]
            else p
            for p in info.policies
        ),
        initial_config=info.initial_config,
    )


RPC_TIMEOUT_FACTOR_ENV = "STRONGROOM_RPC_TIMEOUT_FACTOR"


def rpc_timeout_factor() -> float:
    """``STRONGROOM_RPC_TIMEOUT_FACTOR``: what the Analyzer deadlines are multiplied by (1 when unset).
    UsageError naming the variable for anything but a number greater than 0."""
    raw = os.environ.get(RPC_TIMEOUT_FACTOR_ENV, "").strip()
    if not raw:
        return 1.0
    try:
        factor = float(raw)
    except ValueError:
        factor = -1.0
    if not factor > 0 or factor == float("inf"):
        raise UsageError(
            f"{RPC_TIMEOUT_FACTOR_ENV}={raw!r}: accepted: a number greater than 0 (e.g. 4 gives the "
            "policy pack four times the default time per call)"
        )
    return factor


class PolicyPackProcess:
    """A running policy pack and an Analyzer client for it. Use as a context manager.

    ``start_timeout`` bounds the wait for the pack to print its port. Deadlines scale with the plan:
    ``rpc_timeout`` bounds each call about one resource or none (``Analyze``, ``Configure``...), and
    ``AnalyzeStack`` gets ``rpc_timeout`` plus ``per_resource_timeout`` for every resource it carries.
    ``STRONGROOM_RPC_TIMEOUT_FACTOR`` (a number > 0) multiplies both, for a machine slower than that.
    """

    def __init__(
        self,
        pack_dir: Path,
        *,
        project: str,
        stack: str,
        organization: str = "organization",
        config: Mapping[str, str] | None = None,
        dry_run: bool = True,
        python: str = sys.executable,
        start_timeout: float = 60.0,
        rpc_timeout: float = 120.0,
        per_resource_timeout: float = 0.1,
    ) -> None:
        self.pack_dir = validate_pack_dir(pack_dir)
        self.project = project
        self.stack = stack
        self.organization = organization
        self.config = dict(config or {})
        self.dry_run = dry_run
        self.python = python
        self.start_timeout = start_timeout
        factor = rpc_timeout_factor()
        self.rpc_timeout = rpc_timeout * factor
        self.per_resource_timeout = per_resource_timeout * factor
        self.engine = _Engine()
        self._engine_address = ""
        self.info: AnalyzerInfo | None = None
        self._server: grpc.Server | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._channel: grpc.Channel | None = None
        self._stub: analyzer_pb2_grpc.AnalyzerStub | None = None
        self._stdout: _Drain | None = None
        self._stderr: _Drain | None = None
        # Strongroom's own pack judges a resource by its Analyze request alone, so within one pack
        # process an identical request (an unchanged resource of another plan, as when check_plans
        # judges mutations of one plan) is answered with the diagnostics the pack gave it before.
        # Any other pack is asked every time.
        self._analyzed: dict[bytes, Any] | None = {} if self.pack_dir == default_pack_dir() else None

    # -- lifecycle ---------------------------------------------------------------------------------------

    def __enter__(self) -> PolicyPackProcess:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def command(self) -> list[str]:
        return [self.python, "-u", "-m", "pulumi.policy", self.engine_address, "."]

    @property
    def engine_address(self) -> str:
        return self._engine_address

    def _environment(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.config:
            env["PULUMI_CONFIG"] = json.dumps(self.config)
        env.update(
            PULUMI_PROJECT=self.project,
            PULUMI_STACK=self.stack,
            PULUMI_ORGANIZATION=self.organization,
            PULUMI_DRY_RUN="true" if self.dry_run else "false",
        )
        return env

    def start(self) -> None:
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=2), options=_GRPC_OPTIONS)
        engine_pb2_grpc.add_EngineServicer_to_server(self.engine, server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        self._server = server
        self._engine_address = f"127.0.0.1:{port}"

        self._process = subprocess.Popen(
            self.command,
            cwd=self.pack_dir,
            env=self._environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        got_line = threading.Event()
        self._stdout = _Drain(self._process.stdout, first_line=got_line)
        self._stderr = _Drain(self._process.stderr)
        self._stdout.start()
        self._stderr.start()
        got_line.wait(self.start_timeout)
        if not self._stdout.lines:
            try:
                self._process.wait(timeout=1 if got_line.is_set() else 0.1)
            except subprocess.TimeoutExpired:
                self._fail(f"did not print its port within {self.start_timeout:g} s")
            self._fail("exited before printing its port")
        first = self._stdout.lines[0].strip()
        if not first.isdigit():
            self._fail(f"printed {first!r} where its port was expected")
        self._channel = grpc.insecure_channel(f"127.0.0.1:{first}", options=_GRPC_OPTIONS)
        try:
            grpc.channel_ready_future(self._channel).result(timeout=self.start_timeout)
        except grpc.FutureTimeoutError:
            self._fail(f"printed port {first} but did not accept a connection there")
        self._stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)
        self._handshake()
        self._call(
            "ConfigureStack",
            analyzer_pb2.AnalyzerStackConfigureRequest(
                stack=self.stack,
                project=self.project,
                organization=self.organization,
                dry_run=self.dry_run,
                config=self.config,
            ),
        )
        self.info = self.get_analyzer_info()
        if self.info.initial_config:
            self.configure(self.info.initial_config)

    def _handshake(self) -> None:
        request = analyzer_pb2.AnalyzerHandshakeRequest(
            engine_address=self.engine_address,
            root_directory=str(self.pack_dir),
            program_directory=str(self.pack_dir),
        )
        try:
            assert self._stub is not None
            self._stub.Handshake(request, timeout=self.rpc_timeout)
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.UNIMPLEMENTED:  # the CLI accepts UNIMPLEMENTED too
                self._fail(f"Handshake failed: {error.code().name}: {error.details()}")

    def close(self) -> None:
        """Stop the pack (SIGTERM, then SIGKILL after 5 s), reap it, and stop the engine service."""
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        if self._process is not None:
            if self._process.poll() is None:
                self._process.terminate()
                try:
                    self._process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait()
            for drain in (self._stdout, self._stderr):
                if drain is not None:
                    drain.join(timeout=5)
            for stream in (self._process.stdout, self._process.stderr):
                if stream is not None:
                    stream.close()
        if self._server is not None:
            self._server.stop(grace=None)
            self._server = None

    @property
    def returncode(self) -> int | None:
        return None if self._process is None else self._process.poll()

    @property
    def stderr(self) -> str:
        return self._stderr.text if self._stderr is not None else ""

    def _fail(self, what: str) -> NoReturn:
        time.sleep(0.05)  # let the drain threads catch the pack's last words
        exit_code = self.returncode
        status = f" (exited with code {exit_code})" if exit_code is not None else ""
        stderr = self.stderr.strip() or "(nothing on stderr)"
        logs = "\n".join(f"{sev}: {msg}" for sev, _, msg in self.engine.logs)
        raise PolicyPackError(
            f"policy pack {self.pack_dir} {what}{status}.\ncommand: {' '.join(self.command)} "
            f"(in {self.pack_dir})\nstderr of the pack:\n{stderr[-4000:]}"
            + (f"\nlogged:\n{logs}" if logs else "")
        )

    def _call(self, method: str, request: Any) -> Any:
        assert self._stub is not None, "the pack is not started"
        try:
            return getattr(self._stub, method)(request, timeout=self.rpc_timeout)
        except grpc.RpcError as error:
            self._rpc_failed(method, self.rpc_timeout, error)

    # -- the Analyzer protocol ---------------------------------------------------------------------------

    def get_analyzer_info(self) -> AnalyzerInfo:
        response = self._call("GetAnalyzerInfo", empty_pb2.Empty())
        initial = {
            name: {
                **json_format.MessageToDict(cfg.properties),
                "enforcementLevel": _ENFORCEMENT_NAMES.get(cfg.enforcementLevel, "advisory"),
            }
            for name, cfg in response.initialConfig.items()
        }
        return AnalyzerInfo(
            name=response.name,
            version=response.version,
            policies=tuple(sorted((_policy_info(p) for p in response.policies), key=lambda p: p.name)),
            initial_config=initial,
        )

    def configure(self, policy_config: Mapping[str, Mapping[str, Any]]) -> None:
        """Send policy config, ``{policy: {"enforcementLevel": "mandatory", <property>: value}}``, as the
        CLI does from ``--policy-pack-config``. A policy without ``enforcementLevel`` keeps its own."""
        assert self.info is not None
        configured = configured_info(self.info, policy_config)
        levels = {p.name: p.enforcement for p in self.info.policies}
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, cfg in policy_config.items():
            entry = request.policyConfig[name]
            entry.enforcementLevel = _ENFORCEMENT_VALUES[str(cfg.get("enforcementLevel", levels[name]))]
            entry.properties.update({k: v for k, v in cfg.items() if k != "enforcementLevel"})
        self._call("Configure", request)
        self.info = configured
        if self._analyzed is not None:
            self._analyzed.clear()  # answers given under the previous config

    def analyze_plan(self, plan: Plan) -> list[Diagnostic]:
        """``Analyze`` for every resource, then ``AnalyzeStack`` once: the CLI's order."""
        by_urn = {r.urn: r for r in plan.resources}
        root = next((r.urn for r in plan.resources if r.type == STACK_TYPE), "")
        # Keep a few Analyze calls in flight (the pack serves them on a pool of 4 threads) and collect
        # them in plan order; unbounded fan-out makes gRPC cancel calls on large plans.
        diagnostics: list[Diagnostic] = []
        in_flight: deque[tuple[str, Any, bytes | None]] = deque()
        for resource in plan.resources:
            request = analyze_request(resource, _provider_of(resource, by_urn))
            analyzed = self._analyzed
            key = None if analyzed is None else request.SerializeToString(deterministic=True)
            if analyzed is not None and key in analyzed:
                in_flight.append((resource.urn, None, key))
            else:
                in_flight.append((resource.urn, self._stub_call("Analyze", request), key))
            if len(in_flight) >= _IN_FLIGHT:
                diagnostics += self._collect(*in_flight.popleft())
        while in_flight:
            diagnostics += self._collect(*in_flight.popleft())
        request = analyzer_pb2.AnalyzeStackRequest(
            resources=[analyzer_resource(r, _provider_of(r, by_urn)) for r in plan.resources]
        )
        for d in self._analyze_stack(request).diagnostics:
            urn = d.urn if d.urn in by_urn else root
            diagnostics.append(_diagnostic(d, urn))
        return diagnostics

    def _stub_call(self, method: str, request: Any) -> Any:
        assert self._stub is not None, "the pack is not started"
        return getattr(self._stub, method).future(request, timeout=self.rpc_timeout)

    def _collect(self, urn: str, call: Any, key: bytes | None = None) -> list[Diagnostic]:
        if call is None and key is not None and self._analyzed is not None:
            response = self._analyzed[key]
        else:
            try:
                response = call.result()
            except grpc.RpcError as error:
                self._rpc_failed(f"Analyze of {urn}", self.rpc_timeout, error)
            if key is not None and self._analyzed is not None:
                self._analyzed[key] = response
        return [_diagnostic(d, urn) for d in response.diagnostics]

    def stack_deadline(self, resources: int) -> float:
        """Seconds ``AnalyzeStack`` of ``resources`` resources may take."""
        return self.rpc_timeout + self.per_resource_timeout * resources

    def _analyze_stack(self, request: analyzer_pb2.AnalyzeStackRequest) -> Any:
        assert self._stub is not None, "the pack is not started"
        count = len(request.resources)
        deadline = self.stack_deadline(count)
        try:
            return self._stub.AnalyzeStack(request, timeout=deadline)
        except grpc.RpcError as error:
            allowance = f"{self.rpc_timeout:g} s + {self.per_resource_timeout:g} s per resource"
            self._rpc_failed(f"AnalyzeStack of {count} resources", deadline, error, allowance)

    def _rpc_failed(
        self, stage: str, deadline: float, error: grpc.RpcError, allowance: str = "per call"
    ) -> NoReturn:
        if error.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
            self._fail(
                f"did not answer {stage} within its deadline of {deadline:.0f} s ({allowance}): the "
                "machine is overloaded or the pack is stuck. Re-run on a less loaded machine, allow more "
                "time with STRONGROOM_RPC_TIMEOUT_FACTOR=<factor> (e.g. 4), or, for Strongroom's own pack, "
                "leave out --via-analyzer to evaluate it in process, without deadlines"
            )
        self._fail(f"failed in {stage}: {error.code().name}: {error.details()}")


def _provider_of(resource: PlanResource, by_urn: Mapping[str, PlanResource]) -> PlanResource | None:
    """The provider the CLI names for a resource: its explicit provider, or for a custom resource without
    one the package's default provider (the engine creates ``default`` providers on demand, so a custom
    resource always has one; a component never does)."""
    if not resource.provider:
        if not resource.custom or resource.type.startswith("pulumi:"):
            return None
        package = resource.type.split(":")[0]
        project, stack = _project_stack(resource.urn)
        return PlanResource(
            urn=f"urn:pulumi:{stack}::{project}::pulumi:providers:{package}::default",
            type=f"pulumi:providers:{package}",
            name="default",
            custom=True,
        )
    provider_urn = resource.provider.split("::")[:-1]
    return by_urn.get("::".join(provider_urn))


def _project_stack(urn: str) -> tuple[str, str]:
    parts = urn.split("::")
    return (parts[1], parts[0].removeprefix("urn:pulumi:")) if len(parts) > 2 else ("project", "stack")


def _options(resource: PlanResource) -> analyzer_pb2.AnalyzerResourceOptions:
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=resource.protect, parent=resource.parent or "", ignoreChanges=resource.ignore_changes
    )


def _provider_message(provider: PlanResource | None) -> analyzer_pb2.AnalyzerProviderResource | None:
    if provider is None:
        return None
    return analyzer_pb2.AnalyzerProviderResource(
        type=provider.type, properties=to_struct(provider.inputs), urn=provider.urn, name=provider.name
    )


def analyze_request(
    resource: PlanResource, provider: PlanResource | None = None
) -> analyzer_pb2.AnalyzeRequest:
    """The ``AnalyzeRequest`` the CLI sends for one registration: the resource's inputs."""
    return analyzer_pb2.AnalyzeRequest(
        type=resource.type,
        properties=to_struct(resource.inputs),
        urn=resource.urn,
        name=resource.name,
        options=_options(resource),
        provider=_provider_message(provider),
    )


def stack_properties(resource: PlanResource) -> dict[str, Any]:
    """The properties ``AnalyzeStack`` sees: the resource's outputs. Under the offline engine the mock
    outputs are the inputs plus the computed values (id, arn...), as a provider's preview would return;
    inputs the mock did not echo back are kept so stack policies see every declared property."""
    return {**resource.inputs, **resource.outputs}


def analyzer_resource(
    resource: PlanResource, provider: PlanResource | None = None
) -> analyzer_pb2.AnalyzerResource:
    """The ``AnalyzerResource`` the CLI sends in ``AnalyzeStack``."""
    message = analyzer_pb2.AnalyzerResource(
        type=resource.type,
        properties=to_struct(stack_properties(resource)),
        urn=resource.urn,
        name=resource.name,
        options=_options(resource),
        provider=_provider_message(provider),
        parent=resource.parent or "",
        dependencies=resource.dependencies,
    )
    for key, urns in resource.property_dependencies.items():
        if urns:  # the CLI skips properties without dependencies
            message.propertyDependencies[key].urns.extend(urns)
    return message


def _diagnostic(d: analyzer_pb2.AnalyzeDiagnostic, urn: str) -> Diagnostic:
    severity = None
    if d.severity != analyzer_pb2.POLICY_SEVERITY_UNSPECIFIED:
        severity = severity_of(analyzer_pb2.PolicySeverity.Name(d.severity))
    return Diagnostic(
        policy_name=d.policyName,
        policy_pack_name=d.policyPackName,
        description=d.description,
        message=d.message,
        enforcement=_ENFORCEMENT_NAMES.get(d.enforcementLevel, "advisory"),
        urn=urn,
        severity=severity,
    )


# -- from diagnostics to a report ------------------------------------------------------------------------


def control_id(policy_name: str) -> str:
    """Strongroom's policy names are control IDs in lower case (``sr-net-001`` -> ``SR-NET-001``); other
    packs' policy names are kept as they are."""
    return policy_name.upper() if _CONTROL_NAME.match(policy_name) else policy_name


def _catalog_rules() -> dict[str, Rule]:
    """Rules for every control of Strongroom's catalog; empty when the catalog cannot be imported (a
    foreign pack is then described by its own ``GetAnalyzerInfo``)."""
    try:
        from strongroom.policies import catalog
    except ImportError:
        return {}
    rules = {}
    for control in catalog.CATALOG:
        rules[control.id] = Rule(
            id=control.id,
            title=control.title,
            severity=control.severity,
            enforcement=control.enforcement,
            description=control.rationale,
            remediation=control.remediation,
            tags=tuple(sorted(control.frameworks)),
            frameworks=dict(control.frameworks),
        )
    return rules


def rules_for(info: AnalyzerInfo, catalog: Mapping[str, Rule] | None = None) -> dict[str, Rule]:
    """The report rules of a pack's enabled policies: catalog metadata where the control is in the
    catalog (with the enforcement the pack actually applies), the pack's own description otherwise."""
    catalog = _catalog_rules() if catalog is None else catalog
    rules: dict[str, Rule] = {}
    for policy in info.enabled():
        control = control_id(policy.name)
        known = catalog.get(control)
        if known is not None:
            rules[control] = Rule(**{**known.__dict__, "enforcement": policy.enforcement})
        else:
            rules[control] = Rule(
                id=control,
                title=policy.display_name or policy.description,
                severity=policy.severity or "medium",
                enforcement=policy.enforcement,
                description=policy.description,
                remediation=policy.remediation,
                help_uri=policy.url,
                tags=policy.tags,
            )
    return rules


def _specific_message(d: Diagnostic) -> str:
    """The pack prefixes every message with the policy description; keep only what is specific."""
    prefix = d.description + "\n"
    return d.message[len(prefix) :] if d.description and d.message.startswith(prefix) else d.message


def build_report(
    plan: Plan,
    info: AnalyzerInfo,
    diagnostics: Iterable[Diagnostic],
    *,
    rules: Mapping[str, Rule] | None = None,
    artifact: str = "Pulumi.yaml",
) -> Report:
    """Map diagnostics to violations of catalog controls and count what passed."""
    rules = dict(rules_for(info) if rules is None else rules)
    by_urn = {r.urn: r for r in plan.resources}
    violations: list[Violation] = []
    notes: list[str] = []
    seen: set[tuple[str, str, str]] = set()
    for d in diagnostics:
        if d.could_not_run:
            notes.append(f"{d.policy_name}: {d.message}")
            continue
        control = control_id(d.policy_name)
        rule = rules.get(control) or Rule(
            id=control, title=d.description, severity=d.severity or "medium", enforcement=d.enforcement
        )
        rules.setdefault(control, rule)
        resource = by_urn.get(d.urn)
        message = _specific_message(d)
        key = (control, d.urn, message)
        if key in seen:
            continue
        seen.add(key)
        violations.append(
            Violation(
                control=control,
                title=rule.title,
                severity=rule.severity,
                enforcement=d.enforcement,
                resource_urn=d.urn,
                resource_type=resource.type if resource else "",
                resource_name=resource.name if resource else "",
                message=message,
                source=SOURCE,
            )
        )
    failed = {v.control for v in violations}
    evaluated = [control_id(p.name) for p in info.enabled()]
    return Report(
        stack=plan.stack,
        resources=len(plan.resources),
        controls=len(evaluated),
        violations=violations,
        passed_controls=sorted(set(evaluated) - failed),
        notes=notes,
        sources={SOURCE: f"{info.name} {info.version}"},
        rules=rules,
        artifact=artifact,
    )


def default_pack_dir() -> Path:
    """Strongroom's own pack: the ``policies`` package directory next to the installed ``strongroom``."""
    from strongroom import policies

    return Path(policies.__file__).resolve().parent


def repo_relative(path: Path) -> str:
    """``path`` relative to the enclosing git repository (or to its own directory), POSIX style."""
    path = path.resolve()
    for parent in path.parents:
        if (parent / ".git").exists():
            return path.relative_to(parent).as_posix()
    return path.name


def load_policy_config(path: Path) -> dict[str, dict[str, Any]]:
    """A policy config file in the format of ``pulumi preview --policy-pack-config``: a JSON object of
    policy name -> object (``enforcementLevel`` and the policy's properties). UsageError naming the file,
    the key and the value otherwise."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"--policy-config {path}: cannot be read ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"--policy-config {path}: not JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise UsageError(f"--policy-config {path}: must be a JSON object of policy name -> object")
    for name, value in data.items():
        if not isinstance(value, dict):
            raise UsageError(
                f"--policy-config {path}: key {name!r} = {json.dumps(value)}: accepted: an object "
                '(e.g. {"enforcementLevel": "mandatory"} or the policy\'s properties)'
            )
    allowed = (data.get("sr-gov-001") or {}).get("allowedTypes")
    if allowed is not None:
        if not isinstance(allowed, dict):
            raise UsageError(
                f"--policy-config {path}: key sr-gov-001.allowedTypes = {json.dumps(allowed)}: accepted: "
                "an object of resource type -> justification"
            )
        for type_, why in allowed.items():
            if not isinstance(why, str) or len(why.strip()) < 10:
                raise UsageError(
                    f"--policy-config {path}: key sr-gov-001.allowedTypes.{type_} = {json.dumps(why)}: "
                    "accepted: a justification of at least 10 characters saying why the type is safe"
                )
    return data


def perimeter_policy_config(
    info: AnalyzerInfo,
    stack_config: Mapping[str, Any],
    account: str | None,
    policy_config: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, dict[str, Any]]:
    """The policy config ``strongroom check`` sends: for every policy whose schema takes the perimeter,
    the keys derived from the stack config (``policies.config.from_stack_config``) with the account the
    stack is planned as added to the trusted accounts, then the user's own policy config over it."""
    from strongroom.policies.config import from_stack_config

    derived = from_stack_config(stack_config)
    if account is not None:
        derived["trustedAccounts"] = sorted({*derived.get("trustedAccounts", []), account})
    result: dict[str, dict[str, Any]] = {name: dict(cfg) for name, cfg in (policy_config or {}).items()}
    for policy in info.policies:
        properties = policy.config_schema.get("properties", {})
        if "trustedAccounts" in properties:
            result[policy.name] = {**derived, **result.get(policy.name, {})}
    return result


def perimeter_note(policy_config: Mapping[str, Mapping[str, Any]]) -> str:
    """What the pack judged against: the perimeter and regions it was given (for the auditor)."""
    given = (policy_config.get("sr-gov-001") or {}) if policy_config else {}
    accounts = ", ".join(given.get("trustedAccounts") or []) or "none (accounts can't be judged)"
    organization = given.get("organizationId") or "none"
    regions = ", ".join(given.get("regions") or []) or "not known"
    return f"perimeter: accounts {accounts}; organization {organization}; regions {regions}"


def allowed_type_notes(plan: Plan, policy_config: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """One note per type allowed through the policy config: the type, its justification and how many
    resources of the plan it let through."""
    from strongroom.policies.tokens import canonical

    allowed = (policy_config.get("sr-gov-001") or {}).get("allowedTypes") or {}
    notes = []
    for type_, why in sorted(allowed.items()):
        count = sum(1 for r in plan.resources if type_ in (r.type, canonical(r.type)))
        notes.append(
            f"allowed by policy config (sr-gov-001.allowedTypes): {type_} ({count} resource(s)): {why}"
        )
    return notes


ENGINE_SOURCE = "strongroom-engine"


def engine_findings(plan: Plan, report: Report) -> list[Violation]:
    """What the program did that no policy pack is shown, found in the offline run: resource hooks (code
    the CLI runs at deploy time; SR-GOV-002), components of other languages whose children the offline
    engine cannot build (SR-GOV-004, and the report is not evaluated: exit 3 unless a mandatory
    violation decides) and lookups the engine had no offline answer for (their results are unknown;
    SR-GOV-004, mandatory in prod)."""
    from strongroom.policies.catalog import get

    def violation(control_id: str, urn: str, type_: str, name: str, message: str) -> Violation:
        control = get(control_id)
        return Violation(
            control=control.id,
            title=control.title,
            severity=control.severity,
            enforcement=control.enforcement_for(plan.stack),
            resource_urn=urn,
            resource_type=type_,
            resource_name=name,
            message=message,
            source=ENGINE_SOURCE,
        )

    found: list[Violation] = []
    for r in plan.resources:
        if r.hooks:
            hooks = ", ".join(r.hooks)
            message = (
                f"'{r.name}' binds resource hooks ({hooks}): code run at deploy time that no policy pack is "
                "shown"
            )
            found.append(violation("SR-GOV-002", r.urn, r.type, r.name, message))
        if r.remote:
            reason = (
                f"remote component '{r.name}' ({r.type}) is built by its plugin, which the offline engine "
                "cannot run: none of its children were judged"
            )
            report.unevaluated.append(reason)
            found.append(violation("SR-GOV-004", r.urn, r.type, r.name, reason))
    root = next((r for r in plan.resources if r.type == STACK_TYPE), None)
    root_urn, root_name = (root.urn, root.name) if root else ("", plan.stack)
    for where in plan.preview_checks:
        message = (
            f"the program asks whether it runs as a preview (pulumi.runtime.is_dry_run() at {where}): what "
            "`pulumi up` deploys can differ from what this check saw"
        )
        found.append(violation("SR-GOV-002", root_urn, STACK_TYPE, root_name, message))
    for invoke in plan.invokes:
        if not invoke.answered:
            message = (
                f"lookup {invoke.token} has no offline answer: every field of its result is unknown, so what "
                "the program built from it was not judged on the account's real values"
            )
            found.append(violation("SR-GOV-004", root_urn, STACK_TYPE, root_name, message))
    failed = {v.control for v in found}
    report.passed_controls = [c for c in report.passed_controls if c not in failed]
    return found


def faked_lookup_notes(plan: Plan) -> list[str]:
    """One note per lookup the offline engine answered with a plausible fake instead of the account's
    real answer (``getAmi``, ``getVpc``, ...): what the program built from it was judged on that fake."""
    from strongroom.engine.invokes import describe_call, faked_value

    notes = [
        f"lookup {describe_call(i.token, i.args)} was faked offline: {faked_value(i.token, i.result)}; the "
        "real account may answer differently"
        for i in plan.invokes
        if i.kind == "faked"
    ]
    return list(dict.fromkeys(notes))  # the same call made twice is one note


def open_pack(
    pack_dir: Path | None,
    *,
    project: str,
    stack: str,
    config: Mapping[str, str] | None = None,
    via_analyzer: bool = False,
) -> PolicyPackProcess | InProcessPack:
    """The pack to check with: Strongroom's own (``pack_dir`` None or the path of its ``policies/``)
    evaluated in process (:mod:`strongroom.inprocess`, the same diagnostics without the Analyzer
    protocol's cost), any other pack, or any pack with ``via_analyzer``, as a process over gRPC."""
    with collector_paused():  # the pack's imports: long-lived objects only (strongroom.process)
        from strongroom.inprocess import InProcessPack, is_own_pack

    if not via_analyzer and is_own_pack(pack_dir):
        return InProcessPack(project=project, stack=stack, config=config)
    return PolicyPackProcess(pack_dir or default_pack_dir(), project=project, stack=stack, config=config)


def check_plan(
    plan: Plan,
    pack_dir: Path | None = None,
    *,
    policy_config: Mapping[str, Mapping[str, Any]] | None = None,
    config: Mapping[str, str] | None = None,
    account: str | None = None,
    artifact: str = "Pulumi.yaml",
    via_analyzer: bool = False,
) -> Report:
    """Run the pack over a Plan and report. ``config`` is the stack config (``ns:key`` -> string), handed
    to the pack as the CLI does (``PULUMI_CONFIG`` and ``ConfigureStack``); the perimeter derived from it
    (and ``account``) is sent as policy config to every policy that takes it, under ``policy_config``.
    Strongroom's own pack is evaluated in process unless ``via_analyzer`` (:func:`open_pack`)."""
    with open_pack(
        pack_dir, project=plan.project, stack=plan.stack, config=config, via_analyzer=via_analyzer
    ) as pack:
        assert pack.info is not None
        effective = perimeter_policy_config(pack.info, config or {}, account, policy_config)
        if effective:
            pack.configure(effective)
        diagnostics = pack.analyze_plan(plan)
        report = build_report(plan, pack.info, diagnostics, artifact=artifact)
        if "sr-gov-001" in effective:  # Strongroom's pack (a foreign pack takes no perimeter)
            report.notes.append(perimeter_note(effective))
        report.notes.extend(allowed_type_notes(plan, effective))
        report.violations.extend(engine_findings(plan, report))
        report.notes.extend(faked_lookup_notes(plan))
        return report


def plan_and_check(
    project_dir: Path,
    stack: str,
    *,
    pack_dir: Path | None = None,
    account: str = DEFAULT_ACCOUNT,
    policy_config: Mapping[str, Mapping[str, Any]] | None = None,
    via_analyzer: bool = False,
    planned: Plan | None = None,
) -> tuple[Report, Plan]:
    """``strongroom check``: the offline plan of ``stack``, then the pack over it; the report and the plan
    (which ``--checkov`` exports and scans, so the program runs once). ``planned`` is a plan of the stack
    made earlier (the plan cache's): it is checked instead of running the program.

    The pack directory is checked before the program runs, so a wrong ``--policy-pack`` fails fast.
    SARIF results point at the stack's config file, relative to the repository root.
    """
    pack_dir = validate_pack_dir(pack_dir or default_pack_dir())
    project = load_project(Path(project_dir))
    config = load_stack_config(project, stack)
    plan = planned if planned is not None else run_plan(project.directory, stack, account=account)
    stack_file = project.stack_file(stack)
    report = check_plan(
        plan,
        pack_dir,
        config=config.values,
        account=account,
        policy_config=policy_config,
        artifact=repo_relative(stack_file),
        via_analyzer=via_analyzer,
    )
    report.notes[:0] = plan.warnings
    return report, plan


def check_project(
    project_dir: Path,
    stack: str,
    *,
    pack_dir: Path | None = None,
    account: str = DEFAULT_ACCOUNT,
) -> Report:
    """The report of :func:`plan_and_check`."""
    return plan_and_check(project_dir, stack, pack_dir=pack_dir, account=account)[0]


def check_plans(
    plans: Sequence[Plan],
    pack_dir: Path | None = None,
    *,
    config: Mapping[str, str] | None = None,
    account: str | None = None,
    via_analyzer: bool = False,
) -> tuple[AnalyzerInfo, list[list[Diagnostic]]]:
    """Run one pack over several plans (for example mutations of one plan): one list of diagnostics per
    plan, in order, all judged as the first plan's stack. ``config`` and ``account`` give the perimeter as
    in :func:`check_plan`; Strongroom's own pack is evaluated in process unless ``via_analyzer``, any
    other pack runs as one process over gRPC."""
    if not plans:
        raise ValueError("check_plans needs at least one plan")
    first = plans[0]
    with open_pack(
        pack_dir, project=first.project, stack=first.stack, config=config, via_analyzer=via_analyzer
    ) as pack:
        assert pack.info is not None
        effective = perimeter_policy_config(pack.info, config or {}, account)
        if effective:
            pack.configure(effective)
        results = [pack.analyze_plan(plan) for plan in plans]
        return pack.info, results


def apply_strict(report: Report) -> Report:
    """``--strict``: every evaluation that could not run (SR-GOV-004: a control needed a value unknown at
    preview, a perimeter that is not configured, a lookup with no offline answer) makes the report not
    evaluated (exit 3 unless a mandatory violation decides), listed one by one."""
    for v in report.violations:
        if v.control == "SR-GOV-004":
            reason = f"--strict: {v.resource_type}::{v.resource_name}: {v.message}"
            if reason not in report.unevaluated:
                report.unevaluated.append(reason)
    return report


def failed_program_report(stack: str, error: StrongroomError, *, artifact: str = "Pulumi.yaml") -> Report:
    """The report of a check whose program failed: nothing was evaluated (exit 3), and the reason, with
    the file and line the engine found, is the report's own, so a CI run that reads only the JSON or
    SARIF still says why."""
    reason = " ".join(str(error).split())
    return Report(
        stack=stack,
        resources=0,
        controls=0,
        violations=[],
        unevaluated=[f"the program failed, so no control was evaluated: {reason}"],
        artifact=artifact,
    )
