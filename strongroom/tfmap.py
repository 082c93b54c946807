"""From pulumi-aws resource types and properties to Terraform's.

pulumi-aws is bridged from the Terraform AWS provider, so every pulumi-aws resource is a Terraform
resource under another name. The installed package carries no bridge metadata (its ``pulumi-plugin.json``
has only name and version), so the names come from pulumi-aws's own bridge metadata, shipped as data in
``policies/data/`` and read by :mod:`policies.tokens` (the one loader):

* types: ``pulumi-aws-tf-types.tsv``, every resource token of the pulumi-aws v7 schema (1,690 rows) and
  its Terraform type, from ``provider/cmd/pulumi-resource-aws/runtime-bridge-metadata.json`` and
  ``aws-resource-metadata.json`` of pulumi/pulumi-aws at commit
  fcb5038fccfb036b01b77dc829b705b1da73b5f1. Deprecated aliases (``aws:s3/bucketV2:BucketV2``) have their
  canonical type in the table; older tokens kept only as URN aliases resolve through
  ``pulumi-aws-aliases.tsv``. A token the table does not have (another package such as ``random:``, or a
  pulumi-aws token newer than the table) has no type: it is reported as unmapped, never guessed.
* property names: ``pulumi-aws-renamed-fields.json`` (PARTIAL: the explicit renames of the provider's
  source, per Terraform type, with dotted paths for nested fields) is applied first, by
  :func:`property_renames`; then the mechanical rules. pulumi-aws uses the camelCase of Terraform's
  snake_case names, pluralises repeated blocks (``rule`` -> ``rules``, ``transition`` -> ``transitions``)
  and writes single blocks (MaxItems 1) as an object instead of a one-element list.
  :func:`tf_property_name` undoes the renaming; Terraform JSON accepts a single block written as an
  object. Map attributes (tags, alarm dimensions, ...) keep their keys.
"""

from __future__ import annotations

import re
from functools import cache

from strongroom.policies import tokens

#: Attributes whose value is a map: their keys are data and are never renamed.
MAP_PROPERTIES = frozenset(
    {"tags", "tagsAll", "defaultTags", "dimensions", "variables", "parameters", "attributes", "context"}
)

#: Repeated blocks whose Terraform name is already plural, so pulumi-aws kept it: never singularised.
PLURAL_BLOCKS = frozenset({"identityProviderOauthSettings", "ingress", "egress", "settings"})

#: Properties pulumi-aws renamed beyond camelCase and block pluralisation: lists of plain values whose
#: Terraform name is singular (CloudTrail advanced event selectors' ``starts_with``...).
PROPERTY_RENAMES: dict[str, str] = {
    "startsWiths": "starts_with",
    "endsWiths": "ends_with",
    "notStartsWiths": "not_starts_with",
    "notEndsWiths": "not_ends_with",
}

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake_case(name: str) -> str:
    """``kmsMasterKeyId`` -> ``kms_master_key_id``, ``cidrIpv4`` -> ``cidr_ipv4``,
    ``s3BucketName`` -> ``s3_bucket_name``."""
    return _CAMEL_BOUNDARY.sub("_", name).lower()


#: Tokens whose renames the data files under the bridge's internal key, not the Terraform type (see
#: ``_meta.notes`` of ``pulumi-aws-renamed-fields.json``): the deprecated BucketV2 keeps v6 shapes.
_RENAME_KEYS = {"aws:s3/bucketV2:BucketV2": "aws_s3_bucket_v2_compat"}


def tf_type(token: str) -> str | None:
    """The Terraform resource type of a Pulumi type token, or None when the data has no mapping."""
    return tokens.tf_type(token)


@cache
def property_renames(token: str) -> dict[str, str]:
    """Pulumi property path of ``token`` (dotted for nested fields, list levels not counted) -> the
    Terraform name of its last segment, for the names that are not mechanical. A dotted entry also names
    its parents (``replicationConfigurations.rules.filters`` -> ``replication_configuration.rules.filter``
    says that ``rules`` stays ``rules`` there)."""
    key = _RENAME_KEYS.get(token) or tf_type(token)
    fields = tokens.renamed_fields().get(key, {}) if key else {}
    renames: dict[str, str] = {}
    for path, target in fields.items():
        renames[path] = target.rpartition(".")[2]
    for path, target in fields.items():
        segments, tf_segments = path.split("."), target.split(".")
        if len(segments) == len(tf_segments):
            for i in range(1, len(segments)):
                renames.setdefault(".".join(segments[:i]), tf_segments[i - 1])
    return renames


def singular(word: str) -> str:
    """Undo pulumi-aws's pluralisation of a repeated block name (snake_case in, snake_case out)."""
    head, _, last = word.rpartition("_")
    if last.endswith("ies"):
        last = last[:-3] + "y"
    elif last.endswith(("sses", "uses", "ches", "shes", "xes")):
        last = last[:-2]
    elif last.endswith("s") and not last.endswith("ss"):
        last = last[:-1]
    return f"{head}_{last}" if head else last


def tf_property_name(name: str, value: object, renamed: str | None = None) -> str:
    """Terraform's name for a pulumi-aws property holding ``value``; ``renamed`` is the name the
    metadata gives it (:func:`property_renames`), which wins over the mechanical rules.

    A list of objects is a repeated block, which pulumi-aws pluralised; anything else keeps its name.
    """
    if renamed is not None:
        return renamed
    if name in PROPERTY_RENAMES:
        return PROPERTY_RENAMES[name]
    snake = snake_case(name)
    is_block_list = isinstance(value, list) and any(isinstance(item, dict) for item in value)
    if is_block_list and name not in PLURAL_BLOCKS:
        return singular(snake)
    return snake
