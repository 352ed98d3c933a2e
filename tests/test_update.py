"""`fargate-gen update`: merges a newer template (or a changed config) into a kit without losing an edit.

As in copier's own tests, the template is a git repository built in a temp dir: the real template
plus small files this test controls, tagged v1; v2 changes one, removes one and a folder, adds one;
v3 renames an answer through a migration (the README's worked example). Tests copy a committed kit.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from generator._cli import cli
from generator._releases import template_files
from generator.render import new
from tests.helpers import ROOT, load_yaml, tree

RIDERAPP = ROOT / "examples" / "riderapp" / "fargate-gen.yml"
IDENTITY = {
    "GIT_AUTHOR_NAME": "owner", "GIT_AUTHOR_EMAIL": "owner@example.com",
    "GIT_COMMITTER_NAME": "owner", "GIT_COMMITTER_EMAIL": "owner@example.com",
}


def git_env() -> dict[str, str]:
    """This process's environment (as the test set it) with a git identity."""
    return {**os.environ, **IDENTITY}

OPERATIONS_V1 = """\
# Operations of {{ project_name }}

## Contacts
- On call: see the team page.

## Routine
1. Check the dashboards.
2. Rotate the logs.
3. Review the alarms.

## Scaling
The service runs {{ desired_count }} task(s) of {{ task_cpu }} CPU units.

## Incidents
Page the on-call engineer.
Write a short report within a week.

## Template notes
Rendered by fargate-gen.
"""
OPERATIONS_V2 = OPERATIONS_V1.replace("within a week.", "within two days.")

# The worked migration example: v3 renames the answer desired_count to task_count. The before-stage
# migration renames it in the answers file, so the value carries over; a hidden computed question keeps
# `desired_count` for the template files that use it; fargate-gen.yml shows the new name.
MIGRATION = """
_migrations:
  - version: v3
    when: "{{ _stage == 'before' }}"
    command:
      - "{{ _copier_python }}"
      - "-c"
      - >-
        import pathlib, re; p = pathlib.Path('.copier-answers.yml');
        p.write_text(re.sub(r'(?m)^desired_count:', 'task_count:', p.read_text()))
"""
COMPUTED = """
desired_count:
  type: int
  default: "{{ task_count }}"
  when: false
"""


def git(cwd: Path, *args: str, check: bool = True) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, env=git_env(), capture_output=True, text=True,
                            check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)}: {result.stderr}")
    return result.stdout


def commit_all(repo: Path, message: str = "edit") -> None:
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--allow-empty", "-m", message)


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def write_template(dest: Path, files: dict[str, tuple[int, bytes]]) -> None:
    for name, (mode, data) in files.items():
        path = dest / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.chmod(mode)


def build_template_repo(dest: Path) -> Path:
    """The real template tagged v1, v2 and v3 (see the module docstring)."""
    dest.mkdir(parents=True)
    write_template(dest, template_files(ROOT))
    docs = dest / "template" / "docs"
    docs.mkdir()
    (docs / "operations.md.jinja").write_text(OPERATIONS_V1)
    (docs / "retired.md").write_text("Retired in v2.\n")
    (docs / "legacy").mkdir()
    for name in ("a.md", "b.md"):
        (docs / "legacy" / name).write_text(f"Legacy {name}, retired with its folder in v2.\n")
    git(dest, "init", "--quiet", "--initial-branch=main")
    commit_all(dest, "v1")
    git(dest, "tag", "v1")

    (docs / "operations.md.jinja").write_text(OPERATIONS_V2)
    (docs / "retired.md").unlink()
    shutil.rmtree(docs / "legacy")
    (docs / "added.md").write_text("Added in v2.\n")
    with (dest / "template" / ".gitignore.jinja").open("a") as handle:
        handle.write("# Added in v2\n*.swp\n")
    commit_all(dest, "v2")
    git(dest, "tag", "v2")

    copier_yml = (dest / "copier.yml").read_text()
    renamed = copier_yml.replace("\ndesired_count:\n", "\ntask_count:\n").replace(
        "{% if desired_count < 1 or desired_count > 100 %}", "{% if task_count < 1 or task_count > 100 %}")
    assert "desired_count" not in renamed, "the question and its validator are renamed"
    (dest / "copier.yml").write_text(renamed + COMPUTED + MIGRATION)
    config = dest / "template" / "fargate-gen.yml.jinja"
    edit(config, "desired_count: {{ desired_count }}", "task_count: {{ task_count }}")
    commit_all(dest, "v3")
    git(dest, "tag", "v3")
    return dest


@pytest.fixture(scope="session", name="template_repo")
def _template_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template_repo(tmp_path_factory.mktemp("tpl") / "fargate-gen-template")


@pytest.fixture(autouse=True, name="copier_settings")
def _copier_settings(tmp_path: Path, template_repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """copier's user settings: trust the test template (for its migration), nothing else of the user's."""
    settings = tmp_path / "copier-settings.yml"
    settings.write_text(yaml.safe_dump({"trust": [str(template_repo)]}))
    monkeypatch.setenv("COPIER_SETTINGS_PATH", str(settings))
    return settings


@pytest.fixture(scope="session", name="base_kit")
def _base_kit(tmp_path_factory: pytest.TempPathFactory, template_repo: Path) -> Path:
    """riderapp rendered from v1 and committed; tests work on copies."""
    kit = tmp_path_factory.mktemp("base") / "kit"
    new(kit, config=RIDERAPP, template=str(template_repo), vcs_ref="v1")
    git(kit, "init", "--quiet", "--initial-branch=main")
    commit_all(kit, "fargate-gen kit")
    return kit


@pytest.fixture
def kit(base_kit: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "kit"
    shutil.copytree(base_kit, copy, symlinks=True)
    return copy


def answers(kit: Path) -> dict[str, object]:
    data = load_yaml(kit / ".copier-answers.yml")
    assert isinstance(data, dict)
    return data


def edit(path: Path, old: str, new_text: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new_text, 1))


def snapshot(repo: Path) -> tuple[dict[str, bytes], str, str]:
    """Everything an update could touch: the files, the index and HEAD."""
    files = {k: v for k, v in tree(repo).items() if not k.startswith(".git/")}
    return files, git(repo, "ls-files", "--stage", check=False), git(repo, "rev-parse", "HEAD", check=False)


def unmerged(repo: Path) -> set[str]:
    return {line.split("\t")[1] for line in git(repo, "ls-files", "--unmerged").splitlines()}


class Untouched:
    """Repositories registered with ``append`` must end the test exactly as they were then."""

    def __init__(self) -> None:
        self.before: dict[Path, tuple[dict[str, bytes], str, str]] = {}

    def append(self, repo: Path) -> None:
        self.before[repo] = snapshot(repo)


@pytest.fixture
def untouched() -> Iterator[Untouched]:
    registry = Untouched()
    yield registry
    for repo, before in registry.before.items():
        assert snapshot(repo) == before, f"{repo} was changed"


# --- outcomes ----------------------------------------------------------------------------------------

def test_clean_upgrade(kit: Path) -> None:
    code, stdout, stderr = invoke("update", str(kit), "--vcs-ref", "v2")
    assert code == 0, stderr
    assert stdout == ""
    assert f"{kit}: updated v1 → v2" in stderr and "review with git diff" in stderr
    assert answers(kit)["_commit"] == "v2"
    assert "within two days." in (kit / "docs" / "operations.md").read_text()
    assert (kit / "docs" / "added.md").read_text() == "Added in v2.\n"
    assert not (kit / "docs" / "retired.md").exists(), "a file the template removed, unchanged by you, goes"
    assert not (kit / "docs" / "legacy").exists(), "and so does a folder"
    assert (kit / ".gitignore").read_text().endswith("*.swp\n")
    assert not unmerged(kit)
    # Nothing else moved: the kit now is exactly what v2 renders for the same answers.
    fresh = kit.parent / "fresh"
    new(fresh, config=RIDERAPP, template=str(answers(kit)["_src_path"]), vcs_ref="v2")
    assert {k: v for k, v in tree(kit).items() if not k.startswith(".git/")} == tree(fresh)


def test_already_up_to_date_does_nothing(kit: Path, untouched: Untouched) -> None:
    assert invoke("update", str(kit), "-r", "v2")[0] == 0
    commit_all(kit, "v2")
    untouched.append(kit)
    code, _, stderr = invoke("update", str(kit), "-r", "v2")
    assert code == 0
    assert f"{kit}: up to date (v2)" in stderr


def test_edit_and_template_change_in_different_regions_are_both_kept(kit: Path) -> None:
    operations = kit / "docs" / "operations.md"
    edit(operations, "- On call: see the team page.", "- On call: Alice (+1 555 0100).")
    commit_all(kit)
    code, _, stderr = invoke("update", str(kit), "-r", "v2")
    assert code == 0, stderr
    text = operations.read_text()
    assert "- On call: Alice (+1 555 0100)." in text
    assert "within two days." in text
    assert "<<<<<<<" not in text


def test_same_line_is_a_conflict_with_exit_3_and_nothing_lost(kit: Path) -> None:
    operations = kit / "docs" / "operations.md"
    edit(operations, "Write a short report within a week.", "Write a detailed report within a week.")
    commit_all(kit)
    code, _, stderr = invoke("update", str(kit), "-r", "v2")
    assert code == 3
    assert "with 1 file(s) to resolve" in stderr and "  docs/operations.md: conflict markers" in stderr
    text = operations.read_text()
    assert "<<<<<<< before updating\nWrite a detailed report within a week.\n" in text
    assert "Write a short report within two days.\n>>>>>>> after updating" in text
    assert unmerged(kit) == {"docs/operations.md"}, "git commit refuses until the conflict is resolved"
    assert answers(kit)["_commit"] == "v2", "the rest of the update is applied"


def test_conflict_rej_takes_the_template_and_keeps_the_edit_in_a_patch(kit: Path) -> None:
    operations = kit / "docs" / "operations.md"
    edit(operations, "Write a short report within a week.", "Write a detailed report within a week.")
    commit_all(kit)
    code, _, stderr = invoke("update", str(kit), "-r", "v2", "--conflict", "rej")
    assert code == 3
    assert "your edit is only in docs/operations.md.rej" in stderr
    assert "Write a short report within two days." in operations.read_text()
    assert "<<<<<<<" not in operations.read_text()
    rej = Path(f"{operations}.rej")
    assert "+Write a detailed report within a week." in rej.read_text()
    assert not unmerged(kit)
    # The .rej is a real patch: it puts the owner's side back.
    git(kit, "apply", str(rej))
    assert "Write a detailed report within a week." in operations.read_text()


def test_a_file_you_deleted_stays_deleted(kit: Path) -> None:
    (kit / "docs" / "operations.md").unlink()  # v2 changes it
    (kit / "Dockerfile").unlink()  # v2 leaves it as it was
    commit_all(kit)
    code, _, stderr = invoke("update", str(kit), "-r", "v2")
    assert code == 0, stderr
    assert not (kit / "docs" / "operations.md").exists()
    assert not (kit / "Dockerfile").exists()


def test_a_file_the_template_removed_but_you_changed_is_kept(kit: Path) -> None:
    retired = kit / "docs" / "retired.md"
    retired.write_text("Retired in v2.\nBut we still use it.\n")
    commit_all(kit)
    code, _, stderr = invoke("update", str(kit), "-r", "v2")
    assert code == 3
    assert "docs/retired.md: the new template no longer has this file, but you changed it, so it was kept" \
        in stderr
    assert retired.read_text() == "Retired in v2.\nBut we still use it.\n"
    assert "docs/retired.md" not in git(kit, "status", "--porcelain"), "kept exactly as committed"
    assert answers(kit)["_commit"] == "v2"


def test_in_a_folder_the_template_removed_your_changed_file_is_kept(kit: Path) -> None:
    (kit / "docs" / "legacy" / "a.md").write_text("Still ours.\n")
    commit_all(kit)
    code, _, stderr = invoke("update", str(kit), "-r", "v2")
    assert code == 3 and "  docs/legacy/a.md: the new template no longer has this file" in stderr
    assert (kit / "docs" / "legacy" / "a.md").read_text() == "Still ours.\n"
    assert not (kit / "docs" / "legacy" / "b.md").exists()


def test_kept_and_removed_files_with_a_copier_lacking_the_removal_hook(
    kit: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without copier's private ``_remove_old_files`` to guard, the old render is made again to compare."""
    import generator.update

    @contextmanager
    def no_guard(_plan: object) -> Iterator[None]:
        yield None

    monkeypatch.setattr(generator.update, "_guarding_removals", no_guard)
    (kit / "docs" / "retired.md").write_text("Changed by us.\n")
    (kit / "Dockerfile").write_text((kit / "Dockerfile").read_text() + "# ours\n")
    commit_all(kit)
    code, _, stderr = invoke("update", str(kit), "-r", "v2")
    assert code == 3 and "docs/retired.md: the new template no longer has this file" in stderr
    assert (kit / "docs" / "retired.md").read_text() == "Changed by us.\n"
    assert (kit / "Dockerfile").read_text().endswith("# ours\n")


def test_your_own_files_are_never_touched(kit: Path) -> None:
    """Application source lives beside the kit; no update overwrites, moves or deletes it."""
    own = {
        "pom.xml": "<project/>\n",
        "mvnw": "#!/bin/sh\n",
        "src/main/java/com/acme/App.java": "class App {}\n",
        "src/main/resources/application.yml": "server:\n  port: 8080\n",
        "package.json": '{"name": "riderapp"}\n',
        "docs/architecture.md": "# Ours\n",
        "infra/overrides.tf": "# our own Terraform\n",
        ".github/workflows/nightly.yml": "name: nightly\n",
    }
    for name, text in own.items():
        (kit / name).parent.mkdir(parents=True, exist_ok=True)
        (kit / name).write_text(text)
    commit_all(kit)
    code, _, stderr = invoke("update", str(kit), "-r", "v3")
    assert code == 0, stderr
    for name, text in own.items():
        assert (kit / name).read_text() == text, name
    changed = git(kit, "status", "--porcelain")
    assert not any(name in changed for name in own), changed


# What the kit renders: nothing else is ever written by an update. Application source is the owner's.
KIT_ROOTS = {".aws", ".github", "infra", "Dockerfile", ".dockerignore", ".gitignore",
             ".pre-commit-config.yaml", ".copier-answers.yml", "fargate-gen.yml", "README.md"}
APPLICATION_SOURCE = re.compile(
    r"(^|/)(src|test|tests|app|lib|\.mvn|gradle|node_modules)/|(^|/)(pom\.xml|build\.gradle(\.kts)?|"
    r"settings\.gradle(\.kts)?|mvnw(\.cmd)?|gradlew(\.bat)?|package(-lock)?\.json)$|\.(java|kt|js|mjs|ts)$"
)


@pytest.mark.parametrize("app_type", ["java-spring-boot", "node-backend"])
@pytest.mark.parametrize("enable_database", [False, True])
def test_the_template_renders_no_application_source(
    tmp_path: Path, app_type: str, enable_database: bool
) -> None:
    data = {"project_name": "svc", "app_type": app_type, "aws_account_id": "123456789012",
            "github_repository": "acme/svc", "enable_database": enable_database}
    config = tmp_path / "fargate-gen.yml"
    config.write_text(yaml.safe_dump(data))
    rendered = new(tmp_path / "kit", config=config).files
    assert {name.split("/")[0] for name in rendered} <= KIT_ROOTS
    assert not [name for name in rendered if APPLICATION_SOURCE.search(name)]


def test_your_file_where_a_new_version_adds_one_is_kept_in_a_conflict(kit: Path) -> None:
    (kit / "docs" / "added.md").write_text("Our own notes.\n")
    commit_all(kit)
    code, _, _ = invoke("update", str(kit), "-r", "v2")
    assert code == 3
    text = (kit / "docs" / "added.md").read_text()
    assert "Our own notes." in text and "Added in v2." in text and "<<<<<<<" in text


# --- a changed fargate-gen.yml ---------------------------------------------------------------------

def test_config_change_is_rendered_at_the_same_version(kit: Path) -> None:
    edit(kit / "fargate-gen.yml", "desired_count: 2", "desired_count: 3")
    commit_all(kit)
    code, _, stderr = invoke("update", str(kit), "--vcs-ref", ":current:")
    assert code == 0, stderr
    assert "re-rendered with the changed fargate-gen.yml" in stderr
    recorded = answers(kit)
    assert recorded["_commit"] == "v1" and recorded["desired_count"] == 3
    tfvars = (kit / "infra" / "environments" / "prod.tfvars").read_text()
    assert re.search(r"(?m)^desired_count\s+= 3$", tfvars), tfvars
    assert "The service runs 3 task(s)" in (kit / "docs" / "operations.md").read_text()
    assert_config_agrees_with_answers(kit)


def test_config_change_and_new_version_together(kit: Path) -> None:
    edit(kit / "fargate-gen.yml", "task_memory: 1024", "task_memory: 2048")
    commit_all(kit)
    code, _, stderr = invoke("update", str(kit), "-r", "v2")
    assert code == 0, stderr
    recorded = answers(kit)
    assert recorded["_commit"] == "v2" and recorded["task_memory"] == 2048
    assert '"memory": "2048"' in (kit / ".aws" / "task-definition.json").read_text()
    assert_config_agrees_with_answers(kit)


def test_a_setting_deleted_from_the_config_goes_back_to_its_default(kit: Path) -> None:
    """The answers follow (the default), and the deleted line meets the re-rendered one in a conflict."""
    edit(kit / "fargate-gen.yml", "desired_count: 2", "desired_count: 3")
    commit_all(kit)
    assert invoke("update", str(kit), "-r", ":current:")[0] == 0
    commit_all(kit, "3 tasks")
    edit(kit / "fargate-gen.yml", "desired_count: 3\n", "")
    commit_all(kit)
    code, _, stderr = invoke("update", str(kit), "-r", ":current:")
    assert code == 3, stderr
    assert answers(kit)["desired_count"] == 2
    assert "=======\ndesired_count: 2\n>>>>>>> after updating" in (kit / "fargate-gen.yml").read_text()


def test_a_setting_of_a_skipped_question_is_no_change(kit: Path) -> None:
    """Without a database copier records no database_type; setting one ahead of time changes nothing."""
    edit(kit / "fargate-gen.yml", "enable_database: true", "enable_database: false")
    commit_all(kit)
    assert invoke("update", str(kit), "-r", ":current:")[0] == 0
    commit_all(kit, "no database")
    assert "database_type" not in answers(kit)
    edit(kit / "fargate-gen.yml", "database_type: postgres", "database_type: mysql")
    commit_all(kit)
    code, _, stderr = invoke("update", str(kit), "--check", "-r", ":current:")
    assert code == 0 and "up to date (v1)" in stderr
    edit(kit / "fargate-gen.yml", "enable_database: false", "enable_database: true")
    commit_all(kit)
    assert invoke("update", str(kit), "-r", ":current:")[0] == 0
    assert answers(kit)["database_type"] == "mysql", "it counts once the database is on"


def test_invalid_config_change_is_refused_with_its_line(kit: Path, untouched: Untouched) -> None:
    edit(kit / "fargate-gen.yml", "desired_count: 2", "desired_count: 0")
    commit_all(kit)
    untouched.append(kit)
    code, _, stderr = invoke("update", str(kit), "-r", "v2")
    assert code == 1
    assert f"{kit}/fargate-gen.yml::$.desired_count: 0 is out of range — use a value from 1 to 100 (line" \
        in stderr


def test_plain_copier_update_stays_consistent(kit: Path, tmp_path: Path) -> None:
    """After fargate-gen update, `copier update` sees the same thing and renders the same kit."""
    edit(kit / "fargate-gen.yml", "desired_count: 2", "desired_count: 4")
    commit_all(kit)
    assert invoke("update", str(kit), "-r", ":current:")[0] == 0
    commit_all(kit, "config")
    ours = tmp_path / "ours"
    shutil.copytree(kit, ours)
    assert invoke("update", str(ours), "-r", "v2")[0] == 0
    copier_cli = shutil.which("copier") or pytest.fail("copier's CLI is installed with the package")
    subprocess.run([copier_cli, "update", "--quiet", "--defaults", "--vcs-ref", "v2", str(kit)],
                   check=True, capture_output=True, env=git_env())
    assert {k: v for k, v in tree(kit).items() if not k.startswith(".git/")} == \
        {k: v for k, v in tree(ours).items() if not k.startswith(".git/")}
    assert_config_agrees_with_answers(kit)


def assert_config_agrees_with_answers(kit: Path) -> None:
    config = load_yaml(kit / "fargate-gen.yml")
    recorded = {k: v for k, v in answers(kit).items() if not k.startswith("_")}
    assert recorded.items() <= config.items()


def test_kit_in_a_subdirectory_of_a_larger_repository(base_kit: Path, tmp_path: Path) -> None:
    monorepo = tmp_path / "monorepo"
    kit = monorepo / "services" / "rides"
    shutil.copytree(base_kit, kit, ignore=shutil.ignore_patterns(".git"))
    (monorepo / "other.txt").write_text("another team's file\n")
    git(monorepo, "init", "--quiet")
    edit(kit / "docs" / "operations.md", "within a week.", "within a month.")
    commit_all(monorepo, "monorepo")
    code, stdout, _ = invoke("update", str(kit), "-r", "v2", "--pretend")
    assert code == 3 and "diff --git a/docs/operations.md b/docs/operations.md" in stdout
    code, _, stderr = invoke("update", str(kit), "-r", "v2")
    assert code == 3
    assert "  docs/operations.md: conflict markers" in stderr
    assert unmerged(monorepo) == {"services/rides/docs/operations.md"}
    assert (monorepo / "other.txt").read_text() == "another team's file\n"
    assert answers(kit)["_commit"] == "v2"


# --- the migration (worked example) ------------------------------------------------------------------

def test_migration_renames_an_answer(kit: Path) -> None:
    assert invoke("update", str(kit), "-r", "v2")[0] == 0
    commit_all(kit, "v2")
    code, _, stderr = invoke("update", str(kit), "-r", "v3")
    assert code == 0, stderr
    recorded = answers(kit)
    assert recorded["task_count"] == 2 and "desired_count" not in recorded
    config = load_yaml(kit / "fargate-gen.yml")
    assert config["task_count"] == 2 and "desired_count" not in config
    assert "The service runs 2 task(s)" in (kit / "docs" / "operations.md").read_text()
    commit_all(kit, "v3")
    assert invoke("update", str(kit), "-r", "v3")[0] == 0, "and the renamed config reads as unchanged"
    assert not git(kit, "status", "--porcelain")


def test_migration_of_an_untrusted_template_is_refused(
    kit: Path, copier_settings: Path, untouched: Untouched
) -> None:
    copier_settings.write_text("trust: []\n")
    untouched.append(kit)
    code, _, stderr = invoke("update", str(kit), "-r", "v3")
    assert code == 1
    assert "the update runs migrations from" in stderr and "trust:" in stderr


# --- preflight: each problem is named with its fix, exit 1, nothing touched -----------------------------

def test_uncommitted_change(kit: Path, untouched: Untouched) -> None:
    (kit / "Dockerfile").write_text("FROM scratch\n")
    untouched.append(kit)
    code, _, stderr = invoke("update", str(kit), "-r", "v2")
    assert code == 1
    assert f"error: {kit}: 1 uncommitted or untracked change(s) (M Dockerfile) — commit them" in stderr


def test_untracked_file(kit: Path, untouched: Untouched) -> None:
    (kit / "notes.txt").write_text("todo\n")
    untouched.append(kit)
    code, _, stderr = invoke("update", str(kit), "-r", "v2")
    assert code == 1
    assert "(?? notes.txt)" in stderr and "git stash --include-untracked" in stderr


def test_rej_files_left_from_an_earlier_update(kit: Path, untouched: Untouched) -> None:
    """The kit's .gitignore hides them, and a new .rej of the same name would replace the old one."""
    (kit / "Dockerfile.rej").write_text("--- a/Dockerfile\n+++ b/Dockerfile\n")
    assert not git(kit, "status", "--porcelain"), "ignored, so the tree is clean"
    untouched.append(kit)
    code, _, stderr = invoke("update", str(kit), "-r", "v2")
    assert code == 1
    assert f"{kit}: 1 .rej file(s) left from an earlier update (Dockerfile.rej)" in stderr


def test_not_a_git_repository(kit: Path, untouched: Untouched) -> None:
    shutil.rmtree(kit / ".git")
    untouched.append(kit)
    code, _, stderr = invoke("update", str(kit))
    assert code == 1
    assert f"{kit}: is not a git repository" in stderr and "git init" in stderr


def test_no_commit_yet(kit: Path, untouched: Untouched) -> None:
    shutil.rmtree(kit / ".git")
    git(kit, "init", "--quiet")
    untouched.append(kit)
    code, _, stderr = invoke("update", str(kit))
    assert code == 1
    assert "has no commit yet" in stderr


def test_missing_directory(tmp_path: Path) -> None:
    code, _, stderr = invoke("update", str(tmp_path / "nope"))
    assert code == 1 and "does not exist" in stderr


def test_no_answers_file(kit: Path, untouched: Untouched) -> None:
    (kit / ".copier-answers.yml").unlink()
    commit_all(kit)
    untouched.append(kit)
    code, _, stderr = invoke("update", str(kit))
    assert code == 1
    assert f"{kit}/.copier-answers.yml::$: the file does not exist" in stderr


def test_no_config_file(kit: Path, untouched: Untouched) -> None:
    (kit / "fargate-gen.yml").unlink()
    commit_all(kit)
    untouched.append(kit)
    code, _, stderr = invoke("update", str(kit))
    assert code == 1
    assert f"{kit}/fargate-gen.yml::$: the file does not exist" in stderr
    assert "git log --diff-filter=D" in stderr


def test_answers_from_another_template(tmp_path: Path, untouched: Untouched) -> None:
    other = tmp_path / "other-template"
    other.mkdir()
    (other / "copier.yml").write_text("name:\n  type: str\n  default: x\n")
    (other / "{{_copier_conf.answers_file}}.jinja").write_text("{{ _copier_answers|to_nice_yaml -}}\n")
    (other / "hello.txt.jinja").write_text("hello {{ name }}\n")
    git(other, "init", "--quiet")
    commit_all(other, "v1")
    git(other, "tag", "v1")
    import copier

    project = tmp_path / "project"
    copier.run_copy(str(other), project, defaults=True, quiet=True)
    git(project, "init", "--quiet")
    commit_all(project)
    untouched.append(project)
    code, _, stderr = invoke("update", str(project))
    assert code == 1
    assert f"{project}/.copier-answers.yml::$._src_path: the kit comes from {other}, not from a " \
        "fargate-gen " \
        "template — fargate-gen updates only the kits it rendered" in stderr


def test_unreachable_template(kit: Path, untouched: Untouched) -> None:
    source = answers(kit)["_src_path"]
    edit(kit / ".copier-answers.yml", f"_src_path: {source}", f"_src_path: {kit.parent}/gone")
    commit_all(kit)
    untouched.append(kit)
    code, _, stderr = invoke("update", str(kit))
    assert code == 1
    assert f"{kit}: cannot list the versions of the template {kit.parent}/gone" in stderr


def test_downgrade(kit: Path, untouched: Untouched) -> None:
    assert invoke("update", str(kit), "-r", "v2")[0] == 0
    commit_all(kit, "v2")
    untouched.append(kit)
    code, _, stderr = invoke("update", str(kit), "-r", "v1")
    assert code == 1
    assert f"{kit}: v1 is older than the kit's template version v2 — downgrades are not supported" in stderr


def test_failure_half_way_restores_the_last_commit(tmp_path: Path, untouched: Untouched) -> None:
    template = build_broken_template(tmp_path / "broken-template")
    kit = tmp_path / "kit"
    new(kit, config=RIDERAPP, template=str(template), vcs_ref="v1")
    git(kit, "init", "--quiet")
    commit_all(kit)
    untouched.append(kit)
    code, _, stderr = invoke("update", str(kit))
    assert code == 1
    assert "the update failed" in stderr and "restored to its last commit" in stderr


def build_broken_template(dest: Path) -> Path:
    dest.mkdir()
    write_template(dest, template_files(ROOT))
    git(dest, "init", "--quiet")
    commit_all(dest, "v1")
    git(dest, "tag", "v1")
    # Rendered late (after the files copier writes first), so the kit is half-updated when it fails.
    (dest / "template" / "zz-broken.txt.jinja").write_text("{{ 1 | no_such_filter }}\n")
    edit(dest / "template" / "Dockerfile.jinja", "\n", "\n# v2\n")
    commit_all(dest, "v2")
    git(dest, "tag", "v2")
    return dest


# --- --pretend, --check, several repositories, exit codes ------------------------------------------------

def test_pretend_prints_the_diff_and_writes_nothing(kit: Path, untouched: Untouched) -> None:
    untouched.append(kit)
    code, stdout, stderr = invoke("update", str(kit), "-r", "v2", "--pretend")
    assert code == 0, stderr
    assert "diff --git a/docs/operations.md b/docs/operations.md" in stdout
    assert "-Write a short report within a week.\n+Write a short report within two days." in stdout
    assert "deleted file mode" in stdout and "docs/retired.md" in stdout
    assert "-_commit: v1\n+_commit: v2" in stdout
    assert "would be updated v1 → v2" in stderr and "nothing was written" in stderr


def test_pretend_shows_a_conflict_and_exits_3(kit: Path, untouched: Untouched) -> None:
    edit(kit / "docs" / "operations.md", "within a week.", "within a month.")
    commit_all(kit)
    untouched.append(kit)
    code, stdout, _ = invoke("update", str(kit), "-r", "v2", "--pretend")
    assert code == 3
    assert "+<<<<<<< before updating" in stdout


def test_pretend_with_rej_shows_the_rej_file(kit: Path, untouched: Untouched) -> None:
    edit(kit / "docs" / "operations.md", "within a week.", "within a month.")
    commit_all(kit)
    untouched.append(kit)
    code, stdout, stderr = invoke("update", str(kit), "-r", "v2", "--pretend", "--conflict", "rej")
    assert code == 3, stderr
    assert "diff --git a/docs/operations.md.rej b/docs/operations.md.rej" in stdout
    assert "++Write a short report within a month." in stdout


def test_check_exits_4_when_an_update_is_available(kit: Path, untouched: Untouched) -> None:
    untouched.append(kit)
    code, stdout, stderr = invoke("update", str(kit), "--check", "-r", "v2")
    assert code == 4 and stdout == ""
    assert f"{kit}: update available: v1 → v2 is available" in stderr
    code, _, stderr = invoke("update", str(kit), "--check", "-r", "v1")
    assert code == 0 and "up to date (v1)" in stderr


def test_check_reports_a_changed_config(kit: Path) -> None:
    edit(kit / "fargate-gen.yml", "desired_count: 2", "desired_count: 5")
    code, _, stderr = invoke("update", str(kit), "--check", "-r", ":current:")
    assert code == 4, "a check needs no clean tree"
    assert "fargate-gen.yml changed since the last render (desired_count)" in stderr


def test_several_repositories_one_failure_does_not_stop_the_rest(tmp_path: Path, base_kit: Path) -> None:
    kits = {}
    for name in ("a-updated", "b-current", "c-conflict", "d-not-a-repo", "e-updated"):
        kits[name] = tmp_path / name
        shutil.copytree(base_kit, kits[name])
    assert invoke("update", str(kits["b-current"]), "-r", "v2")[0] == 0
    commit_all(kits["b-current"], "v2")
    edit(kits["c-conflict"] / "docs" / "operations.md", "within a week.", "within a month.")
    commit_all(kits["c-conflict"])
    shutil.rmtree(kits["d-not-a-repo"] / ".git")
    code, _, stderr = invoke("update", "-r", "v2", *map(str, kits.values()))
    assert code == 1, "the worst outcome: a failure"
    assert "[1/5]" in stderr and "[5/5]" in stderr
    table = stderr[stderr.index("repository  "):]
    for name, outcome in [("a-updated", "updated"), ("b-current", "up to date"), ("c-conflict", "conflicts"),
                          ("d-not-a-repo", "failed"), ("e-updated", "updated")]:
        row = next(line for line in table.splitlines() if line.startswith(str(kits[name])))
        assert f" {outcome} " in f"{row} ", row
    assert "5 repositories: 2 updated, 1 up to date, 1 conflicts, 1 failed" in table
    assert answers(kits["e-updated"])["_commit"] == "v2", "the repository after the failure was updated"

    for name in ("a-updated", "e-updated"):
        commit_all(kits[name], "v2")
    remaining = [str(kits[name]) for name in ("a-updated", "b-current", "e-updated")]
    code, _, stderr = invoke("update", "-r", "v2", *remaining)
    assert code == 0, "all up to date"
    assert "3 repositories: 0 updated, 3 up to date, 0 conflicts, 0 failed" in stderr


def test_pretend_on_several_repositories_prefixes_each_diff(
    tmp_path: Path, base_kit: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("one", "two"):
        shutil.copytree(base_kit, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    code, stdout, stderr = invoke("update", "--pretend", "-r", "v2", "one", "two")
    assert code == 0, stderr
    assert "diff --git a/one/docs/operations.md b/one/docs/operations.md" in stdout
    assert "diff --git a/two/docs/operations.md b/two/docs/operations.md" in stdout
    assert "2 repositories: 2 updated" in stderr and "(pretend: nothing was written)" in stderr


def test_conflicts_outrank_success_in_the_exit_code(tmp_path: Path, base_kit: Path) -> None:
    clean, conflicted = tmp_path / "clean", tmp_path / "conflicted"
    shutil.copytree(base_kit, clean)
    shutil.copytree(base_kit, conflicted)
    edit(conflicted / "docs" / "operations.md", "within a week.", "within a month.")
    commit_all(conflicted)
    code, _, _ = invoke("update", "-r", "v2", str(clean), str(conflicted))
    assert code == 3


def test_usage_errors_exit_2(kit: Path) -> None:
    assert invoke("update", str(kit), "--pretend", "--check")[0] == 2
    assert invoke("update", str(kit), "--conflict", "both")[0] == 2
    assert invoke("update", "--bogus")[0] == 2


def test_help_documents_every_exit_code() -> None:
    code, stdout, _ = invoke("update", "--help")
    assert code == 0
    for line in ("0  updated, or already up to date", "1  a repository could not be updated",
                 "2  usage error", "3  updated, but some files need you", "4  --check only"):
        assert line in stdout, line


def test_default_repository_is_the_current_directory(kit: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(kit)
    code, _, stderr = invoke("update", "--check", "-r", "v2")
    assert code == 4 and ".: update available" in stderr
