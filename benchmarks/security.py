"""The security and reliability bar, per example config: what each ecosystem's checker finds in the
rendered kit, and the modeled rollout time next to AWS's defaults.

    python benchmarks/security.py [examples/NAME/fargate-gen.yml ...]

Needs fargate-gen, terraform (with FARGATE_GEN_TF_MIRROR offline), checkov, zizmor and hadolint on PATH.
Prints one block per example; the exit code is 1 when any checker finds anything.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.checks.tools import CHECKOV_RUNS  # noqa: E402


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)


def checkov_counts(kit: Path) -> dict[str, int]:
    """passed, failed and skipped checks over every checkov run that `validate --kit` makes."""
    counts = {"passed": 0, "failed": 0, "skipped": 0, "skipped without a reason": 0}
    for directory, options in CHECKOV_RUNS:
        result = run(["checkov", "-d", directory, *options, "--output", "json", "--skip-download"], kit)
        reports = json.loads(result.stdout)
        for report in reports if isinstance(reports, list) else [reports]:
            results = report.get("results", {})
            counts["passed"] += len(results.get("passed_checks", []))
            counts["failed"] += len(results.get("failed_checks", []))
            skipped = results.get("skipped_checks", [])
            counts["skipped"] += len(skipped)
            reasons = [s.get("check_result", {}).get("suppress_comment") or s.get("suppress_comment") for s in skipped]
            counts["skipped without a reason"] += sum(len((reason or "").strip()) < 15 for reason in reasons)
    return counts


def zizmor_pedantic(kit: Path) -> int:
    result = run(["zizmor", "--offline", "--no-progress", "--persona", "pedantic", "--format", "json", ".github"], kit)
    return len(json.loads(result.stdout or "[]"))


def hadolint(kit: Path) -> int:
    return len(json.loads(run(["hadolint", "--format", "json", "--no-fail", "Dockerfile"], kit).stdout or "[]"))


def kit_findings(kit: Path) -> dict[str, int]:
    """`fargate-gen validate --kit` findings by tool (terraform fmt/validate, schemas, consistency...);
    its JSON output is one finding per line."""
    result = run(["fargate-gen", "validate", "--kit", ".", "--format", "json"], kit)
    by_tool: dict[str, int] = {}
    for line in result.stdout.splitlines():
        tool = json.loads(line)["tool"]
        by_tool[tool] = by_tool.get(tool, 0) + 1
    if result.returncode not in (0, 1):
        by_tool["fargate-gen (exit code)"] = result.returncode
    return by_tool


def rollouts(config: Path) -> list[dict[str, Any]]:
    explained = json.loads(run(["fargate-gen", "explain", str(config), "--format", "json"], ROOT).stdout)
    return [{"name": e["name"], **e["rollout"]} for e in explained["environments"]]


def main(configs: list[Path]) -> int:
    worst = 0
    for config in configs:
        with tempfile.TemporaryDirectory() as folder:
            kit = Path(folder) / "kit"
            result = run(["fargate-gen", "new", str(kit), "--config", str(config)], ROOT)
            if result.returncode:
                print(result.stderr, file=sys.stderr)
                return 1
            checkov = checkov_counts(kit)
            zizmor, docker, others = zizmor_pedantic(kit), hadolint(kit), kit_findings(kit)
        print(f"{config.parent.name}:")
        print("  checkov: {passed} passed, {failed} failed, {skipped} skipped inline "
              "({skipped without a reason} without a reason)".format(**checkov))
        print(f"  zizmor (pedantic, offline): {zizmor} findings")
        print(f"  hadolint: {docker} findings")
        print(f"  fargate-gen validate --kit: {sum(others.values())} findings {others or ''}".rstrip())
        for rollout in rollouts(config):
            ratio = rollout["aws_defaults_seconds"] / rollout["tuned_seconds"]
            print(f"  rollout model, {rollout['name']}: {rollout['tuned_seconds']} s tuned, "
                  f"{rollout['aws_defaults_seconds']} s with AWS defaults ({ratio:.1f}x)")
        if not checkov["passed"] or checkov["failed"] or checkov["skipped without a reason"] or zizmor or docker or others:
            worst = 1
    return worst


if __name__ == "__main__":
    missing = [tool for tool in ("fargate-gen", "terraform", "checkov", "zizmor", "hadolint") if not shutil.which(tool)]
    if missing:
        sys.exit(f"benchmarks/security.py: not on PATH: {', '.join(missing)}")
    arguments = [Path(a).resolve() for a in sys.argv[1:]] or sorted(ROOT.glob("examples/*/fargate-gen.yml"))
    sys.exit(main(arguments))
