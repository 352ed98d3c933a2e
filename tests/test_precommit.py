"""fargate-gen works as a pre-commit hook source: a real `pre-commit try-repo` on a rendered kit."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.helpers import ROOT, load_yaml, require_tool, run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One hook environment for the module: pre-commit installs fargate-gen into it once."""
    return tmp_path_factory.mktemp("pre-commit-home")


def git_kit(source: Path, dest: Path) -> Path:
    shutil.copytree(source, dest)
    git = require_tool("git")
    for args in (["init", "-q", "-b", "main"], ["add", "-A"],
                 ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "kit"]):
        run([git, *args], cwd=dest)
    return dest


def try_repo(kit: Path, hook: str, home: Path, *files: str) -> tuple[int, str]:
    pre_commit = require_tool("pre-commit")
    selection = ["--files", *files] if files else ["--all-files"]
    env = {**os.environ, "PRE_COMMIT_HOME": str(home)}
    result = run([pre_commit, "try-repo", str(ROOT), hook, "--verbose", *selection], cwd=kit, env=env,
                 check=False, timeout=900)
    return result.returncode, result.stdout + result.stderr


def test_hooks_are_declared_for_the_kit_config(rendered_examples: dict[str, Path]) -> None:
    hooks = {hook["id"]: hook for hook in load_yaml(ROOT / ".pre-commit-hooks.yaml")}
    assert set(hooks) == {"fargate-gen-validate", "fargate-gen-validate-kit"}
    kit_config = load_yaml(rendered_examples["riderapp"] / ".pre-commit-config.yaml")
    ours = [repo for repo in kit_config["repos"] if repo["repo"].endswith("fargate-gen/fargate-gen")]
    assert [h["id"] for h in ours[0]["hooks"]] == ["fargate-gen-validate", "fargate-gen-validate-kit"]
    assert len(kit_config["repos"]) > 1, "used together with the ecosystem's own hooks"


def test_config_hook_passes_then_catches_a_broken_config(
    rendered_examples: dict[str, Path], tmp_path: Path, pre_commit_home: Path
) -> None:
    kit = git_kit(rendered_examples["riderapp"], tmp_path / "kit")
    code, output = try_repo(kit, "fargate-gen-validate", pre_commit_home, "fargate-gen.yml")
    assert code == 0, output
    assert "Passed" in output

    config = kit / "fargate-gen.yml"
    config.write_text(config.read_text().replace("task_memory: 1024", "task_memory: 3000"))
    code, output = try_repo(kit, "fargate-gen-validate", pre_commit_home, "fargate-gen.yml")
    assert code == 1, output
    assert "fargate-gen.yml::$.task_memory: 3000 is not allowed with task_cpu 512" in output


def test_kit_hook_passes_then_catches_a_port_mismatch(
    rendered_examples: dict[str, Path], tmp_path: Path, pre_commit_home: Path
) -> None:
    kit = git_kit(rendered_examples["orders-api"], tmp_path / "kit")
    code, output = try_repo(kit, "fargate-gen-validate-kit", pre_commit_home)
    assert code == 0, output

    task_definition = kit / ".aws" / "task-definition.json"
    data = json.loads(task_definition.read_text())
    data["containerDefinitions"][0]["portMappings"][0]["containerPort"] = 3000
    task_definition.write_text(json.dumps(data, indent=2) + "\n")
    code, output = try_repo(kit, "fargate-gen-validate-kit", pre_commit_home, ".aws/task-definition.json")
    assert code == 1, output
    assert "container port is 3000 but fargate-gen.yml says 8080" in output


# --- the hook revision follows the kit's release ------------------------------------------------------

def fargate_gen_rev(kit: Path) -> str:
    config = load_yaml(kit / ".pre-commit-config.yaml")
    [ours] = [repo for repo in config["repos"] if repo["repo"] == "https://github.com/fargate-gen/fargate-gen"]
    return str(ours["rev"])


def test_hook_revision_is_the_kits_release(tmp_path: Path) -> None:
    """A kit from release v0.9.0 runs the v0.9.0 hooks; one from a commit after it, the v0.9.0 ones too;
    one from a checkout without a release, the commit itself. Never a release older than the kit."""
    from generator._releases import template_files
    from generator.render import new
    from tests.test_update import RIDERAPP, commit_all, git, write_template

    template = tmp_path / "template-repo"
    template.mkdir()
    write_template(template, template_files(ROOT))
    git(template, "init", "--quiet", "--initial-branch=main")
    commit_all(template, "release")
    git(template, "tag", "v0.9.0")
    released = tmp_path / "released"
    new(released, config=RIDERAPP, template=str(template), vcs_ref="v0.9.0")
    assert fargate_gen_rev(released) == "v0.9.0"
    assert "fargate-gen==0.9.0\n" in (released / ".github" / "fargate-gen-requirements.in").read_text()

    (template / "template" / "NOTES.md").write_text("after the release\n")
    commit_all(template, "unreleased")
    later = tmp_path / "later"
    new(later, config=RIDERAPP, template=str(template), vcs_ref="HEAD")
    assert load_yaml(later / ".copier-answers.yml")["_commit"].startswith("v0.9.0-1-g")
    assert fargate_gen_rev(later) == "v0.9.0"

    git(template, "tag", "--delete", "v0.9.0")
    untagged = tmp_path / "untagged"
    new(untagged, config=RIDERAPP, template=str(template), vcs_ref="HEAD")
    assert fargate_gen_rev(untagged) == git(template, "rev-parse", "HEAD").strip()
