"""The config corpus: every invalid case fails with the path and words it declares; valid ones pass.

Each file under tests/cases/invalid/ starts with `# expect: <json path> [@line] | <words> | <words>...`
lines; `@N` also checks the line number the finding reports.
"""

from __future__ import annotations

import subprocess
import warnings
from pathlib import Path

import pytest

from generator.config import LegacyOidcSubjectWarning, load_config, trust_warnings
from generator.errors import ConfigError
from tests.helpers import require_tool

CASES = Path(__file__).parent / "cases"
INVALID = sorted((CASES / "invalid").glob("*.yml"))
VALID = sorted((CASES / "valid").glob("*.yml"))


def expectations(path: Path) -> list[tuple[str, int | None, list[str]]]:
    result = []
    for line in path.read_text().splitlines():
        if line.startswith("# expect:"):
            where, *words = (part.strip() for part in line.removeprefix("# expect:").split("|"))
            json_path, _, number = where.partition(" @")
            result.append((json_path, int(number) if number else None, words))
    return result


def test_the_corpus_is_large_enough() -> None:
    assert len(INVALID) >= 40
    assert len(VALID) >= 5
    assert all(expectations(case) for case in INVALID), "every invalid case declares its error"


@pytest.mark.parametrize("case", INVALID, ids=lambda p: p.stem)
def test_invalid(case: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(case)
    findings = raised.value.findings
    for json_path, line, words in expectations(case):
        matching = [f for f in findings if f.path == json_path]
        assert matching, f"no finding at {json_path}: {[str(f) for f in findings]}"
        if line is not None:
            assert [f.line for f in matching] == [line] * len(matching)
        text = " ".join(str(f) for f in matching)
        for word in words:
            assert word in text, f"{word!r} not in {text!r}"
    for finding in findings:
        assert str(finding).startswith(f"{case}::$"), "file::$.path: problem — fix"
        assert finding.fix, f"{finding} says how to fix it"


@pytest.mark.parametrize("case", VALID, ids=lambda p: p.stem)
def test_valid(case: Path) -> None:
    config = load_config(case)
    assert config["project_name"]
    assert {"task_cpu", "task_memory", "runtime_version", "build_tool", "health_check_path"} <= config.keys()


def test_without_github_ids_the_config_warns(tmp_path: Path) -> None:
    """The legacy name-only trust is valid but warned about, with the command that gives the IDs."""
    case = CASES / "valid" / "minimal-java.yml"
    with pytest.warns(LegacyOidcSubjectWarning) as caught:
        load_config(case)
    [warning] = caught
    assert warning.filename == str(case) and warning.lineno == 4  # the github_repository line
    text = str(warning.message)
    assert "$.github_repository: the AWS roles trust acme/riderapp by name only" in text
    assert "gh api repos/acme/riderapp --jq '.owner.id, .id'" in text
    assert [f.path for f in trust_warnings(load_config(case), "x")] == ["$.github_repository"]


def test_with_github_ids_the_config_does_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        config = load_config(CASES / "valid" / "immutable-ids-master-branch.yml")
    assert (config["github_owner_id"], config["github_repository_id"]) == (71234567, 812345678)
    assert config["deploy_branch"] == "master"
    assert trust_warnings(config, "x") == []


def test_deploy_branch_defaults_to_main() -> None:
    config = load_config(CASES / "valid" / "minimal-node.yml")
    ids = (config["github_owner_id"], config["github_repository_id"])
    assert (config["deploy_branch"], ids) == ("main", (0, 0))


@pytest.mark.parametrize("command", ["validate", "explain"])
def test_validate_and_explain_warn_but_pass(command: str) -> None:
    """The warning reaches the user on stderr; the exit code stays 0 and stdout stays data."""
    fargate_gen = require_tool("fargate-gen")
    legacy = subprocess.run([fargate_gen, command, str(CASES / "valid" / "minimal-java.yml")],
                            capture_output=True, text=True, check=False)
    assert legacy.returncode == 0, legacy.stderr
    warning = "LegacyOidcSubjectWarning: $.github_repository: the AWS roles trust acme/riderapp by name only"
    assert warning in legacy.stderr
    assert "gh api repos/acme/riderapp --jq '.owner.id, .id'" in legacy.stderr
    if command == "validate":
        assert legacy.stdout == ""
    pinned_config = CASES / "valid" / "immutable-ids-master-branch.yml"
    pinned = subprocess.run(
        [fargate_gen, command, str(pinned_config)], capture_output=True, text=True, check=False
    )
    assert pinned.returncode == 0, pinned.stderr
    assert "Warning" not in pinned.stderr
    if command == "explain":
        assert "  warning: the AWS roles trust acme/riderapp by name only" in legacy.stdout
        assert "AWS trusts acme/riderapp by its immutable IDs (owner 71234567, repository 812345678)" \
            in pinned.stdout
        assert "warning" not in pinned.stdout
