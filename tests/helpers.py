"""Shared test helpers: rendering kits, finding tools, running commands."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p.parent for p in (ROOT / "examples").glob("*/fargate-gen.yml"))

# .ci/run sets this: in CI a missing tool is a failure, never a skip.
STRICT_ENV = "FARGATE_GEN_REQUIRE_TOOLS"


def strict() -> bool:
    return os.environ.get(STRICT_ENV, "") not in ("", "0", "false")


def unavailable(reason: str) -> None:
    """Skip because a tool or resource is missing on this machine; fail instead under CI."""
    if strict():
        pytest.fail(f"{reason} (required because {STRICT_ENV} is set)")
    pytest.skip(reason)


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        unavailable(f"{name} is not on PATH")
    assert path is not None
    return path


def run(args: list[str], cwd: Path | None = None, env: dict[str, str] | None = None,
        check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} exited {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )
    return result


def build_wheel(out: Path) -> Path:
    """Build fargate-gen's wheel from this checkout into ``out``."""
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
        capture_output=True, text=True, check=False, timeout=600,
    )
    if built.returncode != 0:
        unavailable(f"cannot build the wheel here: {built.stderr[-500:]}")
    [wheel] = out.glob("fargate_gen-*.whl")
    return wheel


def install_wheel(wheel: Path, venv: Path) -> Path:
    """``pip install`` the wheel, with the dependencies it declares, into a new isolated venv.

    Nothing comes from this test environment: the venv sees neither its packages nor the base
    interpreter's, so an import the package does not declare fails here as it would for a user.
    Returns the venv's python.
    """
    run([sys.executable, "-m", "venv", str(venv)])
    python = venv / "bin" / "python"
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel)],
        capture_output=True, text=True, check=False, timeout=900,
    )
    if installed.returncode != 0:
        unavailable(f"cannot install the wheel's dependencies (no package index?): {installed.stderr[-500:]}")
    return python


def without_provenance(name: str, content: bytes) -> bytes:
    """``content`` of the kit file ``name`` with the template's provenance (the fargate-gen release the
    kit pins, or the unreleased commit it names) replaced by a placeholder.

    Kits rendered from one template by different routes (a checkout, a wheel, plain copier) record
    different sources there, as .copier-answers.yml does; every other byte must be the same.
    """
    if name == ".pre-commit-config.yaml":
        return re.sub(rb"(repo: https://github\.com/fargate-gen/fargate-gen\n\s+rev: )\S+", rb"\1<release>", content)
    if name == ".github/fargate-gen-requirements.in":
        # The pin itself: `fargate-gen==X.Y.Z` for a release, a comment naming the commit otherwise.
        return re.sub(rb"(fargate-gen==\S+|# No release to pin:.*)\n\Z", b"<pin>\n", content, flags=re.S)
    return content


def load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` by relative path, with its bytes."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
