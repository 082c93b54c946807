"""moto's whole state taken once and put back into a fresh ``mock_aws()``: the ``materialised`` fixture
materialises each stack once per test process and restores it for every other test.

A materialisation makes about 350 calls through botocore into moto (2 to 4 s); a restore copies the
backends' state (about 0.05 s). What a test then does to its environment (a tamper, a push) is its own:
every restore is a new deep copy of the snapshot, taken into the backend objects moto serves.

How it stays exactly moto's state:

* moto keeps every service's state in ``BackendDict`` (account -> ``AccountSpecificBackend`` (region ->
  backend)), and ``mock_aws()`` resets all of them when it starts. A restore asks each ``BackendDict`` for
  the account and region backends the snapshot holds (moto makes them as for a first call) and replaces
  their ``__dict__`` with a copy of the snapshot's. The objects moto serves stay the ones it made (some of
  its caches hold them), and every reference inside the copied state to a backend, an account's backends
  or a ``BackendDict`` points at the live one.
* State kept on a ``BackendDict`` itself (S3's bucket-name -> account index) is copied the same way.
* moto tracks every model instance it creates (``instances_tracked``) and disposes of tracked S3 keys
  when a mock ends. The snapshot's own copies are taken out of those lists, so no later reset closes
  the buffers a restore reads; the restored copies stay tracked, as moto's own would be.
* What the environment looks like depends on moto's settings when the backends are made (``MOTO_*``
  variables: AWS managed policies in IAM, default AMIs): :func:`moto_settings` is part of the snapshot's
  key, and :meth:`MotoSnapshot.restore` refuses other settings.
* A started generator (a pagination in progress) cannot be copied; the snapshot refuses it. Locks are
  made new.
* Some moto models copy themselves keeping their backend (EC2's security group rules: their
  ``__deepcopy__`` shares ``ec2_backend``, for moto's own copies within one backend). Here they are copied
  as any object is, so their backend is the live one: the rules' tags are read through it.

``test_materialise_fixture.py`` holds a restored environment to the one it was taken from, read back
whole, and checks that a restore's changes reach neither the snapshot nor the next restore.
"""

from __future__ import annotations

import copy
import os
import threading
import types
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from moto.core.base_backend import AccountSpecificBackend, BackendDict, BaseBackend
from moto.core.model_instances import model_data

#: The attributes every ``BackendDict`` has; any other attribute is service state (S3's bucket index).
_BACKEND_DICT_ATTRIBUTES = frozenset(
    {"backend", "service_name", "_use_boto3_regions", "_additional_regions", "_id"}
)

_LOCK = type(threading.Lock())
_RLOCK = type(threading.RLock())


def moto_settings() -> tuple[tuple[str, str], ...]:
    """The ``MOTO_*`` environment variables: what moto reads when it makes a backend."""
    return tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("MOTO_")))


def _generator(value: types.GeneratorType[Any, Any, Any], memo: dict[int, Any]) -> Any:
    if value.gi_frame is not None:
        raise TypeError(f"moto's state holds a started generator ({value.gi_code.co_qualname}): not copied")
    return value  # finished: nothing left to share


def _plain(value: Any, memo: dict[int, Any]) -> Any:
    """``value`` copied as an object without its own ``__deepcopy__`` is."""
    return copy._reconstruct(value, memo, *value.__reduce_ex__(4))  # type: ignore[attr-defined]


@contextmanager
def _copyable() -> Iterator[None]:
    """While the state is copied, deepcopy makes new locks, keeps finished generators and copies moto's
    models that define their own ``__deepcopy__`` as plain objects."""
    dispatch: dict[type, Any] = copy._deepcopy_dispatch  # type: ignore[attr-defined]
    added = {_LOCK: lambda _v, _m: threading.Lock(), _RLOCK: lambda _v, _m: threading.RLock()}
    added[types.GeneratorType] = _generator
    for classes in model_data.values():
        added.update({cls: _plain for cls in classes.values() if "__deepcopy__" in vars(cls)})
    saved = {t: dispatch[t] for t in added if t in dispatch}
    dispatch.update(added)
    try:
        yield
    finally:
        for t in added:
            dispatch.pop(t, None)
        dispatch.update(saved)


def _tracked() -> list[list[Any]]:
    return [
        cls.instances_tracked
        for classes in model_data.values()
        for cls in classes.values()
        if hasattr(cls, "instances_tracked")
    ]


@dataclass
class _Account:
    backends: BackendDict[Any]
    account: str
    specific: AccountSpecificBackend[Any]
    regions: dict[str, BaseBackend]


@dataclass
class MotoSnapshot:
    """A copy of every backend moto holds, with the settings it was made under."""

    accounts: list[_Account]
    extras: list[tuple[BackendDict[Any], dict[str, Any]]]
    settings: tuple[tuple[str, str], ...]
    untracked: list[Any]
    """The snapshot's own model copies moto no longer tracks: :meth:`dispose` closes their buffers."""
    disposed: bool = False

    @classmethod
    def take(cls) -> MotoSnapshot:
        """Copy moto's current state (inside a ``mock_aws()``)."""
        live = [
            _Account(backends, account, specific, dict(specific))
            for backends in list(BackendDict._instances)
            for account, specific in list(backends.items())
        ]
        extras = [
            (backends, {k: v for k, v in vars(backends).items() if k not in _BACKEND_DICT_ATTRIBUTES})
            for backends in list(BackendDict._instances)
        ]
        lists = _tracked()
        before = [len(tracked) for tracked in lists]
        memo: dict[int, Any] = {id(a.backends): a.backends for a in live}
        with _copyable():
            accounts, extras = copy.deepcopy((live, extras), memo)
        untracked: list[Any] = []
        for tracked, length in zip(lists, before, strict=True):
            untracked.extend(tracked[length:])
            del tracked[length:]  # the snapshot's copies: no reset may dispose of them
        return cls(accounts=accounts, extras=extras, settings=moto_settings(), untracked=untracked)

    def dispose(self) -> None:
        """Close what the snapshot's copies hold open (S3 keys' buffers), as a mock's end does for its own;
        the snapshot cannot be restored afterwards."""
        for model in self.untracked:
            if callable(getattr(model, "dispose", None)):
                model.dispose()
        self.untracked.clear()
        self.accounts.clear()
        self.extras.clear()
        self.disposed = True

    def restore(self) -> None:
        """Put a copy of the snapshot into the fresh ``mock_aws()`` the caller has started."""
        if self.disposed:
            raise AssertionError("this snapshot was disposed of")
        if moto_settings() != self.settings:
            raise AssertionError(f"moto's settings {moto_settings()} are not the snapshot's {self.settings}")
        memo: dict[int, Any] = {}
        pairs: list[tuple[BaseBackend, BaseBackend]] = []
        for held in self.accounts:
            specific = held.backends[held.account]  # made as a first call makes it
            memo[id(held.backends)] = held.backends
            memo[id(held.specific)] = specific
            for region, backend in held.regions.items():
                live = specific[region]
                memo[id(backend)] = live
                pairs.append((backend, live))
        with _copyable():
            for backend, live in pairs:
                live.__dict__ = copy.deepcopy(backend.__dict__, memo)
            for backends, state in self.extras:
                for name, value in state.items():
                    setattr(backends, name, copy.deepcopy(value, memo))
