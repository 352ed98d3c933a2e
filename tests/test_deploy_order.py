"""A deploy never replaces a newer release with an older one, and never runs beside a rollback.

deploy-order.sh runs for real against the emulator (moto's ECS) in a real git repository made here:
`record` tags the revision that runs with its commit, `check` compares that commit with the one being
deployed. The rendered workflows are read for where they call it and for their concurrency groups.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.emulator import Emulator, running_emulator, sh
from tests.helpers import ROOT, load_yaml, require_tool

SCRIPT = ROOT / "template" / ".github" / "scripts" / "deploy-order.sh"
CLUSTER, SERVICE, FAMILY = "shop-dev-cluster", "shop-dev-service", "shop-dev"
ERROR = "::error title=deploy order::"
WARNING = "::warning title=deploy order::"


@pytest.fixture(scope="module")
def tools() -> None:
    for tool in ("bash", "git", "aws", "jq"):
        require_tool(tool)


@pytest.fixture
def emulator(tools: None) -> Iterator[Emulator]:
    with running_emulator(account_id="123456789012", region="us-east-1") as running:
        yield running


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture
def history(tmp_path: Path, tools: None) -> tuple[Path, dict[str, str]]:
    """A repository with main A - B - C and a branch X off A (rewritten history): their SHAs."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "--quiet", "-b", "main")
    commits = {}
    for label in "ABC":
        (repo / "app.txt").write_text(label)
        git(repo, "add", "app.txt")
        git(repo, "commit", "--quiet", "-m", label)
        commits[label] = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "--quiet", "-b", "rewritten", commits["A"])
    (repo / "app.txt").write_text("X")
    git(repo, "commit", "--quiet", "-am", "X")
    commits["X"] = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "--quiet", "main")
    return repo, commits


def service_running(emulator: Emulator, commit: str | None) -> str:
    """The cluster and service with a new revision that runs; tagged with ``commit`` by the script's
    own `record` unless None. Returns the revision's ARN."""
    ecs = emulator.client("ecs")
    if not ecs.describe_clusters(clusters=[CLUSTER])["clusters"]:
        ecs.create_cluster(clusterName=CLUSTER)
    arn = ecs.register_task_definition(
        family=FAMILY, containerDefinitions=[{"name": "app", "image": "nginx", "memory": 512}],
    )["taskDefinition"]["taskDefinitionArn"]
    services = ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"]
    if services and services[0]["status"] == "ACTIVE":
        ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=arn)
    else:
        ecs.create_service(cluster=CLUSTER, serviceName=SERVICE, taskDefinition=arn, desiredCount=1)
    if commit is not None:
        result = deploy_order(emulator, Path.cwd(), "record", commit, TASK_DEFINITION_ARN=arn)
        assert result.returncode == 0, result.stderr
    return str(arn)


def deploy_order(
    emulator: Emulator, cwd: Path, mode: str, commit: str, **env: str
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    return sh([str(SCRIPT), mode], cwd=cwd, check=False, timeout=120,
              env={**emulator.env(base), "CLUSTER": CLUSTER, "SERVICE": SERVICE, "GITHUB_SHA": commit, **env})


def tags(emulator: Emulator, arn: str) -> dict[str, str]:
    listed = emulator.client("ecs").list_tags_for_resource(resourceArn=arn)["tags"]
    return {tag["key"]: tag["value"] for tag in listed}


def test_first_deploy_is_allowed(emulator: Emulator, history: tuple[Path, dict[str, str]]) -> None:
    repo, commits = history
    result = deploy_order(emulator, repo, "check", commits["A"])  # no cluster at all
    assert result.returncode == 0, result.stderr
    assert "first deploy" in result.stderr and ERROR not in result.stdout

    emulator.client("ecs").create_cluster(clusterName=CLUSTER)  # the cluster, not yet the service
    result = deploy_order(emulator, repo, "check", commits["A"])
    assert result.returncode == 0 and "first deploy" in result.stderr, result.stderr

    service_running(emulator, None)  # a revision deployed before the check existed: no tag
    result = deploy_order(emulator, repo, "check", commits["A"])
    assert result.returncode == 0 and "carries no deployed-commit tag" in result.stderr, result.stderr


def test_newer_and_same_commit_allowed_older_refused(
    emulator: Emulator, history: tuple[Path, dict[str, str]]
) -> None:
    repo, commits = history
    arn = service_running(emulator, commits["B"])
    assert tags(emulator, arn) == {"deployed-commit": commits["B"]}

    newer = deploy_order(emulator, repo, "check", commits["C"])
    assert newer.returncode == 0, newer.stderr
    assert f"{commits['C']} descends from {commits['B']}" in newer.stderr

    rerun = deploy_order(emulator, repo, "check", commits["B"])
    assert rerun.returncode == 0, rerun.stderr
    assert "a re-run, allowed" in rerun.stderr

    older = deploy_order(emulator, repo, "check", commits["A"])
    assert older.returncode == 1, older.stderr
    [annotation] = [line for line in older.stdout.splitlines() if line.startswith(ERROR)]
    assert f"{SERVICE} runs {commits['B']} ({arn}), which is newer than {commits['A']}" in annotation
    assert "use the rollback workflow (rollback.yml)" in annotation

    # The deploy of C completes; A and B are now both older.
    arn_c = service_running(emulator, commits["C"])
    for label in "AB":
        result = deploy_order(emulator, repo, "check", commits[label])
        assert result.returncode == 1 and ERROR in result.stdout, result.stderr
    # The rollback workflow puts B's revision back, with its tag: C may go forward again.
    emulator.client("ecs").update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=arn)
    assert deploy_order(emulator, repo, "check", commits["C"]).returncode == 0
    assert tags(emulator, arn_c) == {"deployed-commit": commits["C"]}


def test_rewritten_history_warns_and_deploys(
    emulator: Emulator, history: tuple[Path, dict[str, str]]
) -> None:
    repo, commits = history
    service_running(emulator, commits["C"])
    diverged = deploy_order(emulator, repo, "check", commits["X"])
    assert diverged.returncode == 0, diverged.stderr
    assert WARNING in diverged.stdout and "nor the reverse" in diverged.stdout

    unknown = deploy_order(emulator, repo, "check", "f" * 40)
    assert unknown.returncode == 0, unknown.stderr
    assert WARNING in unknown.stdout and "not in this checkout" in unknown.stdout


def test_a_checkout_without_history_fails(
    emulator: Emulator, history: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    repo, commits = history
    service_running(emulator, commits["B"])
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "--quiet", "--depth", "1", f"file://{repo}", str(shallow))
    result = deploy_order(emulator, shallow, "check", commits["C"])
    assert result.returncode == 1, result.stderr
    assert "the checkout is shallow" in result.stdout and "fetch-depth: 0" in result.stdout

    not_a_repo = tmp_path / "plain"
    not_a_repo.mkdir()
    result = deploy_order(emulator, not_a_repo, "check", commits["C"])
    assert result.returncode == 1 and "is not a git checkout" in result.stdout, result.stderr


def test_bad_input(emulator: Emulator, history: tuple[Path, dict[str, str]]) -> None:
    repo, _ = history
    result = deploy_order(emulator, repo, "check", "main")
    assert result.returncode == 1 and "40-hex commit" in result.stdout, result.stderr
    result = deploy_order(emulator, repo, "nonsense", "a" * 40)
    assert result.returncode == 2 and "usage:" in result.stderr


def test_shellcheck_clean() -> None:
    shellcheck = require_tool("shellcheck")
    result = subprocess.run([shellcheck, str(SCRIPT)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout


# --- the rendered workflows ----------------------------------------------------------------------

def steps(job: dict[str, Any]) -> list[str]:
    return [str(step.get("name", "")) for step in job["steps"]]


def test_the_deploy_job_checks_before_it_applies_and_records_after(
    rendered_examples: dict[str, Path],
) -> None:
    for name, kit in rendered_examples.items():
        job = load_yaml(kit / ".github" / "workflows" / "deploy-environment.yml")["jobs"]["deploy"]
        names = steps(job)
        by_name = {str(step.get("name", "")): step for step in job["steps"]}
        check, record = "Refuse to replace a newer release", "Record the deployed commit"
        assert by_name[check]["run"] == ".github/scripts/deploy-order.sh check", name
        assert by_name[record]["run"] == ".github/scripts/deploy-order.sh record", name
        assert names.index(check) < names.index("terraform apply"), f"{name}: check before any change"
        assert names.index("Roll the service to the new image") < names.index(record), name
        assert by_name["Check out"]["with"]["fetch-depth"] == 0, f"{name}: the whole history"
        assert by_name[check]["env"]["CLUSTER"].endswith("-${{ inputs.environment }}-cluster")


def test_a_rollback_and_a_deploy_share_one_concurrency_group(rendered_examples: dict[str, Path]) -> None:
    for name, kit in rendered_examples.items():
        workflows = kit / ".github" / "workflows"
        rollback = load_yaml(workflows / "rollback.yml")
        inputs = (rollback[True] if True in rollback else rollback["on"])["workflow_dispatch"]["inputs"]
        deploy_jobs = {job_id: job for job_id, job in load_yaml(workflows / "deploy.yml")["jobs"].items()
                       if job.get("uses") == "./.github/workflows/deploy-environment.yml"}
        assert deploy_jobs, name
        for job in deploy_jobs.values():
            environment = job["with"]["environment"]
            assert environment in inputs["environment"]["options"], name
            rollback_group = re.sub(r"\$\{\{\s*inputs\.environment\s*\}\}", environment,
                                    rollback["concurrency"]["group"])
            assert job["concurrency"]["group"] == rollback_group, f"{name}: {environment}"
            assert job["concurrency"]["cancel-in-progress"] is False
        assert rollback["concurrency"]["cancel-in-progress"] is False


def test_the_rendered_script_is_the_template_one(rendered_examples: dict[str, Path]) -> None:
    for kit in rendered_examples.values():
        rendered = kit / ".github" / "scripts" / "deploy-order.sh"
        assert rendered.read_bytes() == SCRIPT.read_bytes()
        assert os.access(rendered, os.X_OK)

