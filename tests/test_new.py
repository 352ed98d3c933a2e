"""`fargate-gen new`: renders a kit, refuses bad input without touching DEST, and is deterministic."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from generator._cli import cli
from tests.helpers import EXAMPLES, ROOT, load_yaml, tree, without_provenance

RIDERAPP = ROOT / "examples" / "riderapp" / "fargate-gen.yml"


def is_within(given: Any, rendered: Any) -> bool:
    """Every value of `given` is in `rendered`, which may add defaults at any depth."""
    if isinstance(given, dict):
        return isinstance(rendered, dict) and all(k in rendered and is_within(v, rendered[k]) for k, v in given.items())
    if isinstance(given, list):
        return isinstance(rendered, list) and len(given) == len(rendered) and all(map(is_within, given, rendered))
    return bool(given == rendered)


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_renders_each_example(tmp_path: Path, example: Path) -> None:
    code, stdout, stderr = invoke("new", str(tmp_path / "kit"), "--config", str(example / "fargate-gen.yml"))
    assert code == 0, stderr
    assert stdout == ""
    assert "Rendered" in stderr
    kit = tmp_path / "kit"
    config = load_yaml(example / "fargate-gen.yml")
    rendered = load_yaml(kit / "fargate-gen.yml")
    # The kit describes itself: every value from the example, plus every default spelled out.
    assert is_within(config, rendered)
    answers = load_yaml(kit / ".copier-answers.yml")
    assert {k: v for k, v in answers.items() if not k.startswith("_")}.items() <= rendered.items()


def test_same_config_twice_gives_identical_bytes(tmp_path: Path) -> None:
    for name in ("one", "two"):
        assert invoke("new", str(tmp_path / name), "--config", str(RIDERAPP))[0] == 0
    one, two = tree(tmp_path / "one"), tree(tmp_path / "two")
    assert one == two
    assert len(one) > 1


def test_data_overrides_config(tmp_path: Path) -> None:
    code, _, stderr = invoke(
        "new", str(tmp_path / "kit"), "--config", str(RIDERAPP), "--data", "desired_count=3", "-d", "enable_database=false"
    )
    assert code == 0, stderr
    rendered = load_yaml(tmp_path / "kit" / "fargate-gen.yml")
    assert rendered["desired_count"] == 3
    assert rendered["enable_database"] is False


def test_bad_config_lists_every_error_and_creates_nothing(tmp_path: Path) -> None:
    config = tmp_path / "fargate-gen.yml"
    config.write_text(
        "project_name: this-name-is-far-too-long-for-an-alb\n"
        "app_type: python-django\n"
        "aws_account_id: '123456789012'\n"
        "github_repository: acme/app\n"
        "task_cpu: 256\n"
        "task_memory: 4096\n"
    )
    dest = tmp_path / "kit"
    code, stdout, stderr = invoke("new", str(dest), "--config", str(config))
    assert code == 1
    assert stdout == ""
    assert f"{config}::$.project_name: " in stderr and "longer than 20 characters" in stderr
    assert f"{config}::$.app_type: " in stderr and "use one of java-spring-boot, node-backend" in stderr
    assert f"{config}::$.task_memory: 4096 is not allowed with task_cpu 256 — use one of 512, 1024, 2048" in stderr
    assert not dest.exists()


def test_missing_config_file(tmp_path: Path) -> None:
    code, _, stderr = invoke("new", str(tmp_path / "kit"), "--config", str(tmp_path / "nope.yml"))
    assert code == 1
    assert "nope.yml::$: the file does not exist" in stderr
    assert not (tmp_path / "kit").exists()


def test_existing_files_are_never_overwritten_silently(tmp_path: Path) -> None:
    dest = tmp_path / "app"
    dest.mkdir()
    (dest / "README.md").write_text("# my app\n")
    (dest / "pom.xml").write_text("<project/>\n")
    code, _, stderr = invoke("new", str(dest), "--config", str(RIDERAPP))
    assert code == 1
    assert "README.md" in stderr and "--overwrite" in stderr
    assert sorted(p.name for p in dest.iterdir()) == ["README.md", "pom.xml"]
    assert (dest / "README.md").read_text() == "# my app\n"

    code, _, stderr = invoke("new", str(dest), "--config", str(RIDERAPP), "--overwrite")
    assert code == 0, stderr
    assert (dest / "pom.xml").read_text() == "<project/>\n", "files the kit does not render are left alone"
    assert (dest / "fargate-gen.yml").is_file()


def test_rendering_over_an_identical_kit_is_allowed(tmp_path: Path) -> None:
    assert invoke("new", str(tmp_path / "kit"), "--config", str(RIDERAPP))[0] == 0
    before = tree(tmp_path / "kit")
    code, _, stderr = invoke("new", str(tmp_path / "kit"), "--config", str(RIDERAPP))
    assert code == 0, stderr
    assert tree(tmp_path / "kit") == before


def test_dest_that_is_a_file(tmp_path: Path) -> None:
    dest = tmp_path / "kit"
    dest.write_text("x")
    code, _, stderr = invoke("new", str(dest), "--config", str(RIDERAPP))
    assert code in (1, 2)
    assert dest.read_text() == "x"


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert invoke("new")[0] == 2
    assert invoke("new", str(tmp_path), "--bogus")[0] == 2
    code, _, stderr = invoke("new", str(tmp_path / "kit"), "--config", str(RIDERAPP), "--data", "novalue")
    assert code == 2 and "KEY=VALUE" in stderr


def test_version_and_help() -> None:
    code, stdout, _ = invoke("--version")
    assert code == 0 and stdout.startswith("fargate-gen, version ")
    code, stdout, _ = invoke("new", "--help")
    assert code == 0 and "Exit codes:" in stdout and "--config" in stdout


def test_plain_copier_copy_gives_the_same_kit(tmp_path: Path) -> None:
    """`copier copy <this repo> DEST --data-file fargate-gen.yml` renders what `fargate-gen new` does."""
    assert invoke("new", str(tmp_path / "ours"), "--config", str(RIDERAPP))[0] == 0
    copier_cli = shutil.which("copier") or pytest.fail("copier's CLI is installed with the package")
    subprocess.run(
        [copier_cli, "copy", "--quiet", "--defaults", "--vcs-ref", "HEAD", "--data-file", str(RIDERAPP),
         str(ROOT), str(tmp_path / "theirs")],
        check=True, capture_output=True, text=True,
    )
    ours, theirs = tree(tmp_path / "ours"), tree(tmp_path / "theirs")
    assert ours.keys() == theirs.keys()
    for name in ours:
        if name == ".copier-answers.yml":
            continue
        assert without_provenance(name, ours[name]) == without_provenance(name, theirs[name]), name
    answers = [yaml.safe_load(t[".copier-answers.yml"]) for t in (ours, theirs)]
    assert [{k: v for k, v in a.items() if k != "_commit"} for a in answers][0] == \
        [{k: v for k, v in a.items() if k != "_commit"} for a in answers][1]


def test_module_entry_point() -> None:
    result = subprocess.run([sys.executable, "-m", "generator", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and "fargate-gen" in result.stdout
