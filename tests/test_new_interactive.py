"""Without --config, `fargate-gen new` asks copier's questions in a terminal and renders the answers."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tests.helpers import load_yaml, require_tool, unavailable

try:
    import pexpect
except ImportError:  # pragma: no cover - installed with the test extra
    pexpect = None

# (text of the question, what the user types; "" accepts the default, "\x15" first clears it).
ANSWERS = [
    ("Base of every AWS resource name", "orders-api"),
    ("What kind of backend", "\x1b[B"),  # arrow down: node-backend
    ("AWS region", "\x15eu-west-1"),
    ("12-digit AWS account", "123456789012"),
    ("GitHub repository", "acme/orders-api"),
    ("numeric ID of the repository owner", "\x1571234567"),
    (r"numeric ID of the repository \(gh api", "\x15812345678"),
    ("The branch that deploys", "\x15master"),
    ("Create an RDS database", "n"),
    ("Port the application", ""),
    ("HTTP path", ""),
    ("task CPU", ""),
    ("task memory", ""),
    ("Number of tasks", ""),
    ("Major runtime version", ""),
    ("How the application is built", ""),
    ("Add a weekly workflow", ""),
    ("Environments in promotion order", ""),
    ("Autoscaling between", ""),
    ("Rolling-deploy timings", ""),
    ("Alarms, deployment rollback", ""),
    ("execute-command", ""),
    ("Container Insights", ""),
    ("Read-only root filesystem", ""),
]


def test_questions_are_asked_and_answers_rendered(tmp_path: Path) -> None:
    if pexpect is None:
        unavailable("pexpect (it drives the prompts in a pseudo-terminal) is not installed")
    fargate_gen = require_tool("fargate-gen")
    dest = tmp_path / "kit"
    child = pexpect.spawn(
        fargate_gen, ["new", str(dest)], encoding="utf-8", timeout=60, dimensions=(40, 200),
        env={**os.environ, "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1"},
    )
    for question, answer in ANSWERS:
        child.expect(question)
        time.sleep(0.5)  # let prompt_toolkit start reading before the keys arrive
        child.send(answer + "\r")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    config = load_yaml(dest / "fargate-gen.yml")
    assert config["project_name"] == "orders-api"
    assert config["app_type"] == "node-backend"
    assert config["aws_region"] == "eu-west-1"
    assert config["desired_count"] == 2
    # The trust pins the repository's IDs, and the workflows follow the branch.
    assert (config["github_owner_id"], config["github_repository_id"]) == (71234567, 812345678)
    assert config["deploy_branch"] == "master"
    assert 'github_owner_id      = 71234567' in (dest / "infra" / "bootstrap" / "terraform.tfvars").read_text()
    assert load_yaml(dest / ".github" / "workflows" / "deploy.yml")[True]["push"]["branches"] == ["master"]
    assert [env["name"] for env in config["environments"]] == ["prod"]
    assert config["autoscaling"]["enabled"] and not config["enable_ecs_exec"]
    # The per-app-type defaults follow the answer to app_type.
    assert (config["health_check_path"], config["task_cpu"], config["runtime_version"]) == ("/health", 256, 22)
    assert (dest / "Dockerfile").read_text().count("FROM node:22") == 2
