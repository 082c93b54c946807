"""Pure tag merging for the stack: the environment tag, the mandatory tags and optional extra tags.

Every taggable resource carries these tags through the AWS provider's ``default_tags``; the live audit
finds an environment by :data:`ENVIRONMENT_TAG`. No Pulumi import here: the functions are plain data in,
plain data out, and raise :class:`TagError` (a ``ValueError``) naming the offending key.
"""

from __future__ import annotations

from collections.abc import Mapping

ENVIRONMENT_TAG = "strongroom:environment"
"""Tag key that marks every resource of an environment; its value is the stack name."""

MANDATORY_TAG_KEYS: tuple[str, ...] = ("owner", "cost-center", "data-classification")
"""Tags every environment must declare in ``strongroom:tags``."""

DATA_CLASSIFICATIONS: tuple[str, ...] = ("public", "internal", "confidential", "restricted")
"""Accepted values of the ``data-classification`` tag."""

RESERVED_PREFIXES: tuple[str, ...] = ("aws:", "strongroom:")
"""Key prefixes a user may not set: ``aws:`` is AWS's, ``strongroom:`` is this tool's."""

MAX_KEY_LENGTH = 128
MAX_VALUE_LENGTH = 256
MAX_STACK_TAGS = 40
"""AWS allows 50 tags per resource; the stack-wide default tags keep 10 free for per-resource tags."""

_ALLOWED_PUNCTUATION = frozenset("_.:/=+-@ ")
TAG_CHARACTERS = "letters, digits, spaces and _ . : / = + - @"


class TagError(ValueError):
    """A tag key or value AWS (or Strongroom) would refuse. ``key`` names the tag, ``accepted`` the rule."""

    def __init__(self, key: str, value: str, problem: str, accepted: str) -> None:
        super().__init__(f"tag {key!r} = {value!r}: {problem}; accepted: {accepted}")
        self.key = key
        self.value = value
        self.problem = problem
        self.accepted = accepted


def _bad_characters(text: str) -> str:
    return "".join(sorted({ch for ch in text if not (ch.isalnum() or ch in _ALLOWED_PUNCTUATION)}))


def tag_key_problem(key: str) -> str | None:
    """Why AWS would refuse ``key`` as a tag key, or ``None`` if it is a valid key."""
    if not key or len(key) > MAX_KEY_LENGTH:
        return f"key length {len(key)} is outside 1-{MAX_KEY_LENGTH}"
    if key != key.strip():
        return "key has leading or trailing spaces"
    bad = _bad_characters(key)
    if bad:
        return f"key contains characters AWS does not allow ({bad!r})"
    return None


def tag_value_problem(value: str) -> str | None:
    """Why AWS would refuse ``value`` as a tag value, or ``None`` if it is valid (empty is valid)."""
    if len(value) > MAX_VALUE_LENGTH:
        return f"value length {len(value)} is over {MAX_VALUE_LENGTH}"
    bad = _bad_characters(value)
    if bad:
        return f"value contains characters AWS does not allow ({bad!r})"
    return None


def validate_user_tag(key: str, value: str) -> None:
    """Refuse a user-supplied tag: AWS limits plus the reserved ``aws:`` and ``strongroom:`` prefixes."""
    problem = tag_key_problem(key)
    if problem:
        raise TagError(key, value, problem, f"1-{MAX_KEY_LENGTH} {TAG_CHARACTERS}")
    if key.lower().startswith(RESERVED_PREFIXES):
        raise TagError(
            key, value, "the key prefix is reserved", "a key not starting with aws: or strongroom:"
        )
    problem = tag_value_problem(value)
    if problem:
        raise TagError(key, value, problem, f"0-{MAX_VALUE_LENGTH} {TAG_CHARACTERS}")


def validate_mandatory_tags(tags: Mapping[str, str]) -> None:
    """Refuse a missing or empty mandatory tag, an unknown data classification, or an invalid value."""
    for key in MANDATORY_TAG_KEYS:
        value = tags.get(key, "")
        if not value.strip():
            raise TagError(key, value, "mandatory tag is missing or empty", "a non-empty value")
        validate_user_tag(key, value)
    classification = tags["data-classification"]
    if classification not in DATA_CLASSIFICATIONS:
        raise TagError(
            "data-classification",
            classification,
            "unknown data classification",
            ", ".join(DATA_CLASSIFICATIONS),
        )


def merge_tags(
    stack: str, mandatory: Mapping[str, str], extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The stack-wide tags: ``strongroom:environment=<stack>``, the mandatory tags, then the extras.

    Extra tags may not redefine a mandatory tag or use a reserved prefix; the result is sorted by key
    (stable diffs) and holds at most :data:`MAX_STACK_TAGS` tags.
    """
    problem = tag_value_problem(stack)
    if problem or not stack:
        raise TagError(ENVIRONMENT_TAG, stack, problem or "empty stack name", "a valid stack name")
    validate_mandatory_tags(mandatory)
    unknown = sorted(set(mandatory) - set(MANDATORY_TAG_KEYS))
    if unknown:
        raise TagError(
            unknown[0], mandatory[unknown[0]], "not a mandatory tag", ", ".join(MANDATORY_TAG_KEYS)
        )
    merged = {ENVIRONMENT_TAG: stack}
    merged.update({key: mandatory[key] for key in MANDATORY_TAG_KEYS})
    for key, value in (extra or {}).items():
        if key in MANDATORY_TAG_KEYS:
            raise TagError(
                key, value, "extra tags may not redefine a mandatory tag", "set it in strongroom:tags"
            )
        validate_user_tag(key, value)
        merged[key] = value
    if len(merged) > MAX_STACK_TAGS:
        raise TagError(
            list(extra or {})[-1],
            "",
            f"{len(merged)} stack tags in total",
            f"at most {MAX_STACK_TAGS} (AWS allows 50 per resource)",
        )
    return dict(sorted(merged.items()))
