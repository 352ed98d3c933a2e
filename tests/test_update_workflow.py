"""The kit's scheduled update workflow: on by default, off by a setting, least privilege, and its steps work.

tests/test_kit.py lints it with every other workflow (GitHub's schema, zizmor pedantic, checkov, the
verified pins). Here its two shell steps run for real, as the runner would run them: the update job's
step against a kit, then the pull-request job's step in a fresh clone, which must end up identical.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from generator.render import new
from tests.helpers import ROOT, load_yaml, tree, unavailable

# The fixtures come along: the session's template repository and kit, and the copier settings.
from tests.test_update import (  # noqa: F401
    RIDERAPP,
    _base_kit,
    _copier_settings,
    _template_repo,
    commit_all,
    edit,
    git,
    git_env,
)

WORKFLOW = ".github/workflows/fargate-gen-update.yml"


@pytest.fixture(scope="module")
def workflow(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    kit = tmp_path_factory.mktemp("kit") / "kit"
    new(kit, config=RIDERAPP)
    document = load_yaml(kit / WORKFLOW)
    assert isinstance(document, dict)
    return document


def test_off_by_the_config_flag(tmp_path: Path) -> None:
    new(tmp_path / "kit", config=RIDERAPP, data={"enable_update_workflow": False})
    assert not (tmp_path / "kit" / WORKFLOW).exists()
    assert (tmp_path / "kit" / ".github" / "workflows" / "deploy.yml").exists()
    assert "enable_update_workflow: false" in (tmp_path / "kit" / "fargate-gen.yml").read_text()


def test_least_privilege(workflow: dict[str, Any]) -> None:
    assert workflow["permissions"] == {}
    jobs = workflow["jobs"]
    assert jobs["update"]["permissions"] == {"contents": "read"}, "fargate-gen itself runs read-only"
    assert jobs["pull-request"]["permissions"] == {"contents": "write", "pull-requests": "write"}
    runs_fargate_gen = re.compile(r"(?<![\w/-])fargate-gen(?![\w-])")
    assert not any(runs_fargate_gen.search(step.get("run", "")) for step in jobs["pull-request"]["steps"]), \
        "the job that may push runs no fargate-gen code"
    for job in jobs.values():
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False


def test_scheduled_and_manual_without_inputs(workflow: dict[str, Any]) -> None:
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads `on` as true
    assert triggers["schedule"][0]["cron"]
    assert triggers["workflow_dispatch"] is None, "no inputs (checkov CKV_GHA_7)"


def test_pull_request_action_is_pinned_to_the_verified_sha(workflow: dict[str, Any]) -> None:
    pins_file = ROOT.parent / "shared" / "data" / "action-pins.json"
    if not pins_file.is_file():
        unavailable(f"{pins_file} (the verified action pins) is not beside this checkout")
    pin = json.loads(pins_file.read_text())["actions"]["peter-evans/create-pull-request"]
    steps = workflow["jobs"]["pull-request"]["steps"]
    [step] = [s for s in steps if "create-pull-request" in s.get("uses", "")]
    assert step["uses"] == f"peter-evans/create-pull-request@{pin['sha']}"
    assert step["with"]["body-path"].endswith("/fargate-gen-update/body.md")


# --- the two shell steps, run as the runner runs them ------------------------------------------------

def step_script(workflow: dict[str, Any], job: str, name: str) -> str:
    [step] = [s for s in workflow["jobs"][job]["steps"] if s.get("name") == name]
    return str(step["run"])


def run_step(script: str, cwd: Path, runner_temp: Path, path: str) -> tuple[int, dict[str, str], str]:
    """Run a `shell: bash` step; return its exit code, what it wrote to $GITHUB_OUTPUT, and stderr."""
    output = runner_temp / "github-output"
    output.write_text("")
    env = {**git_env(), "RUNNER_TEMP": str(runner_temp), "GITHUB_OUTPUT": str(output), "PATH": path}
    result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                            cwd=cwd, env=env, capture_output=True, text=True, check=False)
    values = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    return result.returncode, values, result.stderr


@pytest.fixture
def tools(tmp_path: Path) -> str:
    """A PATH whose `fargate-gen` is this checkout's."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "fargate-gen"
    shim.write_text(f"#!/bin/sh\nexec {sys.executable} -m generator \"$@\"\n")
    shim.chmod(0o755)
    return f"{bin_dir}{os.pathsep}{os.environ['PATH']}"


@pytest.mark.parametrize("situation", ["update", "conflict", "up-to-date"])
def test_update_then_pull_request_steps(
    situation: str, workflow: dict[str, Any], base_kit: Path, tmp_path: Path, tools: str
) -> None:
    kit = tmp_path / "kit"
    shutil.copytree(base_kit, kit)
    if situation == "conflict":
        edit(kit / "docs" / "operations.md", "within a week.", "within a month.")
        commit_all(kit)
    if situation == "up-to-date":
        subprocess.run([sys.executable, "-m", "generator", "update", "."], cwd=kit, check=True,
                       capture_output=True)
        commit_all(kit, "up to date")
    runner_temp = tmp_path / "runner"
    runner_temp.mkdir()
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(kit), str(clone))

    update_step = step_script(workflow, "update", "fargate-gen update")
    code, outputs, stderr = run_step(update_step, kit, runner_temp, tools)
    assert code == 0, stderr
    expected = {"update": "updated", "conflict": "conflicts", "up-to-date": "up-to-date"}[situation]
    assert outputs == {"result": expected}
    if situation == "up-to-date":
        return
    body = (runner_temp / "fargate-gen-update" / "body.md").read_text()
    assert "fargate-gen update" in body and "updated v1 → v3" in body
    assert ("Resolve the files listed above" in body) == (situation == "conflict")

    apply_step = step_script(workflow, "pull-request", "Apply the update")
    code, _, stderr = run_step(apply_step, clone, runner_temp, tools)
    assert code == 0, stderr
    files = {k: v for k, v in tree(kit).items() if not k.startswith(".git/")}
    assert {k: v for k, v in tree(clone).items() if not k.startswith(".git/")} == files
    if situation == "conflict":
        assert "<<<<<<< before updating" in (clone / "docs" / "operations.md").read_text()


def test_a_failed_update_fails_the_job(
    workflow: dict[str, Any], base_kit: Path, tmp_path: Path, tools: str
) -> None:
    kit = tmp_path / "kit"
    shutil.copytree(base_kit, kit)
    (kit / ".copier-answers.yml").unlink()
    commit_all(kit)
    runner_temp = tmp_path / "runner"
    runner_temp.mkdir()
    update_step = step_script(workflow, "update", "fargate-gen update")
    code, outputs, stderr = run_step(update_step, kit, runner_temp, tools)
    assert code == 1 and outputs == {}
    assert ".copier-answers.yml::$: the file does not exist" in stderr, "the log is shown"
