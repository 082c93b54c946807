"""Resource type tokens: pulumi-aws's deprecated aliases resolved to their canonical token. Pure.

The facts come from pulumi-aws's own token table (`policies/data/`, copied from the shared data set, see
its README): `pulumi-aws-aliases.tsv` lists every deprecated alias resource of the v7 schema
(`aws:s3/bucketV2:BucketV2`, the ten `aws:s3/bucket*V2` companions, ...) and the older tokens that survive
as URN aliases, each with its canonical token; `pulumi-aws-tf-types.tsv` lists every resource token of
the schema with its Terraform type; `pulumi-aws-renamed-fields.json` lists, per Terraform type, the
property names that are not the mechanical camelCase of Terraform's (PARTIAL, see its ``_meta``). A
control names canonical tokens only; the pack resolves a resource's token first, so an alias meets
exactly the controls of its canonical type. The Terraform export (`strongroom/tfmap.py`) reads the same
files through :func:`tf_types` and :func:`renamed_fields`.

Source: pulumi/pulumi-aws ``provider/cmd/pulumi-resource-aws/runtime-bridge-metadata.json`` and
``aws-resource-metadata.json`` at commit fcb5038fccfb036b01b77dc829b705b1da73b5f1 (the renamed fields also
from ``resource_overrides.go`` at 015d343 and ``compatibility.go`` at 0c5f658).
"""

from __future__ import annotations

import csv
import json
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
ALIASES_FILE = DATA / "pulumi-aws-aliases.tsv"
TOKENS_FILE = DATA / "pulumi-aws-tf-types.tsv"
RENAMED_FIELDS_FILE = DATA / "pulumi-aws-renamed-fields.json"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


@cache
def aliases() -> dict[str, str]:
    """Deprecated or old token -> canonical token."""
    return {row["old_or_alias_token"]: row["canonical_token"] for row in _rows(ALIASES_FILE)}


@cache
def tf_types() -> dict[str, str]:
    """Every resource token of the pulumi-aws v7 schema (aliases included) -> its Terraform type."""
    return {row["pulumi_token"]: row["terraform_type"] for row in _rows(TOKENS_FILE)}


@cache
def aws_tokens() -> frozenset[str]:
    """Every resource token of the pulumi-aws v7 schema, aliases included."""
    return frozenset(tf_types())


def tf_type(token: str) -> str | None:
    """The Terraform type of a pulumi-aws token; an old token kept only as a URN alias has its canonical
    token's type. None for a token the table does not have (another package, or newer than the table)."""
    types = tf_types()
    return types.get(token) or types.get(canonical(token))


@cache
def renamed_fields() -> dict[str, dict[str, str]]:
    """Terraform type (or the bridge's internal key, see the file's ``_meta.notes``) -> {Pulumi property
    path, dotted for nested fields -> Terraform attribute path}; only names that are not mechanical."""
    data = json.loads(RENAMED_FIELDS_FILE.read_text(encoding="utf-8"))
    return {key: dict(fields) for key, fields in data.items() if not key.startswith("_")}


def canonical(token: str) -> str:
    """The canonical token of `token` (itself when it is not an alias)."""
    return aliases().get(token, token)


def is_provider(token: str) -> bool:
    return token.startswith("pulumi:providers:")
