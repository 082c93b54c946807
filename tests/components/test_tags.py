"""Pure tag merging: the environment tag, the mandatory tags, extras, and AWS's limits."""

from __future__ import annotations

import pytest

from strongroom.components.tags import (
    ENVIRONMENT_TAG,
    MAX_STACK_TAGS,
    TagError,
    merge_tags,
    tag_key_problem,
    tag_value_problem,
)

MANDATORY = {"owner": "ml-platform", "cost-center": "CC-4711", "data-classification": "confidential"}


def test_merge_puts_environment_mandatory_and_extra_tags_sorted() -> None:
    merged = merge_tags("dev", MANDATORY, {"project": "credit-risk"})
    assert merged == {
        "cost-center": "CC-4711",
        "data-classification": "confidential",
        "owner": "ml-platform",
        "project": "credit-risk",
        ENVIRONMENT_TAG: "dev",
    }
    assert list(merged) == sorted(merged)


def test_merge_without_extras() -> None:
    assert merge_tags("prod", MANDATORY)[ENVIRONMENT_TAG] == "prod"


@pytest.mark.parametrize(
    ("mandatory", "extra", "key", "accepted"),
    [
        ({**MANDATORY, "owner": ""}, {}, "owner", "non-empty"),
        ({k: v for k, v in MANDATORY.items() if k != "cost-center"}, {}, "cost-center", "non-empty"),
        ({**MANDATORY, "data-classification": "secret"}, {}, "data-classification", "restricted"),
        ({**MANDATORY, "team": "x"}, {}, "team", "owner, cost-center, data-classification"),
        (MANDATORY, {"owner": "someone-else"}, "owner", "strongroom:tags"),
        (MANDATORY, {"aws:createdBy": "x"}, "aws:createdBy", "not starting with aws:"),
        (MANDATORY, {"Strongroom:environment": "x"}, "Strongroom:environment", "strongroom:"),
        (MANDATORY, {"k" * 129: "x"}, "k" * 129, "1-128"),
        (MANDATORY, {"note": "v" * 257}, "note", "0-256"),
        (MANDATORY, {"team#1": "x"}, "team#1", "_ . : / = + - @"),
        (MANDATORY, {"team": "a|b"}, "team", "_ . : / = + - @"),
        (MANDATORY, {f"t{i}": "x" for i in range(MAX_STACK_TAGS)}, f"t{MAX_STACK_TAGS - 1}", "at most 40"),
    ],
)
def test_merge_refuses_bad_tags_naming_the_key(
    mandatory: dict[str, str], extra: dict[str, str], key: str, accepted: str
) -> None:
    with pytest.raises(TagError) as caught:
        merge_tags("dev", mandatory, extra)
    assert caught.value.key == key
    assert accepted in caught.value.accepted
    assert repr(key) in str(caught.value)


def test_unicode_letters_and_allowed_punctuation_are_valid() -> None:
    assert tag_key_problem("équipe:owner/ml_platform+x=y@z.-") is None
    assert tag_value_problem("") is None
    assert tag_value_problem("Zürich data team") is None


def test_key_with_surrounding_spaces_is_refused() -> None:
    assert tag_key_problem(" owner") == "key has leading or trailing spaces"
