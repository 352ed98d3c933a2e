"""The config corpus: every invalid case fails with the path and words it declares; valid ones pass.

Each file under tests/cases/invalid/ starts with `# expect: <json path> [@line] | <words> | <words>...`
lines; `@N` also checks the line number the finding reports.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.config import load_config
from generator.errors import ConfigError

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
