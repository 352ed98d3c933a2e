"""Hostile input to the generator (issue 9, items 5 and 7): each payload that showed a hole, refused.

- a kit's ``_src_path`` spelling fargate-gen's repository so that git fetches another template, whose
  ``_tasks`` and ``_migrations`` copier would run as trusted;
- symlinks in DEST or in the rendered kit, which would write outside DEST or copy a secret into the kit;
- strings with a trailing newline or control characters, HCL template sequences, YAML alias bombs;
- advice naming an option that does not exist, relative ``--kit`` paths, an old copier.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from plumbum import local

from generator import _releases

# The fixtures come along: the session's template repository, copier's settings, the packaged releases.
from tests.test_update import (  # noqa: F401
    _copier_settings,
    _template_repo,
    answers,
    commit_all,
    edit,
    git,
    invoke,
)
from tests.test_update_packaged import offline, packaged, packaged_kit, releases_dir, sources  # noqa: F401

# --- 5a: the source is normalised before any decision, and only the packaged releases are trusted -------

EVIL_COPIER_YML = """\
_subdirectory: template
_migrations:
  - command: "touch {marker}"
_tasks:
  - "touch {marker}"
"""


def evil_template(dest: Path, marker: Path) -> Path:
    """A template repository whose migrations and tasks write ``marker``, tagged like fargate-gen's."""
    (dest / "template").mkdir(parents=True)
    (dest / "copier.yml").write_text(EVIL_COPIER_YML.format(marker=marker))
    (dest / "template" / "README.md").write_text("not fargate-gen\n")
    git(dest, "init", "--quiet", "--initial-branch=main")
    commit_all(dest, "evil")
    for tag in ("v0.1.0", "v0.2.0", "v0.3.0"):
        git(dest, "tag", tag)
    return dest


@pytest.fixture
def git_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The user's global git config, empty to start with, here and in copier's copy of the environment."""
    path = tmp_path / "gitconfig"
    path.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(path))
    with local.env(GIT_CONFIG_GLOBAL=str(path)):
        yield path


SPELLINGS = [
    "HTTP://GitHub.com/fargate-gen/fargate-gen.git",
    "http://github.com/fargate-gen/fargate-gen.git",
    "git+https://github.com/fargate-gen/fargate-gen",
    "git+HTTP://GitHub.com/fargate-gen/fargate-gen",
    "https://github.com/Fargate-Gen/fargate-gen.git",
    "https://github.com/fargate-gen/fargate-gen/",
    "gh:/fargate-gen/fargate-gen",
]


def kit_from(spelling: str, tmp_path: Path) -> Path:
    """A committed kit of the packaged v0.1.0 whose answers record ``spelling``, with a config change."""
    kit = packaged_kit(tmp_path / "kit")
    edit(kit / ".copier-answers.yml", f"_src_path: {_releases.CANONICAL_URL}", f"_src_path: {spelling}")
    commit_all(kit, "another spelling")
    return kit


def test_git_url_is_what_copier_hands_to_git() -> None:
    from copier._vcs import get_repo

    for spelling in [*SPELLINGS, _releases.CANONICAL_URL, "HTTP://GitHub.com/fargate-gen/fargate-gen",
                     "ssh://git@github.com/fargate-gen/fargate-gen",
                     "git@github.com:fargate-gen/fargate-gen.git"]:
        assert _releases.git_url(spelling) == get_repo(spelling), spelling


@pytest.mark.usefixtures("packaged")
@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_redirected_spelling_never_runs_another_templates_code(
    spelling: str, git_config: Path, tmp_path: Path
) -> None:
    """git rewrites exactly the URL copier fetches to a template whose tasks write a marker: refused."""
    marker = tmp_path / "pwned"
    evil = evil_template(tmp_path / "evil", marker)
    url = _releases.git_url(spelling)
    assert url is not None and _releases.is_canonical(spelling)
    kit = kit_from(spelling, tmp_path)
    git(tmp_path, "config", "--file", str(git_config), f"url.{evil}.insteadOf", url)
    code, _, stderr = invoke("update", str(kit))
    assert not marker.exists(), "the other template's code ran"
    assert code == 1, stderr
    assert f"{kit}/.copier-answers.yml::$._src_path: _src_path {spelling!r}: git would not fetch it from " \
           "the releases packaged with fargate-gen" in stderr
    assert f"write it as {_releases.CANONICAL_URL}" in stderr
    assert answers(kit)["_commit"] == "v0.1.0" and not git(kit, "status", "--porcelain"), "nothing written"


@pytest.mark.usefixtures("packaged")
@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_spelling_is_served_from_the_packaged_releases(
    spelling: str, git_config: Path, tmp_path: Path
) -> None:
    """A rule for the whole host (shorter than fargate-gen's own) loses: the update is the packaged one."""
    marker = tmp_path / "pwned"
    url = _releases.git_url(spelling)
    assert url is not None
    host = url[:url.index("/", url.index("//") + 2) + 1] if "//" in url else url.split(":")[0] + ":"
    evil_root = tmp_path / "evil-host"
    evil_template(evil_root / url[len(host):], marker)
    kit = kit_from(spelling, tmp_path)
    git(tmp_path, "config", "--file", str(git_config), f"url.{evil_root}/.insteadOf", host)
    code, _, stderr = invoke("update", str(kit))
    assert not marker.exists(), "the other template's code ran"
    assert code == 0, stderr
    assert f"{kit}: updated v0.1.0 → v0.2.0" in stderr
    assert answers(kit)["task_count"] == 4, "the packaged release's migration ran"


@pytest.mark.usefixtures("packaged")
def test_a_spelling_copier_reads_as_a_path_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``HTTP://GitHub.com/o/r`` is, to copier, the relative folder ``HTTP:/GitHub.com/o/r``: here, evil."""
    spelling = "HTTP://GitHub.com/fargate-gen/fargate-gen"
    assert _releases.is_canonical(spelling) and _releases.git_url(spelling) is None
    marker = tmp_path / "pwned"
    kit = kit_from(spelling, tmp_path)
    work = tmp_path / "work"
    evil_template(work / "HTTP:" / "GitHub.com" / "fargate-gen" / "fargate-gen", marker)
    monkeypatch.chdir(work)
    code, _, stderr = invoke("update", str(kit))
    assert not marker.exists(), "the other template's code ran"
    assert code == 1
    assert f"{kit}/.copier-answers.yml::$._src_path: _src_path {spelling!r} names fargate-gen's " \
           "repository in a spelling that copier reads as a local path" in stderr
    assert f"write _src_path: {_releases.CANONICAL_URL} and commit" in stderr


@pytest.mark.usefixtures("packaged")
def test_new_records_one_spelling(tmp_path: Path) -> None:
    from generator.render import new
    from tests.test_update import RIDERAPP

    new(tmp_path / "kit", config=RIDERAPP, template="git+HTTP://GitHub.com/Fargate-Gen/fargate-gen/",
        vcs_ref="v0.1.0")
    assert answers(tmp_path / "kit")["_src_path"] == _releases.CANONICAL_URL


@pytest.mark.usefixtures("packaged")
def test_serving_offers_no_network() -> None:
    """While the releases are served, a spelling left out fails rather than going online."""
    with _releases.serving(_releases.CANONICAL_URL):
        env = {name: value for name, value in os.environ.items() if name != "GIT_ALLOW_PROTOCOL"}
        listed = subprocess.run(["git", "ls-remote", "https://github.com/fargate-gen/other.git"],
                                capture_output=True, text=True, check=False, env=env)
    assert listed.returncode != 0
    assert "transport 'https' not allowed" in listed.stderr


# --- 5b: nothing is read or written through a symlink ---------------------------------------------------

def linking_template(dest: Path, secret: Path) -> Path:
    """A template that keeps its symlinks, one of them to the user's AWS credentials."""
    from tests.test_update import RIDERAPP

    (dest / "template").mkdir(parents=True)
    (dest / "copier.yml").write_text("_subdirectory: template\n_preserve_symlinks: true\n")
    (dest / "template" / "fargate-gen.yml").write_text(RIDERAPP.read_text())
    (dest / "template" / "credentials").symlink_to(secret)
    return dest


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "home" / ".aws" / "credentials"
    path.parent.mkdir(parents=True)
    path.write_text("[default]\naws_secret_access_key = SECRET-PAYLOAD\n")
    return path


def test_a_template_symlink_to_credentials_never_becomes_a_kit_file(secret: Path, tmp_path: Path) -> None:
    from tests.test_update import RIDERAPP

    template = linking_template(tmp_path / "template", secret)
    dest = tmp_path / "kit"
    code, stdout, stderr = invoke("new", str(dest), "--config", str(RIDERAPP), "--template", str(template))
    assert code == 1, stderr
    assert f"{template}: the template renders symbolic links, which would copy the files they name into " \
           f"the kit: credentials -> {secret} — nothing was written" in stderr
    assert "Traceback" not in stderr and "SECRET-PAYLOAD" not in stdout + stderr
    assert not dest.exists()


@pytest.fixture(scope="module")
def riderapp_kit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """riderapp rendered once, to compare with."""
    from generator.render import new
    from tests.test_update import RIDERAPP

    kit = tmp_path_factory.mktemp("riderapp") / "kit"
    new(kit, config=RIDERAPP)
    return kit


@pytest.mark.parametrize("link", ["Dockerfile", ".github", ".github/workflows/deploy.yml"])
def test_new_never_writes_through_a_symlink_in_dest(link: str, riderapp_kit: Path, tmp_path: Path) -> None:
    """A link in DEST, to a file or a folder outside it: refused before anything is written."""
    from tests.helpers import tree
    from tests.test_update import RIDERAPP

    assert (riderapp_kit / link).exists()
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "victim"
    if (riderapp_kit / link).is_dir():
        victim.mkdir()
        (victim / "keep").write_text("mine\n")
    else:
        victim.write_text("mine\n")
    dest = tmp_path / "kit"
    (dest / link).parent.mkdir(parents=True, exist_ok=True)
    (dest / link).symlink_to(victim)
    before = tree(outside), tree(dest)
    code, _, stderr = invoke("new", str(dest), "--config", str(RIDERAPP), "--overwrite")
    assert code == 1, stderr
    assert f"{dest}: these paths of the kit go through symbolic links in the destination, so writing them " \
           "would write where the links point: " in stderr
    assert "— nothing was written: remove the links, or render into an empty directory" in stderr
    assert (tree(outside), tree(dest)) == before, "nothing was written, inside DEST or out"


# --- issue 11, items 11 and 13: advice that works, relative paths that work -----------------------------

def test_new_without_a_terminal_proposes_only_options_that_exist(tmp_path: Path) -> None:
    import re

    dest = tmp_path / "kit"
    code, stdout, stderr = invoke("new", str(dest))  # CliRunner's stdin is no terminal
    assert code == 2, stderr
    assert "no --config was given, and the questions cannot be asked without a terminal" in stderr
    assert "Traceback" not in stderr and stdout == "" and not dest.exists()
    proposed = set(re.findall(r"--[a-z][a-z-]*", stderr))
    assert "--config" in proposed
    _, help_text, _ = invoke("new", "--help")
    for option in proposed:
        assert re.search(rf"{option}\b", help_text), f"{option} is proposed but `new` has no such option"


def test_validate_kit_takes_a_relative_path(
    riderapp_kit: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``fargate-gen validate --kit riderapp-kit``: the tools run in the kit, on absolute paths."""
    import json

    from generator.checks import tools
    from generator.checks._kit import Kit, ToolMissing
    from tests.helpers import require_tool

    require_tool("check-jsonschema")  # the checker that crashed; the others run when installed
    monkeypatch.chdir(riderapp_kit.parent)
    relative = Kit(Path(riderapp_kit.name))
    absolute = Kit(riderapp_kit)
    assert relative.workflows() and relative.workflows() == absolute.workflows()
    for checker in (tools.check_jsonschema, tools.actionlint, tools.hadolint, tools.zizmor):
        try:
            assert checker(relative) == checker(absolute) == [], checker.__name__
        except ToolMissing:
            continue
    # A defect is found, and named relative to the kit, through a relative path too.
    workflow = riderapp_kit / ".github" / "workflows" / "ci.yml"
    original = workflow.read_text()
    try:
        workflow.write_text(original.replace("jobs:", "jobs:\n  broken: 42\n", 1))
        found = tools.check_jsonschema(relative)
        assert found and {finding.file for finding in found} == {".github/workflows/ci.yml"}
        code, stdout, stderr = invoke("validate", "--kit", riderapp_kit.name, "--format", "json")
    finally:
        workflow.write_text(original)
    assert code == 1 and "Traceback" not in stderr, stderr
    assert ".github/workflows/ci.yml" in {json.loads(line)["file"] for line in stdout.splitlines()}


# --- 7: values rendered into HCL stay literal -------------------------------------------------------------

HCL_PAYLOAD = '${file("/etc/hostname")}%{endif}$${kept}%%{also}@example.com'


def test_hcl_template_sequences_in_values_stay_literal(tmp_path: Path) -> None:
    """An email (the schema allows ``$``, ``{``, ``%``) with HCL template sequences reaches Terraform as text."""
    import yaml

    from generator.config import load_config
    from generator.render import new
    from tests.helpers import require_tool
    from tests.test_update import RIDERAPP

    terraform = require_tool("terraform")
    data = yaml.safe_load(RIDERAPP.read_text())
    data["alarms"] = {"enabled": True, "email": HCL_PAYLOAD}
    config = tmp_path / "fargate-gen.yml"
    config.write_text(yaml.safe_dump(data, sort_keys=False))
    assert load_config(config)["alarms"]["email"] == HCL_PAYLOAD, "a valid address, as far as the schema goes"
    kit = tmp_path / "kit"
    new(kit, config=config)
    scratch = tmp_path / "tf"
    scratch.mkdir()
    (scratch / "variables.tf").write_text(
        'variable "alarms" {\n  type = object({ enabled = bool, email = string })\n}\n'
    )
    # Printed without $ or %, which terraform console would print in its own escaped form.
    expression = 'replace(replace(var.alarms.email, "$", "<D>"), "%", "<P>")'
    expected = HCL_PAYLOAD.replace("$", "<D>").replace("%", "<P>").replace('"', '\\"')
    environments = sorted((kit / "infra" / "environments").glob("*.tfvars"))
    assert environments
    for tfvars in environments:
        printed = subprocess.run([terraform, "console", f"-var-file={tfvars}"], cwd=scratch, input=expression,
                                 capture_output=True, text=True, check=False)
        assert printed.returncode == 0, printed.stderr
        assert printed.stdout.strip().splitlines()[-1] == f'"{expected}"', tfvars.name
    bootstrap = kit / "infra" / "bootstrap" / "terraform.tfvars"
    parsed = subprocess.run([terraform, "console", f"-var-file={bootstrap}"], cwd=scratch, input="1",
                            capture_output=True, text=True, check=False)
    assert parsed.returncode == 0 and parsed.stdout.strip().endswith("1"), parsed.stderr


# --- 5c: copier without its known vulnerabilities --------------------------------------------------------

def test_installed_copier_meets_the_declared_floor() -> None:
    from importlib.metadata import requires, version

    from packaging.requirements import Requirement

    declared = [Requirement(text) for text in requires("fargate-gen") or []]
    copier = [requirement for requirement in declared if requirement.name == "copier"]
    assert len(copier) == 1, declared
    assert copier[0].specifier.contains(version("copier"), prereleases=True), \
        f"copier {version('copier')} is installed, but fargate-gen requires {copier[0]}"


def test_the_declared_copier_floor_excludes_the_known_vulnerabilities() -> None:
    """CVE-2025-55201 (fixed in copier 9.9.1) and CVE-2026-53951 (fixed in 9.15.2)."""
    import tomllib

    from packaging.requirements import Requirement

    from tests.helpers import ROOT

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    copier = next(Requirement(text) for text in project["dependencies"] if Requirement(text).name == "copier")
    for vulnerable in ("9.4.0", "9.9.0", "9.15.1"):
        assert not copier.specifier.contains(vulnerable), f"{copier} admits copier {vulnerable}"
    assert copier.specifier.contains("9.15.2")


# --- 7: validate (the pre-commit hook) refuses what would make it slow -------------------------------------

def test_validate_refuses_a_yaml_alias_bomb(tmp_path: Path) -> None:
    """The 700-byte alias bomb that took 24 s and 1 GB: refused, before anything expands."""
    from tests.test_config_cases import CASES

    bomb = CASES / "invalid" / "yaml-alias-bomb.yml"
    assert bomb.stat().st_size < 1024
    code, stdout, stderr = invoke("validate", str(bomb))
    assert code == 1
    assert stdout == "" and "Traceback" not in stderr
    assert f"{bomb}::$: uses the YAML anchor &a: fargate-gen.yml takes no anchors or aliases, which can make " \
           "a small file expand without bound — write each value out in full (line 6)" in stderr


def test_new_refuses_a_trailing_newline_before_rendering(tmp_path: Path) -> None:
    """``aws_region: "us-east-1\\n"`` passed the schema and rendered a broken deploy.yml."""
    from tests.test_config_cases import CASES

    case = CASES / "invalid" / "region-trailing-newline.yml"
    dest = tmp_path / "kit"
    code, _, stderr = invoke("new", str(dest), "--config", str(case))
    assert code == 1
    assert f"{case}::$.aws_region: contains the control character U+000A" in stderr
    assert not dest.exists()
