"""``fargate-gen validate``: check a config, or a whole kit, each artifact with its ecosystem's tool.

A checker is a function ``(Kit) -> list[Finding]`` that raises :class:`ToolMissing` when the tool it
drives is not installed. Checkers that run external programs are independent, so they run in
parallel; the report keeps each one's wall time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from generator import config as config_mod
from generator.checks._kit import Kit, ToolMissing
from generator.errors import ConfigError, Finding

Checker = Callable[[Kit], list[Finding]]


@dataclass
class Report:
    """What a validation found, which tools it skipped and how long each took."""

    findings: list[Finding] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        """No findings (skips are judged by the caller: ``--strict`` makes them failures)."""
        return not self.findings


def validate_configs(paths: Sequence[Path]) -> Report:
    """Check each config file against the schema; every problem of every file is reported."""
    report = Report()
    for path in paths:
        started = time.perf_counter()
        try:
            config_mod.load_config(path)
        except ConfigError as error:
            report.findings.extend(error.findings)
        report.timings[f"schema {path}"] = time.perf_counter() - started
    return report


def validate_kit(
    repo: Path, *, mirror: str | None = None, jobs: int = 4, engine: str | None = None
) -> Report:
    """Check the rendered repository ``repo`` as its owner has it, edits included.

    With ``engine`` (``podman`` or ``docker``) also build its image and run it as the production task
    definition says (:mod:`generator.checks.container`).
    """
    from generator.checks import consistency, container, taskdef, tools

    kit = Kit(repo, mirror=mirror)
    checkers: dict[str, Checker] = {
        "schema": _config_checker,
        "task-definition": taskdef.check,
        "consistency": consistency.check,
        "check-jsonschema": tools.check_jsonschema,
        "zizmor": tools.zizmor,
        "actionlint": tools.actionlint,
        "hadolint": tools.hadolint,
        "terraform fmt": tools.terraform_fmt,
        "terraform validate": tools.terraform_validate,
        "checkov": tools.checkov,
    }
    if engine is not None:
        built_with = engine
        checkers["container"] = lambda kit: container.check(kit, built_with)
    report = Report()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {name: pool.submit(_timed, checker, kit) for name, checker in checkers.items()}
    for name, future in futures.items():
        outcome, seconds = future.result()
        report.timings[name] = seconds
        if isinstance(outcome, ToolMissing):
            report.skipped[name] = str(outcome)
        else:
            report.findings.extend(outcome)
    report.findings.sort(key=lambda f: (f.file, f.line or 0, f.tool, f.rule, f.problem))
    return report


def _config_checker(kit: Kit) -> list[Finding]:
    try:
        kit.config()
    except ConfigError as error:
        return list(error.findings)
    return []


def _timed(checker: Checker, kit: Kit) -> tuple[list[Finding] | ToolMissing, float]:
    started = time.perf_counter()
    try:
        outcome: list[Finding] | ToolMissing = checker(kit)
    except ToolMissing as missing:
        outcome = missing
    return outcome, time.perf_counter() - started
