"""Resource type tokens: pulumi-aws's deprecated aliases resolved to their canonical token. Pure.

The facts come from pulumi-aws's own token table (`policies/data/`, copied from the shared data set, see
its README): `pulumi-aws-aliases.tsv` lists every deprecated alias resource of the v7 schema
(`aws:s3/bucketV2:BucketV2`, the ten `aws:s3/bucket*V2` companions, ...) and the older tokens that survive
as URN aliases, each with its canonical token; `pulumi-aws-tf-types.tsv` lists every resource token of
the schema. A control names canonical tokens only; the pack resolves a resource's token first, so an
alias meets exactly the controls of its canonical type.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
ALIASES_FILE = DATA / "pulumi-aws-aliases.tsv"
TOKENS_FILE = DATA / "pulumi-aws-tf-types.tsv"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


@cache
def aliases() -> dict[str, str]:
    """Deprecated or old token -> canonical token."""
    return {row["old_or_alias_token"]: row["canonical_token"] for row in _rows(ALIASES_FILE)}


@cache
def aws_tokens() -> frozenset[str]:
    """Every resource token of the pulumi-aws v7 schema, aliases included."""
    return frozenset(row["pulumi_token"] for row in _rows(TOKENS_FILE))


def canonical(token: str) -> str:
    """The canonical token of `token` (itself when it is not an alias)."""
    return aliases().get(token, token)


def is_provider(token: str) -> bool:
    return token.startswith("pulumi:providers:")
