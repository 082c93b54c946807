"""Least privilege, judged by meaning: every Action/NotAction pattern is expanded with the IAM action
database (`policies.iamdb`), so spelling (`iam:Pass*`, `S3:*`, `NotAction`) does not get around a control.
No wildcard actions, no broad resources (every resource of a type in the account included, unless a
condition on the stack's tag or network confines them) outside the actions AWS only grants on "*", no
privilege escalation on wildcard resources, a stack boundary on every role, no admin-equivalent AWS
managed policies by any attachment, closed trust policies, roles only (no users or long-lived keys)."""

from __future__ import annotations

import bisect
import fnmatch
import functools
import ipaddress
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from strongroom.policies import iamdb
from strongroom.policies.model import Control
from strongroom.policies.perimeter import (
    ACCOUNT_ID,
    CannotJudge,
    account_of,
    inside,
    limited_to_perimeter,
    principal_entries,
)
from strongroom.policies.props import (
    UNKNOWN,
    Index,
    PolicyDocumentError,
    Resource,
    UnknownValue,
    as_list,
    normalize,
    policy_document,
    statements,
)

ROLE = "aws:iam/role:Role"
USER = "aws:iam/user:User"
GROUP = "aws:iam/group:Group"
POLICY = "aws:iam/policy:Policy"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
USER_POLICY = "aws:iam/userPolicy:UserPolicy"
GROUP_POLICY = "aws:iam/groupPolicy:GroupPolicy"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
POLICY_ATTACHMENT = "aws:iam/policyAttachment:PolicyAttachment"
USER_POLICY_ATTACHMENT = "aws:iam/userPolicyAttachment:UserPolicyAttachment"
GROUP_POLICY_ATTACHMENT = "aws:iam/groupPolicyAttachment:GroupPolicyAttachment"
ROLE_POLICY_ATTACHMENTS_EXCLUSIVE = "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive"
USER_POLICY_ATTACHMENTS_EXCLUSIVE = "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive"
GROUP_POLICY_ATTACHMENTS_EXCLUSIVE = "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive"
ACCESS_KEY = "aws:iam/accessKey:AccessKey"
USER_LOGIN_PROFILE = "aws:iam/userLoginProfile:UserLoginProfile"
SSH_KEY = "aws:iam/sshKey:SshKey"
SIGNING_CERTIFICATE = "aws:iam/signingCertificate:SigningCertificate"
SERVICE_SPECIFIC_CREDENTIAL = "aws:iam/serviceSpecificCredential:ServiceSpecificCredential"
GROUP_MEMBERSHIP = "aws:iam/groupMembership:GroupMembership"
USER_GROUP_MEMBERSHIP = "aws:iam/userGroupMembership:UserGroupMembership"

POLICY_TYPES = (ROLE, POLICY, ROLE_POLICY, USER_POLICY, GROUP_POLICY)
"""Types that carry a permissions policy document (a role's inline policies, or `policy`)."""

ATTACHMENT_TYPES = (
    ROLE_POLICY_ATTACHMENT,
    POLICY_ATTACHMENT,
    USER_POLICY_ATTACHMENT,
    GROUP_POLICY_ATTACHMENT,
    ROLE_POLICY_ATTACHMENTS_EXCLUSIVE,
    USER_POLICY_ATTACHMENTS_EXCLUSIVE,
    GROUP_POLICY_ATTACHMENTS_EXCLUSIVE,
)

USER_TYPES: Mapping[str, str] = {
    USER: "is an IAM user",
    GROUP: "is an IAM group (groups only hold users)",
    ACCESS_KEY: "is a long-lived IAM access key",
    USER_LOGIN_PROFILE: "is a console password of an IAM user",
    SSH_KEY: "is an SSH key of an IAM user",
    SIGNING_CERTIFICATE: "is a signing certificate of an IAM user",
    SERVICE_SPECIFIC_CREDENTIAL: "is a long-lived service-specific credential of an IAM user",
    GROUP_MEMBERSHIP: "puts IAM users in a group",
    USER_GROUP_MEMBERSHIP: "puts an IAM user in groups",
}
"""What each forbidden identity type is: the environment's people come through SSO roles, its jobs
through service roles; no type here is needed."""

ADMIN_EQUIVALENT_POLICIES: Mapping[str, str] = {
    "AdministratorAccess": "every action on every resource",
    "PowerUserAccess": "every action but IAM and Organizations",
    "IAMFullAccess": "creates and attaches any policy: administrator in one step",
    "AWSKeyManagementServicePowerUser": "creates keys and changes key policies",
    "SecretsManagerReadWrite": "reads every secret of the account",
    "SystemAdministrator": "job function: broad EC2, IAM PassRole, Lambda, ...",
    "NetworkAdministrator": "job function: opens any network path",
    "DatabaseAdministrator": "job function: every database, with PassRole",
    "DataScientist": "job function: broad SageMaker, S3 and PassRole",
    "AWSLambda_FullAccess": "runs code as any passable role",
    "AmazonSSMFullAccess": "runs commands on any instance",
    "AWSCloudFormationFullAccess": "creates anything a passable role can",
}
"""AWS managed policies reviewed as admin-equivalent for this environment, with the reason. Any AWS
managed policy whose name ends in `FullAccess` (AmazonS3FullAccess, AmazonSageMakerFullAccess,
AmazonEC2FullAccess, ...) or starts with `AdministratorAccess` is treated as admin-equivalent too."""

_AWS_MANAGED = re.compile(r"^arn:[^:]+:iam::aws:policy/(?:.*/)?(?P<name>[^/]+)$")
_ARN = re.compile(
    r"^arn:(?P<partition>[^:]*):(?P<service>[^:]*):(?P<region>[^:]*):(?P<account>[^:]*):(?P<rest>.*)$"
)
_ONLY_WILD = re.compile(r"^[*?/:]*[*?][*?/:]*$")
_WILD = re.compile(r"[*?]")
_TYPED = re.compile(r"^[A-Za-z0-9-]+[/:](?P<name>.*)$")
ENVIRONMENT_TAG = "strongroom:environment"
"""The tag every resource of a stack carries, with the stack's name: a tag condition on it confines a
typed wildcard to the stack's own resources."""


# -- documents ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grant:
    """One Allow statement of a permissions policy, read for its meaning."""

    where: str
    index: int
    statement: Mapping[str, Any]

    def prefix(self, subject: Resource) -> str:
        return f"{self.where} of {subject.label} statement {self.index}"

    def patterns(self, subject: Resource) -> list[str]:
        return _strings(subject, self.statement.get("NotAction", self.statement.get("Action")), "Action")

    @property
    def not_action(self) -> bool:
        return "NotAction" in self.statement

    def actions(self, subject: Resource) -> frozenset[str]:
        """Every real action the statement grants (a NotAction grants all the others)."""
        patterns = self.patterns(subject)
        return iamdb.not_action(patterns) if self.not_action else iamdb.expand_all(patterns)

    def resources(self, subject: Resource) -> list[str]:
        return _strings(subject, self.statement.get("Resource"), "Resource")


def _strings(subject: Resource, value: Any, element: str) -> list[str]:
    found: list[str] = []
    for item in as_list(value):
        if item is UNKNOWN:
            raise UnknownValue(subject.label, f"{element} of a policy statement")
        found.append(str(item))
    return found


def _documents(subject: Resource) -> Iterator[tuple[str, Any]]:
    """(where, policy JSON) for every permissions policy the resource carries."""
    if subject.type == ROLE:
        for i, inline in enumerate(as_list(subject.known("inlinePolicies", []))):
            if isinstance(inline, Mapping) and inline.get("policy") is not None:
                if inline.get("policy") is UNKNOWN:
                    raise UnknownValue(subject.label, f"inlinePolicies.{i}.policy")
                yield f"inline policy '{inline.get('name') or i}'", inline.get("policy")
    elif subject.get("policy") is not None:
        yield "policy", subject.known("policy")


def _grants(subject: Resource) -> Iterator[Grant | str]:
    """Every Allow statement, or a message for a document that cannot be read."""
    for where, raw in _documents(subject):
        try:
            document = policy_document(raw)
        except PolicyDocumentError as exc:
            yield f"{where} of {subject.label} {exc}"
            continue
        for i, statement in enumerate(statements(document)):
            effect = statement.get("Effect")
            if effect is UNKNOWN:
                raise UnknownValue(subject.label, f"{where} statement {i} Effect")
            if effect == "Allow":
                yield Grant(where, i, statement)


# -- SR-IAM-001 -----------------------------------------------------------------------------------------


def _services(names: frozenset[str]) -> str:
    if len(names) == len(iamdb.services()):
        return "every service"
    listed = sorted(names)
    return ", ".join(listed) if len(listed) <= 3 else f"{len(listed)} services ({', '.join(listed[:3])}, ...)"


@functools.cache
def _pattern_problem(pattern: str) -> str | None:
    """What is wrong with an action pattern, from the IAM database alone: worked out once per pattern (the
    same few hundred patterns recur in every environment's policies, 16,300 asks at ten environments)."""
    expanded = iamdb.expand(pattern)
    if not expanded:
        return "which matches no action in the IAM database (unknown action)"
    if not iamdb.WILDCARD.search(pattern):
        return None
    whole = frozenset(s for s in {a.split(":")[0] for a in expanded} if iamdb.service_actions(s) <= expanded)
    if whole:
        plain = pattern == "*" or (pattern.endswith(":*") and not iamdb.WILDCARD.search(pattern[:-2]))
        return "" if plain else f"which matches every action of {_services(whole)}"
    managing = sorted(a for a in expanded if iamdb.access_level(a) == iamdb.PERMISSIONS_MANAGEMENT)
    if managing:
        shown = ", ".join(managing[:3]) + (", ..." if len(managing) > 3 else "")
        return f"which matches {len(managing)} permissions-management action(s) ({shown})"
    return None


def _wildcard_actions(subject: Resource, _index: Index) -> Iterator[str]:
    for grant in _grants(subject):
        if isinstance(grant, str):
            yield grant
            continue
        if grant.not_action:
            yield f"{grant.prefix(subject)} allows NotAction, i.e. every other action"
            continue
        for pattern in grant.patterns(subject):
            problem = _pattern_problem(pattern)
            if problem is not None:
                yield f"{grant.prefix(subject)} allows action '{pattern}'" + (
                    f", {problem}" if problem else ""
                )


# -- SR-IAM-002 -----------------------------------------------------------------------------------------


def broad_resource(resource: str) -> bool:
    """True for a resource pattern that names no particular resource: `*`, an ARN whose resource part is
    only wildcards (`arn:aws:s3:::*`, `arn:aws:ec2:eu-west-2:123456789012:*`), any account
    (`arn:aws:kms:*:*:key/k`), a wildcard pattern that is not an ARN at all, or a typed wildcard (see
    `typed_wildcard`)."""
    if not _WILD.search(resource):
        return False
    match = _ARN.match(resource)
    if match is None:
        return True
    rest = match.group("rest")
    if _ONLY_WILD.match(rest) or _WILD.search(match.group("account")) or _WILD.search(match.group("service")):
        return True
    return typed_wildcard(resource)


def typed_wildcard(resource: str) -> bool:
    """True for an ARN whose resource name starts with a wildcard: every resource of a type in the account
    (`key/*`, `alias/*`, `role/*`, `security-group/*`, `secret:*`, `log-group:*:log-stream:*`, a topic
    `*-alerts`), in any service; it reaches other stacks' keys, roles and topics. A name that starts with
    a prefix (`training-job/sr-dev-*`, `role/strongroom/dev/*`) is not. S3 bucket and object ARNs have no
    type: the bucket name is the name (`arn:aws:s3:::*-data/*` is typed wide, `bucket/*` is not)."""
    match = _ARN.match(resource)
    if match is None:
        return False
    rest = match.group("rest")
    typed = _TYPED.match(rest)
    untyped = match.group("service").lower() == "s3" and not match.group("account")
    name = rest if untyped or typed is None else typed.group("name")
    return name == "" or bool(_WILD.match(name) or _ONLY_WILD.match(name))


_TAG_KEYS = {"resourcetag": "aws:ResourceTag/${TagKey}", "requesttag": "aws:RequestTag/${TagKey}"}
_NETWORK_KEYS = {
    "ec2:Vpc": re.compile(r":vpc/vpc-[0-9a-f]+$"),
    "ec2:Subnet": re.compile(r":subnet/subnet-[0-9a-f]+$"),
}
_NETWORK_IDS = {"ec2:SubnetID": re.compile(r"^subnet-[0-9a-f]+$")}


def _confined(index: Index, statement: Mapping[str, Any], action: str) -> bool:
    """True when the statement confines `action` to the stack's resources, with a condition key the IAM
    database says the action supports: StringEquals on `aws:ResourceTag/strongroom:environment` (or
    `aws:RequestTag/...`, for creation) to the stack's name, or (EC2) `ec2:Vpc` / `ec2:Subnet` (exact ARNs)
    or `ec2:SubnetID` (exact IDs), for resources AWS creates untagged in the stack's network: the default
    security group, route table and network ACL, the network interfaces of SageMaker jobs."""
    supported = iamdb.condition_keys(action)
    stack = index.context.stack
    for kind, key in _TAG_KEYS.items():
        values = _condition_values(statement, f"aws:{kind}/{ENVIRONMENT_TAG}", ("stringequals",))
        if stack is not None and key in supported and values and all(v == stack for v in values):
            return True
    for key, form in {**_NETWORK_KEYS, **_NETWORK_IDS}.items():
        values = _condition_values(statement, key, ("arnequals", "stringequals"))
        exact = key in _NETWORK_IDS or all(isinstance(v, str) and exact_arn(v) for v in values or [])
        if (
            key in supported
            and values
            and exact
            and all(isinstance(v, str) and form.search(v) for v in values)
        ):
            return True
    return False


def _wide(grant: Grant, subject: Resource, index: Index) -> list[str]:
    if "NotResource" in grant.statement:
        return ["NotResource"]
    resources = [r for r in grant.resources(subject) if broad_resource(r)]
    in_account = [r for r in resources if _in_account(r)]
    if in_account:
        scoped = [a for a in grant.actions(subject) if not iamdb.star_only(a)]
        if not grant.not_action and all(_confined(index, grant.statement, a) for a in scoped):
            resources = [r for r in resources if r not in in_account]
    return [f"Resource '{r}'" for r in resources]


def _in_account(resource: str) -> bool:
    """A pattern over the resources of one named account and service (`arn:aws:kms:eu-west-2:
    123456789012:key/*`, `arn:aws:ec2:eu-west-2:123456789012:*`): a condition on the stack's tag or
    network can confine it to the stack's resources. `*`, any account or any service: nothing can."""
    match = _ARN.match(resource)
    return (
        match is not None
        and ACCOUNT_ID.match(match.group("account")) is not None
        and not _WILD.search(match.group("service"))
    )


def _is_boundary_only(subject: Resource, index: Index) -> bool:
    """True for a Policy of the stack that roles or users use as their permission boundary and nothing
    attaches as permissions: its Allow statements are a ceiling, they grant nothing."""
    if subject.type != POLICY:
        return False
    bounding, attaching = index.memo("identity:policy-uses", lambda: _policy_uses(index))
    return bounding.names(subject) and not attaching.names(subject)


@dataclass
class _References:
    """What some properties of the stack name, read once (as `_refers` reads each): the URNs of their
    property dependencies, the ARN strings of those without, and whether one of those is unknown."""

    urns: set[str]
    arns: set[str]
    unknown: bool = False

    def add(self, resource: Resource, prop: str, *, unknown: bool) -> None:
        deps = resource.property_dependencies.get(prop)
        if deps:
            self.urns.update(deps)
            return
        for value in as_list(resource.get(prop)):
            if value is UNKNOWN:
                self.unknown = self.unknown or unknown
            elif isinstance(value, str):
                self.arns.add(value)

    def names(self, policy: Resource) -> bool:
        arn = policy.get("arn")
        return self.unknown or policy.urn in self.urns or (isinstance(arn, str) and arn in self.arns)


def _policy_uses(index: Index) -> tuple[_References, _References]:
    """(what the roles and users use as boundaries, what attaches as permissions), each read once per index:
    asked of every Policy, a scan of every role and attachment each time grew with the square of the
    stack."""
    bounding, attaching = _References(set(), set()), _References(set(), set())
    for resource in index.of_type(ROLE, USER):
        bounding.add(resource, "permissionsBoundary", unknown=False)
    for attachment in index.of_type(*ATTACHMENT_TYPES):
        attaching.add(attachment, "policyArn", unknown=True)
        attaching.add(attachment, "policyArns", unknown=True)
    for role in index.of_type(ROLE):
        attaching.add(role, "managedPolicyArns", unknown=True)
    return bounding, attaching


def _refers(resource: Resource, prop: str, policy: Resource, *, unknown: bool = True) -> bool:
    """Whether `resource`'s `prop` names `policy`: by property dependency, else by ARN value. An unknown
    value counts as `unknown` (a reference for attachments: the stricter reading)."""
    deps = resource.property_dependencies.get(prop)
    if deps:
        return policy.urn in deps
    arn = policy.get("arn")
    for value in as_list(resource.get(prop)):
        if (value is UNKNOWN and unknown) or (isinstance(value, str) and value == arn):
            return True
    return False


def _wildcard_resources(subject: Resource, index: Index) -> Iterator[str]:
    if _is_boundary_only(subject, index):
        return
    for grant in _grants(subject):
        if isinstance(grant, str):
            continue
        wide = _wide(grant, subject, index)
        if not wide:
            continue
        if grant.not_action:
            broad = ["NotAction " + ", ".join(grant.patterns(subject))]
        else:
            broad = [p for p in grant.patterns(subject) if not _all_star_only(p)]
        if broad:
            yield f"{grant.prefix(subject)} allows {', '.join(broad)} on {', '.join(wide)}"


def _all_star_only(pattern: str) -> bool:
    expanded = iamdb.expand(pattern)
    return bool(expanded) and all(iamdb.star_only(a) for a in expanded)


# -- SR-IAM-003 -----------------------------------------------------------------------------------------


def exact_arn(resource: str) -> bool:
    """True for an ARN with no wildcard in its account and resource parts."""
    match = _ARN.match(resource)
    return match is not None and not _WILD.search(match.group("account") + match.group("rest"))


def _escalation(subject: Resource, index: Index) -> Iterator[str]:
    if _is_boundary_only(subject, index):
        return
    for grant in _grants(subject):
        if isinstance(grant, str):
            continue
        escalating = sorted(a for a in grant.actions(subject) if iamdb.escalation(a))
        if not escalating:
            continue
        if "NotResource" in grant.statement:
            loose = ["NotResource"]
        else:
            loose = [r for r in grant.resources(subject) if not exact_arn(r)]
        if loose:
            yield f"{grant.prefix(subject)} allows {', '.join(escalating)} on {', '.join(loose)}"


# -- SR-IAM-004 -----------------------------------------------------------------------------------------


def _boundary(subject: Resource, index: Index) -> Iterator[str]:
    kind = "role" if subject.type == ROLE else "user"
    value = subject.get("permissionsBoundary")
    deps = set(subject.property_dependencies.get("permissionsBoundary", ()))
    if value is None or value == "":
        yield f"{kind} {subject.label} has no permissionsBoundary"
        return
    if isinstance(value, str) and value is not UNKNOWN and _AWS_MANAGED.match(value):
        yield f"{kind} {subject.label} has the AWS managed policy {value} as its permissionsBoundary"
        return
    by_dependency = index.with_urns(deps, POLICY)
    if value is UNKNOWN:
        if by_dependency:
            return
        raise UnknownValue(subject.label, "permissionsBoundary")
    # A string is looked up among the policies' ARNs (a table built once per index); anything else is
    # compared with each, as before.
    if isinstance(value, str):
        if index.matching(POLICY, ("arn",), value):
            return
    elif any(p.get("arn") == value for p in index.of_type(POLICY)):
        return
    if any(p.get("arn") is UNKNOWN for p in by_dependency):
        return
    yield f"{kind} {subject.label} has permissionsBoundary {value}, which is not a policy of this stack"


# -- SR-IAM-005 -----------------------------------------------------------------------------------------


def admin_equivalent(arn: str) -> str | None:
    """The name of the AWS managed policy `arn` names, when it is admin-equivalent; else None."""
    match = _AWS_MANAGED.match(arn)
    if match is None:
        return None
    name = match.group("name")
    broad = name in ADMIN_EQUIVALENT_POLICIES or name.endswith("FullAccess")
    return name if broad or name.startswith("AdministratorAccess") else None


def _attached_arns(subject: Resource) -> list[tuple[str, str]]:
    """(how, ARN) for every policy the resource attaches or uses as a boundary."""
    found: list[tuple[str, Any]] = []
    if subject.type in (ROLE, USER):
        boundary = subject.known("permissionsBoundary")
        if boundary:
            found.append(("uses as its permissions boundary", boundary))
    if subject.type == ROLE:
        found += [("attaches", a) for a in as_list(subject.known("managedPolicyArns", []))]
    if subject.type in ATTACHMENT_TYPES:
        prop = "policyArns" if subject.type.endswith("Exclusive") else "policyArn"
        found += [("attaches", a) for a in as_list(subject.known(prop))]
    for how, arn in found:
        if arn is UNKNOWN:
            raise UnknownValue(subject.label, f"a policy ARN it {how.split()[0]}")
    return [(how, str(arn)) for how, arn in found]


def _managed_policies(subject: Resource, _index: Index) -> Iterator[str]:
    for how, arn in _attached_arns(subject):
        name = admin_equivalent(arn)
        if name is not None:
            yield f"{subject.label} {how} the AWS managed policy {name}"


# -- SR-IAM-006 -----------------------------------------------------------------------------------------

_EXACT = ("stringequals", "stringlike")


def _condition_values(statement: Mapping[str, Any], key: str, operators: tuple[str, ...]) -> list[Any] | None:
    """The values `key` is pinned to by one of `operators` (case-insensitive), None when it is not."""
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping):
        return None
    for operator, block in condition.items():
        if str(operator).lower() not in operators or not isinstance(block, Mapping):
            continue
        for k, values in block.items():
            if str(k).lower() == key.lower():
                listed = as_list(values)
                return listed or None
    return None


def _own_account(subject: Resource) -> str:
    for prop in ("arn", "permissionsBoundary"):
        account = account_of(subject.get(prop))
        if account not in (None, "*", "aws"):
            return str(account)
    raise UnknownValue(subject.label, "arn (the role's own account)")


def _cross_account_pinned(subject: Resource, index: Index, statement: Mapping[str, Any]) -> bool:
    external = _condition_values(statement, "sts:ExternalId", ("stringequals",))
    if external and all(isinstance(v, str) and v and not _WILD.search(v) for v in external):
        return True
    org = _condition_values(statement, "aws:PrincipalOrgID", ("stringequals",))
    wanted = index.context.organization_id
    return bool(org) and wanted is not None and all(v == wanted for v in org or [])


def _federated(subject: Resource, statement: Mapping[str, Any], provider: str) -> Iterator[str]:
    if ":saml-provider/" in provider:
        if not _condition_values(statement, "SAML:aud", ("stringequals",)):
            yield f"trusts SAML provider '{provider}' without a StringEquals SAML:aud condition"
        return
    host = provider.split(":oidc-provider/", 1)[1] if ":oidc-provider/" in provider else provider
    aud = _condition_values(statement, f"{host}:aud", _EXACT)
    if not aud or any(not isinstance(v, str) or _WILD.search(v) for v in aud):
        yield f"trusts identity provider '{provider}' without pinning {host}:aud (StringEquals, no wildcard)"
    sub = _condition_values(statement, f"{host}:sub", _EXACT)
    if not sub:
        yield f"trusts identity provider '{provider}' without pinning {host}:sub (StringEquals/StringLike)"
        return
    for value in sub:
        if not _subject_pinned(host, value):
            yield f"trusts identity provider '{provider}' for {host}:sub '{value}', which is not pinned"


def _subject_pinned(host: str, value: Any) -> bool:
    if not isinstance(value, str):
        return False
    if host == "token.actions.githubusercontent.com":
        match = re.match(r"^repo:(?P<repo>[^:]+):.+$", value)
        return match is not None and not _WILD.search(match.group("repo")) and "/" in match.group("repo")
    return not _WILD.search(value)


def _trust(subject: Resource, index: Index) -> Iterator[str]:
    label = f"trust policy of role {subject.label}"
    try:
        document = policy_document(subject.known("assumeRolePolicy"))
    except PolicyDocumentError as exc:
        yield f"{label} {exc}"
        return
    for i, statement in enumerate(statements(document)):
        if statement.get("Effect") != "Allow":
            continue
        where = f"{label} statement {i}"
        if "NotPrincipal" in statement:
            yield f"{where} uses NotPrincipal: every principal but the ones named may assume the role"
            continue
        for kind, value in principal_entries(statement):
            if value is UNKNOWN or value == repr(UNKNOWN):
                raise UnknownValue(subject.label, f"assumeRolePolicy statement {i} Principal")
            if kind == "Service":
                continue
            if kind == "Federated":
                yield from (f"{where} {m}" for m in _federated(subject, statement, value))
                continue
            if kind != "AWS" and kind != "*":
                yield f"{where} names a {kind} principal '{value}', which cannot assume a role"
                continue
            account = account_of(value)
            if account == "*":
                if not limited_to_perimeter(index.context, statement):
                    yield f"{where} lets principal '{value}' assume the role"
            elif account is None:
                yield f"{where} names principal '{value}', which names no account"
            elif not inside(index.context, account):
                yield f"{where} lets principal '{value}' of account {account}, outside the perimeter, in"
            elif account != _own_account(subject) and not _cross_account_pinned(subject, index, statement):
                yield (
                    f"{where} lets account {account} assume the role without an sts:ExternalId or an "
                    "aws:PrincipalOrgID condition (StringEquals, the perimeter's organization)"
                )


# -- SR-IAM-007 -----------------------------------------------------------------------------------------


def _no_users(subject: Resource, _index: Index) -> Iterator[str]:
    yield f"{subject.label} {USER_TYPES[subject.type]}; the environment allows roles only"


# -- SR-IAM-050..052: people, Studio execution roles and sign-in URLs -------------------------------

SAGEMAKER_SERVICE = "sagemaker.amazonaws.com"
IDENTITY_CENTER_ROLE_PATH = ":role/aws-reserved/sso.amazonaws.com/"
SIGN_IN_ACTIONS = ("sagemaker:CreatePresignedDomainUrl", "sagemaker:CreatePresignedNotebookInstanceUrl")
_EXECUTION_ROLE_PATHS: Mapping[str, tuple[tuple[str, str], ...]] = {
    "aws:sagemaker/domain:Domain": (
        ("defaultUserSettings", "defaultUserSettings.executionRole"),
        ("defaultSpaceSettings", "defaultSpaceSettings.executionRole"),
    ),
    "aws:sagemaker/userProfile:UserProfile": (("userSettings", "userSettings.executionRole"),),
    "aws:sagemaker/notebookInstance:NotebookInstance": (("roleArn", "roleArn"),),
}
_EXECUTION_WHAT = {
    "aws:sagemaker/domain:Domain": "Studio domain",
    "aws:sagemaker/userProfile:UserProfile": "user profile",
    "aws:sagemaker/notebookInstance:NotebookInstance": "notebook instance",
}


def _trust_statements(subject: Resource) -> list[dict[str, Any]]:
    """The Allow statements of a role's trust policy (an unreadable trust: SR-IAM-006 reports it)."""
    try:
        document = policy_document(subject.known("assumeRolePolicy"))
    except PolicyDocumentError:
        return []
    return [s for s in statements(document) if s.get("Effect") == "Allow"]


def _people(subject: Resource) -> list[str]:
    """Principals of the trust that are people or stand for them: IAM (AWS) principals, '*', SAML."""
    found: list[str] = []
    for i, statement in enumerate(_trust_statements(subject)):
        for kind, value in principal_entries(statement):
            if value is UNKNOWN or value == repr(UNKNOWN):
                raise UnknownValue(subject.label, f"assumeRolePolicy statement {i} Principal")
            if kind in ("AWS", "*") or (kind == "Federated" and ":saml-provider/" in value):
                found.append(value)
    return sorted(set(found))


def _trusts_sagemaker(subject: Resource) -> bool:
    return any(
        kind == "Service" and value == SAGEMAKER_SERVICE
        for statement in _trust_statements(subject)
        for kind, value in principal_entries(statement)
    )


def _execution_role_of_people(subject: Resource, index: Index) -> Iterator[str]:
    if subject.type == ROLE:
        people = _people(subject)
        if people and _trusts_sagemaker(subject):
            yield (
                f"role {subject.label} is trusted by SageMaker and by people ({', '.join(people)}): a "
                "person's role is also an execution role, so what any notebook or app runs acts as them"
            )
        return
    what = _EXECUTION_WHAT[subject.type]
    for prop, path in _EXECUTION_ROLE_PATHS[subject.type]:
        value = subject.get(path)
        if value is None:
            continue
        deps = set(subject.property_dependencies.get(prop, ()))
        # The roles named, in the plan's order, by lookups in tables built once per index (a value that is
        # not a string is compared with each role's ARN, as before).
        if value is UNKNOWN:
            named = index.with_urns(deps, ROLE)
            if not named:
                raise UnknownValue(subject.label, path)
        elif isinstance(value, str):
            named = index.matching(ROLE, ("arn",), value)
        else:
            named = [r for r in index.of_type(ROLE) if r.get("arn") == value]
        for role in named:
            people = _people(role)
            if people:
                yield (
                    f"{what} {subject.label} runs as role {role.label} ({path}), which people assume "
                    f"({', '.join(people)}): the execution role must be trusted by SageMaker only"
                )


SIGN_IN_MIN_PREFIX = {4: 16, 6: 48}
"""The widest source range (prefix length) a sign-in URL may be minted from, per IP version: the stack's
settings accept the bank's IPv4 ranges from /16 to /32 (components/settings.py signInCidrs)."""
_IPV4_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")


def _wide_source(value: Any) -> str | None:
    """Why an aws:SourceIp value is not one of the bank's ranges (wider than /16, IPv6 /48, or not an
    address range at all), None when it is narrow enough. IPv4-mapped IPv6 ranges are judged as IPv4."""
    if not isinstance(value, str):
        return f"{value!r} (not an address range)"
    try:
        network = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return f"'{value}' (not an address range)"
    version, prefix = network.version, network.prefixlen
    if isinstance(network, ipaddress.IPv6Network) and network.subnet_of(_IPV4_MAPPED):
        version, prefix = 4, prefix - 96
    if prefix < SIGN_IN_MIN_PREFIX[version]:
        return f"'{value}' ({network.num_addresses} addresses)"
    return None


def _source_problem(statement: Mapping[str, Any]) -> str | None:
    """None when the statement confines where the caller is: StringEquals aws:SourceVpce (exact vpce- IDs)
    or IpAddress aws:SourceIp with every range /16 or narrower (IPv6 /48); else what is missing."""
    vpce = _condition_values(statement, "aws:SourceVpce", ("stringequals",))
    if vpce and all(isinstance(v, str) and v.startswith("vpce-") and not _WILD.search(v) for v in vpce):
        return None
    ips = _condition_values(statement, "aws:SourceIp", ("ipaddress",)) or []
    if not ips:
        return (
            "without an aws:SourceVpce (StringEquals, vpce-...) or aws:SourceIp (IpAddress, /16 or "
            "narrower) condition: sign-in URLs can be minted from anywhere"
        )
    wide = [w for w in (_wide_source(v) for v in ips) if w is not None]
    if wide:
        return (
            f"from aws:SourceIp {', '.join(wide)}, wider than /{SIGN_IN_MIN_PREFIX[4]} (IPv6 "
            f"/{SIGN_IN_MIN_PREFIX[6]}) or no range at all: sign-in URLs can be minted from far beyond the "
            "bank's own ranges"
        )
    return None


def _own_profile_only(statement: Mapping[str, Any], resources: list[str]) -> bool:
    if resources and all("user-profile/" in r and not _WILD.search(r) for r in resources):
        return True
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping):
        return False
    for operator, block in condition.items():
        if str(operator).lower() != "stringequals" or not isinstance(block, Mapping):
            continue
        for key, values in block.items():
            listed = as_list(values)
            tag = str(key).lower().startswith(("aws:resourcetag/", "sagemaker:resourcetag/"))
            if tag and listed and all(isinstance(v, str) and re.fullmatch(r"\$\{[^}]+\}", v) for v in listed):
                return True
    return False


def _sign_in_urls(subject: Resource, index: Index) -> Iterator[str]:
    if _is_boundary_only(subject, index):
        return
    for grant in _grants(subject):
        if isinstance(grant, str):
            yield grant
            continue
        granted = sorted(
            a for a in grant.actions(subject) if a.lower() in {s.lower() for s in SIGN_IN_ACTIONS}
        )
        if not granted:
            continue
        where = grant.prefix(subject)
        source = _source_problem(grant.statement)
        if source is not None:
            yield f"{where} grants {', '.join(granted)} {source}"
        if "sagemaker:CreatePresignedDomainUrl" in granted and not _own_profile_only(
            grant.statement, grant.resources(subject)
        ):
            yield (
                f"{where} grants sagemaker:CreatePresignedDomainUrl on every user profile it names: no "
                "StringEquals aws:ResourceTag/<key> condition equal to the caller's identity "
                "(${aws:SourceIdentity}, ${aws:PrincipalTag/...}, ${aws:userid})"
            )


def _is_mfa(statement: Mapping[str, Any]) -> bool:
    values = _condition_values(statement, "aws:MultiFactorAuthPresent", ("bool",)) or []
    return bool(values) and all(str(v).lower() == "true" for v in values)


def _requires_source_identity(statement: Mapping[str, Any]) -> bool:
    required = _condition_values(statement, "sts:SourceIdentity", ("null",))
    if required and all(str(v).lower() == "false" for v in required):
        return True
    pinned = _condition_values(statement, "sts:SourceIdentity", _EXACT) or []
    return bool(pinned) and all(isinstance(v, str) and v not in ("", "*") for v in pinned)


def _human_trust(subject: Resource, _index: Index) -> Iterator[str]:
    for i, statement in enumerate(_trust_statements(subject)):
        people = [v for kind, v in principal_entries(statement) if kind in ("AWS", "*")]
        if not people or _condition_values(statement, "sts:ExternalId", ("stringequals",)):
            continue
        where = f"trust policy of role {subject.label} statement {i}"
        if not _requires_source_identity(statement):
            yield (
                f"{where} lets {', '.join(sorted(people))} assume the role without requiring "
                "sts:SourceIdentity (Null false, or StringEquals/StringLike a value): its actions are not "
                "tied to a person"
            )
        without = sorted(p for p in people if IDENTITY_CENTER_ROLE_PATH not in p)
        if without and not _is_mfa(statement):
            yield (
                f"{where} lets {', '.join(without)} assume the role without Bool aws:MultiFactorAuthPresent "
                "true (only IAM Identity Center permission-set roles get MFA from their sign-in)"
            )


_NIST_LP = ("AC-6", "AC-6(1)", "AC-3")

CONTROLS: tuple[Control, ...] = (
    Control(
        id="SR-IAM-001",
        title="No IAM policy allows wildcard, NotAction or unknown actions",
        severity="critical",
        enforcement="mandatory",
        resource_types=POLICY_TYPES,
        rationale=(
            "A wildcard action grants every present and future permission of a service; a pattern over "
            "permissions-management actions grants administrator in one step; NotAction grants everything "
            "not named; an action AWS does not know is a typo or an evasion, never what was reviewed."
        ),
        frameworks={"NIST-800-53-r5": _NIST_LP, "AWS-FSBP": ("IAM.1", "IAM.21"), "CIS-AWS-3.0": ("1.16",)},
        remediation=(
            "List the actions the role needs, spelled as in the Service Authorization Reference "
            "(policy_sentry or parliament help find them); never NotAction with Allow."
        ),
        predicate=_wildcard_actions,
        enforced_in=frozenset({"preview", "checkov", "live"}),
        checkov_ids=("CKV_AWS_62", "CKV_AWS_63"),
        tags=("identity", "iam"),
    ),
    Control(
        id="SR-IAM-002",
        title="No broad resource except for actions AWS only grants on '*'",
        severity="high",
        enforcement="mandatory",
        resource_types=POLICY_TYPES,
        rationale=(
            "A permission on every resource ('*', NotResource, an ARN whose resource part is only "
            "wildcards, any account) or on every resource of a type in the account (key/*, alias/*, "
            "role/*, security-group/*, secret:*, a name that starts with '*', in any service) reaches "
            "other environments' buckets, keys, roles and topics."
        ),
        frameworks={"NIST-800-53-r5": _NIST_LP},
        framework_note="FSBP IAM.1/IAM.21 only judge actions; no CIS or FSBP control judges resources.",
        remediation=(
            "Name the bucket, prefix, key and log group ARNs, or a name prefix of the stack "
            "(training-job/sr-dev-*); a broad resource is accepted only for actions with no resource-level "
            "permissions in the IAM database (policies.iamdb.star_only), or, within one named account, "
            "when every action supports (per the database) the condition that confines the statement: "
            "StringEquals aws:ResourceTag/strongroom:environment (aws:RequestTag/... to create) = the "
            "stack, or exact ec2:Vpc / ec2:Subnet / ec2:SubnetID."
        ),
        predicate=_wildcard_resources,
        scope="stack",
        enforced_in=frozenset({"preview", "checkov", "live"}),
        checkov_ids=("CKV_AWS_355",),
        tags=("identity", "iam"),
    ),
    Control(
        id="SR-IAM-003",
        enforced_in=frozenset({"preview", "live"}),
        title="Privilege-escalation actions only on exact ARNs",
        severity="critical",
        enforcement="mandatory",
        resource_types=POLICY_TYPES,
        rationale=(
            "iam:PassRole, policy writes, trust rewrites, boundary removal, credential minting and code "
            "updates of privileged functions on a wildcard let a principal gain permissions it was not "
            "granted (policies.iamdb.ESCALATION_ACTIONS lists them with the reason)."
        ),
        frameworks={"NIST-800-53-r5": ("AC-6", "AC-6(10)")},
        framework_note="No CIS or FSBP control isolates privilege-escalation actions.",
        remediation=(
            "Name the exact role ARN (e.g. iam:PassRole only on the training role, with iam:PassedToService "
            "sagemaker.amazonaws.com); no wildcard in the account or resource part."
        ),
        predicate=_escalation,
        scope="stack",
        tags=("identity", "iam"),
    ),
    Control(
        id="SR-IAM-004",
        enforced_in=frozenset({"preview", "live"}),
        title="Every role has a permission boundary from the stack",
        severity="high",
        enforcement="mandatory",
        resource_types=(ROLE, USER),
        rationale=(
            "A boundary caps what a role can ever do, even if a later policy grants more; only a boundary "
            "the stack defines (and the pack judges) caps anything: an AWS managed policy as boundary caps "
            "nothing a bank would want."
        ),
        frameworks={"NIST-800-53-r5": ("AC-6", "AC-2")},
        framework_note="No CIS or FSBP control requires permission boundaries.",
        remediation="Set permissions_boundary=<boundary aws.iam.Policy of this stack>.arn on the role.",
        predicate=_boundary,
        scope="stack",
        tags=("identity", "iam"),
    ),
    Control(
        id="SR-IAM-005",
        title="No admin-equivalent AWS managed policy, by any attachment",
        severity="critical",
        enforcement="mandatory",
        resource_types=(ROLE, USER, *ATTACHMENT_TYPES),
        rationale=(
            "AdministratorAccess, PowerUserAccess, IAMFullAccess, *FullAccess and the other reviewed AWS "
            "managed policies grant administrative or near-administrative power, whether attached to a "
            "role, user or group, exclusively or not, or used as a permission boundary."
        ),
        frameworks={"NIST-800-53-r5": ("AC-6", "AC-6(5)"), "CIS-AWS-3.0": ("1.16",)},
        remediation="Attach customer managed least-privilege policies instead.",
        predicate=_managed_policies,
        enforced_in=frozenset({"preview", "checkov", "live"}),
        checkov_ids=("CKV_AWS_274", "CKV2_AWS_56"),
        tags=("identity", "iam"),
    ),
    Control(
        id="SR-IAM-006",
        title="Trust policies admit only the perimeter, pinned",
        severity="critical",
        enforcement="mandatory",
        resource_types=(ROLE,),
        rationale=(
            "A trust policy with principal '*', NotPrincipal or an account outside the bank lets others "
            "assume the role; a cross-account trust without an external ID or organization condition is "
            "open to the confused deputy; an OIDC trust without pinned audience and subject lets any "
            "repository of the identity provider in."
        ),
        frameworks={"NIST-800-53-r5": ("AC-3", "AC-17", "IA-2")},
        framework_note="No CIS or FSBP control checks trust policy principals.",
        remediation=(
            "Name the principals from the stack config; add sts:ExternalId or aws:PrincipalOrgID for other "
            "accounts; pin <provider>:aud and <provider>:sub (repo:<org>/<repo>:...) with StringEquals."
        ),
        predicate=_trust,
        scope="stack",
        enforced_in=frozenset({"preview", "checkov", "live"}),
        checkov_ids=("CKV_AWS_60",),
        tags=("identity", "iam"),
    ),
    Control(
        id="SR-IAM-007",
        enforced_in=frozenset({"preview", "live"}),
        title="No IAM users, groups or long-lived credentials",
        severity="high",
        enforcement="mandatory",
        resource_types=tuple(USER_TYPES),
        rationale=(
            "People reach the environment through SSO roles and jobs through service roles; IAM users, "
            "their groups, access keys, passwords, SSH keys and certificates are long-lived credentials "
            "that leak and outlive their owners."
        ),
        frameworks={"NIST-800-53-r5": ("AC-2", "IA-2", "IA-5"), "AWS-FSBP": ("IAM.2",)},
        remediation="Use IAM Identity Center permission sets for people and roles for workloads.",
        predicate=_no_users,
        tags=("identity", "iam"),
    ),
    Control(
        id="SR-IAM-050",
        enforced_in=frozenset({"preview", "live"}),
        title="A role people assume is never a SageMaker execution role",
        severity="high",
        enforcement="mandatory",
        resource_types=(
            ROLE,
            "aws:sagemaker/domain:Domain",
            "aws:sagemaker/userProfile:UserProfile",
            "aws:sagemaker/notebookInstance:NotebookInstance",
        ),
        scope="stack",
        rationale=(
            "An execution role acts for whatever code the notebook or app runs, for as long as it runs; a "
            "role that is also a person's gives that code the person's access and hides who acted."
        ),
        frameworks={"NIST-800-53-r5": ("AC-5", "AC-6", "IA-2")},
        framework_note="No CIS or FSBP control separates people's roles from SageMaker execution roles.",
        remediation=(
            "Give Studio and notebooks their own role trusted by sagemaker.amazonaws.com only (with "
            "aws:SourceAccount/aws:SourceArn); people assume a separate role that may only pass it."
        ),
        predicate=_execution_role_of_people,
        tags=("identity", "iam", "workspace", "sagemaker"),
    ),
    Control(
        id="SR-IAM-051",
        enforced_in=frozenset({"preview", "live"}),
        title="Studio and notebook sign-in URLs only for one's own profile, from the VPC endpoint or bank",
        severity="high",
        enforcement="mandatory",
        resource_types=POLICY_TYPES,
        scope="stack",
        rationale=(
            "A presigned Studio URL signs its bearer in as the user profile, with its execution role and "
            "home directory: minted from anywhere, or for anyone's profile, it lets one person act as "
            "another from outside the bank."
        ),
        frameworks={"NIST-800-53-r5": ("AC-3", "AC-17", "SC-7")},
        framework_note="No CIS or FSBP control judges who may mint SageMaker sign-in URLs.",
        remediation=(
            "Condition CreatePresignedDomainUrl/CreatePresignedNotebookInstanceUrl on aws:SourceVpce (the "
            "sagemaker.api endpoint) or aws:SourceIp (the bank's ranges), and CreatePresignedDomainUrl on "
            "aws:ResourceTag/strongroom:studio-user = ${aws:SourceIdentity}."
        ),
        predicate=_sign_in_urls,
        tags=("identity", "iam", "workspace", "sagemaker"),
    ),
    Control(
        id="SR-IAM-052",
        enforced_in=frozenset({"preview", "live"}),
        title="People's roles require a source identity and MFA",
        severity="high",
        enforcement="advisory",
        prod_enforcement="mandatory",
        resource_types=(ROLE,),
        rationale=(
            "sts:SourceIdentity names the person on every action of the session and of every role chained "
            "from it; aws:MultiFactorAuthPresent proves MFA for IAM users and roles, but is never present "
            "in IAM Identity Center (federated) sessions, whose MFA is Identity Center's sign-in policy."
        ),
        frameworks={"NIST-800-53-r5": ("IA-2(1)", "IA-2(2)", "AU-3", "AU-10")},
        framework_note="CIS 1.10 and FSBP IAM.19 require MFA for IAM users, not for role trust policies.",
        remediation=(
            "Allow sts:AssumeRole and sts:SetSourceIdentity with Null sts:SourceIdentity false; add Bool "
            "aws:MultiFactorAuthPresent true for every principal that is not an Identity Center permission-"
            "set role (and turn on MFA for every sign-in in Identity Center)."
        ),
        predicate=_human_trust,
        tags=("identity", "iam"),
    ),
)


# -- SR-IAM-040 / SR-IAM-041: a role that deploys IAM cannot rewrite its own limits -------------------------

_SELF_ACTIONS = (
    "iam:UpdateAssumeRolePolicy",
    "iam:PutRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:AttachRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
)
"""What changes a role's own permissions, trust or boundary."""
_POLICY_EDITS = (
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:DeletePolicyVersion",
    "iam:DeletePolicy",
)
"""What rewrites or removes a managed policy (a boundary or a guardrail)."""
_BOUNDARY_KEY = "iam:permissionsboundary"


class _RoleNaming:
    """Which resources of some types name which role in their `role` property, read once per index: the
    stack controls ask it of every role, and a scan of every resource per role grew with the square of
    the stack. `of(role)`: those whose `role` property depends on the role, else equals its name, ID or
    ARN, in the stack's order; while one's `role` is unknown, none can be judged (UnknownValue)."""

    def __init__(self, index: Index, type_: str) -> None:
        self.by_dependency: dict[str, list[tuple[int, Resource]]] = {}
        self.by_value: dict[Any, list[tuple[int, Resource]]] = {}
        self.unknown: Resource | None = None
        for position, resource in enumerate(index.of_type(type_)):
            deps = resource.property_dependencies.get("role")
            if deps:
                for urn in dict.fromkeys(deps):
                    self.by_dependency.setdefault(urn, []).append((position, resource))
                continue
            value = resource.get("role")
            if value is UNKNOWN:
                self.unknown = self.unknown or resource
            elif isinstance(value, str):
                self.by_value.setdefault(value, []).append((position, resource))

    def of(self, role: Resource) -> list[Resource]:
        if self.unknown is not None:
            raise UnknownValue(self.unknown.label, "role")
        found = dict(self.by_dependency.get(role.urn, ()))
        for value in {role.get("name"), role.get("id"), role.get("arn")} - {None, UNKNOWN}:
            found.update(self.by_value.get(value, ()))
        return [found[position] for position in sorted(found)]


def _naming_role(index: Index, type_: str, role: Resource) -> list[Resource]:
    naming: _RoleNaming = index.memo(f"identity:naming-role:{type_}", lambda: _RoleNaming(index, type_))
    return naming.of(role)


def _policies_named(index: Index, resource: Resource, prop: str) -> list[Resource]:
    """`[p for p in index.of_type(POLICY) if _refers(resource, prop, p, unknown=False)]`, from one map of
    the stack's policies by URN and by ARN."""

    def compute() -> tuple[dict[str, int], dict[str, list[int]], list[Resource]]:
        policies = list(index.of_type(POLICY))
        by_arn: dict[str, list[int]] = {}
        for position, policy in enumerate(policies):
            arn = policy.get("arn")
            if isinstance(arn, str):
                by_arn.setdefault(arn, []).append(position)
        return {p.urn: i for i, p in enumerate(policies)}, by_arn, policies

    by_urn, by_arn, policies = index.memo("identity:policies-by-reference", compute)
    deps = resource.property_dependencies.get(prop)
    if deps:
        positions = {by_urn[urn] for urn in deps if urn in by_urn}
    else:
        positions = {
            i
            for value in as_list(resource.get(prop))
            if isinstance(value, str)
            for i in by_arn.get(value, ())
        }
    return [policies[i] for i in sorted(positions)]


def _attached_policies(role: Resource, index: Index) -> list[Resource]:
    """The managed policies of the stack attached to `role` (once per role and index: the stack controls
    ask it of every role for every other role)."""

    def compute() -> list[Resource]:
        found: list[Resource] = []
        for attachment in _naming_role(index, ROLE_POLICY_ATTACHMENT, role):
            found += _policies_named(index, attachment, "policyArn")
        return found

    attached: list[Resource] = index.memo(f"identity:attached:{role.urn}", compute)
    return list(attached)


def _role_statements(role: Resource, index: Index) -> list[tuple[str, Mapping[str, Any]]]:
    """(where, statement) of every permissions policy of the role (inline, RolePolicy, attached), and the
    Deny statements of its permission boundary."""
    carriers: list[Resource] = [role]
    carriers += _naming_role(index, ROLE_POLICY, role)
    carriers += _attached_policies(role, index)
    boundaries = _policies_named(index, role, "permissionsBoundary")
    out: list[tuple[str, Mapping[str, Any]]] = []
    for carrier in [*carriers, *boundaries]:
        for where, raw in _documents(carrier):
            try:
                document = policy_document(raw)
            except PolicyDocumentError:
                raise UnknownValue(carrier.label, f"{where} (not a policy document)") from None
            found = statements(document)
            if carrier in boundaries and carrier not in carriers:
                # A boundary grants nothing; its Deny statements apply to every request of the role.
                found = [s for s in found if s.get("Effect") == "Deny"]
            out += [(f"{where} of {carrier.label}", _Statement(s)) for s in found]
    return out


class _Statement(dict):  # type: ignore[type-arg]
    """A statement of a role's policies that keeps the lower-cased actions it stands for once computed
    (`_effective` asks it for every action, resource and protected policy of the stack)."""

    __slots__ = ("lowered",)

    def __init__(self, statement: Mapping[str, Any]) -> None:
        super().__init__(statement)
        self.lowered: frozenset[str] | None = None


def _statement_actions(carrier: str, statement: Mapping[str, Any]) -> frozenset[str]:
    key = "NotAction" if "NotAction" in statement else "Action"
    patterns = []
    for item in as_list(statement.get(key)):
        if item is UNKNOWN:
            raise UnknownValue(carrier, f"{key} of a policy statement")
        patterns.append(str(item))
    return _expanded(key, tuple(patterns))


@functools.lru_cache(maxsize=8192)
def _expanded(key: str, patterns: tuple[str, ...]) -> frozenset[str]:
    """The actions an Action or NotAction list stands for (the same lists recur across a stack's roles)."""
    return iamdb.not_action(list(patterns)) if key == "NotAction" else iamdb.expand_all(list(patterns))


def _lowered_actions(where: str, statement: Mapping[str, Any]) -> frozenset[str]:
    """The statement's actions, lower-cased; remembered on a `_Statement` (an unknown list still raises
    UnknownValue every time it is asked)."""
    if isinstance(statement, _Statement):
        if statement.lowered is None:
            statement.lowered = frozenset(a.lower() for a in _statement_actions(where, statement))
        return statement.lowered
    return frozenset(a.lower() for a in _statement_actions(where, statement))


def _glob(name: str, pattern: str) -> bool:
    """IAM's wildcard match of a Resource pattern: ``*`` any run, ``?`` one character, everything else
    literal (``[`` too), case-sensitive. An exact ARN and an ARN with one trailing ``*`` (most statements)
    are answered by comparison; others by `fnmatch.fnmatchcase`, which compiles a regular expression for
    each pattern (one per role of each environment: a third of SR-IAM-040 at fifty environments)."""
    if "?" not in pattern:
        stars = pattern.count("*")
        if not stars:
            return name == pattern
        if stars == 1 and pattern.endswith("*"):
            return name.startswith(pattern[:-1])
    return fnmatch.fnmatchcase(name, pattern.replace("[", "[[]"))


def _covers(carrier: str, statement: Mapping[str, Any], arn: str) -> bool:
    key = "NotResource" if "NotResource" in statement else "Resource"
    patterns = []
    for item in as_list(statement.get(key)):
        if item is UNKNOWN:
            raise UnknownValue(carrier, f"{key} of a policy statement")
        patterns.append(str(item))
    hit = any(_glob(arn, p) for p in patterns)
    return not hit if key == "NotResource" else hit


def _for_action(
    found: list[tuple[str, Mapping[str, Any]]], action: str
) -> list[tuple[str, Mapping[str, Any]]]:
    """The statements of `found` that name `action` (Allow or Deny): what `_effective` reads for it, found
    once before asking it of every resource of the stack."""
    lowered = action.lower()
    return [(where, statement) for where, statement in found if lowered in _lowered_actions(where, statement)]


def _allows_somewhere(found: list[tuple[str, Mapping[str, Any]]]) -> bool:
    return any(statement.get("Effect") == "Allow" for _, statement in found)


def _effective(found: list[tuple[str, Mapping[str, Any]]], action: str, arn: str) -> bool:
    """An Allow (any condition: the stricter reading) grants `action` on `arn`, and no unconditional
    Deny of the same documents stops it."""
    allowed = denied = False
    for where, statement in found:
        if action.lower() not in _lowered_actions(where, statement):
            continue
        if not _covers(where, statement, arn):
            continue
        if statement.get("Effect") == "Allow":
            allowed = True
        elif statement.get("Effect") == "Deny" and not statement.get("Condition"):
            denied = True
    return allowed and not denied


IAM_ESCALATION_WRITES = frozenset(
    a for a in iamdb.ESCALATION_ACTIONS if a.lower().startswith("iam:") and a != "iam:PassRole"
)
"""The IAM writes of `iamdb.ESCALATION_ACTIONS` (policy, trust, boundary, credential and group writes):
a boundary that allows one of them does not keep a role created under it from rewriting IAM. iam:PassRole
is not a write: the stacks' workload boundary keeps the role policies' PassRole statements."""


def _boundary_escalations(policy: Resource) -> list[str]:
    """The IAM privilege-escalation writes the boundary policy `policy` itself allows (by meaning: wildcards
    and NotAction expanded; an Allow counts whatever its condition), less those an unconditional Deny of
    the same document refuses on every resource the Allow names. Unknown or unreadable: cannot be judged."""
    try:
        document = policy_document(policy.known("policy"))
    except PolicyDocumentError as exc:
        raise CannotJudge(f"the boundary {policy.label} cannot be judged: its policy {exc}") from None
    where = f"policy of {policy.label}"
    found = statements(document)
    allowed: set[str] = set()
    for statement in found:
        if statement.get("Effect") != "Allow":
            continue
        writes = {a for a in _statement_actions(where, statement) if a in IAM_ESCALATION_WRITES}
        denied = {
            a
            for a in writes
            if any(_denies_everywhere(where, deny, statement, a) for deny in found if deny is not statement)
        }
        allowed |= writes - denied
    return sorted(allowed)


def _denies_everywhere(where: str, deny: Mapping[str, Any], allow: Mapping[str, Any], action: str) -> bool:
    """An unconditional Deny of `action` on every resource pattern `allow` names."""
    if deny.get("Effect") != "Deny" or deny.get("Condition") or "Resource" not in deny:
        return False
    if action not in _statement_actions(where, deny):
        return False
    refused = [p for p in _strings_of(where, deny.get("Resource")) if "?" not in p]
    granted = ["*"] if "NotResource" in allow else _strings_of(where, allow.get("Resource"))
    return all(any(_glob(g, p) for p in refused) for g in granted)


def _strings_of(where: str, value: Any) -> list[str]:
    found: list[str] = []
    for item in as_list(value):
        if item is UNKNOWN:
            raise UnknownValue(where, "Resource of a policy statement")
        found.append(str(item))
    return found


@dataclass(frozen=True)
class _Pinned:
    """What the CreateRole statements of a role force as the boundary of the roles it creates."""

    forced: bool
    """Every CreateRole the role may make names a pinned boundary that allows no IAM escalation write."""
    bounded: bool
    """Every CreateRole the role may make names some pinned boundary of the stack."""
    wide: Mapping[str, list[str]]
    """Pinned boundaries (label) that themselves allow IAM privilege-escalation writes (which)."""


def _pinned_boundary(value: Any, index: Index, role: Resource) -> Resource | None:
    """The stack policy an iam:PermissionsBoundary value names; None when it names none of them. A policy
    whose ARN is unknown in preview may be the one: cannot be judged."""
    if value is UNKNOWN or (isinstance(value, str) and normalize(value) is UNKNOWN):
        raise UnknownValue(role.label, "iam:PermissionsBoundary of a CreateRole statement")
    by_arn, unknown = index.memo("identity:policies-by-arn", lambda: _policies_by_arn(index))
    if str(value) in by_arn:
        return by_arn[str(value)]
    if unknown:
        raise CannotJudge(
            f"role {role.label} may iam:CreateRole with permission boundary {value}, which cannot be "
            f"resolved: the ARN of {', '.join(unknown)} is unknown in preview"
        )
    return None


def _policies_by_arn(index: Index) -> tuple[dict[str, Resource], list[str]]:
    """The stack's policies by their string ARN (the first in the stack's order for an ARN twice), and
    the labels of those whose ARN is unknown: built once per index, not scanned per CreateRole."""
    by_arn: dict[str, Resource] = {}
    unknown: list[str] = []
    for policy in index.of_type(POLICY):
        arn = policy.get("arn")
        if isinstance(arn, str):
            by_arn.setdefault(arn, policy)
        elif arn is UNKNOWN:
            unknown.append(policy.label)
    return by_arn, unknown


def _forces_boundary(found: list[tuple[str, Mapping[str, Any]]], index: Index, role: Resource) -> _Pinned:
    """CreateRole is only possible with a stack boundary that allows no IAM privilege-escalation write:
    every Allow of it pins iam:PermissionsBoundary (ArnEquals/StringEquals) to such policies, or a Deny
    refuses any other (ArnNotEquals/StringNotEquals). A boundary pinned that allows IAM writes (the
    deployer's own) does not count."""
    allows: list[str] = []  # per Allow: "tight", "wide" (pinned to a boundary allowing IAM writes) or "none"
    deny = "none"
    wide: dict[str, list[str]] = {}
    for where, statement in found:
        if "iam:createrole" not in _lowered_actions(where, statement):
            continue
        condition = statement.get("Condition") or {}
        pinned = [
            x
            for op, block in condition.items()
            if isinstance(block, Mapping)
            for k, v in block.items()
            if str(k).lower() == _BOUNDARY_KEY
            and str(op).lower()
            in (
                ("arnnotequals", "stringnotequals")
                if statement.get("Effect") == "Deny"
                else ("arnequals", "stringequals")
            )
            for x in as_list(v)
        ]
        policies = [_pinned_boundary(x, index, role) for x in pinned]
        kind = "tight" if policies and all(p is not None for p in policies) else "none"
        for policy in policies:
            writes = _boundary_escalations(policy) if policy is not None else []
            if writes and policy is not None:
                wide[policy.label] = writes
                kind = "wide" if kind != "none" else kind
        if statement.get("Effect") == "Deny" and _covers(where, statement, "*") and kind != "none":
            deny = "tight" if deny == "tight" or kind == "tight" else kind
        if statement.get("Effect") == "Allow":
            allows.append(kind)
    forced = deny == "tight" or all(k == "tight" for k in allows)
    bounded = deny != "none" or all(k != "none" for k in allows)
    return _Pinned(forced, bounded, wide)


def _role_arns_allowed(found: list[tuple[str, Mapping[str, Any]]], index: Index) -> list[str]:
    """The ARNs (``"*"`` for a role without one) of the stack's roles, in the stack's order, that an Allow
    of `found` may cover: `_effective` is False for every other role. Each Allow's Resource patterns are
    looked up by their literal start in the stack's sorted role ARNs (a scan of every role for every
    role that may create roles grew with the square of the environments). Where that cannot be judged
    from the patterns (a NotResource Allow, a pattern opening with a wildcard, a value that is not a
    string or is unknown), every role's ARN is returned and `_effective` judges, and raises, as before."""
    every, ordered = index.memo("identity:role-arns", lambda: _role_arns(index))
    patterns: list[str] = []
    for _, statement in found:
        if statement.get("Effect") != "Allow":
            continue
        if "NotResource" in statement:
            return every
        for item in as_list(statement.get("Resource")):
            if not isinstance(item, str) or item is UNKNOWN:
                return every
            patterns.append(item)
    orders = {order for order, arn in enumerate(every) if not isinstance(arn, str)}
    for pattern in patterns:
        literal = re.split(r"[*?]", pattern, maxsplit=1)[0]
        if not literal:
            return every
        start = bisect.bisect_left(ordered, (literal,))
        for arn, order in ordered[start:]:
            if not arn.startswith(literal):
                break
            if _glob(arn, pattern):
                orders.add(order)
    return [every[order] for order in sorted(orders)]


def _arn_or_any(role: Resource) -> Any:
    """The role's ARN, ``"*"`` without one; UNKNOWN while it is unknown (``_effective`` judges it)."""
    arn = role.get("arn")
    if arn is UNKNOWN:
        return arn
    return arn or "*"


def _role_arns(index: Index) -> tuple[list[Any], list[tuple[str, int]]]:
    """Every role's ARN as SR-IAM-040 asks it (``"*"`` without one), and the string ARNs sorted with their
    place in the stack."""
    every = [_arn_or_any(r) for r in index.of_type(ROLE)]
    return every, sorted((arn, order) for order, arn in enumerate(every) if isinstance(arn, str))


def _protected_policies(role: Resource, index: Index) -> list[tuple[Resource, str]]:
    """(policy, why) of the stack's boundaries, its deny-only guardrails and the role's own policies."""
    boundaries, guardrails = index.memo("identity:boundaries-and-guardrails", lambda: _stack_policies(index))
    out: dict[str, tuple[Resource, str]] = dict(boundaries)
    for policy in _attached_policies(role, index):
        out.setdefault(policy.urn, (policy, "one of its own policies"))
    for urn, entry in guardrails.items():
        out.setdefault(urn, entry)
    return list(out.values())


def _stack_policies(
    index: Index,
) -> tuple[dict[str, tuple[Resource, str]], dict[str, tuple[Resource, str]]]:
    """The stack's permission boundaries and its deny-only guardrails (attached to any role), by URN in
    the stack's order: the same for every role, so built once per index."""
    # What the roles' permissionsBoundary names, as `_refers(role, "permissionsBoundary", policy,
    # unknown=False)` reads it: the URNs of its property dependencies, else its string values (ARNs).
    named_urns: set[str] = set()
    named_arns: set[str] = set()
    for role in index.of_type(ROLE):
        deps = role.property_dependencies.get("permissionsBoundary")
        if deps:
            named_urns.update(deps)
        else:
            named_arns.update(v for v in as_list(role.get("permissionsBoundary")) if isinstance(v, str))
    boundaries: dict[str, tuple[Resource, str]] = {}
    for policy in index.of_type(POLICY):
        arn = policy.get("arn")
        if policy.urn in named_urns or (isinstance(arn, str) and arn in named_arns):
            boundaries[policy.urn] = (policy, "a permission boundary")
    guardrails: dict[str, tuple[Resource, str]] = {}
    for other in index.of_type(ROLE):
        for policy in _attached_policies(other, index):
            try:
                document = policy_document(policy.known("policy"))
            except (PolicyDocumentError, UnknownValue):
                continue
            found = statements(document)
            if found and all(s.get("Effect") == "Deny" for s in found):
                guardrails.setdefault(policy.urn, (policy, "a guardrail"))
    return boundaries, guardrails


def _may_change_iam(found: list[tuple[str, Mapping[str, Any]]]) -> bool:
    wanted = {a.lower() for a in (*_SELF_ACTIONS, *_POLICY_EDITS, "iam:CreateRole")}
    return any(
        statement.get("Effect") == "Allow" and wanted & _lowered_actions(where, statement)
        for where, statement in found
    )


def _own_limits(subject: Resource, index: Index) -> Iterator[str]:
    found = _role_statements(subject, index)
    if not _may_change_iam(found):
        return
    own = subject.get("arn")
    if not isinstance(own, str) or own is UNKNOWN:
        raise UnknownValue(subject.label, "arn (to judge what it may do to its own role)")
    itself = [a for a in _SELF_ACTIONS if _effective(found, a, own)]
    if itself:
        yield f"role {subject.label} may {', '.join(itself)} on its own role {own}; deny them there"
    by_edit = {a: _for_action(found, a) for a in _POLICY_EDITS}
    by_edit = {a: statements for a, statements in by_edit.items() if _allows_somewhere(statements)}
    for policy, why in _protected_policies(subject, index):
        arn = policy.get("arn")
        if arn is UNKNOWN or arn is None:
            raise UnknownValue(policy.label, "arn")
        edits = [a for a in _POLICY_EDITS if a in by_edit and _effective(by_edit[a], a, str(arn))]
        if edits:
            yield f"role {subject.label} may {', '.join(edits)} on {policy.label}, {why}; deny them there"
    creating = _for_action(found, "iam:CreateRole")
    if not _allows_somewhere(creating):
        return
    candidates = _role_arns_allowed(creating, index)
    if not any(_effective(creating, "iam:CreateRole", arn) for arn in candidates if arn is not UNKNOWN):
        # No role of the stack with a known ARN may be created; one whose ARN is unknown (a new role in a
        # preview) might be.
        if any(arn is UNKNOWN for arn in candidates):
            unknown = next(r for r in index.of_type(ROLE) if r.get("arn") is UNKNOWN)
            raise UnknownValue(unknown.label, "arn (to judge whether roles may create it)")
        return
    pinned = _forces_boundary(found, index, subject)
    if pinned.forced:
        return
    if not pinned.bounded or not pinned.wide:
        yield (
            f"role {subject.label} may iam:CreateRole without a condition forcing a permission boundary of "
            "the stack (ArnEquals iam:PermissionsBoundary on the Allow, or a Deny with ArnNotEquals)"
        )
        return
    for label, writes in sorted(pinned.wide.items()):
        shown = ", ".join(writes[:4]) + (", ..." if len(writes) > 4 else "")
        yield (
            f"role {subject.label} may iam:CreateRole with {label} as the permission boundary, which itself "
            f"allows IAM privilege-escalation writes ({shown}): the roles it creates may rewrite IAM; pin "
            "iam:PermissionsBoundary to a boundary that allows none"
        )


def _key_deletion(subject: Resource, index: Index) -> Iterator[str]:
    found = _role_statements(subject, index)
    keys: list[str] = index.memo(
        "identity:key-arns",
        lambda: [
            str(k.get("arn")) for k in index.of_type("aws:kms/key:Key") if isinstance(k.get("arn"), str)
        ],
    )
    for action in ("kms:ScheduleKeyDeletion",):
        naming = _for_action(found, action)
        if not _allows_somewhere(naming):
            continue
        reached = [k for k in [*keys, "*"] if _effective(naming, action, k)]
        if reached:
            where = ", ".join(reached)
            yield f"role {subject.label} may {action} on {where}; deny it (an administrator's act)"


OWN_LIMIT_CONTROLS: tuple[Control, ...] = (
    Control(
        id="SR-IAM-040",
        enforced_in=frozenset({"preview", "live"}),
        title="A role that may change IAM cannot change its own role, the boundaries or the guardrails",
        severity="critical",
        enforcement="mandatory",
        resource_types=(ROLE,),
        rationale=(
            "A deployer that may write roles and policies can rewrite its own trust, policies or boundary, "
            "re-version the guardrail or boundary policies, or create a role without the boundary: each "
            "lifts every limit the stack set on it. Only an explicit, unconditional Deny on its own role and "
            "on those policies, and a boundary condition on CreateRole, keep it within them."
        ),
        frameworks={"NIST-800-53-r5": ("AC-6", "AC-6(10)", "CM-5")},
        framework_note="No CIS or FSBP control judges a role's power over its own limits.",
        remediation=(
            "Deny the role's own-role actions (iam:PutRolePolicy, iam:UpdateAssumeRolePolicy, "
            "iam:AttachRolePolicy, ...) on its own ARN, policy versioning and deletion on the boundaries, "
            "guardrails and its own policies, and iam:CreateRole unless iam:PermissionsBoundary is the "
            "stack's boundary (components.policydocs.deployer does all three)."
        ),
        predicate=_own_limits,
        scope="stack",
        tags=("identity", "iam", "deployer"),
    ),
    Control(
        id="SR-IAM-041",
        enforced_in=frozenset({"preview", "live"}),
        title="No role may schedule the deletion of a key in prod",
        severity="high",
        enforcement="advisory",
        prod_enforcement="mandatory",
        resource_types=(ROLE,),
        rationale=(
            "A scheduled key deletion makes every object, log and backup encrypted with the key unreadable "
            "once the window ends; in prod it is an administrator's act outside every deploy."
        ),
        frameworks={"NIST-800-53-r5": ("SC-12", "CP-9")},
        framework_note="FSBP KMS.3 alerts on keys pending deletion; no control judges who may schedule it.",
        remediation="Drop kms:ScheduleKeyDeletion from the role, or deny it unconditionally.",
        predicate=_key_deletion,
        scope="stack",
        tags=("identity", "kms", "deployer"),
    ),
)
CONTROLS = (*CONTROLS, *OWN_LIMIT_CONTROLS)
