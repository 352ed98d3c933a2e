"""Upgrading a deployed kit keeps its infrastructure: an example rendered from the oldest packaged
release, its bootstrap and production roots applied to the local AWS emulator as that release's README
says, then `fargate-gen update` to this version. The plan of each upgraded root destroys and replaces
nothing but what ALLOWED_REPLACEMENTS names (with why that is harmless): the network, load balancer,
cluster, service, database, keys, log groups, roles, state bucket, image repository and OIDC provider
are the ones already running, at most changed in place. New resources (alarms, say) are fine.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator import __version__, _releases
from generator.render import new
from tests.emulator import offline_terraform, running_emulator, sh, state_resources, terraform_env
from tests.helpers import ROOT, load_yaml
from tests.test_update import commit_all, git, invoke
from tests.test_update_release import offline  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.emulator, pytest.mark.slow]
ROOTS = ("infra/bootstrap", "infra")

# Resources whose loss or replacement would take data, traffic or trust with it: never allowed.
KEPT = {
    "aws_vpc", "aws_subnet", "aws_internet_gateway", "aws_nat_gateway", "aws_eip", "aws_lb",
    "aws_lb_target_group", "aws_lb_listener", "aws_ecs_cluster", "aws_ecs_service", "aws_ecr_repository",
    "aws_s3_bucket", "aws_kms_key", "aws_kms_alias", "aws_cloudwatch_log_group", "aws_iam_role",
    "aws_iam_openid_connect_provider", "aws_db_instance", "aws_db_subnet_group", "aws_security_group",
    "aws_ssm_parameter", "aws_secretsmanager_secret",
}

# address -> why its replacement or removal is intended and harmless.
ALLOWED_REPLACEMENTS = {
    # 0.3.0: RDS manages the master password in Secrets Manager (manage_master_user_password); the
    # SSM parameter held the password it replaces, which no task reads any more.
    "module.database[0].aws_ssm_parameter.password": "RDS manages the master password in Secrets Manager",
}
# Policies may change between releases (the release notes list them): a managed policy whose name or
# description changes is replaced, in place of the roles that keep their names and trust.
POLICY_TYPES = {"aws_iam_policy", "aws_iam_role_policy", "aws_iam_role_policy_attachment"}


@pytest.fixture(scope="module")
def cli_config_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return offline_terraform(tmp_path_factory.mktemp("terraform"), "git")


@pytest.fixture
def kit(request: pytest.FixtureRequest, offline: None, tmp_path: Path) -> Path:  # noqa: F811
    """The example rendered from the release before this one, committed."""
    oldest = _releases.releases()[-2].tag
    dest = tmp_path / "kit"
    new(dest, config=ROOT / "examples" / request.param / "fargate-gen.yml", template=_releases.CANONICAL_URL,
        vcs_ref=oldest)
    git(dest, "init", "--quiet", "--initial-branch=main")
    commit_all(dest, "kit")
    return dest


def plan(kit: Path, root: str, env: dict[str, str], *args: str) -> dict[str, list[str]]:
    """Addresses in the saved plan of ``root``, by what the plan does to them: create, update,
    replace, delete (moved-only and unchanged resources left out)."""
    result = sh(["terraform", f"-chdir={root}", "plan", "-input=false", "-detailed-exitcode",
                 "-out=tfplan", *args], cwd=kit, env=env, check=False)
    assert result.returncode in (0, 2), result.stdout[-6000:] + result.stderr[-3000:]
    shown = sh(["terraform", f"-chdir={root}", "show", "-json", "tfplan"], cwd=kit, env=env).stdout
    changes: dict[str, list[str]] = {"create": [], "update": [], "replace": [], "delete": []}
    for resource in json.loads(shown).get("resource_changes", []):
        actions = resource["change"]["actions"]
        if resource["mode"] != "managed" or actions in (["no-op"], ["read"]):
            continue
        kind = "replace" if {"create", "delete"} <= set(actions) else actions[0]
        forced_by = ", ".join(".".join(map(str, p)) for p in resource["change"].get("replace_paths", []))
        changes[kind].append(resource["address"] + (f" (forced by {forced_by})" if forced_by else ""))
    return changes


def resource_type(address: str) -> str:
    """``module.a.aws_x.name[0]`` -> ``aws_x``."""
    parts = address.split(".")
    while parts[0] == "module":
        parts = parts[2:]
    return parts[0]


@pytest.mark.parametrize("kit", ["orders-api", "riderapp"], indirect=True)
def test_upgrading_a_deployed_kit_keeps_its_infrastructure(kit: Path, cli_config_file: Path) -> None:
    answers = load_yaml(kit / ".copier-answers.yml")
    project, region, account = answers["project_name"], answers["aws_region"], str(answers["aws_account_id"])
    image = f"-var=image={account}.dkr.ecr.{region}.amazonaws.com/{project}:{'a' * 40}"
    init = ["terraform", "-chdir=infra", "init", "-input=false",
            "-backend-config=environments/prod.s3.tfbackend"]
    tfvars = "-var-file=environments/prod.tfvars"
    with running_emulator(account_id=account, region=region) as aws:
        user = terraform_env(cli_config_file, aws)
        # The old README: bootstrap init and apply, then (as its deploy job does) the production root.
        sh("terraform -chdir=infra/bootstrap init && terraform -chdir=infra/bootstrap apply",
           cwd=kit, env=user, stdin="yes\n")
        sh(init, cwd=kit, env=user)
        sh(["terraform", "-chdir=infra", "apply", "-input=false", "-auto-approve", tfvars, image],
           cwd=kit, env=user)
        commit_all(kit, "deployed: the lock files")  # as the README says to
        deployed = {root: {resource_type(a) for a in state_resources(kit, root, user)} for root in ROOTS}

        code, _, stderr = invoke("update", str(kit))
        assert code == 0, stderr
        assert load_yaml(kit / ".copier-answers.yml")["_commit"] == f"v{__version__}"

        sh("terraform -chdir=infra/bootstrap init -input=false", cwd=kit, env=user)
        changes = {"infra/bootstrap": plan(kit, "infra/bootstrap", user)}
        sh([*init, "-reconfigure"], cwd=kit, env=user)
        changes["infra"] = plan(kit, "infra", user, tfvars, image)

    report = json.dumps(changes, indent=1)
    lost = [a.split(" ")[0] for root in changes.values() for a in root["replace"] + root["delete"]]
    assert not [a for a in lost if a not in ALLOWED_REPLACEMENTS and resource_type(a) not in POLICY_TYPES], report
    # Of what must be kept, only the retired password parameter may go.
    retired = {"module.database[0].aws_ssm_parameter.password"}
    assert not [a for a in ALLOWED_REPLACEMENTS if resource_type(a) in KEPT and a not in retired], "never allowed"
    # Not a vacuous pass: what must be kept was deployed, and the plans saw it.
    bootstrap = {"aws_iam_openid_connect_provider", "aws_s3_bucket", "aws_ecr_repository"}
    assert bootstrap <= deployed["infra/bootstrap"]
    assert {"aws_vpc", "aws_lb", "aws_ecs_cluster", "aws_ecs_service", "aws_kms_key"} <= deployed["infra"]
    assert ("aws_db_instance" in deployed["infra"]) == answers["enable_database"]
