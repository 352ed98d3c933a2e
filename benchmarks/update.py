"""Whole-process time of `fargate-gen update` against the raw `copier update` on the same repositories.

Scenarios (each the median wall time of N runs of each tool, interleaved so that machine noise hits
both alike; every v1 → v2 run gets a fresh copy of the kit, made before the clock starts):
- v1 → v2: a kit rendered from a template repository at v1, with an edit of its own, updated to v2
  (a changed line, a file added, a file removed, a line appended where the edit is not);
- no-op: the same kit once it is at v2;
- no-op, packaged template: a kit rendered by `fargate-gen new` from the releases inside the package;
  copier gets the same offline redirection of the canonical URL that fargate-gen uses.
Run: python benchmarks/update.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from generator import _releases

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "examples" / "riderapp" / "fargate-gen.yml"
IDENTITY = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
            "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.com"}


def sh(args: list[str], cwd: Path, env: dict[str, str]) -> None:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"{' '.join(args)} failed ({result.returncode}): {result.stderr[-2000:]}")


def commit(repo: Path, env: dict[str, str], message: str) -> None:
    sh(["git", "add", "--all"], repo, env)
    sh(["git", "commit", "--quiet", "--allow-empty", "-m", message], repo, env)


def template_repo(dest: Path, env: dict[str, str]) -> Path:
    """The real template tagged v1, then v2 with a typical release's changes."""
    for name, (mode, data) in _releases.template_files(ROOT).items():
        path = dest / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.chmod(mode)
    docs = dest / "template" / "docs"
    docs.mkdir()
    (docs / "operations.md").write_text("# Operations\n\nCheck the dashboards.\nReport within a week.\n")
    (docs / "retired.md").write_text("Retired in v2.\n")
    sh(["git", "init", "--quiet", "--initial-branch=main"], dest, env)
    commit(dest, env, "v1")
    sh(["git", "tag", "v1"], dest, env)
    operations = docs / "operations.md"
    operations.write_text(operations.read_text().replace("within a week", "within two days"))
    (docs / "retired.md").unlink()
    (docs / "added.md").write_text("Added in v2.\n")
    with (dest / "template" / ".gitignore.jinja").open("a") as handle:
        handle.write("*.swp\n")
    commit(dest, env, "v2")
    sh(["git", "tag", "v2"], dest, env)
    return dest


def wall(command: list[str], env: dict[str, str], expect: tuple[int, ...] = (0,)) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode not in expect:
        sys.exit(f"{' '.join(command)} exited {result.returncode}: {result.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    ours = shutil.which("fargate-gen") or sys.exit("fargate-gen is not installed")
    copier = shutil.which("copier") or sys.exit("copier is not installed")

    with tempfile.TemporaryDirectory(prefix="fargate-gen-bench-") as scratch_dir:
        scratch = Path(scratch_dir)
        settings = scratch / "copier-settings.yml"
        settings.write_text("trust: []\n")
        env = {**os.environ, **IDENTITY, "COPIER_SETTINGS_PATH": str(settings)}
        template = template_repo(scratch / "template", env)

        base = scratch / "base"
        sh([ours, "new", str(base), "--config", str(CONFIG), "--template", str(template), "--vcs-ref", "v1"],
           scratch, env)
        (base / "README.md").write_text("# Our service\n\n" + (base / "README.md").read_text())
        sh(["git", "init", "--quiet"], base, env)
        commit(base, env, "kit")
        current = scratch / "current"
        shutil.copytree(base, current)
        sh([ours, "update", str(current), "--vcs-ref", "v2"], scratch, env)
        commit(current, env, "v2")

        packaged = scratch / "packaged"
        sh([ours, "new", str(packaged), "--config", str(CONFIG), "--template", _releases.CANONICAL_URL],
           scratch, env)
        sh(["git", "init", "--quiet"], packaged, env)
        commit(packaged, env, "kit")
        rebuilt = _releases.build_repository(scratch / "releases.git")
        redirected = {**env, **_releases.redirect_environment(rebuilt), "GIT_ALLOW_PROTOCOL": "file",
                      "COPIER_CACHE_DIR": str(scratch / "copier-cache")}

        copies = []
        for run in range(args.runs + 1):
            pair = (scratch / f"ours-{run}", scratch / f"copier-{run}")
            for copy in pair:
                shutil.copytree(base, copy)
            copies.append(pair)

        scenarios = {
            "v1 → v2, template repository": (
                lambda run: [ours, "update", str(copies[run][0]), "--vcs-ref", "v2"],
                lambda run: [copier, "update", "--quiet", "--defaults", "-r", "v2", str(copies[run][1])],
                env, env,
            ),
            "no-op, template repository": (
                lambda run: [ours, "update", str(current), "--vcs-ref", "v2"],
                lambda run: [copier, "update", "--quiet", "--defaults", "--vcs-ref", "v2", str(current)],
                env, env,
            ),
            "no-op, packaged template": (
                lambda run: [ours, "update", str(packaged)],
                lambda run: [copier, "update", "--quiet", "--defaults", "--trust", str(packaged)],
                env, redirected,
            ),
        }
        print(f"{'scenario':34} {'fargate-gen':>12} {'copier':>9} {'ratio':>7}  (median of {args.runs})")
        for name, (our_command, their_command, our_env, their_env) in scenarios.items():
            # A first, untimed run of each warms the file cache and the .pyc files.
            wall(our_command(args.runs), our_env)
            wall(their_command(args.runs), their_env)
            samples: tuple[list[float], list[float]] = ([], [])
            for run in range(args.runs):
                samples[0].append(wall(our_command(run), our_env))
                samples[1].append(wall(their_command(run), their_env))
            mine, theirs = (statistics.median(times) for times in samples)
            print(f"{name:34} {mine:11.2f}s {theirs:8.2f}s {mine / theirs:6.2f}x")


if __name__ == "__main__":
    main()
