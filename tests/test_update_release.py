"""The releases this package ships upgrade a real kit: riderapp rendered from the oldest release, edited
by its owner, then `fargate-gen update` to this version, offline. The result keeps the edits and passes
Terraform's own checks, so an owner can take the upgrade as it comes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from generator import __version__, _releases, _terraform
from generator.render import new
from tests.helpers import load_yaml, require_tool, run, unavailable
from tests.test_update import RIDERAPP, answers, commit_all, edit, git, invoke

pytestmark = pytest.mark.slow
CANONICAL = _releases.CANONICAL_URL
OWN_WORKFLOW = "name: nightly\non:\n  schedule:\n    - cron: '0 3 * * *'\npermissions: {}\njobs: {}\n"


@pytest.fixture
def offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No transport but local files, and copier's settings of this test only."""
    from plumbum import local

    monkeypatch.setenv("GIT_ALLOW_PROTOCOL", "file")
    settings = tmp_path / "copier-settings.yml"
    settings.write_text("trust: []\n")
    monkeypatch.setenv("COPIER_SETTINGS_PATH", str(settings))
    with local.env(GIT_ALLOW_PROTOCOL="file"):
        yield


def test_the_oldest_release_upgrades_to_this_one_keeping_edits(offline: None, tmp_path: Path) -> None:
    shipped = [release.tag for release in _releases.releases()]
    if len(shipped) < 2:
        pytest.fail(f"the package carries one release ({shipped}); archive this version with python -m generator._release")
    oldest, newest = shipped[0], shipped[-1]
    assert newest == f"v{__version__}"
    kit = tmp_path / "kit"
    new(kit, config=RIDERAPP, template=CANONICAL, vcs_ref=oldest)
    git(kit, "init", "--quiet", "--initial-branch=main")
    commit_all(kit, "kit")

    # The owner's edits: a note in the Dockerfile, a workflow and application source of their own.
    edit(kit / "Dockerfile", "\n", "\n# our own note: keep this\n")
    (kit / ".github" / "workflows" / "nightly.yml").write_text(OWN_WORKFLOW)
    source = kit / "src" / "main" / "java" / "App.java"
    source.parent.mkdir(parents=True)
    source.write_text("class App {}\n")
    commit_all(kit, "our edits")

    code, _, stderr = invoke("update", str(kit))
    assert code == 0, stderr
    assert f"updated {oldest} → {newest}" in stderr
    assert answers(kit)["_commit"] == newest
    assert "# our own note: keep this" in (kit / "Dockerfile").read_text()
    assert (kit / ".github" / "workflows" / "nightly.yml").read_text() == OWN_WORKFLOW
    assert source.read_text() == "class App {}\n"
    status = git(kit, "status", "--porcelain")
    assert not [line for line in status.splitlines() if line[:2] in ("UU", "AA", "DU", "UD")], status
    files = [p for p in kit.rglob("*") if p.is_file() and ".git" not in p.parts]
    assert not [p for p in files if p.suffix == ".rej"]
    assert not [p for p in files if any(line.startswith("<<<<<<< ") for line in p.read_text(errors="replace").splitlines())]
    # The upgraded kit is the one this release renders, plus the owner's edits.
    fresh = tmp_path / "fresh"
    new(fresh, config=kit / "fargate-gen.yml", template=CANONICAL, vcs_ref=newest)
    for path in fresh.rglob("*"):
        relative = path.relative_to(fresh)
        if path.is_file() and relative.parts[0] != ".git" and relative.name not in ("Dockerfile", ".copier-answers.yml"):
            assert (kit / relative).read_bytes() == path.read_bytes(), relative
    assert load_yaml(kit / "fargate-gen.yml") == load_yaml(fresh / "fargate-gen.yml")

    terraform = require_tool("terraform")
    env = _terraform.offline_env(tmp_path)
    if env is None:
        unavailable("a Terraform provider mirror (set FARGATE_GEN_TF_MIRROR) to init offline")
    run([terraform, "fmt", "-check", "-recursive", "infra"], cwd=kit)
    for root in ("infra", "infra/bootstrap"):
        run([terraform, f"-chdir={root}", "init", "-backend=false", "-input=false"], cwd=kit, env=env)
        run([terraform, f"-chdir={root}", "validate"], cwd=kit, env=env)
