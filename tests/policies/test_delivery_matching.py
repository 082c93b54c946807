"""How the alerting controls match their sample events against a stack's EventBridge rules
(``delivery._unmatched``): a sample is covered when any rule matches it; only a rule that might match an
uncovered sample (its pattern unknown or beyond the matcher for that sample's event) makes the result
unknown; and the scan stays linear when a stack holds many environments, each with its own rules."""

from __future__ import annotations

import json
from typing import Any

import pytest
from controls_support import res

from strongroom.policies import eventpattern
from strongroom.policies.controls import delivery
from strongroom.policies.props import UNKNOWN, Resource, UnknownValue

RULE = "aws:cloudwatch/eventRule:EventRule"


def _rule(name: str, pattern: Any) -> Resource:
    return res(RULE, name, eventPattern=pattern if pattern is UNKNOWN else json.dumps(pattern))


def _sample(service: str, event_name: str, **params: Any) -> delivery.Sample:
    return (f"{service}:{event_name}", delivery._call(service, event_name, **params))


S3 = _sample("s3", "PutBucketReplication", bucketName="b")
IAM = _sample("iam", "CreatePolicyVersion", policyArn="arn:aws:iam::111122223333:policy/p")
ON_S3 = {"source": ["aws.s3"]}
ON_IAM = {"source": ["aws.iam"]}
# Beyond the matcher only where its source matches: the source is compared first, so an IAM event never
# reaches the unsupported matcher.
S3_BEYOND_THE_MATCHER = {"source": ["aws.s3"], "detail": {"eventName": [{"wildcard-ish": "Put*"}]}}


def test_a_sample_any_rule_matches_is_covered_whatever_the_order() -> None:
    rules = [_rule("on-iam", ON_IAM), _rule("on-s3", ON_S3)]
    for samples in ([S3, IAM, S3], [IAM, S3, IAM], [S3, S3, IAM, IAM]):
        assert delivery._unmatched(samples, rules) == []
        assert delivery._unmatched(samples, rules[::-1]) == []
    assert delivery._unmatched([S3, IAM], [_rule("on-iam", ON_IAM)]) == ["s3:PutBucketReplication"]
    assert delivery._unmatched([S3], []) == ["s3:PutBucketReplication"]


def test_a_rule_the_matcher_cannot_judge_for_an_uncovered_sample_makes_it_unknown() -> None:
    with pytest.raises(UnknownValue) as unknown:
        delivery._unmatched([S3], [_rule("on-iam", ON_IAM), _rule("beyond", S3_BEYOND_THE_MATCHER)])
    assert "beyond" in str(unknown.value.resource)
    with pytest.raises(UnknownValue) as unknown:
        delivery._unmatched([IAM], [_rule("later", UNKNOWN)])
    assert "later" in str(unknown.value.resource)


def test_a_rule_that_cannot_match_the_uncovered_sample_leaves_it_a_finding() -> None:
    """The rule beyond the matcher is undecided for the S3 event (which another rule covers) and plainly
    does not match the IAM event: the IAM event is a finding, not an unknown."""
    rules = [_rule("beyond", S3_BEYOND_THE_MATCHER), _rule("on-s3", ON_S3)]
    with pytest.raises(eventpattern.UnsupportedPattern):
        eventpattern.matches(json.dumps(S3_BEYOND_THE_MATCHER), S3[1])
    assert eventpattern.matches(json.dumps(S3_BEYOND_THE_MATCHER), IAM[1]) is False
    assert delivery._unmatched([S3, IAM], rules) == ["iam:CreatePolicyVersion"]


def test_many_environments_cost_a_number_of_matches_linear_in_their_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Fifty environments, each with two rules (one per bucket name) and three samples per rule, in the
    plan's order: each sample is tried against the rule that matched the one before and the next ones."""
    calls: list[int] = []
    original = eventpattern.matches

    def counting(pattern: Any, event: Any) -> bool:
        calls.append(1)
        return original(pattern, event)

    monkeypatch.setattr(delivery.eventpattern, "matches", counting)

    def run(environments: int) -> int:
        rules, samples = [], []
        for env in range(environments):
            for which in ("data", "models"):
                bucket = f"sr-e{env:02d}-{which}"
                rules.append(
                    _rule(
                        f"{bucket}-alerts",
                        {"source": ["aws.s3"], "detail": {"requestParameters": {"bucketName": [bucket]}}},
                    )
                )
                samples += delivery._samples(
                    "s3",
                    ("PutBucketLifecycle", "DeleteBucketLifecycle", "PutBucketReplication"),
                    bucketName=bucket,
                )
        calls.clear()
        assert delivery._unmatched(samples, rules) == []
        return len(calls)

    one, fifty = run(1), run(50)
    assert fifty <= 50 * one + 50, f"{fifty} matches for fifty environments against {one} for one"
