"""``strongroom sandbox``: a local moto server holding a stack's environment, for trying the live audit.

The stack's offline plan is materialised (:mod:`strongroom.live.materialise`) into the moto of a
``moto.server.ThreadedMotoServer`` on 127.0.0.1 (in process, see :func:`_materialise_in_process`); the
command prints the endpoint, then serves until SIGINT or SIGTERM. Tamper with it with the AWS CLI or boto3
(``AWS_ENDPOINT_URL``, credentials ``testing``), then audit it (``--endpoint-url``). Nothing leaves the
machine.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from strongroom.errors import UsageError

#: What the sandbox's own client (and the hint) use: moto accepts any credentials.
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}

INSTALL_HINT = "pip install 'strongroom[sandbox]'"


def _moto() -> tuple[Any, Any]:
    """moto's threaded server and its in-process mock (the 'sandbox' extra)."""
    try:
        from moto import mock_aws
        from moto.server import ThreadedMotoServer
    except ImportError:
        raise UsageError(
            f"strongroom sandbox needs moto's server, which is not installed; accepted: {INSTALL_HINT} "
            "(the 'sandbox' extra)"
        ) from None
    return ThreadedMotoServer, mock_aws


def _check_port(port: int) -> None:
    if not 0 <= port <= 65535:
        raise UsageError(f"--port {port}: not a TCP port; accepted: 1-65535, or 0 for a free port")
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise UsageError(
                f"--port {port}: 127.0.0.1:{port} is in use or not allowed ({exc.strerror}); accepted: a "
                "free port, or --port 0 (the default) for any free port"
            ) from None


def primary_region(plan: Any) -> str:
    """The region of the plan's first AWS provider (the stack's ``aws:region``)."""
    for resource in plan.resources:
        if resource.type == "pulumi:providers:aws" and resource.inputs.get("region"):
            return str(resource.inputs["region"])
    from strongroom.engine import DEFAULT_REGION

    return str(DEFAULT_REGION)


def _echo(line: str) -> None:
    print(line, flush=True)


def serve(
    project_dir: Path,
    stack: str,
    port: int = 0,
    *,
    echo: Callable[[str], None] = _echo,
    stop: threading.Event | None = None,
) -> int:
    """Start moto on 127.0.0.1:``port``, materialise ``stack``'s plan into it, print the endpoint and
    serve until SIGINT/SIGTERM (or ``stop`` is set). Returns the exit code (0)."""
    server_class, mock_aws = _moto()
    _check_port(port)
    from strongroom.engine import run_plan, validate_stack_name

    validate_stack_name(stack)
    plan = run_plan(project_dir, stack)
    region = primary_region(plan)

    os.environ.pop("AWS_PROFILE", None)  # the sandbox's own client talks to moto, never to a profile
    for name in [n for n in os.environ if n == "AWS_ENDPOINT_URL" or n.startswith("AWS_ENDPOINT_URL_")]:
        del os.environ[name]  # nor to an endpoint exported for the audit (the README's loop exports one)
    os.environ.update(FAKE_CREDENTIALS)
    os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")  # no instances in the environment

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log line per request
    from strongroom.live import motofix

    motofix.apply()  # where moto answers unlike AWS (see the module)
    event = stop or threading.Event()
    restore = _stop_on_signals(event)  # before the endpoint is printed: a Ctrl-C right after it stops cleanly
    server = server_class(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        host, bound = server.get_host_and_port()
        endpoint = f"http://{host}:{bound}"
        done = _materialise_in_process(plan, region, mock_aws)
        echo(f"endpoint: {endpoint}")
        skipped = sorted({done.types[urn].split(":")[-1] for urn in done.skipped})
        regions = sorted(
            {c.region for c in done.created.values() if c.region}, key=lambda r: (r != region, r)
        )
        echo(
            f"stack {stack}: {len(done.created)} resources created ({', '.join(regions)})"
            + (f", {len(done.skipped)} not (moto lacks {', '.join(skipped)})" if skipped else "")
        )
        echo("point the AWS CLI or boto3 at it:")
        echo(
            f"  export AWS_ENDPOINT_URL={endpoint} AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing "
            f"AWS_DEFAULT_REGION={region}"
        )
        echo("  aws s3api list-buckets")
        echo(f"  boto3.client('s3', endpoint_url='{endpoint}', region_name='{region}')")
        echo("Ctrl-C to stop.")
        while not event.wait(0.5):
            pass
    finally:
        server.stop()
        restore()
    return 0


def _materialise_in_process(plan: Any, region: str, mock_aws: Any) -> Any:
    """Create ``plan`` in the moto this process serves, through moto's in-process mock rather than over
    HTTP to the server: the server's thread answered each of the ~300 calls while holding the GIL the
    client waited on (about 20 ms a call; the sandbox took 8 s to start). The backends are the ones the
    server serves (moto keeps one set per process), and the mock is stopped without removing its data."""
    from strongroom.live.aws import Aws
    from strongroom.live.materialise import materialise

    mock = mock_aws()
    mock.start(reset=False)
    try:
        return materialise(plan, Aws(region=region))
    finally:
        mock.stop(remove_data=False)


def _stop_on_signals(event: threading.Event) -> Callable[[], None]:
    """SIGINT and SIGTERM set ``event`` (on the main thread); returns what puts the old handlers back."""
    previous: dict[int, Any] = {}

    def handler(signum: int, frame: FrameType | None) -> None:
        event.set()

    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, handler)

    def restore() -> None:
        for number, old in previous.items():
            signal.signal(number, old)

    return restore
