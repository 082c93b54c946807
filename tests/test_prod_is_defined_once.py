""" "prod" is one rule: the settings' refusals and the pack's prod-only enforcement agree on every name."""

from __future__ import annotations

import pytest

from strongroom.components import settings
from strongroom.policies import props

NAMES = [
    "prod",
    "prod-eu",
    "prod-",
    "production",
    "prod_eu",
    "preprod",
    "dev",
    "staging",
    "Prod",
    "prodx",
    "p",
]


@pytest.mark.parametrize("stack", NAMES)
def test_the_settings_and_the_pack_agree_on_prod(stack: str) -> None:
    assert settings.is_prod_stack(stack) == props.is_prod_stack(stack)


def test_the_rule_is_prod_or_a_prod_dash_name() -> None:
    assert [n for n in NAMES if props.is_prod_stack(n)] == ["prod", "prod-eu", "prod-"]
    assert props.is_prod_stack(None), "an unknown stack is judged as prod"
