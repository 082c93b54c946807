"""Helpers of the live tests (imported by conftest.py and the test modules): the stack's plan built once per
session, a fresh moto with fake credentials, an :class:`Aws` that shares the session's boto3 clients.
See conftest.py for the fixtures and why these keep materialisation fast."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
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
            from strongroom.engine import run_plan

            _PLANS[stack] = run_plan(ROOT, stack)
        return _PLANS[stack]


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


def new_aws(region: str = REGION) -> Aws:
    """An :class:`Aws` for moto sharing the session's clients (made once: they cost ~0.1 s each)."""
    clients = _SHARED.setdefault("clients", {})
    aws = Aws(region=region, _clients=clients)
    return aws


@contextmanager
def moto_context(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr("moto.kms.models.generate_private_key", _symmetric_key_stub())
    motofix.apply()
    boto3.DEFAULT_SESSION = None
    with mock_aws():
        yield


Materialise = Callable[[str], tuple[Aws, Materialised, Plan]]
