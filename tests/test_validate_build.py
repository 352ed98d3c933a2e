"""`fargate-gen validate --kit KIT --build`: the user's check of an app before the first push.

The orders-api example (Node, the shortest health-check and stop timings of the examples) is
rendered, the container tests' small real Node app is put in it, and the command builds and runs it
through podman: offline here (FARGATE_GEN_BUILD_OFFLINE=1: --pull=never --network=none against the
stand-in base images of tests/containers/setup.sh). A good app passes; three broken apps fail, each
with one finding naming the task definition field, the fix and the app's last log lines.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator.render import new
from tests.containers import podman, require_podman
from tests.helpers import ROOT, load_yaml

pytestmark = [pytest.mark.container, pytest.mark.slow]

APP = ROOT / "tests" / "containers" / "apps" / "node"
EXAMPLE = ROOT / "examples" / "orders-api" / "fargate-gen.yml"


@pytest.fixture(scope="module")
def node_kit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The orders-api kit with the test app and its lockfile (made by npm in the stand-in base)."""
    require_podman()
    kit = tmp_path_factory.mktemp("build-kit") / "orders-api"
    new(kit, config=EXAMPLE)
    answers = load_yaml(kit / ".copier-answers.yml")
    shutil.copytree(APP, kit, dirs_exist_ok=True)
    (kit / "config.json").write_text(json.dumps({"healthPath": answers["health_check_path"]}) + "\n")
    [base] = re.findall(r"^FROM (node:\S+) AS build$", (kit / "Dockerfile").read_text(), re.MULTILINE)
    podman("run", "--rm", "--network=none", "--volume", f"{kit}:/app", "--workdir", "/app", base,
           "npm", "install", "--package-lock-only", "--no-audit", "--no-fund", timeout=300)
    return kit


def variant(node_kit: Path, tmp_path: Path, change: Callable[[Path], None] | None = None) -> Path:
    kit = tmp_path / "kit"
    shutil.copytree(node_kit, kit)
    if change is not None:
        change(kit)
    return kit


def validate_build(kit: Path, *extra: str) -> tuple[int, list[dict[str, Any]], str]:
    """Run the command as a user would; the exit code, the container findings (JSON) and stderr."""
    env = {**os.environ, "FARGATE_GEN_BUILD_OFFLINE": "1"}
    result = subprocess.run([sys.executable, "-m", "generator", "validate", "--kit", str(kit), "--build",
                             "--engine", "podman", "--format", "json", *extra],
                            capture_output=True, text=True, env=env, timeout=900, check=False)
    findings = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return result.returncode, [f for f in findings if f["tool"] == "container"], result.stderr


def test_a_good_app_passes(node_kit: Path, tmp_path: Path) -> None:
    kit = variant(node_kit, tmp_path)
    code, findings, stderr = validate_build(kit, "--timings")
    assert findings == [], findings
    assert code == 0, stderr
    assert re.search(r"timing: container: \d", stderr), stderr


def test_an_app_that_does_not_start_fails(node_kit: Path, tmp_path: Path) -> None:
    """No "main" in package.json: `node .` finds nothing to run and the container exits at once."""
    def drop_main(kit: Path) -> None:
        package = json.loads((kit / "package.json").read_text())
        del package["main"]
        (kit / "package.json").write_text(json.dumps(package, indent=2) + "\n")

    code, findings, stderr = validate_build(variant(node_kit, tmp_path, drop_main))
    assert code == 1, stderr
    [finding] = findings
    assert finding["file"] == ".aws/task-definition.json", finding
    assert finding["path"] == "$.containerDefinitions[0]" and finding["rule"] == "stays-up", finding
    assert "the container exited (code 1)" in finding["message"], finding
    assert '"main"' in finding["message"], "the fix names package.json's main"
    assert "Cannot find module '/app'" in finding["message"], "the app's last log lines are in the finding"


def test_an_app_on_another_port_fails_its_health_check(node_kit: Path, tmp_path: Path) -> None:
    def other_port(kit: Path) -> None:
        server = kit / "server.js"
        text = server.read_text()
        assert "Number(process.env.PORT)" in text
        server.write_text(text.replace("Number(process.env.PORT)", "Number(process.env.PORT) + 1"))

    code, findings, stderr = validate_build(variant(node_kit, tmp_path, other_port))
    assert code == 1, stderr
    [finding] = findings
    assert finding["path"] == "$.containerDefinitions[0].healthCheck", finding
    assert finding["rule"] == "health-check", finding
    assert "did not pass within 20 s" in finding["message"], finding  # 10 s start period + 2 x 5 s
    assert "listen on port 8080" in finding["message"], finding
    assert "| test app: listening on" in finding["message"], "the app's log lines are in the finding"


def test_an_app_ignoring_sigterm_fails_the_stop_timeout(node_kit: Path, tmp_path: Path) -> None:
    def ignore_sigterm(kit: Path) -> None:
        server = kit / "server.js"
        server.write_text('process.env.TEST_IGNORE_SIGTERM = "1";\n' + server.read_text())

    code, findings, stderr = validate_build(variant(node_kit, tmp_path, ignore_sigterm))
    assert code == 1, stderr
    [finding] = findings
    assert finding["path"] == "$.containerDefinitions[0].stopTimeout", finding
    assert finding["rule"] == "sigterm", finding
    assert "did not exit within stopTimeout (10 s)" in finding["message"], finding
    assert "(exit 137)" in finding["message"], finding
    assert "test app: ignoring SIGTERM" in finding["message"], finding


def test_the_text_report_and_the_cleanup(node_kit: Path, tmp_path: Path) -> None:
    """The usual grouped text on stderr (file, field, problem — fix, rule), and nothing left behind."""
    def drop_main(kit: Path) -> None:
        (kit / "package.json").write_text('{"name": "fargate-gen-test-app", "version": "1.0.0"}\n')

    kit = variant(node_kit, tmp_path, drop_main)
    env = {**os.environ, "FARGATE_GEN_BUILD_OFFLINE": "1"}
    with subprocess.Popen([sys.executable, "-m", "generator", "validate", "--kit", str(kit), "--build",
                           "--engine", "podman"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=env) as command:
        _, stderr = command.communicate(timeout=900)
    assert command.returncode == 1, stderr
    assert re.search(r"^\.aws/task-definition\.json:\n(?:  .*\n)*  \$\.containerDefinitions\[0\]: the "
                     r"container exited \(code 1\).* — make the image start the app", stderr,
                     re.MULTILINE), stderr
    assert "[container/stays-up]" in stderr
    # Its names carry the command's process id: other workers' runs have others.
    made = f"fargate-gen-validate-{command.pid}-"
    for args in (("ps", "--all", "--format", "{{.Names}}"), ("images", "--format", "{{.Repository}}"),
                 ("volume", "ls", "--format", "{{.Name}}")):
        listed = podman(*args).stdout
        assert made not in listed, (args, listed)


def test_no_engine_is_one_clear_message(tmp_path: Path) -> None:
    """Asked for explicitly, --build without podman or docker on PATH fails with one message."""
    new(tmp_path / "kit", config=EXAMPLE)
    env = {**os.environ, "PATH": str(tmp_path / "empty")}
    result = subprocess.run([sys.executable, "-m", "generator", "validate", "--kit", str(tmp_path / "kit"),
                             "--build"], capture_output=True, text=True, env=env, timeout=300, check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: --build needs a container engine, and podman or docker is not on PATH: install Podman "
        "(https://podman.io) or Docker, or run validate without --build"), result.stderr
