"""The saved plan never leaves the plan job; the deploy job applies exactly the changes shown.

The plan file embeds the state, and an artifact of a public repository is anyone's to download. So
deploy-environment.yml keeps only plan-digest.sh's digest of the plan's changes; the deploy job plans
again and applies only a plan with that digest. Here the real Terraform runs the deploy job's own
`terraform apply` step on a small root (terraform_data, no provider: offline) with a local backend.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import ROOT, load_yaml, require_tool

pytestmark = pytest.mark.slow

SCRIPT = ROOT / "template" / ".github" / "scripts" / "plan-digest.sh"
ROOT_MODULE = """\
terraform {
  backend "local" {}
}

variable "image" {
  type = string
}

variable "replicas" {
  type    = number
  default = 1
}

resource "terraform_data" "service" {
  input = { image = var.image, replicas = var.replicas }
}

output "image" {
  value = terraform_data.service.output.image
}
"""


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A checkout with infra/ (a local backend per environment) and the kit's digest script."""
    for tool in ("terraform", "jq", "bash", "sha256sum"):
        require_tool(tool)
    infra = tmp_path / "infra"
    (infra / "environments").mkdir(parents=True)
    (infra / "main.tf").write_text(ROOT_MODULE)
    (infra / "environments" / "dev.s3.tfbackend").write_text('path = "dev.tfstate"\n')
    (infra / "environments" / "dev.tfvars").write_text("replicas = 2\n")
    scripts = tmp_path / ".github" / "scripts"
    scripts.mkdir(parents=True)
    shutil.copy2(SCRIPT, scripts / SCRIPT.name)
    return tmp_path


def sh(script: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "GITHUB_"))}
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=cwd,
                          env={**base, "TF_IN_AUTOMATION": "1", **env}, capture_output=True, text=True,
                          check=False, timeout=300)


def shown_digest(workdir: Path, image: str) -> str:
    """What the plan job does: plan (no lock, like the read-only plan role), then the digest."""
    script = " && ".join([
        "terraform -chdir=infra init -input=false -backend-config=environments/dev.s3.tfbackend >/dev/null",
        "terraform -chdir=infra plan -input=false -lock=false -var-file=environments/dev.tfvars "
        f"-var image={image} -out=tfplan >/dev/null",
        ".github/scripts/plan-digest.sh tfplan",
    ])
    result = sh(script, workdir)
    assert result.returncode == 0, result.stderr
    digest = result.stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{64}", digest), result.stdout
    return digest


def applied(workdir: Path) -> Any:
    state = workdir / "infra" / "dev.tfstate"
    return json.loads(state.read_text())["outputs"]["image"]["value"] if state.exists() else None


@pytest.fixture(scope="module")
def apply_step(rendered_examples: dict[str, Path]) -> str:
    """The deploy job's `terraform apply` step, as rendered, the same in every example."""
    scripts = set()
    for kit in rendered_examples.values():
        document = load_yaml(kit / ".github" / "workflows" / "deploy-environment.yml")
        jobs = document["jobs"]
        assert jobs["plan"]["outputs"] == {"digest": "${{ steps.digest.outputs.plan }}"}
        every_step = [step for job in jobs.values() for step in job["steps"]]
        assert not [s for s in every_step if "artifact" in s.get("uses", "")], "no plan leaves its job"
        [step] = [s for s in jobs["deploy"]["steps"] if s.get("name") == "terraform apply"]
        assert step["env"] == {"SHOWN": "${{ needs.plan.outputs.digest }}"}
        scripts.add(step["run"])
    [script] = scripts
    return str(script)


def test_the_digest_is_stable_and_follows_the_changes(workdir: Path) -> None:
    first, again = shown_digest(workdir, "app@sha256:aaa"), shown_digest(workdir, "app@sha256:aaa")
    assert first == again, "two plans of the same change have one digest"
    assert shown_digest(workdir, "app@sha256:bbb") != first


def test_the_deploy_applies_only_the_plan_shown(workdir: Path, apply_step: str) -> None:
    shown = shown_digest(workdir, "app@sha256:aaa")

    other = sh(apply_step, workdir, ENVIRONMENT="dev", IMAGE="app@sha256:bbb", SHOWN=shown)
    assert other.returncode == 1, other.stdout + other.stderr
    assert "::error title=terraform apply::the plan now" in other.stdout
    assert f"(digest {shown})" in other.stdout and "Nothing was applied" in other.stdout
    assert applied(workdir) is None

    missing = sh(apply_step, workdir, ENVIRONMENT="dev", IMAGE="app@sha256:aaa", SHOWN="")
    assert missing.returncode == 1 and "(digest none)" in missing.stdout, missing.stderr
    assert applied(workdir) is None

    same = sh(apply_step, workdir, ENVIRONMENT="dev", IMAGE="app@sha256:aaa", SHOWN=shown)
    assert same.returncode == 0, same.stdout + same.stderr
    assert applied(workdir) == "app@sha256:aaa"

    # Approved, then the state moved on (another run applied first): the shown plan is no longer
    # what a plan would do, and nothing is applied.
    stale = sh(apply_step, workdir, ENVIRONMENT="dev", IMAGE="app@sha256:aaa", SHOWN=shown)
    assert stale.returncode == 1 and "::error title=terraform apply::" in stale.stdout
    assert applied(workdir) == "app@sha256:aaa"


def test_shellcheck_clean() -> None:
    shellcheck = require_tool("shellcheck")
    result = subprocess.run([shellcheck, str(SCRIPT)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout
