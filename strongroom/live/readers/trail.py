"""Live reader for the trail area (not written yet: yields nothing)."""

from __future__ import annotations

from collections.abc import Iterator

from policies.props import Resource
from strongroom.live.aws import Aws
from strongroom.live.readers import Scope

TYPES: tuple[str, ...] = ()


def read(aws: Aws, scope: Scope) -> Iterator[Resource]:
    yield from ()
