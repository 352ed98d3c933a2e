"""`fargate-gen validate`: configs, whole kits, injected defects, output formats and exit codes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator._cli import cli
from generator.checks import validate_kit
from tests.helpers import ROOT, require_tool, strict

RIDERAPP = ROOT / "examples" / "riderapp" / "fargate-gen.yml"
INVALID = ROOT / "tests" / "cases" / "invalid"


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_valid_config_exits_0() -> None:
    code, stdout, stderr = invoke("validate", str(RIDERAPP))
    assert (code, stdout) == (0, "")
    assert "ok: no findings" in stderr


def test_directory_means_its_fargate_gen_yml() -> None:
    assert invoke("validate", str(RIDERAPP.parent))[0] == 0


def test_every_error_of_every_file_is_reported() -> None:
    files = [INVALID / "memory-not-a-step.yml", INVALID / "unknown-key-typo.yml", RIDERAPP]
    code, _, stderr = invoke("validate", *map(str, files))
    assert code == 1
    assert f"{files[0]}::$.task_memory: 3000 is not allowed with task_cpu 512 — use one of 1024, 2048, 3072, 4096 (line 4)" in stderr
    assert f"{files[1]}::$.desired_cuont: is not a known setting — did you mean 'desired_count'? (line 3)" in stderr
    assert str(RIDERAPP) not in stderr


def test_json_goes_to_stdout_one_object_per_finding() -> None:
    code, stdout, _ = invoke("validate", "--format", "json", str(INVALID / "memory-not-a-step.yml"))
    assert code == 1
    objects = [json.loads(line) for line in stdout.splitlines()]
    assert objects == [{
        "tool": "schema", "file": str(INVALID / "memory-not-a-step.yml"), "line": 4, "rule": "",
        "path": "$.task_memory", "message": "3000 is not allowed with task_cpu 512 — use one of 1024, 2048, 3072, 4096",
    }]


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert invoke("validate", "--format", "xml")[0] == 2
    assert invoke("validate", "--kit", str(RIDERAPP))[0] == 2
    code, _, stderr = invoke("validate", "--build", str(RIDERAPP))
    assert code == 2 and "--build and --engine check a kit: add --kit" in stderr, stderr
    assert invoke("validate", "--kit", "--build", "--engine", "lxc", str(tmp_path))[0] == 2


def test_config_validation_imports_no_copier() -> None:
    """pre-commit runs this on every commit: it must not pay for copier's import."""
    code = (
        "import sys, runpy\n"
        f"sys.argv = ['fargate-gen', 'validate', {str(RIDERAPP)!r}]\n"
        "try:\n    runpy.run_module('generator', run_name='__main__')\n"
        "except SystemExit as e:\n    assert e.code == 0, e.code\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in {'copier', 'questionary', 'pydantic', 'prompt_toolkit', 'plumbum', 'dunamai'})\n"
        "print(heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.slow
def test_rendered_kits_validate_clean(rendered_examples: dict[str, Path]) -> None:
    for name, kit in rendered_examples.items():
        report = validate_kit(kit)
        assert report.findings == [], (name, [str(f) for f in report.findings])
        if strict():
            assert set(report.skipped) <= {"actionlint"}, report.skipped


def _replace(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count))


def _bad_port(kit: Path) -> None:
    td = kit / ".aws" / "task-definition.json"
    data = json.loads(td.read_text())
    data["containerDefinitions"][0]["portMappings"][0]["containerPort"] = 9999
    td.write_text(json.dumps(data, indent=2) + "\n")


def _unpinned_action(kit: Path) -> None:
    path = kit / ".github" / "workflows" / "ci.yml"
    text = path.read_text()
    path.write_text(re.sub(r"actions/checkout@[0-9a-f]{40}", "actions/checkout@v4", text, count=1))


def _expression_in_run(kit: Path) -> None:
    path = kit / ".github" / "workflows" / "ci.yml"
    text = path.read_text()
    match = re.search(r"^(\s+)run: (.+)$", text, re.M)
    assert match
    indent, command = match.groups()
    path.write_text(text.replace(match.group(0), f"{indent}run: echo \"${{{{ github.event.pull_request.title }}}}\" && {command}", 1))


def _root_user(kit: Path) -> None:
    path = kit / "Dockerfile"
    path.write_text(path.read_text().replace("USER 10001:10001", "USER root"))


def _unformatted_tf(kit: Path) -> None:
    path = kit / "infra" / "outputs.tf"
    path.write_text(path.read_text() + '\noutput "sloppy" {\nvalue="x"\n}\n')


def _plaintext_password(kit: Path) -> None:
    td = kit / ".aws" / "task-definition.json"
    data = json.loads(td.read_text())
    data["containerDefinitions"][0].setdefault("environment", []).append({"name": "DB_PASSWORD", "value": "hunter2hunter2"})
    td.write_text(json.dumps(data, indent=2) + "\n")


DEFECTS: dict[str, tuple[Callable[[Path], None], str, str]] = {
    "bad-port": (_bad_port, "consistency", "container"),
    "unpinned-action": (_unpinned_action, "zizmor", "unpinned-uses"),
    "expression-in-run": (_expression_in_run, "zizmor", "template-injection"),
    "root-user": (_root_user, "hadolint", "DL3002"),
    "unformatted-tf": (_unformatted_tf, "terraform", "fmt"),
    "plaintext-password": (_plaintext_password, "task-definition", "plaintext-secret"),
}


@pytest.mark.slow
@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_injected_defect_is_caught_by_the_right_checker(
    defect: str, rendered_examples: dict[str, Path], tmp_path: Path
) -> None:
    inject, tool, rule = DEFECTS[defect]
    require_tool({"consistency": "python", "task-definition": "python"}.get(tool, tool))
    kit = tmp_path / "kit"
    shutil.copytree(rendered_examples["riderapp"], kit)
    inject(kit)
    code, stdout, stderr = invoke("validate", "--kit", str(kit), "--format", "json")
    assert code == 1, stderr
    findings = [json.loads(line) for line in stdout.splitlines()]
    assert any(f["tool"] == tool and rule in f["rule"] for f in findings), findings
