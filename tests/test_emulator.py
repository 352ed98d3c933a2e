"""Every example kit deploys end to end on a local AWS emulator (moto, issue 4).

For each example: the bootstrap root applied exactly as the kit's README says; the deploy workflow's
jobs (build, then each environment's plan and deploy, the jobs of the reusable
deploy-environment.yml, in promotion order) run as a GitHub runner runs them, with the first
environment's state lock held once by someone else; a re-run; a rollout that the circuit breaker
rolls back, which stops the promotion; the rollback workflow; a second plan of every root with no
changes; the README's teardown; and nothing the kit created left behind. The test job (test.yml, the
application's own tests) is not acted out: the kit renders no application. What this proves and what
it cannot: README.md, "Proven against a local AWS emulator"; the emulator and its patches:
tests/emulator.py.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.emulator import (
    Emulator,
    JobRun,
    Runner,
    create_hosted_zones,
    empty_bucket,
    empty_repository,
    offline_terraform,
    running_emulator,
    sh,
    terraform_env,
)
from tests.helpers import EXAMPLES, load_yaml

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
    return offline_terraform(tmp_path_factory.mktemp("terraform"), "aws", "jq", "bash", "sha256sum")


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


def environments(answers: dict[str, Any]) -> list[str]:
    """The kit's environments in promotion order; the last one is production."""
    return [str(environment["name"]) for environment in answers["environments"]]


def backend_settings(kit: Path, environment: str) -> dict[str, str]:
    """bucket, key, region, use_lockfile from infra/environments/<environment>.s3.tfbackend."""
    text = (kit / "infra" / "environments" / f"{environment}.s3.tfbackend").read_text(encoding="utf-8")
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


def deploy_job(environment: str, job: str) -> str:
    """The path of a job of deploy-environment.yml as deploy.yml calls it for ``environment``."""
    return f"deploy-{environment}/{job}"


def test_kit_deploys_rolls_back_and_tears_down(
    kit: Path, answers: dict[str, Any], emulator: Emulator, cli_config_file: Path, tmp_path: Path
) -> None:
    project, region, account = answers["project_name"], answers["aws_region"], str(answers["aws_account_id"])
    envs = environments(answers)
    first, production = envs[0], envs[-1]
    registry = f"{account}.dkr.ecr.{region}.amazonaws.com"
    user = terraform_env(cli_config_file, emulator)  # the kit's owner, an administrator, from a laptop
    runner = Runner(kit, emulator, cli_config_file, tmp_path, extra_env=RUNNER_ENV)
    create_hosted_zones(emulator, answers)
    before_everything = emulator.inventory()

    def names(environment: str) -> tuple[str, str, str]:
        """cluster, service and task family of ``environment``."""
        name = f"{project}-{environment}"
        return f"{name}-cluster", f"{name}-service", name

    # deploy.yml promotes one image through the environments in order, each stage after the last.
    jobs = load_yaml(kit / ".github" / "workflows" / "deploy.yml")["jobs"]
    assert [j for j in jobs if j.startswith("deploy-")] == [f"deploy-{e}" for e in envs]
    for before, after in itertools.pairwise(envs):
        assert f"deploy-{before}" in jobs[f"deploy-{after}"]["needs"]

    # --- One-time setup, README step 1, typed as the README has it (answering the apply prompt) ----
    bootstrap = readme_commands(kit, "**Bootstrap**")
    assert bootstrap == ["terraform -chdir=infra/bootstrap init", "terraform -chdir=infra/bootstrap apply"]
    for command in bootstrap:
        sh(command, cwd=kit, env=user, stdin="yes\n")
    backends = {e: backend_settings(kit, e) for e in envs}
    assert all(b["use_lockfile"] == "true" for b in backends.values())
    assert len({b["bucket"] for b in backends.values()}) == 1, "one state bucket"
    assert len({b["key"] for b in backends.values()}) == len(envs), "a state per environment"
    outputs = json.loads(sh("terraform -chdir=infra/bootstrap output -json", cwd=kit, env=user).stdout)
    assert outputs["state_bucket"]["value"] == backends[first]["bucket"]
    assert outputs["ecr_repository_url"]["value"] == f"{registry}/{project}"
    assert sorted(outputs["deploy_role_arns"]["value"]) == sorted(envs)
    bucket = backends[first]["bucket"]
    after_bootstrap = emulator.inventory()

    # --- First push (commit A), with the first environment's state lock held by someone else -----
    build = runner.run("deploy.yml", "build", sha=commit("A"))
    assert build.ok, build.describe()
    tag_a = f"{registry}/{project}:{commit('A')}"
    assert runner.docker_commands() == [f"docker build --tag {tag_a} .", f"docker push {tag_a}"]
    pushed = emulator.client("ecr").describe_images(repositoryName=project)["imageDetails"]
    assert [(i["imageTags"], i["imageDigest"]) for i in pushed] == [([commit("A")], digest(build))]
    image_a = f"{registry}/{project}@{digest(build)}"  # every environment runs the image by digest

    # Another apply holds the lock: the lockfile object Terraform writes for it, with its lock info.
    s3 = emulator.client("s3")
    lock_key = f"{backends[first]['key']}.tflock"
    lock_info = {
        "ID": "0b7c9a54-held-by-another-run",
        "Operation": "OperationTypeApply",
        "Info": "",
        "Who": "someone@elsewhere",
        "Version": "1.11.4",
        "Created": "2026-01-01T00:00:00Z",
        "Path": f"{bucket}/{backends[first]['key']}",
    }
    s3.put_object(Bucket=bucket, Key=lock_key, Body=json.dumps(lock_info).encode())
    plan = runner.run("deploy.yml", deploy_job(first, "plan"), sha=commit("A"))
    assert plan.ok, plan.describe()  # -lock=false: a plan neither takes nor waits for the lock
    assert re.search(r"Plan: \d+ to add, 0 to change, 0 to destroy", plan.summary), plan.summary
    locked = runner.run("deploy.yml", deploy_job(first, "deploy"), sha=commit("A"))
    assert locked.failed is not None and locked.failed.name == "terraform apply", locked.describe()
    assert "Error acquiring the state lock" in locked.failed.stderr, locked.describe()
    assert lock_info["ID"] in locked.failed.stderr  # it names the holder
    assert emulator.inventory() == after_bootstrap, "an apply that could not lock changed something"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert keys == [lock_key], "no state written, the other run's lock untouched"
    s3.delete_object(Bucket=bucket, Key=lock_key)  # the other run finishes

    first_revision = {}
    for environment in envs:
        cluster, service, family = names(environment)
        if environment != first:
            plan = runner.run("deploy.yml", deploy_job(environment, "plan"), sha=commit("A"))
            assert plan.ok, plan.describe()
        # For the first environment, "Re-run failed jobs": the same saved plan, now applied.
        deploy = runner.run("deploy.yml", deploy_job(environment, "deploy"), sha=commit("A"))
        assert deploy.ok, deploy.describe()
        assert deploy.outputs["terraform"]["cluster"] == cluster
        assert deploy.outputs["terraform"]["service"] == service
        arn = deploy.outputs["ecs"]["task_definition_arn"]
        assert arn.endswith(f":task-definition/{family}:1")
        assert "nothing to register" in deploy.step(DEPLOY_STEP).stderr
        assert service_state(emulator, cluster, service)["taskDefinition"] == arn
        assert image_of(emulator, arn) == image_a and deployed_tag(emulator, arn)
        assert f"| Task definition | `{arn}` |" in deploy.summary
        assert f"### Deployed to {environment}" in deploy.summary
        first_revision[environment] = arn
    assert_service_settings(emulator, answers, names)
    assert_domains(emulator, answers)

    # --- Second push (commit B): Terraform has nothing to do, CI rolls the new image out ---------
    build = push(runner, commit("B"), ("build",))["build"]
    image_b = f"{registry}/{project}@{digest(build)}"
    second_revision = {}
    for environment in envs:
        cluster, service, family = names(environment)
        plan = push(runner, commit("B"), (deploy_job(environment, "plan"),))[deploy_job(environment, "plan")]
        assert "No changes." in plan.summary, "a new image is CI's change, not Terraform's"
        deploy = runner.run("deploy.yml", deploy_job(environment, "deploy"), sha=commit("B"))
        assert deploy.ok, deploy.describe()
        arn = deploy.outputs["ecs"]["task_definition_arn"]
        assert arn.endswith(f":task-definition/{family}:2")
        state = service_state(emulator, cluster, service)
        assert state["taskDefinition"] == arn and image_of(emulator, arn) == image_b
        assert [d["status"] for d in state["deployments"]] == ["PRIMARY"]
        assert state["deployments"][0]["rolloutState"] == "COMPLETED" and deployed_tag(emulator, arn)
        second_revision[environment] = arn

    # A re-run of the whole workflow for B: no second push of the tag, nothing registered.
    pushes = len(runner.docker_commands())
    every_job = ("build", *(deploy_job(e, j) for e in envs for j in ("plan", "deploy")))
    rerun = push(runner, commit("B"), every_job)
    assert len(runner.docker_commands()) == pushes
    assert "already exists; not building it again" in rerun["build"].step(BUILD_STEP).stdout
    for environment in envs:
        assert "nothing to register" in rerun[deploy_job(environment, "deploy")].step(DEPLOY_STEP).stderr
        family = names(environment)[2]
        assert revisions(emulator, family) == [first_revision[environment], second_revision[environment]]

    # --- Third push (commit C): its tasks never get healthy; the circuit breaker rolls the first
    # environment back and the promotion stops there ----------------------------------------------
    build = push(runner, commit("C"), ("build", deploy_job(first, "plan")))["build"]
    emulator.ecs.crashing_images.add(f"{registry}/{project}@{digest(build)}")
    failed = runner.run("deploy.yml", deploy_job(first, "deploy"), sha=commit("C"))
    assert failed.failed is not None and failed.failed.name == DEPLOY_STEP, failed.describe()
    assert "circuit breaker" in failed.failed.stderr and "deployment failed" in failed.failed.stderr
    cluster, service, family = names(first)
    third = revisions(emulator, family)[-1]
    assert third.endswith(f":task-definition/{family}:3") and not deployed_tag(emulator, third)
    for _ in range(3):  # the breaker's rollback deployment completes
        state = service_state(emulator, cluster, service)
    assert state["taskDefinition"] == second_revision[first], "the circuit breaker put B back"

    # --- The rollback workflow: the previous revision that really ran, then one named by hand ---
    rollback = runner.run(
        "rollback.yml", "rollback", sha=commit("C"), inputs={"environment": first, "revision": ""}
    )
    assert rollback.ok, rollback.describe()
    assert rollback.outputs["ecs"]["task_definition_arn"] == first_revision[first], (
        "C never ran: A is before B"
    )
    assert service_state(emulator, cluster, service)["taskDefinition"] == first_revision[first]
    assert image_of(emulator, first_revision[first]) == image_a
    # The README's command-line rollback of production, with a revision ("add REVISION=<n>").
    cluster, service, _ = names(production)
    by_hand = re.search(r"(CLUSTER=\S+ SERVICE=\S+ \.github/scripts/ecs-rollback\.sh)", readme(kit))
    assert by_hand, "README: no command-line rollback"
    assert by_hand.group(1).startswith(f"CLUSTER={cluster} SERVICE={service} ")
    running = service_state(emulator, cluster, service)["taskDefinition"]
    back_to = second_revision if running == first_revision[production] else first_revision
    sh(f"REVISION={back_to[production][-1]} {by_hand.group(1)}", cwd=kit, env={**user, **RUNNER_ENV})
    assert service_state(emulator, cluster, service)["taskDefinition"] == back_to[production]

    # --- After all of that, Terraform sees nothing to change in any root ------------------------
    # The README's "Day to day" init and plan, for the image that runs, asked for an exit code; for
    # another environment "its files, and -reconfigure".
    day_to_day = [c for c in readme_commands(kit, "## Day to day") if c.startswith("terraform ")]
    init, plan_command = day_to_day
    assert init == f"terraform -chdir=infra init -backend-config=environments/{production}.s3.tfbackend"
    assert plan_command.endswith(f"-var image={registry}/{project}:<sha>"), plan_command
    for environment in envs:
        files = f"environments/{environment}."
        sh(f"{init} -reconfigure".replace(f"environments/{production}.", files), cwd=kit, env=user)
        command = plan_command.replace(f"environments/{production}.", files).replace("<sha>", commit("B"))
        clean = sh(f"{command} -detailed-exitcode", cwd=kit, env=user, check=False)
        assert clean.returncode == 0, environment + clean.stdout[-6000:] + clean.stderr[-3000:]
    clean = sh(
        "terraform -chdir=infra/bootstrap plan -input=false -detailed-exitcode",
        cwd=kit,
        env=user,
        check=False,
    )
    assert clean.returncode == 0, clean.stdout[-6000:] + clean.stderr[-3000:]

    # --- Tearing down, as the README says ---------------------------------------------------------
    unprotect(kit, answers, production, user, image_b)
    teardown = readme_commands(kit, "## Tearing down")
    *per_environment, destroy_bootstrap = teardown
    assert len(per_environment) == 3 * len(envs) - (len(envs) == 1)
    for command in per_environment:
        if command.startswith("aws ecs list-task-definitions"):
            environment = re.search(rf"--family-prefix {project}-(\w+) ", command).group(1)  # type: ignore[union-attr]
            deregistered = sh(command, cwd=kit, env=user).stdout.split()
            # Terraform keeps every revision (skip_destroy: the deploy roles may not deregister), so
            # the README's command removes them all, Terraform's revision 1 included.
            assert deregistered == (["1", "2", "3"] if environment == first else ["1", "2"]), environment
        else:
            assert command.startswith(("terraform -chdir=infra destroy ", "terraform -chdir=infra init ")), (
                command
            )
            sh(command, cwd=kit, env=user, stdin="yes\n")
    # "empty the repository and the bucket first"
    assert empty_repository(emulator, project) == 3
    assert empty_bucket(emulator, bucket) > 0
    assert destroy_bootstrap.startswith("terraform -chdir=infra/bootstrap destroy")
    sh(destroy_bootstrap, cwd=kit, env=user, stdin="yes\n")

    left = emulator.inventory() - before_everything
    # "Destroying keeps a final snapshot" of the database; nothing else may remain.
    expected = {f"db-snapshot:{project}-{production}-db-final"} if answers["enable_database"] else set()
    assert left == expected


def digest(build: JobRun) -> str:
    """The image digest the build job gives the deploy jobs (its ``digest`` output)."""
    value = build.outputs["build"]["digest"]
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", value), value
    return value


def assert_service_settings(emulator: Emulator, answers: dict[str, Any], names: Any) -> None:
    """Each environment's service as its config says: Fargate Spot share, autoscaling range and
    policy, and deployment alarms."""
    autoscaling = emulator.client("application-autoscaling")
    for environment in answers["environments"]:
        cluster, service, _ = names(environment["name"])
        state = service_state(emulator, cluster, service)
        spot = int(environment.get("fargate_spot_percent", 0))
        providers = {
            s["capacityProvider"]: s.get("weight", 0) for s in state.get("capacityProviderStrategy", [])
        }
        assert providers.get("FARGATE_SPOT", 0) * 100 == spot * sum(providers.values() or [0]), providers
        resource = f"service/{cluster}/{service}"
        [target] = autoscaling.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[resource])[
            "ScalableTargets"
        ]
        policies = autoscaling.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=resource)
        scaling = {**answers["autoscaling"], **environment.get("autoscaling", {})}
        desired = int(environment.get("desired_count", answers["desired_count"]))
        # Autoscaling off: the range is just the desired count, and no policy moves it.
        maximum = int(scaling["max_count"]) if scaling["enabled"] else desired
        assert (target["MinCapacity"], target["MaxCapacity"]) == (desired, maximum), target
        assert len(policies["ScalingPolicies"]) == (1 if scaling["enabled"] else 0), policies
        alarms = state["deploymentConfiguration"].get("alarms", {})
        assert alarms.get("enable") == answers["alarms"]["enabled"], alarms


def assert_domains(emulator: Emulator, answers: dict[str, Any]) -> None:
    """Each environment with a domain: its certificate issued, on the load balancer's HTTPS listener,
    with its validation record and the domain's alias to the load balancer in the zone. (The emulator
    issues a DNS-validated certificate after a fixed wait, whether or not the record resolves.)"""
    acm, elb, route53 = emulator.client("acm"), emulator.client("elbv2"), emulator.client("route53")
    for environment in answers["environments"]:
        domain = environment.get("domain")
        if not domain:
            continue
        [certificate] = [
            c for c in acm.list_certificates()["CertificateSummaryList"] if c["DomainName"] == domain
        ]
        details = acm.describe_certificate(CertificateArn=certificate["CertificateArn"])["Certificate"]
        assert details["Status"] == "ISSUED", details
        balancer = elb.describe_load_balancers(Names=[f"{answers['project_name']}-{environment['name']}-alb"])
        listeners = elb.describe_listeners(LoadBalancerArn=balancer["LoadBalancers"][0]["LoadBalancerArn"])
        https = [listener for listener in listeners["Listeners"] if listener["Port"] == 443]
        assert [c["CertificateArn"] for c in https[0]["Certificates"]] == [certificate["CertificateArn"]]
        [zone] = route53.list_hosted_zones_by_name(DNSName=domain.split(".", 1)[1])["HostedZones"][:1]
        records = route53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
        validation = details["DomainValidationOptions"][0]["ResourceRecord"]
        assert {(r["Name"].rstrip("."), r["Type"]) for r in records} >= {
            (domain, "A"),
            (validation["Name"].rstrip("."), validation["Type"]),
        }


def unprotect(kit: Path, answers: dict[str, Any], production: str, user: dict[str, str], image: str) -> None:
    """The README's first teardown step: "in infra/environments/<production>.tfvars, set
    load_balancer_deletion_protection = false (and database_deletion_protection = false), then apply"."""
    text = readme(kit)[readme(kit).index("## Tearing down") :]
    settings = ["load_balancer_deletion_protection"]
    if answers["enable_database"]:
        settings.append("database_deletion_protection")
    tfvars = kit / "infra" / "environments" / f"{production}.tfvars"
    assert f"`infra/environments/{production}.tfvars`" in text
    for setting in settings:
        assert f"`{setting} = false`" in text, setting
        tfvars.write_text(tfvars.read_text(encoding="utf-8") + f"{setting} = false\n")
    sh(
        f"terraform -chdir=infra init -reconfigure -backend-config=environments/{production}.s3.tfbackend",
        cwd=kit,
        env=user,
    )
    sh(
        f'terraform -chdir=infra apply -var-file=environments/{production}.tfvars -var "image={image}"',
        cwd=kit,
        env=user,
        stdin="yes\n",
    )


def test_readme_teardown_destroy_command_passes_validation(
    kit: Path, answers: dict[str, Any], emulator: Emulator, cli_config_file: Path
) -> None:
    """The README's destroy command, typed as it stands, where the service module has a resource
    (with no state at all Terraform evaluates nothing, so the state holds one role, applied alone)."""
    user = terraform_env(cli_config_file, emulator)
    production = environments(answers)[-1]
    backend = backend_settings(kit, production)
    location = {} if backend["region"] == "us-east-1" else {"LocationConstraint": backend["region"]}
    emulator.client("s3").create_bucket(Bucket=backend["bucket"], CreateBucketConfiguration=location)
    emulator.client("ecr").create_repository(repositoryName=answers["project_name"])
    create_hosted_zones(emulator, answers)
    sh(
        f"terraform -chdir=infra init -input=false -backend-config=environments/{production}.s3.tfbackend",
        cwd=kit,
        env=user,
    )
    registry = f"{answers['aws_account_id']}.dkr.ecr.{answers['aws_region']}.amazonaws.com"
    image = f"{registry}/{answers['project_name']}:1"
    sh(
        f"terraform -chdir=infra apply -input=false -auto-approve -var-file=environments/{production}.tfvars "
        f"-var image={image} -target=module.ecs_service.aws_iam_role.task",
        cwd=kit,
        env=user,
    )
    destroy = next(
        c
        for c in readme_commands(kit, "## Tearing down")
        if c.startswith(f"terraform -chdir=infra destroy -var-file=environments/{production}.tfvars")
    )
    result = sh(destroy, cwd=kit, env=user, stdin="yes\n", check=False)
    assert result.returncode == 0, result.stderr[-3000:]
