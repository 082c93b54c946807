"""Where the vault works: the environment's buckets, keys and model package groups, found live.

Logical facts (models, data domains, prefixes, the replica region) come from the stack's config, the same
settings the program deploys; physical bucket names come from the account, by the tags the program puts on
them (``tag:GetResources``, one call per region): ``strongroom:purpose`` (``models``, ``data-<domain>``),
``strongroom:backup-dataset`` (the Object Lock backup and, with ``strongroom:replica=true``, its replica in
the replica region). Keys are used by alias (:func:`components.layout.alias_name`), never by a name read
from an object, so a manifest cannot name the key that verifies it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from strongroom.components.layout import (
    CANDIDATES_PREFIX,
    DATASETS_PREFIX,
    PRODUCTION_PREFIX,
    alias_name,
)
from strongroom.components.settings import ConfigError, EnvironmentSettings, load_settings
from strongroom.components.tags import ENVIRONMENT_TAG
from strongroom.errors import UsageError
from strongroom.live.aws import Aws

PURPOSE_TAG = "strongroom:purpose"
BACKUP_TAG = "strongroom:backup-dataset"
REPLICA_TAG = "strongroom:replica"
MODELS = "models"
MANIFEST = "manifest.json"
VERSION_PATTERN = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{12}$")


def new_version(sha256_hex: str, now: datetime | None = None) -> str:
    """A vault version: ``<UTC yyyymmddThhmmssZ>-<first 12 hex of the artifact's SHA-256>``."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{moment:%Y%m%dT%H%M%SZ}-{sha256_hex[:12]}"


def check_version(version: str, flag: str = "--version") -> str:
    if not VERSION_PATTERN.match(version):
        raise UsageError(
            f"{flag} {version!r}: not a vault version; accepted: <yyyymmddThhmmssZ>-<12 hex>, as "
            "`strongroom vault list` shows"
        )
    return version


def key_arn(aws: Aws, vault: VaultStack, purpose: str) -> str:
    """The ARN of the environment's ``purpose`` key (``models``, ``data``): the bucket policy's
    DenyWrongKmsKey accepts an SSE-KMS header only when it names the bucket's key by ARN (not an alias)."""
    from strongroom.vault.manifest import key_arn as arn_of

    alias = vault.key_alias(purpose)
    arn = arn_of(aws, alias)
    if not arn:
        raise UsageError(f"the {purpose} key {alias} of stack {vault.stack} was not found in {aws.region}")
    return arn


def sha256_file(path: Path, chunk: int = 8 * 1024 * 1024) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def sha256_body(body: Any, chunk: int = 8 * 1024 * 1024) -> str:
    """SHA-256 (hex) of a GetObject response's ``Body`` (a botocore stream), read in chunks, then closed."""
    digest = hashlib.sha256()
    try:
        for block in body.iter_chunks(chunk):
            digest.update(block)
    finally:
        body.close()
    return digest.hexdigest()


@dataclass(frozen=True)
class Bucket:
    """A bucket of the environment: physical name and region."""

    name: str
    region: str

    def arn(self, partition: str = "aws", key: str | None = None) -> str:
        return f"arn:{partition}:s3:::{self.name}" + (f"/{key}" if key is not None else "")


@dataclass(frozen=True)
class VaultStack:
    """The environment of one stack as the vault sees it."""

    stack: str
    account: str
    partition: str
    region: str
    replica_region: str | None
    models: tuple[str, ...]
    data_domains: tuple[str, ...]
    models_bucket: Bucket
    data_buckets: Mapping[str, Bucket] = field(default_factory=dict)
    """Data domain -> its data bucket."""
    backup_buckets: Mapping[str, Bucket] = field(default_factory=dict)
    """Dataset (``models`` or a data domain) -> its Object Lock backup bucket."""
    replica_buckets: Mapping[str, Bucket] = field(default_factory=dict)
    """Dataset -> its replica bucket in the replica region (empty without a replica region)."""

    def on(self, bucket: Bucket) -> dict[str, Any]:
        """The keyword arguments of an :class:`Aws` call or pages on ``bucket``: its region, its name and
        ``ExpectedBucketOwner`` (S3 refuses the call when another account owns a bucket of that name)."""
        return {"region": bucket.region, "Bucket": bucket.name, "ExpectedBucketOwner": self.account}

    def key_alias(self, purpose: str) -> str:
        """The alias of the environment's key for ``purpose`` (models, data, backup, signing)."""
        return alias_name(self.stack, purpose)

    @property
    def signing_key(self) -> str:
        return self.key_alias("signing")

    def package_group(self, model: str) -> str:
        """The model's SageMaker Model Package Group (``components.workspace.model_package_groups``)."""
        return f"sr-{self.stack}-{self.check_model(model)}"

    def check_model(self, model: str) -> str:
        if model not in self.models:
            accepted = ", ".join(self.models) or "none (strongroom:workspace.models is empty)"
            raise UsageError(
                f"--model {model!r}: not a model of stack {self.stack} (strongroom:workspace.models); "
                f"accepted: {accepted}"
            )
        return model

    def candidate_prefix(self, model: str, version: str | None = None) -> str:
        base = f"{CANDIDATES_PREFIX}{self.check_model(model)}/"
        return base if version is None else f"{base}{version}/"

    def production_prefix(self, model: str) -> str:
        return f"{PRODUCTION_PREFIX}{self.check_model(model)}/"

    def data_bucket(self, dataset: str, flag: str = "--dataset") -> Bucket:
        """The data bucket of domain ``dataset`` (strongroom:storage.dataDomains)."""
        if dataset not in self.data_buckets:
            accepted = ", ".join(sorted(self.data_buckets)) or "none (no data bucket found)"
            raise UsageError(
                f"{flag} {dataset!r}: not a data domain of stack {self.stack} with a data bucket; "
                f"accepted: {accepted}"
            )
        return self.data_buckets[dataset]

    def dataset_key(self, dataset: str, snapshot: str) -> str:
        """The models bucket key of a dataset snapshot's signed manifest (``vault snapshot``)."""
        self.data_bucket(dataset)
        return f"{DATASETS_PREFIX}{dataset}/{snapshot}.json"

    def bucket(self, name: str) -> tuple[str, Bucket]:
        """``--bucket``: a physical name of the environment, or a logical one (``models``,
        ``data-<domain>``, ``backup-<dataset>``, ``replica-<dataset>``): (dataset, bucket)."""
        logical: dict[str, tuple[str, Bucket]] = {MODELS: (MODELS, self.models_bucket)}
        logical.update({f"data-{d}": (d, b) for d, b in self.data_buckets.items()})
        logical.update({f"backup-{d}": (d, b) for d, b in self.backup_buckets.items()})
        logical.update({f"replica-{d}": (d, b) for d, b in self.replica_buckets.items()})
        if name in logical:
            return logical[name]
        for dataset, bucket in logical.values():
            if bucket.name == name:
                return dataset, bucket
        accepted = ", ".join([*logical, *(b.name for _, b in logical.values())])
        raise UsageError(f"--bucket {name!r}: not a bucket of stack {self.stack}; accepted: {accepted}")


def stack_settings(project_dir: Path, stack: str) -> EnvironmentSettings:
    """The stack's settings from ``Pulumi.<stack>.yaml`` (a config error is a usage error, exit 2)."""
    from strongroom.engine import load_project, load_stack_config

    project = load_project(Path(project_dir))
    config = load_stack_config(project, stack)
    source = str(project.stack_file(stack))
    try:
        return load_settings(stack, config.values, source)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


def _tagged_buckets(aws: Aws, stack: str, region: str) -> list[tuple[str, dict[str, str]]]:
    found = aws.pages(
        "resourcegroupstaggingapi",
        "get_resources",
        "ResourceTagMappingList",
        region=region,
        TagFilters=[{"Key": ENVIRONMENT_TAG, "Values": [stack]}],
        ResourceTypeFilters=["s3"],
    )
    out = []
    for item in found:
        arn = str(item.get("ResourceARN", ""))
        name = arn.split(":::", 1)[-1]
        if not name or "/" in name:
            continue
        tags = {str(t.get("Key")): str(t.get("Value", "")) for t in item.get("Tags", [])}
        out.append((name, tags))
    return out


def _one(found: dict[str, list[str]], what: str, stack: str, region: str) -> dict[str, Bucket]:
    out: dict[str, Bucket] = {}
    for label, names in found.items():
        if len(names) > 1:
            raise UsageError(
                f"stack {stack}: {len(names)} buckets in {region} are tagged as its {what} {label!r} "
                f"({', '.join(sorted(names))}); accepted: exactly one. A bucket that is not the stack's "
                "carries its tags: investigate before using the vault"
            )
        out[label] = Bucket(names[0], region)
    return out


def locate(aws: Aws, stack: str, settings: EnvironmentSettings) -> VaultStack:
    """The environment of ``stack`` in the account and region of ``aws``."""
    caller = aws.caller()
    primary = _tagged_buckets(aws, stack, aws.region)
    purposes: dict[str, list[str]] = {}
    backups: dict[str, list[str]] = {}
    for name, tags in primary:
        if PURPOSE_TAG in tags:
            purposes.setdefault(tags[PURPOSE_TAG], []).append(name)
        elif BACKUP_TAG in tags and tags.get(REPLICA_TAG) != "true":
            backups.setdefault(tags[BACKUP_TAG], []).append(name)
    by_purpose = _one(purposes, "bucket of purpose", stack, aws.region)
    if MODELS not in by_purpose:
        raise UsageError(
            f"--stack {stack} --region {aws.region}: no bucket tagged {ENVIRONMENT_TAG}={stack} and "
            f"{PURPOSE_TAG}={MODELS} in account {caller['Account']} ({caller['Arn']}); accepted: the region "
            f"and account the stack deploys to (its config says aws:region={settings.region})"
        )
    replica_region = settings.backup.replica_region
    replicas: dict[str, list[str]] = {}
    if replica_region:
        for name, tags in _tagged_buckets(aws, stack, replica_region):
            if BACKUP_TAG in tags and tags.get(REPLICA_TAG) == "true":
                replicas.setdefault(tags[BACKUP_TAG], []).append(name)
    return VaultStack(
        stack=stack,
        account=caller["Account"],
        partition=aws.partition,
        region=aws.region,
        replica_region=replica_region,
        models=tuple(settings.workspace.models),
        data_domains=tuple(settings.storage.data_domains),
        models_bucket=by_purpose[MODELS],
        data_buckets={p.removeprefix("data-"): b for p, b in by_purpose.items() if p.startswith("data-")},
        backup_buckets=_one(backups, "backup of dataset", stack, aws.region),
        replica_buckets=_one(replicas, "replica of dataset", stack, replica_region) if replica_region else {},
    )
