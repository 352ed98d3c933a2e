"""No role a GitHub workflow can assume reaches beyond its environment (issue 9), judged by a real IAM
evaluator.

The policies judged are the ones AWS would hold: every example's bootstrap and environments are
applied to the local AWS emulator (the `applied` fixture of tests/test_iam.py) and every role is read
back from its IAM API, with its permissions boundary. Each request of the attack table below (privilege
escalation, writes into another environment, re-tagging, secrets read by the plan role) is judged by
@cloud-copilot/iam-simulate (tests/iam_eval, strict mode: every condition operator, identity policies
and permission boundaries) and must be denied; the requests the pipeline needs must be allowed, so that
the evaluator is not merely denying everything; and weakening a rendered policy must make an attack
succeed. Not judged: resource policies (the kit's keys and state bucket trust the account's IAM
policies), service control policies, and what AWS services do on the caller's behalf.
"""

from __future__ import annotations

import copy
import json
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.helpers import ROOT, require_tool, unavailable
from tests.iam_policies import Role, as_list, statements
from tests.test_iam import Applied, applied, cli_config_file  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.emulator, pytest.mark.slow]

EVALUATOR = ROOT / "tests" / "iam_eval"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
OWNERSHIP = ("project", "environment")


@dataclass(frozen=True)
class Request:
    """One API call a role makes, as IAM sees it."""

    why: str
    role: str  # the caller's role name
    action: str
    resource: str
    context: dict[str, Any] = field(default_factory=dict)
    # Judge under these policies (and the role's boundary) instead of the role's own: what a role
    # could do after a deploy role rewrote its policies.
    policies: dict[str, dict[str, Any]] | None = None


def key_policy(account: str) -> dict[str, Any]:
    """The kit's key policies (the state key's, modules/kms): the account's IAM policies decide."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountIamPolicies",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }


def judge(requests: list[Request], roles: dict[str, Role], account: str) -> list[str]:
    """The evaluator's decision on each request: Allowed, ImplicitlyDenied or ExplicitlyDenied."""
    if not (EVALUATOR / "node_modules" / "@cloud-copilot" / "iam-simulate").is_dir():
        unavailable("the IAM evaluator is not installed: npm ci --prefix tests/iam_eval")
    node = require_tool("node")
    batch = []
    for r in requests:
        role = roles[r.role]
        policies = role.policies if r.policies is None else r.policies
        batch.append(
            {
                "principal": f"arn:aws:iam::{account}:role/{r.role}",
                "action": r.action,
                "resource": r.resource,
                "account": account,
                "context": r.context,
                "identityPolicies": [{"name": n, "policy": p} for n, p in sorted(policies.items())],
                "permissionBoundaries": [{"name": role.boundary_arn, "policy": role.boundary}]
                if role.boundary
                else [],
                "resourcePolicy": key_policy(account) if r.resource.startswith("arn:aws:kms:") else None,
            }
        )
    out = subprocess.run(
        [node, str(EVALUATOR / "simulate.mjs")],
        input=json.dumps(batch),
        text=True,
        capture_output=True,
        check=True,
        cwd=EVALUATOR,
        timeout=300,
    )
    results = json.loads(out.stdout)
    errors = [
        f"{r.why}: {res['detail']}"
        for r, res in zip(requests, results, strict=True)
        if res["decision"] == "Error"
    ]
    assert not errors, "the evaluator could not judge:\n" + "\n".join(errors)
    return [res["decision"] for res in results]


@dataclass(frozen=True)
class Names:
    """ARNs of one kit's resources, for the environment `env` and for another one, `other`."""

    project: str
    account: str
    region: str
    env: str
    other: str

    def arn(self, service: str, rest: str, *, region: bool = True) -> str:
        return f"arn:aws:{service}:{self.region if region else ''}:{self.account}:{rest}"

    def role(self, name: str) -> str:
        return self.arn("iam", f"role/{name}", region=False)

    def policy(self, name: str) -> str:
        return self.arn("iam", f"policy/{name}", region=False)

    def boundary(self, env: str) -> str:
        return self.policy(f"{self.project}-{env}-boundary")

    def tags(self, env: str | None) -> dict[str, str]:
        """aws:ResourceTag context of a resource of ``env`` (None: the bootstrap's, no environment)."""
        found = {"aws:ResourceTag/project": self.project, "aws:ResourceTag/managed-by": "terraform"}
        return found | ({"aws:ResourceTag/environment": env} if env else {})

    def request_tags(self, env: str, keys: tuple[str, ...] = OWNERSHIP) -> dict[str, Any]:
        values = {"project": self.project, "environment": env, "managed-by": "terraform", "Name": "x"}
        return {**{f"aws:RequestTag/{k}": values[k] for k in keys}, "aws:TagKeys": list(keys)}

    def db_secret(self, env: str) -> tuple[str, dict[str, str]]:
        """The RDS-managed secret of ``env``'s database and its resource tags."""
        return (
            self.arn("secretsmanager", "secret:rds!db-0f1e2d3c-aaaa-bbbb-cccc-123456789abc-AbCdEf"),
            {"aws:ResourceTag/aws:rds:primaryDBInstanceArn": self.arn("rds", f"db:{self.project}-{env}-db")},
        )


ADMIN = {
    "admin": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
}


def attacks(n: Names, state_bucket: str) -> list[Request]:
    """What a change merged to the branch `n.env` deploys from could make its deploy role (and the pull
    request's plan role) do: every request must be denied."""
    p, e, o = n.project, n.env, n.other
    deploy, plan, build = f"{p}-{e}-github-deploy", f"{p}-github-plan", f"{p}-github-build"
    task = f"{p}-{e}-ecs-task"
    key, other_key = n.arn("kms", f"key/{KEY_ID}"), n.arn("kms", "key/0000aaaa-12ab-34cd-56ef-1234567890ab")
    admin_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
    sg, rtb, vpc = (
        n.arn("ec2", "security-group/sg-0123456789abcdef0"),
        n.arn("ec2", "route-table/rtb-0123"),
        n.arn("ec2", "vpc/vpc-0123"),
    )
    target = n.arn("application-autoscaling", "scalable-target/0123456789abcdef0123456789abcdef")
    other_secret, other_secret_tags = n.db_secret(o)
    own_secret, own_secret_tags = n.db_secret(e)
    R = Request
    table = [
        # Privilege escalation through IAM.
        R("create a role without a boundary", deploy, "iam:CreateRole", n.role(f"{p}-{e}-escalate")),
        R(
            "create a role under another environment's boundary",
            deploy,
            "iam:CreateRole",
            n.role(f"{p}-{e}-escalate"),
            {"iam:PermissionsBoundary": n.boundary(o)},
        ),
        R(
            "create a role under an AWS managed policy as boundary",
            deploy,
            "iam:CreateRole",
            n.role(f"{p}-{e}-escalate"),
            {"iam:PermissionsBoundary": admin_arn},
        ),
        R(
            "create a role outside the environment's names",
            deploy,
            "iam:CreateRole",
            n.role("escalate"),
            {"iam:PermissionsBoundary": n.boundary(e)},
        ),
        R("widen its own role", deploy, "iam:PutRolePolicy", n.role(deploy)),
        R(
            "widen its own role (were it bounded)",
            deploy,
            "iam:PutRolePolicy",
            n.role(deploy),
            {"iam:PermissionsBoundary": n.boundary(e)},
        ),
        R(
            "widen another environment's task role",
            deploy,
            "iam:PutRolePolicy",
            n.role(f"{p}-{o}-ecs-task"),
            {"iam:PermissionsBoundary": n.boundary(o)},
        ),
        R(
            "widen another environment's deploy role",
            deploy,
            "iam:PutRolePolicy",
            n.role(f"{p}-{o}-github-deploy"),
        ),
        R("widen the plan role", deploy, "iam:PutRolePolicy", n.role(plan)),
        R("widen the build role", deploy, "iam:PutRolePolicy", n.role(build)),
        R("widen a role of its environment that has no boundary", deploy, "iam:PutRolePolicy", n.role(task)),
        R(
            "attach AdministratorAccess to its task role",
            deploy,
            "iam:AttachRolePolicy",
            n.role(task),
            {"iam:PolicyARN": admin_arn, "iam:PermissionsBoundary": n.boundary(e)},
        ),
        R(
            "attach AdministratorAccess to itself",
            deploy,
            "iam:AttachRolePolicy",
            n.role(deploy),
            {"iam:PolicyARN": admin_arn},
        ),
        R("let an outsider assume its own role", deploy, "iam:UpdateAssumeRolePolicy", n.role(deploy)),
        R("let an outsider assume the plan role", deploy, "iam:UpdateAssumeRolePolicy", n.role(plan)),
        R(
            "let an outsider assume another environment's task role",
            deploy,
            "iam:UpdateAssumeRolePolicy",
            n.role(f"{p}-{o}-ecs-task"),
            {"iam:PermissionsBoundary": n.boundary(o)},
        ),
        R("rewrite its boundary (new version)", deploy, "iam:CreatePolicyVersion", n.boundary(e)),
        R("switch its boundary to another version", deploy, "iam:SetDefaultPolicyVersion", n.boundary(e)),
        R("delete its boundary", deploy, "iam:DeletePolicy", n.boundary(e)),
        R("create a policy", deploy, "iam:CreatePolicy", n.policy(f"{p}-{e}-escalate")),
        R(
            "take the boundary off its task role",
            deploy,
            "iam:DeleteRolePermissionsBoundary",
            n.role(task),
            {"iam:PermissionsBoundary": n.boundary(e)},
        ),
        R(
            "swap its task role's boundary for another",
            deploy,
            "iam:PutRolePermissionsBoundary",
            n.role(task),
            {"iam:PermissionsBoundary": n.boundary(o)},
        ),
        R(
            "pass a role it could create to ECS",
            deploy,
            "iam:PassRole",
            n.role(f"{p}-{e}-escalate"),
            {"iam:PassedToService": "ecs-tasks.amazonaws.com"},
        ),
        R(
            "pass itself to ECS",
            deploy,
            "iam:PassRole",
            n.role(deploy),
            {"iam:PassedToService": "ecs-tasks.amazonaws.com"},
        ),
        R(
            "pass its task role to EC2",
            deploy,
            "iam:PassRole",
            n.role(task),
            {"iam:PassedToService": "ec2.amazonaws.com"},
        ),
        R(
            "pass another environment's task role",
            deploy,
            "iam:PassRole",
            n.role(f"{p}-{o}-ecs-task"),
            {"iam:PassedToService": "ecs-tasks.amazonaws.com"},
        ),
        # Writes into another environment.
        R("change another environment's key policy", deploy, "kms:PutKeyPolicy", other_key, n.tags(o)),
        R(
            "schedule another environment's key for deletion",
            deploy,
            "kms:ScheduleKeyDeletion",
            other_key,
            n.tags(o),
        ),
        R("change the state key's policy", deploy, "kms:PutKeyPolicy", key, n.tags(None)),
        R("decrypt with another environment's key", deploy, "kms:Decrypt", other_key, n.tags(o)),
        R(
            "update another environment's service",
            deploy,
            "ecs:UpdateService",
            n.arn("ecs", f"service/{p}-{o}-cluster/{p}-{o}-service"),
        ),
        R(
            "register a revision in another environment's family",
            deploy,
            "ecs:RegisterTaskDefinition",
            n.arn("ecs", f"task-definition/{p}-{o}:7"),
        ),
        R(
            "deregister another environment's revision (ECS names none: any revision)",
            deploy,
            "ecs:DeregisterTaskDefinition",
            "*",
        ),
        R(
            "open another environment's security group",
            deploy,
            "ec2:AuthorizeSecurityGroupIngress",
            sg,
            n.tags(o),
        ),
        R("add a route to another environment's route table", deploy, "ec2:CreateRoute", rtb, n.tags(o)),
        R("delete another environment's VPC", deploy, "ec2:DeleteVpc", vpc, n.tags(o)),
        R("open a security group that is no environment's", deploy, "ec2:AuthorizeSecurityGroupIngress", sg),
        R(
            "unsubscribe another environment's alarm email (SNS names none: any subscription)",
            deploy,
            "sns:Unsubscribe",
            "*",
        ),
        R(
            "change another environment's alarm topic",
            deploy,
            "sns:SetTopicAttributes",
            n.arn("sns", f"{p}-{o}-alarms"),
        ),
        R(
            "scale another environment's service to nothing",
            deploy,
            "application-autoscaling:RegisterScalableTarget",
            target,
            {
                **n.tags(o),
                **n.request_tags(e),
                "application-autoscaling:service-namespace": "ecs",
                "application-autoscaling:scalable-dimension": "ecs:service:DesiredCount",
            },
        ),
        R(
            "change another environment's scaling policy",
            deploy,
            "application-autoscaling:PutScalingPolicy",
            target,
            n.tags(o),
        ),
        R(
            "overwrite another environment's state",
            deploy,
            "s3:PutObject",
            f"arn:aws:s3:::{state_bucket}/{o}/terraform.tfstate",
        ),
        R(
            "overwrite the bootstrap state",
            deploy,
            "s3:PutObject",
            f"arn:aws:s3:::{state_bucket}/bootstrap/terraform.tfstate",
        ),
        R(
            "change another environment's parameter",
            deploy,
            "ssm:PutParameter",
            n.arn("ssm", f"parameter/{p}/{o}/database/url"),
        ),
        R(
            "delete another environment's log group",
            deploy,
            "logs:DeleteLogGroup",
            n.arn("logs", f"log-group:/ecs/{p}-{o}"),
        ),
        R(
            "change another environment's database",
            deploy,
            "rds:ModifyDBInstance",
            n.arn("rds", f"db:{p}-{o}-db"),
        ),
        R(
            "read another environment's database password",
            deploy,
            "secretsmanager:GetSecretValue",
            other_secret,
            other_secret_tags,
        ),
        R(
            "read its own database password",
            deploy,
            "secretsmanager:GetSecretValue",
            own_secret,
            own_secret_tags,
        ),
        R(
            "delete another environment's database secret",
            deploy,
            "secretsmanager:DeleteSecret",
            other_secret,
            other_secret_tags,
        ),
        # Re-tagging: moving a resource into its environment, or out of another one.
        R(
            "tag another environment's key as its own",
            deploy,
            "kms:TagResource",
            other_key,
            {**n.tags(o), **n.request_tags(e, ("environment",))},
        ),
        R(
            "tag the state key as its own",
            deploy,
            "kms:TagResource",
            key,
            {**n.tags(None), **n.request_tags(e)},
        ),
        R(
            "untag another environment's key",
            deploy,
            "kms:UntagResource",
            other_key,
            {**n.tags(o), "aws:TagKeys": ["environment"]},
        ),
        R(
            "move its own key to another environment",
            deploy,
            "kms:TagResource",
            key,
            {**n.tags(e), **n.request_tags(o, ("environment",))},
        ),
        R(
            "tag another environment's scalable target as its own",
            deploy,
            "application-autoscaling:TagResource",
            target,
            {**n.tags(o), **n.request_tags(e)},
        ),
        R(
            "tag another environment's security group as its own",
            deploy,
            "ec2:CreateTags",
            sg,
            {**n.tags(o), **n.request_tags(e)},
        ),
        R(
            "untag another environment's VPC",
            deploy,
            "ec2:DeleteTags",
            vpc,
            {**n.tags(o), "aws:TagKeys": ["environment"]},
        ),
        # A pull request (plan role) reads no secret and writes nothing.
        R(
            "pull request reads the database password parameter",
            plan,
            "ssm:GetParameter",
            n.arn("ssm", f"parameter/{p}/{e}/database/password"),
        ),
        R("pull request decrypts with an environment key directly", plan, "kms:Decrypt", key, n.tags(e)),
        R(
            "pull request reads the database secret",
            plan,
            "secretsmanager:GetSecretValue",
            own_secret,
            own_secret_tags,
        ),
        R(
            "pull request writes the state",
            plan,
            "s3:PutObject",
            f"arn:aws:s3:::{state_bucket}/{e}/terraform.tfstate",
        ),
        R("pull request changes a role", plan, "iam:PutRolePolicy", n.role(task)),
        R(
            "build role creates a role",
            build,
            "iam:CreateRole",
            n.role(f"{p}-{e}-escalate"),
            {"iam:PermissionsBoundary": n.boundary(e)},
        ),
        R(
            "build role changes the repository policy",
            build,
            "ecr:SetRepositoryPolicy",
            n.arn("ecr", f"repository/{p}"),
        ),
    ]
    # What a role the deploy role may write any policy into can do: no more than its boundary allows.
    for role in (task, f"{p}-{e}-ecs-execution", f"{p}-{e}-vpc-flow-logs"):
        table += [
            R(
                f"{role} with AdministratorAccess inline creates a role",
                role,
                "iam:CreateRole",
                n.role("x"),
                policies=ADMIN,
            ),
            R(
                f"{role} with AdministratorAccess inline writes the state",
                role,
                "s3:PutObject",
                f"arn:aws:s3:::{state_bucket}/{e}/terraform.tfstate",
                policies=ADMIN,
            ),
            R(
                f"{role} with AdministratorAccess inline decrypts with another environment's key",
                role,
                "kms:Decrypt",
                other_key,
                n.tags(o),
                policies=ADMIN,
            ),
            R(
                f"{role} with AdministratorAccess inline reads another environment's password",
                role,
                "secretsmanager:GetSecretValue",
                other_secret,
                other_secret_tags,
                policies=ADMIN,
            ),
            R(
                f"{role} with AdministratorAccess inline reads another environment's parameters",
                role,
                "ssm:GetParameters",
                n.arn("ssm", f"parameter/{p}/{o}/database/url"),
                policies=ADMIN,
            ),
            R(
                f"{role} with AdministratorAccess inline updates another environment's service",
                role,
                "ecs:UpdateService",
                n.arn("ecs", f"service/{p}-{o}-cluster/{p}-{o}-service"),
                policies=ADMIN,
            ),
        ]
    return table


def needed(n: Names, state_bucket: str, *, database: bool) -> list[Request]:
    """What the pipeline does in the environment: every request must be allowed."""
    p, e = n.project, n.env
    deploy, plan = f"{p}-{e}-github-deploy", f"{p}-github-plan"
    task, execution = f"{p}-{e}-ecs-task", f"{p}-{e}-ecs-execution"
    key = n.arn("kms", f"key/{KEY_ID}")
    sg = n.arn("ec2", "security-group/sg-0123456789abcdef0")
    own_secret, own_secret_tags = n.db_secret(e)
    R = Request
    return [
        R(
            "create its task role under its boundary",
            deploy,
            "iam:CreateRole",
            n.role(task),
            {"iam:PermissionsBoundary": n.boundary(e)},
        ),
        R(
            "put its boundary on a role of an older kit",
            deploy,
            "iam:PutRolePermissionsBoundary",
            n.role(task),
            {"iam:PermissionsBoundary": n.boundary(e)},
        ),
        R(
            "write its task role's policy",
            deploy,
            "iam:PutRolePolicy",
            n.role(task),
            {"iam:PermissionsBoundary": n.boundary(e)},
        ),
        R(
            "pass its task role to ECS",
            deploy,
            "iam:PassRole",
            n.role(task),
            {"iam:PassedToService": "ecs-tasks.amazonaws.com"},
        ),
        R(
            "create its key, tagged",
            deploy,
            "kms:CreateKey",
            "*",
            n.request_tags(e, (*OWNERSHIP, "managed-by")),
        ),
        R("change its key's policy", deploy, "kms:PutKeyPolicy", key, n.tags(e)),
        R(
            "tag its key with a name",
            deploy,
            "kms:TagResource",
            key,
            {**n.tags(e), **n.request_tags(e, ("Name",))},
        ),
        R("create its VPC, tagged", deploy, "ec2:CreateVpc", n.arn("ec2", "vpc/*"), n.request_tags(e)),
        R(
            "tag its VPC as it creates it",
            deploy,
            "ec2:CreateTags",
            n.arn("ec2", "vpc/vpc-0123"),
            {**n.request_tags(e), "ec2:CreateAction": "CreateVpc"},
        ),
        R("adopt its VPC's default security group", deploy, "ec2:CreateTags", sg, n.request_tags(e)),
        R("open its security group", deploy, "ec2:AuthorizeSecurityGroupIngress", sg, n.tags(e)),
        R(
            "update its service",
            deploy,
            "ecs:UpdateService",
            n.arn("ecs", f"service/{p}-{e}-cluster/{p}-{e}-service"),
        ),
        R(
            "register a revision",
            deploy,
            "ecs:RegisterTaskDefinition",
            n.arn("ecs", f"task-definition/{p}-{e}:8"),
        ),
        R(
            "register its scalable target",
            deploy,
            "application-autoscaling:RegisterScalableTarget",
            n.arn("application-autoscaling", "scalable-target/*"),
            {
                **n.request_tags(e),
                "application-autoscaling:service-namespace": "ecs",
                "application-autoscaling:scalable-dimension": "ecs:service:DesiredCount",
            },
        ),
        R("write its state", deploy, "s3:PutObject", f"arn:aws:s3:::{state_bucket}/{e}/terraform.tfstate"),
        R(
            "let RDS create its password secret",
            deploy,
            "secretsmanager:CreateSecret",
            own_secret,
            {
                "aws:RequestTag/aws:rds:primaryDBInstanceArn": own_secret_tags[
                    "aws:ResourceTag/aws:rds:primaryDBInstanceArn"
                ],
                "aws:TagKeys": ["aws:rds:primaryDBInstanceArn"],
            },
        ),
        R(
            "pull request reads the state",
            plan,
            "s3:GetObject",
            f"arn:aws:s3:::{state_bucket}/{e}/terraform.tfstate",
        ),
        R(
            "pull request reads the database host",
            plan,
            "ssm:GetParameter",
            n.arn("ssm", f"parameter/{p}/{e}/database/host"),
        ),
        R(
            "the execution role reads its parameters",
            execution,
            "ssm:GetParameters",
            n.arn("ssm", f"parameter/{p}/{e}/database/url"),
        ),
    ] + (
        [
            R(
                "the execution role reads its database password",
                execution,
                "secretsmanager:GetSecretValue",
                own_secret,
                own_secret_tags,
            )
        ]
        if database
        else []
    )


def environments_of(applied: Applied) -> list[Names]:  # noqa: F811
    """An attacker in each environment, against another one (a future one for a single-environment kit)."""
    kit, envs = applied.kit, applied.environments
    found = []
    for env in envs:
        others = [o for o in envs if o != env] or ["staging"]
        found.append(
            Names(project=kit.project, account=kit.account, region=kit.region, env=env, other=others[0])
        )
    return found


def state_bucket(applied: Applied) -> str:  # noqa: F811
    return f"{applied.kit.project}-tfstate-{applied.kit.account}-{applied.kit.region}"


def failures(applied: Applied, roles: dict[str, Role]) -> tuple[list[str], list[str]]:  # noqa: F811
    """The attacks the evaluator allows, and the needed requests it denies."""
    allowed_attacks, denied_needs = [], []
    for names in environments_of(applied):
        table = attacks(names, state_bucket(applied))
        for request, decision in zip(table, judge(table, roles, applied.kit.account), strict=True):
            if decision == "Allowed":
                allowed_attacks.append(f"[{names.env}] {request.why}: {request.action} on {request.resource}")
        execution = roles[f"{names.project}-{names.env}-ecs-execution"]
        database = "secretsmanager:GetSecretValue" in json.dumps(execution.policies)
        table = needed(names, state_bucket(applied), database=database)
        for request, decision in zip(table, judge(table, roles, applied.kit.account), strict=True):
            if decision != "Allowed":
                denied_needs.append(
                    f"[{names.env}] {request.why}: {decision} ({request.action} on {request.resource})"
                )
    return allowed_attacks, denied_needs


def test_the_plan_role_decrypts_settings_only(applied: Applied) -> None:  # noqa: F811
    """Refreshing a SecureString decrypts it: the plan role may decrypt through SSM only the database
    settings that are not secret. Checked on the document, because the evaluator does not know the
    kms:EncryptionContext:<key> condition keys (it drops them, which would deny either way)."""
    p, account, region = applied.kit.project, applied.kit.account, applied.kit.region
    role = applied.roles[f"{p}-github-plan"]
    decrypts = [
        s
        for document in role.policies.values()
        for s in statements(document)
        if s["Effect"] == "Allow" and "kms:Decrypt" in as_list(s["Action"]) and "kms:ViaService" in str(s)
    ]
    assert len(decrypts) == 1, decrypts
    [statement] = decrypts
    allowed = set(as_list(statement["Condition"]["StringLike"]["kms:EncryptionContext:PARAMETER_ARN"]))
    assert allowed == {
        f"arn:aws:ssm:{region}:{account}:parameter/{p}/*/database/{key}"
        for key in ("host", "port", "name", "username", "url")
    }


def test_the_policies_fit_their_quotas(applied: Applied) -> None:  # noqa: F811
    """AWS refuses a managed policy over 6,144 characters and a role's inline policies over 10,240
    (whitespace not counted); the emulator does not, so the kit's are measured here."""
    too_big = []
    for role in applied.roles.values():
        inline = 0
        for name, document in role.policies.items():
            size = len(json.dumps(document, separators=(",", ":")))
            if name.startswith("arn:") and size > 6144:
                too_big.append(f"{name}: {size}")
            inline += 0 if name.startswith("arn:") else size
        if inline > 10240:
            too_big.append(f"{role.name} inline policies: {inline}")
    assert too_big == []


def test_every_role_of_an_environment_carries_its_boundary(applied: Applied) -> None:  # noqa: F811
    p = applied.kit.project
    for e in applied.environments:
        for suffix in ("ecs-task", "ecs-execution", "vpc-flow-logs"):
            role = applied.roles[f"{p}-{e}-{suffix}"]
            assert role.boundary_arn == f"arn:aws:iam::{applied.kit.account}:policy/{p}-{e}-boundary", (
                role.name
            )
            assert role.boundary, f"{role.name}: boundary {role.boundary_arn} not found"


def test_the_attack_table_is_denied(applied: Applied) -> None:  # noqa: F811
    """Every attack is denied, and the deploy's own requests are allowed."""
    allowed_attacks, denied_needs = failures(applied, applied.roles)
    assert allowed_attacks == [], "attacks the policies allow:\n" + "\n".join(allowed_attacks)
    assert denied_needs == [], "requests the pipeline needs but is denied:\n" + "\n".join(denied_needs)


def without_boundary_condition(roles: dict[str, Role], deploy: str) -> dict[str, Role]:
    """The deploy role's role-writing statement no longer requires its boundary."""

    def weaken(statement: dict[str, Any]) -> dict[str, Any] | None:
        if statement.get("Sid") == "RolesUnderBoundary":
            statement.pop("Condition")
        return statement

    return rewritten(roles, deploy, weaken)


def without_guardrails(roles: dict[str, Role], deploy: str) -> dict[str, Role]:
    """The deploy role's deny statements are gone."""
    return rewritten(roles, deploy, lambda s: None if s.get("Effect") == "Deny" else s)


def rewritten(
    roles: dict[str, Role], name: str, change: Callable[[dict[str, Any]], dict[str, Any] | None]
) -> dict[str, Role]:
    weakened = copy.deepcopy(roles)
    role = weakened[name]
    for policy_name, document in role.policies.items():
        kept = [s for s in (change(s) for s in statements(document)) if s is not None]
        role.policies[policy_name] = {**document, "Statement": kept}
    assert role.policies != roles[name].policies, "the weakening changed nothing"
    return weakened


@pytest.mark.parametrize("weaken", [without_boundary_condition, without_guardrails])
def test_a_weakened_policy_fails_the_table(applied: Applied, weaken: Callable[..., dict[str, Role]]) -> None:  # noqa: F811
    """The table is not vacuous: the deploy role with one safeguard removed lets an attack through."""
    env = applied.environments[0]
    weakened = weaken(applied.roles, f"{applied.kit.project}-{env}-github-deploy")
    allowed_attacks, _ = failures(applied, weakened)
    assert any(a.startswith(f"[{env}] ") for a in allowed_attacks), allowed_attacks


def test_the_evaluator_is_pinned() -> None:
    """The evaluator is installed from the lock file, at the version package.json names."""
    package = json.loads((EVALUATOR / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((EVALUATOR / "package-lock.json").read_text(encoding="utf-8"))
    wanted = package["dependencies"]["@cloud-copilot/iam-simulate"]
    assert wanted[0].isdigit(), "pin an exact version"
    assert lock["packages"]["node_modules/@cloud-copilot/iam-simulate"]["version"] == wanted
