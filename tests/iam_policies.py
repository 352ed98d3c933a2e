"""What the kit's IAM policies may say, as checks over policy documents (JSON as AWS stores them).

The rule (issue 6): every role's policy names the resources it acts on. A statement may use
``"Resource": "*"`` only for actions that IAM cannot scope to a resource (``UNSCOPABLE``) or that it
scopes by a condition on the request instead (``SCOPED_BY_CONDITION``); ``tests/test_iam.py`` checks
both lists against the Service Authorization Reference. Deny statements are not checked: they only
take permissions away.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"

# Actions the Service Authorization Reference lists with no resource type: a policy can only grant
# them on "*". Each is here because a role of the kit needs it; the reason says for what.
UNSCOPABLE: dict[str, str] = {
    # Pushing or pulling an image starts with a registry login (build role, task execution role).
    "ecr:GetAuthorizationToken": "registry login before a push or a pull",
    # Refreshing the network in plan and apply (plan and deploy roles).
    **{
        f"ec2:{action}": "Terraform refreshes the VPC, its subnets, gateways and security groups"
        for action in (
            "DescribeAccountAttributes",
            "DescribeAddresses",
            "DescribeAddressesAttribute",
            "DescribeAvailabilityZones",
            "DescribeFlowLogs",
            "DescribeInternetGateways",
            "DescribeNatGateways",
            "DescribeNetworkAcls",
            "DescribeNetworkInterfaces",
            "DescribeRouteTables",
            "DescribeSecurityGroupRules",
            "DescribeSecurityGroups",
            "DescribeSubnets",
            "DescribeTags",
            "DescribeVpcs",
        )
    },
    # Every elasticloadbalancing:Describe* action has no resource type (checked action by action).
    "elasticloadbalancing:Describe*": "Terraform refreshes the load balancer, listeners and target group",
    "application-autoscaling:DescribeScalableTargets": "Terraform refreshes the service's scalable target",
    "application-autoscaling:DescribeScalingPolicies": "Terraform refreshes the service's scaling policy",
    # Task definitions are registered by family, but ECS defines no resource for these. (Not
    # ecs:DeregisterTaskDefinition: on "*" it reaches every family, so Terraform keeps revisions.)
    "ecs:DescribeTaskDefinition": "ecs-deploy.sh and Terraform read the current revision",
    "ecs:ListTaskDefinitions": "the rollback workflow lists earlier revisions",
    "kms:ListAliases": "Terraform refreshes the environment key's alias",
    "kms:CreateKey": "Terraform creates the environment key (tag-conditioned in the kit)",
    "logs:DescribeLogGroups": "Terraform refreshes the log groups; ECS Exec finds its log group",
    "rds:DescribeDBEngineVersions": "Terraform resolves the database engine version",
    "rds:DescribeOrderableDBInstanceOptions": "Terraform checks the instance class is offered",
    "ssm:DescribeParameters": "Terraform refreshes the database parameters",
    "route53:ListHostedZones": "the hosted-zone lookup of environments with a domain",
    "acm:RequestCertificate": "Terraform requests the domain's certificate (domain-conditioned in the kit)",
    # SNS defines no resource for subscriptions: they are named by ARN in the request. (Not
    # SetSubscriptionAttributes or Unsubscribe: on "*" they reach every environment's.)
    "sns:GetSubscriptionAttributes": "Terraform refreshes the alarm topic's email subscription",
    # The SSM agent's session channels (task role, when ECS Exec is on).
    "ssmmessages:CreateControlChannel": "ECS Exec session channel",
    "ssmmessages:CreateDataChannel": "ECS Exec session channel",
    "ssmmessages:OpenControlChannel": "ECS Exec session channel",
    "ssmmessages:OpenDataChannel": "ECS Exec session channel",
}

# Actions that do have a resource type but are also checked against "*" in one case, and the
# condition keys a statement granting them on "*" must carry (all of them).
SCOPED_BY_CONDITION: dict[str, tuple[str, ...]] = {
    # Tagging a KMS key in CreateKey is authorised before the key exists, so on "*"; the request
    # tags limit it to keys created for the project.
    "kms:TagResource": ("aws:RequestTag/project",),
}

# Wildcard ARNs that name no project resource and are allowed all the same, with why.
ID_NAMED: dict[str, str] = {
    # EC2 names VPCs, subnets, gateways, routes and security groups by generated IDs.
    "arn:{partition}:ec2:{region}:{account}:*": "EC2 resources are named by generated IDs",
    "arn:{partition}:ec2:{region}:{account}:vpc/*": "VPC IDs are generated (DescribeVpcAttribute)",
    # Every RDS instance is in the engine's default option group, which RDS names.
    "arn:{partition}:rds:{region}:{account}:og:default:*": "the engine's default option group",
    # Route 53 change IDs are generated; GetChange only reads a change's status.
    "arn:{partition}:route53:::change/*": "Route 53 change IDs are generated",
}

# Statements on generated-ID resources are scoped by one of these conditions instead of a name.
SCOPING_CONDITIONS = (
    "aws:ResourceTag/project",
    "aws:RequestTag/project",
    # Service-linked roles: the service names them.
    "iam:AWSServiceName",
    # RDS's master user secret (random name): RDS tags it with its instance, a tag no one else can
    # set (aws: prefix).
    "aws:RequestTag/aws:rds:primaryDBInstanceArn",
    "aws:ResourceTag/aws:rds:primaryDBInstanceArn",
)


@dataclass(frozen=True)
class Kit:
    """What the rendered kit's policies may name."""

    project: str
    account: str
    region: str
    repository: str  # GitHub owner/name
    partition: str = "aws"

    def role_arn(self, name: str) -> str:
        return f"arn:{self.partition}:iam::{self.account}:role/{name}"


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def document(policy: dict[str, Any] | str) -> dict[str, Any]:
    """A policy document, from JSON text or as it is."""
    return json.loads(policy) if isinstance(policy, str) else policy


def statements(policy: dict[str, Any] | str) -> list[dict[str, Any]]:
    return as_list(document(policy)["Statement"])


def condition_keys(statement: dict[str, Any]) -> set[str]:
    """The condition keys of a statement, whatever their operators."""
    return {key for keys in statement.get("Condition", {}).values() for key in keys}


def condition_values(statement: dict[str, Any], operator: str, key: str) -> list[str]:
    return [str(v) for v in as_list(statement.get("Condition", {}).get(operator, {}).get(key))]


def _unscopable(action: str) -> bool:
    return action.lower() in {a.lower() for a in UNSCOPABLE}


def _names_project(resource: str, kit: Kit) -> bool:
    """Whether the resource part of an ARN names the project (not merely contains its letters)."""
    part = resource.split(":", 5)[-1]
    return re.search(rf"(?<![A-Za-z0-9]){re.escape(kit.project)}(?=[-/:]|$)", part) is not None


def _arn_violation(resource: str, kit: Kit) -> str | None:
    """Why an ARN is outside the kit's partition, account and region, if it is."""
    parts = resource.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return "is not an ARN"
    _, partition, service, region, account, _ = parts
    if partition != kit.partition:
        return f"is in partition {partition}"
    if account not in ("", kit.account):
        return f"is in account {account}"
    if region not in ("", kit.region):
        return f"is in region {region}"
    if service == "*" or "*" in service:
        return "names no service"
    return None


def permission_violations(name: str, policy: dict[str, Any] | str, kit: Kit, roles: set[str]) -> list[str]:
    """Every way the Allow statements of ``policy`` (called ``name``) break the rule; ``roles`` are the
    kit's own role names, the only ones iam:PassRole may pass."""
    problems = []
    id_named = {
        pattern.format(partition=kit.partition, region=kit.region, account=kit.account)
        for pattern in ID_NAMED
    }
    for index, statement in enumerate(statements(policy)):
        where = f"{name} statement {statement.get('Sid') or index}"
        if statement.get("Effect") != "Allow":
            continue
        for negation in ("NotAction", "NotResource", "NotPrincipal"):
            if negation in statement:
                problems.append(f"{where}: {negation} in an Allow grants everything it does not list")
        actions = [str(a) for a in as_list(statement.get("Action"))]
        resources = [str(r) for r in as_list(statement.get("Resource"))]
        keys = condition_keys(statement)
        for action in actions:
            verb = action.partition(":")[2]
            if action == "*" or verb == "*":
                problems.append(f"{where}: {action} grants a whole service")
            elif ("*" in verb or "?" in verb) and not _unscopable(action):
                problems.append(f"{where}: wildcard action {action} is not in UNSCOPABLE")
        if "*" in resources:
            for action in actions:
                required = SCOPED_BY_CONDITION.get(action)
                if _unscopable(action) or (required and set(required) <= keys):
                    continue
                problems.append(f'{where}: {action} on "*", but IAM can scope it to a resource')
        all_unscopable = bool(actions) and all(_unscopable(a) for a in actions)
        for resource in resources:
            if resource == "*":
                continue
            outside = _arn_violation(resource, kit)
            if outside:
                problems.append(f"{where}: {resource} {outside}")
            elif (
                "*" in resource.split(":", 5)[-1]
                and not all_unscopable
                and resource not in id_named
                and not _names_project(resource, kit)
                and not keys & set(SCOPING_CONDITIONS)
            ):
                problems.append(f"{where}: {resource} matches resources that are not the kit's")
        if any(a.lower() == "iam:passrole" for a in actions):
            for resource in resources:
                role = resource.rsplit(":role/", 1)[-1] if ":role/" in resource else None
                if role is None or resource != kit.role_arn(role) or role not in roles:
                    problems.append(
                        f"{where}: iam:PassRole on {resource}, which is not one of the kit's roles"
                    )
            if not condition_values(statement, "StringEquals", "iam:PassedToService"):
                problems.append(f"{where}: iam:PassRole without an iam:PassedToService condition")
    return problems


def github_trust_violations(trust: dict[str, Any] | str, kit: Kit, subjects: set[str]) -> list[str]:
    """Every way a GitHub OIDC trust policy differs from: only the account's GitHub provider, audience
    sts.amazonaws.com, and exactly ``subjects`` (no pattern)."""
    problems = []
    provider = f"arn:{kit.partition}:iam::{kit.account}:oidc-provider/{GITHUB_OIDC_HOST}"
    allows = [s for s in statements(trust) if s.get("Effect") == "Allow"]
    if len(allows) != 1:
        return [f"{len(allows)} Allow statements, expected 1"]
    [statement] = allows
    if as_list(statement.get("Action")) != ["sts:AssumeRoleWithWebIdentity"]:
        problems.append(f"actions {statement.get('Action')}, expected sts:AssumeRoleWithWebIdentity")
    if statement.get("Principal") != {"Federated": provider}:
        problems.append(f"principal {statement.get('Principal')}, expected the provider {provider}")
    if set(statement.get("Condition", {})) != {"StringEquals"}:
        problems.append(
            f"condition operators {sorted(statement.get('Condition', {}))}, expected StringEquals only"
        )
    audience = condition_values(statement, "StringEquals", f"{GITHUB_OIDC_HOST}:aud")
    if audience != ["sts.amazonaws.com"]:
        problems.append(f"audience {audience}, expected sts.amazonaws.com")
    subject = set(condition_values(statement, "StringEquals", f"{GITHUB_OIDC_HOST}:sub"))
    if subject != subjects:
        problems.append(f"subjects {sorted(subject)}, expected {sorted(subjects)}")
    if any("*" in s or "?" in s for s in subject):
        problems.append("a subject is a pattern")
    return problems


def service_trust_violations(trust: dict[str, Any] | str, kit: Kit, service: str) -> list[str]:
    """Every way a service role's trust policy differs from: only ``service``, only for this account
    (aws:SourceAccount, against the confused deputy)."""
    problems = []
    allows = [s for s in statements(trust) if s.get("Effect") == "Allow"]
    if len(allows) != 1:
        return [f"{len(allows)} Allow statements, expected 1"]
    [statement] = allows
    if as_list(statement.get("Action")) != ["sts:AssumeRole"]:
        problems.append(f"actions {statement.get('Action')}, expected sts:AssumeRole")
    if statement.get("Principal") != {"Service": service}:
        problems.append(f"principal {statement.get('Principal')}, expected the service {service}")
    if condition_values(statement, "StringEquals", "aws:SourceAccount") != [kit.account]:
        problems.append("no aws:SourceAccount condition naming the account")
    return problems


@dataclass
class Role:
    """A role as AWS holds it: its trust policy and every permission policy, by name."""

    name: str
    trust: dict[str, Any]
    policies: dict[str, dict[str, Any]]  # inline by name, managed by ARN
    managed_by_aws: list[str]  # ARNs of attached AWS managed policies
    boundary_arn: str | None = None  # the permissions boundary, if any
    boundary: dict[str, Any] | None = None  # its document


def managed_policy(iam: Any, arn: str) -> dict[str, Any]:
    """The default version of a customer managed policy, as a document."""
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    return document(iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"])


def roles_in_account(iam: Any) -> dict[str, Role]:
    """Every role in the account (a boto3 IAM client's), with its inline and attached policies."""
    roles = {}
    for page in iam.get_paginator("list_roles").paginate():
        for summary in page["Roles"]:
            name = summary["RoleName"]
            policies = {
                policy: document(iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"])
                for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]
            }
            aws_managed = []
            for attached in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
                arn = attached["PolicyArn"]
                if arn.split(":")[4] == "aws":
                    aws_managed.append(arn)
                    continue
                policies[arn] = managed_policy(iam, arn)
            found = iam.get_role(RoleName=name)["Role"]
            trust = document(found["AssumeRolePolicyDocument"])
            boundary_arn = found.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn")
            boundary = managed_policy(iam, boundary_arn) if boundary_arn else None
            roles[name] = Role(name=name, trust=trust, policies=policies, managed_by_aws=aws_managed,
                               boundary_arn=boundary_arn, boundary=boundary)
    return roles
