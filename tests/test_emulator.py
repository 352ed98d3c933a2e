"""Every example kit deploys end to end on a local AWS emulator (moto, issue 4).

For each example: the bootstrap root applied exactly as the kit's README says; the deploy workflow's
jobs (build, plan, deploy) run as a GitHub runner runs them, with the state lock held once by someone
else; a re-run; a rollout that the circuit breaker rolls back; the rollback workflow; a second plan with
no changes; the README's teardown; and nothing the kit created left behind. What this proves and what it
cannot: README.md, "Proven against a local AWS emulator"; the emulator and its patches: tests/emulator.py.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from generator._terraform import find_mirror
from tests.emulator import (
    Emulator,
    JobRun,
    Runner,
    empty_bucket,
    empty_repository,
    running_emulator,
    sh,
    terraform_cli_config,
    terraform_env,
)
from tests.helpers import EXAMPLES, load_yaml, require_tool, unavailable

pytestmark = [pytest.mark.emulator, pytest.mark.slow]
NAMES = [example.name for example in EXAMPLES]

# ecs-deploy.sh polls every POLL_SECONDS (10 by default); the emulated rollouts move on at each poll.
RUNNER_ENV = {"POLL_SECONDS": "1"}


# Steps of deploy.yml the test looks into.
BUILD_STEP = "Build and push (skipped when the tag exists)"
DEPLOY_STEP = "Roll the service to the new image"


def commit(label: str) -> str:
    """A made-up 40-hex commit SHA: the image tag of a push."""
    return hashlib.sha1(label.encode()).hexdigest()


@pytest.fixture(scope="module")
def cli_config_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Terraform's CLI config for this machine's provider mirror, after checking every tool is here."""
    for tool in ("terraform", "aws", "jq", "bash", "sha256sum"):
        require_tool(tool)
    mirror = find_mirror()
    if mirror is None:
        unavailable(
            "no Terraform provider mirror found: "
            "set FARGATE_GEN_TF_MIRROR to a folder holding registry.terraform.io"
        )
    assert mirror is not None
    return terraform_cli_config(mirror, tmp_path_factory.mktemp("terraform"))


@pytest.fixture(params=NAMES)
def kit(request: pytest.FixtureRequest, rendered_examples: dict[str, Path], tmp_path: Path) -> Path:
    """A private copy of the rendered example kit: the tests edit it as its owner would."""
    dest = tmp_path / "kit"
    shutil.copytree(rendered_examples[request.param], dest, symlinks=True)
    return dest


@pytest.fixture
def answers(kit: Path) -> dict[str, Any]:
    return dict(load_yaml(kit / ".copier-answers.yml"))


@pytest.fixture
def emulator(answers: dict[str, Any]) -> Iterator[Emulator]:
    """A fresh emulator for the kit's account and region, stopped and emptied after the test."""
    with running_emulator(
        account_id=str(answers["aws_account_id"]),
        region=str(answers["aws_region"]),
        desired_count=int(answers["desired_count"]),
    ) as running:
        yield running


def readme(kit: Path) -> str:
    return (kit / "README.md").read_text(encoding="utf-8")


def readme_commands(kit: Path, marker: str) -> list[str]:
    """The commands of the first ```sh block after ``marker`` in the kit's README, one per command
    (continuation lines joined)."""
    text = readme(kit)
    start = text.index(marker)
    block = re.search(r"```sh\n(.*?)```", text[start:], re.S)
    assert block, f"no sh block after {marker!r} in README.md"
    return [c.strip() for c in block.group(1).replace("\\\n", " ").splitlines() if c.strip()]


def backend_settings(kit: Path) -> dict[str, str]:
    """bucket, key, region, use_lockfile from infra/environments/prod.s3.tfbackend."""
    text = (kit / "infra" / "environments" / "prod.s3.tfbackend").read_text(encoding="utf-8")
    return {k: v.strip('"') for k, v in re.findall(r"^(\w+)\s*=\s*(\S+)", text, re.M)}


def push(runner: Runner, sha: str, jobs: tuple[str, ...]) -> dict[str, JobRun]:
    """Run deploy.yml's ``jobs`` in order for a push of ``sha``; each must succeed."""
    runs = {}
    for job in jobs:
        runs[job] = runner.run("deploy.yml", job, sha=sha)
        assert runs[job].ok, runs[job].describe()
    return runs


def service_state(emulator: Emulator, cluster: str, service: str) -> dict[str, Any]:
    described: dict[str, Any] = emulator.client("ecs").describe_services(cluster=cluster, services=[service])
    return dict(described["services"][0])


def image_of(emulator: Emulator, task_definition: str) -> str:
    containers = emulator.client("ecs").describe_task_definition(taskDefinition=task_definition)
    return str(containers["taskDefinition"]["containerDefinitions"][0]["image"])


def deployed_tag(emulator: Emulator, task_definition: str) -> bool:
    tags = emulator.client("ecs").list_tags_for_resource(resourceArn=task_definition)["tags"]
    return any(tag["key"] == "deployed-at" for tag in tags)


def revisions(emulator: Emulator, family: str) -> list[str]:
    listed = emulator.client("ecs").list_task_definitions(familyPrefix=family, sort="ASC")
    return list(listed["taskDefinitionArns"])


def test_kit_deploys_rolls_back_and_tears_down(
    kit: Path, answers: dict[str, Any], emulator: Emulator, cli_config_file: Path, tmp_path: Path
) -> None:
    project, region, account = answers["project_name"], answers["aws_region"], str(answers["aws_account_id"])
    name = f"{project}-prod"
    cluster, service, family = f"{name}-cluster", f"{name}-service", name
    registry = f"{account}.dkr.ecr.{region}.amazonaws.com"
    user = terraform_env(cli_config_file, emulator)  # the kit's owner, an administrator, from a laptop
    runner = Runner(kit, emulator, cli_config_file, tmp_path, extra_env=RUNNER_ENV)
    before_everything = emulator.inventory()

    # --- One-time setup, README step 1, typed as the README has it (answering the apply prompt) ----
    bootstrap = readme_commands(kit, "**Bootstrap**")
    assert bootstrap == ["terraform -chdir=infra/bootstrap init", "terraform -chdir=infra/bootstrap apply"]
    for command in bootstrap:
        sh(command, cwd=kit, env=user, stdin="yes\n")
    backend = backend_settings(kit)
    assert backend["use_lockfile"] == "true"
    outputs = json.loads(sh("terraform -chdir=infra/bootstrap output -json", cwd=kit, env=user).stdout)
    assert outputs["state_bucket"]["value"] == backend["bucket"]
    assert outputs["ecr_repository_url"]["value"] == f"{registry}/{project}"
    after_bootstrap = emulator.inventory()

    # --- First push (commit A), with the state lock held by someone else -----------------------
    image_a = f"{registry}/{project}:{commit('A')}"
    build = runner.run("deploy.yml", "build", sha=commit("A"))
    assert build.ok, build.describe()
    assert runner.docker_commands() == [f"docker build --tag {image_a} .", f"docker push {image_a}"]
    assert emulator.client("ecr").describe_images(repositoryName=project)["imageDetails"][0]["imageTags"] == [
        commit("A")
    ]

    # Another apply holds the lock: the lockfile object Terraform writes for it, with its lock info.
    s3 = emulator.client("s3")
    lock_key = f"{backend['key']}.tflock"
    lock_info = {
        "ID": "0b7c9a54-held-by-another-run",
        "Operation": "OperationTypeApply",
        "Info": "",
        "Who": "someone@elsewhere",
        "Version": "1.11.4",
        "Created": "2026-01-01T00:00:00Z",
        "Path": f"{backend['bucket']}/{backend['key']}",
    }
    s3.put_object(Bucket=backend["bucket"], Key=lock_key, Body=json.dumps(lock_info).encode())
    plan = runner.run("deploy.yml", "plan", sha=commit("A"))
    assert plan.ok, plan.describe()  # -lock=false: a plan neither takes nor waits for the lock
    assert re.search(r"Plan: \d+ to add, 0 to change, 0 to destroy", plan.summary), plan.summary
    locked = runner.run("deploy.yml", "deploy", sha=commit("A"))
    assert locked.failed is not None and locked.failed.name == "terraform apply", locked.describe()
    assert "Error acquiring the state lock" in locked.failed.stderr, locked.describe()
    assert lock_info["ID"] in locked.failed.stderr  # it names the holder
    assert emulator.inventory() == after_bootstrap, "an apply that could not lock changed something"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=backend["bucket"]).get("Contents", [])]
    assert keys == [lock_key], "no state written, the other run's lock untouched"
    s3.delete_object(Bucket=backend["bucket"], Key=lock_key)  # the other run finishes

    deploy = runner.run("deploy.yml", "deploy", sha=commit("A"))  # "Re-run failed jobs": same plan
    assert deploy.ok, deploy.describe()
    assert deploy.outputs["terraform"]["cluster"] == cluster
    assert deploy.outputs["terraform"]["service"] == service
    first = deploy.outputs["ecs"]["task_definition_arn"]
    assert first.endswith(f":task-definition/{family}:1")
    assert "nothing to register" in deploy.step(DEPLOY_STEP).stderr
    assert service_state(emulator, cluster, service)["taskDefinition"] == first
    assert image_of(emulator, first) == image_a and deployed_tag(emulator, first)
    assert f"| Task definition | `{first}` |" in deploy.summary

    # --- Second push (commit B): Terraform has nothing to do, CI rolls the new image out ---------
    image_b = f"{registry}/{project}:{commit('B')}"
    jobs = push(runner, commit("B"), ("build", "plan"))
    assert "No changes." in jobs["plan"].summary, "a new image is CI's change, not Terraform's"
    deploy = runner.run("deploy.yml", "deploy", sha=commit("B"))
    assert deploy.ok, deploy.describe()
    second = deploy.outputs["ecs"]["task_definition_arn"]
    assert second.endswith(f":task-definition/{family}:2")
    state = service_state(emulator, cluster, service)
    assert state["taskDefinition"] == second and image_of(emulator, second) == image_b
    assert [d["status"] for d in state["deployments"]] == ["PRIMARY"]
    assert state["deployments"][0]["rolloutState"] == "COMPLETED" and deployed_tag(emulator, second)

    # A re-run of the whole workflow for B: no second push of the tag, nothing registered.
    pushes = len(runner.docker_commands())
    rerun = push(runner, commit("B"), ("build", "plan", "deploy"))
    assert len(runner.docker_commands()) == pushes
    assert "already exists; not building it again" in rerun["build"].step(BUILD_STEP).stdout
    assert "nothing to register" in rerun["deploy"].step(DEPLOY_STEP).stderr
    assert revisions(emulator, family) == [first, second]

    # --- Third push (commit C): its tasks never get healthy; the circuit breaker rolls back -----
    image_c = f"{registry}/{project}:{commit('C')}"
    emulator.ecs.crashing_images.add(image_c)
    push(runner, commit("C"), ("build", "plan"))
    failed = runner.run("deploy.yml", "deploy", sha=commit("C"))
    assert failed.failed is not None and failed.failed.name == DEPLOY_STEP, failed.describe()
    assert "circuit breaker" in failed.failed.stderr and "deployment failed" in failed.failed.stderr
    third = revisions(emulator, family)[-1]
    assert third.endswith(f":task-definition/{family}:3") and not deployed_tag(emulator, third)
    for _ in range(3):  # the breaker's rollback deployment completes
        state = service_state(emulator, cluster, service)
    assert state["taskDefinition"] == second, "the circuit breaker put B back"

    # --- The rollback workflow: the previous revision that really ran, then one named by hand ---
    rollback = runner.run("rollback.yml", "rollback", sha=commit("C"), inputs={"revision": ""})
    assert rollback.ok, rollback.describe()
    assert rollback.outputs["ecs"]["task_definition_arn"] == first, "C never ran, so A is before B"
    assert service_state(emulator, cluster, service)["taskDefinition"] == first
    assert image_of(emulator, first) == image_a
    # The README's command-line rollback, with a revision: "set REVISION=<n> for a given revision".
    by_hand = re.search(r"(CLUSTER=\S+ SERVICE=\S+ \.github/scripts/ecs-rollback\.sh)", readme(kit))
    assert by_hand, "README: no command-line rollback"
    assert by_hand.group(1).startswith(f"CLUSTER={cluster} SERVICE={service} ")
    sh(f"REVISION=2 {by_hand.group(1)}", cwd=kit, env={**user, **RUNNER_ENV})
    assert service_state(emulator, cluster, service)["taskDefinition"] == second

    # --- After all of that, Terraform sees nothing to change in either root ---------------------
    # The README's "Day to day" init and plan, for the image that runs, asked for an exit code.
    day_to_day = [c for c in readme_commands(kit, "## Day to day") if c.startswith("terraform ")]
    init, plan_command = day_to_day
    assert init == "terraform -chdir=infra init -backend-config=environments/prod.s3.tfbackend"
    sh(init, cwd=kit, env=user)
    assert plan_command.endswith(f"-var image={registry}/{project}:<sha>"), plan_command
    plan_command = plan_command.replace("<sha>", commit("B"))
    clean = sh(f"{plan_command} -detailed-exitcode", cwd=kit, env=user, check=False)
    assert clean.returncode == 0, clean.stdout[-6000:] + clean.stderr[-3000:]
    clean = sh(
        "terraform -chdir=infra/bootstrap plan -input=false -detailed-exitcode",
        cwd=kit,
        env=user,
        check=False,
    )
    assert clean.returncode == 0, clean.stdout[-6000:] + clean.stderr[-3000:]

    # --- Tearing down, as the README says ---------------------------------------------------------
    tfvars = kit / "infra" / "environments" / "prod.tfvars"
    if answers["enable_database"]:
        # "set database_deletion_protection = false in infra/environments/prod.tfvars and apply first"
        tfvars.write_text(tfvars.read_text(encoding="utf-8") + "database_deletion_protection = false\n")
        sh(
            f'terraform -chdir=infra apply -var-file=environments/prod.tfvars -var "image={image_b}"',
            cwd=kit,
            env=user,
            stdin="yes\n",
        )
    destroy, deregister, destroy_bootstrap = readme_commands(kit, "## Tearing down")
    assert destroy.startswith("terraform -chdir=infra destroy ")
    sh(destroy, cwd=kit, env=user, stdin="yes\n")
    deregistered = sh(deregister, cwd=kit, env=user).stdout.split()
    assert deregistered == ["2", "3"], "Terraform deregistered its revision 1; CI's are the user's to remove"
    # "empty the repository and the bucket first"
    assert empty_repository(emulator, project) == 3
    assert empty_bucket(emulator, backend["bucket"]) > 0
    assert destroy_bootstrap.startswith("terraform -chdir=infra/bootstrap destroy")
    sh(destroy_bootstrap, cwd=kit, env=user, stdin="yes\n")

    left = emulator.inventory() - before_everything
    # "Destroying keeps a final snapshot" of the database; nothing else may remain.
    expected = {f"db-snapshot:{name}-db-final"} if answers["enable_database"] else set()
    assert left == expected


def test_readme_teardown_destroy_command_passes_validation(
    kit: Path, answers: dict[str, Any], emulator: Emulator, cli_config_file: Path
) -> None:
    """The README's destroy command, typed as it stands, where the service module has a resource
    (with no state at all Terraform evaluates nothing, so the state holds one role, applied alone)."""
    user = terraform_env(cli_config_file, emulator)
    backend = backend_settings(kit)
    location = {} if backend["region"] == "us-east-1" else {"LocationConstraint": backend["region"]}
    emulator.client("s3").create_bucket(Bucket=backend["bucket"], CreateBucketConfiguration=location)
    emulator.client("ecr").create_repository(repositoryName=answers["project_name"])
    sh(
        "terraform -chdir=infra init -input=false -backend-config=environments/prod.s3.tfbackend",
        cwd=kit,
        env=user,
    )
    registry = f"{answers['aws_account_id']}.dkr.ecr.{answers['aws_region']}.amazonaws.com"
    image = f"{registry}/{answers['project_name']}:1"
    sh(
        f"terraform -chdir=infra apply -input=false -auto-approve -var-file=environments/prod.tfvars "
        f"-var image={image} -target=module.ecs_service.aws_iam_role.task",
        cwd=kit,
        env=user,
    )
    destroy = readme_commands(kit, "## Tearing down")[0]
    result = sh(destroy, cwd=kit, env=user, stdin="yes\n", check=False)
    assert result.returncode == 0, result.stderr[-3000:]
