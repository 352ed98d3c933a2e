"""The kit's scheduled update workflow: on by default, off by a setting, least privilege, and its steps work.

tests/test_kit.py lints it with every other workflow (GitHub's schema, zizmor pedantic, checkov, the
verified pins). Here its shell steps run for real, as the runner would run them: the install of the
pinned fargate-gen (real pip, --require-hashes, against a local index), the update job's step against
a kit, then the pull-request job's step in a fresh clone, which must end up identical; and the check
that a GitHub App is configured before anything is pushed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
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
    assert jobs["pull-request"]["permissions"] == {"contents": "read"}, "the GitHub App's token writes"
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


# --- the pinned, hash-checked fargate-gen --------------------------------------------------------------

INSTALL = "Install the pinned fargate-gen (hash-checked)"
PINS = ".github/fargate-gen-requirements.in"
LOCK = ".github/fargate-gen-requirements.txt"


def fake_wheel(folder: Path, version: str) -> Path:
    """A minimal wheel named fargate-gen ``version`` for a local index: pip's checks are what is tested,
    not the package."""
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / f"fargate_gen-{version}-py3-none-any.whl"
    info = f"fargate_gen-{version}.dist-info"
    files = {
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: fargate-gen\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(f"{name},,\n" for name in [*files, f"{info}/RECORD"])
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, text in {**files, f"{info}/RECORD": record}.items():
            archive.writestr(name, text)
    return wheel


def pinned_version(kit: Path) -> str:
    match = re.search(r"^fargate-gen==(\S+)$", (kit / PINS).read_text(), re.M)
    assert match, (kit / PINS).read_text()
    return match.group(1)


def run_install(workflow: dict[str, Any], kit: Path, tmp_path: Path, index: Path) -> tuple[int, str, str]:
    runner_temp = tmp_path / "runner"
    runner_temp.mkdir(exist_ok=True)
    github_path = runner_temp / "github-path"
    github_path.write_text("")
    env = {**git_env(), "RUNNER_TEMP": str(runner_temp), "GITHUB_PATH": str(github_path),
           "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(index), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                             step_script(workflow, "update", INSTALL)],
                            cwd=kit, env=env, capture_output=True, text=True, check=False, timeout=300)
    return result.returncode, result.stdout + result.stderr, github_path.read_text()


def test_the_pin_is_the_kits_release(base_kit: Path) -> None:
    """A kit from release v1 of the test template pins fargate-gen 1; a kit from a checkout, none."""
    assert pinned_version(base_kit) == "1"
    answers = load_yaml(base_kit / ".copier-answers.yml")
    assert answers["_commit"] == "v1"
    dependabot = load_yaml(base_kit / ".github" / "dependabot.yml")
    assert {"package-ecosystem": "pip", "directory": "/.github"}.items() <= \
        next(u for u in dependabot["updates"] if u["package-ecosystem"] == "pip").items()


def test_installs_only_the_hash_checked_pinned_release(
    workflow: dict[str, Any], base_kit: Path, tmp_path: Path
) -> None:
    kit = tmp_path / "kit"
    shutil.copytree(base_kit, kit)
    version = pinned_version(kit)
    index = tmp_path / "index"
    wheel = fake_wheel(index, version)

    code, output, _ = run_install(workflow, kit, tmp_path, index)
    assert code == 1 and f"no lock with hashes for fargate-gen {version}" in output, output
    assert "pip-compile --generate-hashes" in output

    (kit / LOCK).write_text(f"fargate-gen=={version}0 \\\n    --hash=sha256:{'0' * 64}\n")
    code, output, _ = run_install(workflow, kit, tmp_path, index)
    assert code == 1 and f"locks fargate-gen {version}0, {PINS} pins {version}" in output, output

    (kit / LOCK).write_text(f"fargate-gen=={version} \\\n    --hash=sha256:{'0' * 64}\n")
    code, output, github_path = run_install(workflow, kit, tmp_path, index)
    assert code == 1 and "THESE PACKAGES DO NOT MATCH THE HASHES" in output, output
    assert github_path == ""

    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    (kit / LOCK).write_text(f"fargate-gen=={version} \\\n    --hash=sha256:{digest}\n")
    code, output, github_path = run_install(workflow, kit, tmp_path, index)
    assert code == 0, output
    venv_bin = Path(github_path.strip())
    assert venv_bin.name == "bin" and (venv_bin / "python").exists()
    shown = subprocess.run([str(venv_bin / "python"), "-m", "pip", "show", "fargate-gen"],
                           capture_output=True, text=True, check=True).stdout
    assert f"Version: {version}" in shown

    (kit / LOCK).write_text(f"fargate-gen=={version}\n")  # a lock without hashes is no lock
    code, output, _ = run_install(workflow, kit, tmp_path, index)
    assert code == 1 and "Hashes are required in --require-hashes mode" in output, output


def test_an_unreleased_kit_pins_nothing_and_the_install_says_so(
    workflow: dict[str, Any], tmp_path: Path
) -> None:
    kit = tmp_path / "kit"
    new(kit, config=RIDERAPP)  # this checkout's template: no release
    assert not re.search(r"^fargate-gen==", (kit / PINS).read_text(), re.M)
    code, output, _ = run_install(workflow, kit, tmp_path, tmp_path)
    assert code == 1 and f"{PINS} pins no fargate-gen release" in output, output


# --- pushing with a GitHub App's token ----------------------------------------------------------------

def test_the_pull_request_is_pushed_with_the_apps_token(workflow: dict[str, Any]) -> None:
    steps = workflow["jobs"]["pull-request"]["steps"]
    names = [step.get("name") for step in steps]
    [token] = [s for s in steps if s.get("uses", "").startswith("actions/create-github-app-token@")]
    assert names.index("Require the update app") < names.index(token["name"]) == 1
    assert workflow["jobs"]["pull-request"]["environment"] == "fargate-gen-update", "the key's environment"
    assert "environment" not in workflow["jobs"]["update"]
    assert token["with"]["client-id"] == "${{ vars.FARGATE_GEN_UPDATE_APP_CLIENT_ID }}"
    assert token["with"]["private-key"] == "${{ secrets.FARGATE_GEN_UPDATE_APP_PRIVATE_KEY }}"
    assert {k: v for k, v in token["with"].items() if k.startswith("permission-")} == {
        "permission-contents": "write", "permission-pull-requests": "write", "permission-workflows": "write"}
    [pull_request] = [s for s in steps if "create-pull-request" in s.get("uses", "")]
    assert pull_request["with"]["token"] == f"${{{{ steps.{token['id']}.outputs.token }}}}"

    # The shared verified pins with this repository's additions (as tests/test_kit.py reads them).
    pins_file = ROOT.parent / "shared" / "data" / "action-pins.json"
    pins = json.loads(pins_file.read_text())["actions"] if pins_file.is_file() else {}
    pins |= json.loads((ROOT / "tests" / "data" / "action-pins.json").read_text())["actions"]
    if "actions/create-github-app-token" not in pins:
        unavailable("no verified pin for actions/create-github-app-token")
    pin = pins["actions/create-github-app-token"]
    assert token["uses"] == f"actions/create-github-app-token@{pin['sha']}"


@pytest.mark.parametrize(("client_id", "has_key", "ok"), [
    ("", "false", False), ("Iv23liABC", "false", False), ("", "true", False), ("Iv23liABC", "true", True)])
def test_no_app_configured_fails_clearly(
    workflow: dict[str, Any], tmp_path: Path, client_id: str, has_key: str, ok: bool
) -> None:
    steps = workflow["jobs"]["pull-request"]["steps"]
    [step] = [s for s in steps if s.get("name") == "Require the update app"]
    assert step["env"] == {"CLIENT_ID": "${{ vars.FARGATE_GEN_UPDATE_APP_CLIENT_ID }}",
                           "HAS_PRIVATE_KEY": "${{ secrets.FARGATE_GEN_UPDATE_APP_PRIVATE_KEY != '' }}"}
    result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                            cwd=tmp_path, capture_output=True, text=True, check=False,
                            env={"PATH": os.environ["PATH"], "CLIENT_ID": client_id,
                                 "HAS_PRIVATE_KEY": has_key})
    assert (result.returncode == 0) == ok, result.stdout
    if not ok:
        assert result.stdout.startswith("::error title=update workflow::no GitHub App to push with")
        assert "FARGATE_GEN_UPDATE_APP_CLIENT_ID" in result.stdout
        assert "GITHUB_TOKEN may not push" in result.stdout
