"""Released template versions ship inside the package; kits rendered from it update with no network.

The package's own release archives are checked as shipped. The upgrade path is tested on archives of
the test template (v0.1.0 = its v1, v0.2.0 = its v3 with the migration), in-process by pointing the
package at them, and end to end in a virtualenv holding the built wheel, with git's https disabled.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import tomllib
import yaml

from generator import __version__, _release, _releases
from generator.errors import TemplateError
from generator.render import new
from tests.helpers import ROOT, build_wheel, install_wheel, load_yaml, run, tree

# The fixtures come along: the session's template repository, and the copier settings.
from tests.test_update import (  # noqa: F401
    RIDERAPP,
    _copier_settings,
    _template_repo,
    answers,
    commit_all,
    edit,
    git,
    git_env,
    invoke,
)

CANONICAL = _releases.CANONICAL_URL


# --- what the package ships ----------------------------------------------------------------------------

def test_the_package_carries_its_own_release() -> None:
    shipped = _releases.releases()
    assert shipped, "run: python -m generator._release"
    assert shipped[-1].tag == f"v{__version__}", "the newest archive is this version's"
    index = yaml.safe_load((_releases.RELEASES_DIR / _releases.INDEX).read_text())
    assert index["canonical_url"] == CANONICAL
    for release in shipped:
        files = _releases.read_archive(_releases.RELEASES_DIR / release.archive, release.sha256)
        assert "copier.yml" in files and "template/fargate-gen.yml.jinja" in files
    # Kits rendered by this package record this version: its archive must be this template, byte for
    # byte, or a later update would merge from a base the kit was not rendered from.
    assert _release.main(["--check"]) == 0, "the template changed: python -m generator._release --replace (unpublished) or a new version"


def test_the_canonical_url_is_the_project_homepage() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert CANONICAL == project["urls"]["Homepage"] + ".git"


def test_rebuild_is_deterministic_and_matches_the_index(tmp_path: Path) -> None:
    first = _releases.build_repository(tmp_path / "one.git")
    second = _releases.build_repository(tmp_path / "two.git")
    assert first.tags == second.tags == {r.tag: r.commit for r in _releases.releases()}
    log = git(tmp_path / "one.git", "log", "--format=%an %ad %s", "--date=unix", "main")
    assert "fargate-gen releases" in log


@pytest.mark.parametrize("spelling", [
    CANONICAL, "https://github.com/fargate-gen/fargate-gen", "https://github.com/fargate-gen/fargate-gen/",
    "gh:fargate-gen/fargate-gen", "git@github.com:fargate-gen/fargate-gen.git",
    "git+https://github.com/Fargate-Gen/fargate-gen.git",
])
def test_canonical_spellings(spelling: str) -> None:
    assert _releases.is_canonical(spelling)


@pytest.mark.parametrize("other", [
    "https://github.com/fargate-gen/fargate-gen-extras.git", "gh:someone/fargate-gen", "/srv/fargate-gen",
    "https://gitlab.com/fargate-gen/fargate-gen.git",
])
def test_other_templates_are_not_canonical(other: str) -> None:
    assert not _releases.is_canonical(other)


# --- the release script -----------------------------------------------------------------------------------

def checkout(repo: Path, tag: str, dest: Path, migration_version: str | None = None) -> Path:
    """The files of ``tag`` in ``dest`` (not a git checkout), as a release would archive them."""
    archive = subprocess.run(["git", "archive", "--format=tar", tag], cwd=repo, capture_output=True,
                             check=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(dest, filter="tar")
    if migration_version:
        edit(dest / "copier.yml", "version: v3", f"version: {migration_version}")
    return dest


@pytest.fixture(scope="session")
def sources(template_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The test template's v1 and v3, as sources of releases 0.1.0 and 0.2.0."""
    root = tmp_path_factory.mktemp("sources")
    return {
        "0.1.0": checkout(template_repo, "v1", root / "v0.1.0"),
        "0.2.0": checkout(template_repo, "v3", root / "v0.2.0", migration_version="v0.2.0"),
    }


@pytest.fixture(scope="session")
def releases_dir(sources: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("releases")
    for number, (version, source) in enumerate(sources.items()):
        _release.archive(version, source=source, directory=directory, date=1_767_225_600 + number * 86_400)
    return directory


def test_release_script_archives_once_and_refuses_to_rewrite(
    sources: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = tmp_path / "releases"
    args = ["--source", str(sources["0.1.0"]), "--releases", str(directory)]
    assert _release.main(["0.1.0", *args]) == 0
    archived = (directory / "v0.1.0.tar.gz").read_bytes()
    assert _release.main(["0.1.0", *args]) == 1
    assert "already archived, and a published archive must never change" in capsys.readouterr().err
    assert _release.main(["0.1.0", "--check", *args]) == 0

    changed = tmp_path / "changed"
    shutil.copytree(sources["0.1.0"], changed)
    (changed / "template" / "new-file.txt").write_text("new\n")
    stale = ["0.1.0", "--source", str(changed), "--releases", str(directory)]
    assert _release.main([*stale, "--check"]) == 1
    assert "differs from the archive: template/new-file.txt" in capsys.readouterr().err
    assert _release.main([*stale, "--replace"]) == 0, "an unpublished version may be refreshed, explicitly"
    assert (directory / "v0.1.0.tar.gz").read_bytes() != archived
    assert _release.main([*stale, "--replace"]) == 0
    assert "nothing to do" in capsys.readouterr().err

    assert _release.main(["0.0.9", *args]) == 1
    assert "older than the newest archive" in capsys.readouterr().err
    git(changed, "init", "--quiet")
    commit_all(changed, "release")
    git(changed, "tag", "v0.1.0")
    assert _release.main([*stale, "--replace"]) == 1
    assert "is tagged in" in capsys.readouterr().err


def test_archives_are_reproducible(sources: dict[str, Path], tmp_path: Path) -> None:
    files = _releases.template_files(sources["0.1.0"])
    first = _releases.write_archive(files, tmp_path / "a.tar.gz")
    assert _releases.write_archive(files, tmp_path / "b.tar.gz") == first
    assert _releases.read_archive(tmp_path / "a.tar.gz") == files
    assert files["template/.github/scripts/ecs-deploy.sh"][0] == 0o755, "executable bits are kept"


def test_a_damaged_archive_is_refused(releases_dir: Path, tmp_path: Path) -> None:
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    for path in releases_dir.iterdir():
        (damaged / path.name).write_bytes(path.read_bytes())
    data = bytearray((damaged / "v0.1.0.tar.gz").read_bytes())
    data[-20] ^= 0xFF
    (damaged / "v0.1.0.tar.gz").write_bytes(bytes(data))
    with pytest.raises(TemplateError, match="does not match the sha256"):
        _releases.build_repository(tmp_path / "repo.git", damaged)


# --- offline: new and update through the archives ----------------------------------------------------

@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """git refuses every transport but local files, here and in copier's own copy of the environment."""
    from plumbum import local

    monkeypatch.setenv("GIT_ALLOW_PROTOCOL", "file")
    blocked = subprocess.run(["git", "ls-remote", CANONICAL], capture_output=True, text=True, check=False)
    assert blocked.returncode != 0 and "not allowed" in blocked.stderr
    with local.env(GIT_ALLOW_PROTOCOL="file"):
        yield


@pytest.fixture
def packaged(releases_dir: Path, monkeypatch: pytest.MonkeyPatch, offline: None) -> Path:
    """This fargate-gen, as if it carried the releases 0.1.0 and 0.2.0 of the test template."""
    monkeypatch.setattr(_releases, "RELEASES_DIR", releases_dir)
    return releases_dir


def packaged_kit(dest: Path) -> Path:
    new(dest, config=RIDERAPP, template=CANONICAL, vcs_ref="v0.1.0", data={"desired_count": 4})
    git(dest, "init", "--quiet")
    commit_all(dest, "kit")
    return dest


def test_new_records_the_canonical_url_and_the_release(packaged: Path, tmp_path: Path) -> None:
    kit = packaged_kit(tmp_path / "kit")
    recorded = answers(kit)
    assert recorded["_src_path"] == CANONICAL
    assert recorded["_commit"] == "v0.1.0"
    other = str(tmp_path / "other")
    code, _, stderr = invoke("new", other, "-c", str(RIDERAPP), "-t", CANONICAL, "-r", "v9.9.9")
    assert code == 1 and "v9.9.9 is not a release this fargate-gen carries (v0.1.0, v0.2.0)" in stderr


def test_offline_upgrade_from_the_packaged_template(
    packaged: Path, tmp_path: Path, copier_settings: Path
) -> None:
    copier_settings.write_text("trust: []\n")  # fargate-gen trusts its own template by itself
    kit = packaged_kit(tmp_path / "kit")
    edit(kit / "Dockerfile", "\n", "\n# our own note\n")
    commit_all(kit)
    code, _, stderr = invoke("update", str(kit))
    assert code == 0, stderr
    assert f"{kit}: updated v0.1.0 → v0.2.0" in stderr
    recorded = answers(kit)
    assert recorded["_src_path"] == CANONICAL and recorded["_commit"] == "v0.2.0"
    assert recorded["task_count"] == 4 and "desired_count" not in recorded, "the migration ran"
    assert load_yaml(kit / "fargate-gen.yml")["task_count"] == 4
    assert "# our own note" in (kit / "Dockerfile").read_text()
    commit_all(kit, "v0.2.0")
    assert invoke("update", str(kit), "--check")[0] == 0


def test_plain_copier_update_sees_the_same_releases(packaged: Path, tmp_path: Path) -> None:
    """copier, fetching the canonical URL (here redirected to the rebuilt releases), renders the same."""
    ours = packaged_kit(tmp_path / "ours")
    theirs = tmp_path / "theirs"
    shutil.copytree(ours, theirs)
    assert invoke("update", str(ours))[0] == 0
    with tempfile.TemporaryDirectory() as scratch:
        rebuilt = _releases.build_repository(Path(scratch) / "repo.git")
        env = {**git_env(), **_releases.redirect_environment(rebuilt), "GIT_ALLOW_PROTOCOL": "file",
               "COPIER_CACHE_DIR": str(Path(scratch) / "cache")}
        copier_cli = shutil.which("copier") or pytest.fail("copier's CLI is installed with the package")
        run([copier_cli, "update", "--quiet", "--defaults", "--trust", str(theirs)], env=env)
    assert {k: v for k, v in tree(ours).items() if not k.startswith(".git/")} == \
        {k: v for k, v in tree(theirs).items() if not k.startswith(".git/")}


def test_unknown_or_newer_release(packaged: Path, tmp_path: Path) -> None:
    kit = packaged_kit(tmp_path / "kit")
    code, _, stderr = invoke("update", str(kit), "-r", "v9.9.9")
    assert code == 1
    assert "v9.9.9 is not a fargate-gen release this installation knows (v0.1.0, v0.2.0)" in stderr
    edit(kit / ".copier-answers.yml", "_commit: v0.1.0", "_commit: v0.3.0")
    commit_all(kit)
    code, _, stderr = invoke("update", str(kit))
    assert code == 1
    assert "the kit's template v0.3.0 is newer than any this fargate-gen knows (v0.2.0)" in stderr
    assert "pip install --upgrade fargate-gen" in stderr


def test_a_development_build_records_and_rebuilds_its_unreleased_template(
    packaged: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Installed from a commit between releases, new renders that template, described honestly."""
    monkeypatch.setattr(_releases, "is_checkout", lambda: False)
    kit = tmp_path / "kit"
    new(kit, config=RIDERAPP)
    commit = str(answers(kit)["_commit"])
    assert commit.startswith("v0.2.0-1-g"), "this checkout's template is not the test's v0.2.0"
    assert answers(kit)["_src_path"] == CANONICAL
    git(kit, "init", "--quiet")
    commit_all(kit)
    code, _, stderr = invoke("update", str(kit))
    assert code == 1 and f"the kit's template {commit} is past the newest release, v0.2.0" in stderr
    edit(kit / "fargate-gen.yml", "desired_count: 2", "desired_count: 3")
    commit_all(kit)
    code, _, stderr = invoke("update", str(kit), "-r", ":current:")
    assert code == 0, stderr
    assert answers(kit)["_commit"] == commit and answers(kit)["desired_count"] == 3


# --- end to end: the built wheel, installed ----------------------------------------------------------

@pytest.mark.slow
def test_installed_wheel_updates_offline(sources: dict[str, Path], tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "dist")
    venv = tmp_path / "venv"
    # What `pip install fargate-gen` gives a user: the wheel and the dependencies it declares.
    python, cli = str(install_wheel(wheel, venv)), str(venv / "bin" / "fargate-gen")
    home = tmp_path / "home"
    home.mkdir()
    (home / "copier.yml").write_text("trust: []\n")
    env = {**git_env(), "HOME": str(home), "XDG_CACHE_HOME": str(home / "cache"),
           "GIT_ALLOW_PROTOCOL": "file",
           "COPIER_SETTINGS_PATH": str(home / "copier.yml"), "PYTHONPATH": ""}
    # A next release (the test template's v3, with its migration), as the release script of the
    # installed package writes it into the package, after the releases the package ships.
    major, minor, _ = map(int, __version__.split("."))
    following = f"{major}.{minor + 1}.0"
    run([python, "-m", "generator._release", following, "--source", str(sources["0.2.0"])], cwd=home, env=env)
    shipped = sorted(p.name for p in (venv / "lib").glob("python*/site-packages/generator/_releases/*"))
    assert shipped == sorted(["index.json", *(r.archive for r in _releases.releases()), f"v{following}.tar.gz"])

    run([cli, "new", "kit", "-c", str(RIDERAPP), "-r", "v0.1.0", "-d", "desired_count=4"], cwd=home, env=env)
    kit = home / "kit"
    assert answers(kit)["_src_path"] == CANONICAL and answers(kit)["_commit"] == "v0.1.0"
    git(kit, "init", "--quiet")
    commit_all(kit)
    edit(kit / "README.md", "\n", "\nOur team's notes.\n")
    commit_all(kit)
    result = run([cli, "update", "kit"], cwd=home, env=env, check=False)
    assert result.returncode == 0, result.stderr
    assert answers(kit)["_commit"] == f"v{following}" and answers(kit)["task_count"] == 4
    assert "Our team's notes." in (kit / "README.md").read_text()
