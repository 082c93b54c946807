"""EventBridge event pattern matching, as AWS documents it. Pure: no pulumi imports.

The alert controls judge a rule by what it matches, not by how it is spelled: a pattern is run against
sample CloudTrail events. Supported: nested objects, `$or`, exact values (strings, numbers, booleans,
null), `prefix`, `suffix`, `equals-ignore-case`, `wildcard`, `anything-but` (a value, a list, or a
prefix/suffix/wildcard/equals-ignore-case), `exists`, `numeric` and `cidr`. Arrays in the event match when
any element matches. Anything else raises `UnsupportedPattern`: the caller must not guess.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import re
from collections.abc import Mapping
from typing import Any

_MISSING = object()


class UnsupportedPattern(ValueError):
    """The pattern uses a construct this matcher does not implement (or is not valid JSON)."""


def parse(pattern: str | Mapping[str, Any]) -> Mapping[str, Any]:
    """The pattern as a mapping; raises `UnsupportedPattern` for text that is not a JSON object."""
    if isinstance(pattern, Mapping):
        return pattern
    if not isinstance(pattern, str):
        raise UnsupportedPattern(f"not JSON: a {type(pattern).__name__}")
    return _parse_text(pattern)


@functools.lru_cache(maxsize=4096)
def _parse_text(pattern: str) -> Mapping[str, Any]:
    """The parsed pattern text, once per distinct text (a stack's alert rules are matched against every
    sample event; the matcher never mutates the result)."""
    try:
        value = json.loads(pattern)
    except json.JSONDecodeError as err:
        raise UnsupportedPattern(f"not JSON: {err}") from err
    if not isinstance(value, dict):
        raise UnsupportedPattern("the pattern is not a JSON object")
    return value


def matches(pattern: str | Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """Whether the EventBridge pattern matches the event."""
    return _object(parse(pattern), event)


def _object(pattern: Mapping[str, Any], value: Any) -> bool:
    if isinstance(value, list):
        return any(_object(pattern, v) for v in value)
    if not isinstance(value, Mapping):
        return False
    for key, sub in pattern.items():
        if key == "$or":
            if not isinstance(sub, list) or not sub:
                raise UnsupportedPattern("$or must be a non-empty list")
            if not any(_object(_mapping(alt), value) for alt in sub):
                return False
        elif isinstance(sub, Mapping):
            if key not in value or not _object(sub, value[key]):
                return False
        elif isinstance(sub, list):
            if not _leaf(sub, value.get(key, _MISSING)):
                return False
        else:
            raise UnsupportedPattern(f"{key}: a pattern value must be an object or a list, not {sub!r}")
    return True


def _mapping(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise UnsupportedPattern(f"$or alternative {value!r} is not an object")
    return value


_OPERATORS = frozenset(
    {"prefix", "suffix", "equals-ignore-case", "wildcard", "anything-but", "exists", "numeric", "cidr"}
)


def _leaf(matchers: list[Any], value: Any) -> bool:
    for m in matchers:
        if isinstance(m, Mapping) and (len(m) != 1 or not set(m) <= _OPERATORS):
            raise UnsupportedPattern(f"matcher {m!r}")
    if value is _MISSING:
        return any(isinstance(m, Mapping) and m.get("exists") is False for m in matchers)
    if isinstance(value, Mapping):
        return False
    values = value if isinstance(value, list) else [value]
    for m in matchers:
        if isinstance(m, Mapping) and "exists" in m:
            if m["exists"] is True:
                return True
            continue
        if any(_one(m, v) for v in values):
            return True
    return False


def _one(matcher: Any, value: Any) -> bool:
    if not isinstance(matcher, Mapping):
        if isinstance(matcher, list):
            raise UnsupportedPattern(f"nested list {matcher!r}")
        if isinstance(matcher, bool) or isinstance(value, bool):
            return matcher is value
        if isinstance(matcher, int | float) and isinstance(value, int | float):
            return matcher == value
        return bool(type(matcher) is type(value) and matcher == value)
    if len(matcher) != 1:
        raise UnsupportedPattern(f"matcher {matcher!r} must have exactly one operator")
    ((op, arg),) = matcher.items()
    if op == "anything-but":
        return _anything_but(arg, value)
    if op == "numeric":
        return _numeric(arg, value)
    if op == "cidr":
        return _cidr(arg, value)
    if not isinstance(value, str):
        return False
    return _string(op, arg, value)


def _string(op: str, arg: Any, value: str) -> bool:
    if op == "prefix":
        if isinstance(arg, Mapping) and set(arg) == {"equals-ignore-case"}:
            return value.lower().startswith(str(arg["equals-ignore-case"]).lower())
        return isinstance(arg, str) and value.startswith(arg)
    if op == "suffix":
        if isinstance(arg, Mapping) and set(arg) == {"equals-ignore-case"}:
            return value.lower().endswith(str(arg["equals-ignore-case"]).lower())
        return isinstance(arg, str) and value.endswith(arg)
    if op == "equals-ignore-case":
        return isinstance(arg, str) and value.lower() == arg.lower()
    if op == "wildcard":
        if not isinstance(arg, str):
            raise UnsupportedPattern(f"wildcard {arg!r}")
        return re.fullmatch(".*".join(re.escape(p) for p in arg.split("*")), value, re.DOTALL) is not None
    raise UnsupportedPattern(f"operator {op!r}")


def _anything_but(arg: Any, value: Any) -> bool:
    if isinstance(arg, Mapping):
        if len(arg) != 1:
            raise UnsupportedPattern(f"anything-but {arg!r}")
        ((op, sub),) = arg.items()
        if not isinstance(value, str):
            return True
        subs = sub if isinstance(sub, list) else [sub]
        return not any(_string(op, s, value) for s in subs)
    excluded = arg if isinstance(arg, list) else [arg]
    return not any(_one(e, value) for e in excluded)


def _numeric(arg: Any, value: Any) -> bool:
    if not isinstance(arg, list) or len(arg) % 2 or isinstance(value, bool):
        raise UnsupportedPattern(f"numeric {arg!r}")
    if not isinstance(value, int | float):
        return False
    compare = {
        "=": lambda a, b: a == b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
    }
    for op, bound in zip(arg[::2], arg[1::2], strict=True):
        if op not in compare or not isinstance(bound, int | float):
            raise UnsupportedPattern(f"numeric {arg!r}")
        if not compare[op](value, bound):
            return False
    return True


def _cidr(arg: Any, value: Any) -> bool:
    try:
        network = ipaddress.ip_network(str(arg), strict=False)
    except ValueError as err:
        raise UnsupportedPattern(f"cidr {arg!r}") from err
    try:
        return ipaddress.ip_address(str(value)) in network
    except ValueError:
        return False
