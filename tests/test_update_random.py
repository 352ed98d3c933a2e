"""Randomized: whatever the owner edits and the template changes, no line the owner added is lost.

Each seed picks rendered files and edits them as an owner would (adds, changes and deletes lines,
deletes a file), then changes the template in overlapping files, and updates. Every line the owner
added must be in the result: merged, inside conflict markers, or (with --conflict rej) in the .rej.
"""

from __future__ import annotations

import random
import shutil
import time
from pathlib import Path

import pytest

# The fixtures come along: the session's template repository and kit, and the copier settings.
from tests.test_update import _base_kit, _copier_settings, _template_repo, answers, commit_all, git, invoke  # noqa: F401

pytestmark = pytest.mark.slow
SEEDS = range(8)
# Jinja markup must survive the random template edits, so lines in or around it are never touched.
_OPEN, _CLOSE = ("{{", "{%", "{#"), ("}}", "%}", "#}")


def _plain_lines(lines: list[str]) -> list[int]:
    plain, depth = [], 0
    for index, line in enumerate(lines):
        if depth == 0 and not any(mark in line for mark in _OPEN + _CLOSE):
            plain.append(index)
        depth += sum(line.count(mark) for mark in _OPEN) - sum(line.count(mark) for mark in _CLOSE)
    return plain


def _editable(kit: Path) -> list[str]:
    names = git(kit, "ls-files").splitlines()
    return sorted(n for n in names if n != ".copier-answers.yml" and (kit / n).read_bytes().isascii())


def _template_source(template: Path, name: str) -> Path | None:
    for candidate in (template / "template" / f"{name}.jinja", template / "template" / name):
        if candidate.is_file():
            return candidate
    return None


def _edit_template(rng: random.Random, template: Path, names: list[str], seed: int) -> None:
    for number, name in enumerate(names):
        source = _template_source(template, name)
        if source is None:
            continue
        lines = source.read_text().splitlines(keepends=True)
        plain = _plain_lines(lines)
        for step in range(rng.randint(1, 3)):
            if not plain:
                break
            index = rng.choice(plain)
            action = rng.choice(("insert", "change", "delete"))
            if action == "insert":
                lines.insert(index, f"# template change {seed}-{number}-{step}\n")
            elif action == "change":
                lines[index] = lines[index].rstrip("\n") + f"  # template {seed}-{number}-{step}\n"
            else:
                del lines[index]
            plain = _plain_lines(lines)
        source.write_text("".join(lines))


def _edit_kit(rng: random.Random, kit: Path, names: list[str], seed: int) -> dict[str, list[str]]:
    """Edit ``names`` as an owner would; return, per file, the lines the owner added."""
    added: dict[str, list[str]] = {}
    for number, name in enumerate(names):
        path = kit / name
        lines = path.read_text().splitlines(keepends=True)
        mine: list[str] = []
        for step in range(rng.randint(1, 4)):
            theirs = [i for i, line in enumerate(lines) if line.rstrip("\n") not in mine]
            action = rng.choice(("add", "add", "change", "delete"))
            if action == "add" or not theirs:
                line = f"# owner line {seed}-{number}-{step}"
                lines.insert(rng.randint(0, len(lines)), line + "\n")
                mine.append(line)
            elif action == "change":
                index = rng.choice(theirs)
                line = lines[index].rstrip("\n") + f"  # owner {seed}-{number}-{step}"
                lines[index] = line + "\n"
                mine.append(line)
            else:
                del lines[rng.choice(theirs)]
        path.write_text("".join(lines))
        added[name] = mine
    return added


@pytest.mark.parametrize("seed", SEEDS)
def test_every_line_the_owner_added_survives(
    seed: int, base_kit: Path, template_repo: Path, tmp_path: Path
) -> None:
    started = time.monotonic()
    rng = random.Random(seed)
    conflict = "rej" if seed % 3 == 1 else "inline"

    # The template: v2 plus random changes, tagged v2.1 (below v3, so no migration is crossed).
    template = tmp_path / "template"
    shutil.copytree(template_repo, template)
    git(template, "checkout", "--quiet", "v2")
    kit = tmp_path / "kit"
    shutil.copytree(base_kit, kit)
    recorded = kit / ".copier-answers.yml"
    recorded.write_text(recorded.read_text().replace(str(template_repo), str(template)))
    commit_all(kit, "kit from the per-seed template")

    pool = rng.sample(_editable(kit), k=8)
    _edit_template(rng, template, rng.sample(pool, k=5), seed)
    commit_all(template, "v2.1")
    git(template, "tag", "v2.1")

    added = _edit_kit(rng, kit, rng.sample(pool, k=5), seed)
    # Any file but fargate-gen.yml, without which there is nothing to update with (tested on its own).
    deleted = rng.choice([name for name in _editable(kit) if name not in added and name != "fargate-gen.yml"])
    (kit / deleted).unlink()
    commit_all(kit, "owner edits")

    code, _, stderr = invoke("update", str(kit), "-r", "v2.1", "--conflict", conflict)
    assert code in (0, 3), stderr
    assert answers(kit)["_commit"] == "v2.1"
    assert not (kit / deleted).exists(), "a file the owner deleted stays deleted"
    for name, lines in added.items():
        text = (kit / name).read_text() if (kit / name).exists() else ""
        rej = kit / f"{name}.rej"
        kept = text + (rej.read_text() if rej.exists() else "")
        for line in lines:
            assert line in kept, (seed, name, line, stderr)
    markers = [n for n in git(kit, "ls-files", "--others", "--cached").splitlines()
               if (kit / n).is_file() and "<<<<<<< before updating" in (kit / n).read_text(errors="replace")]
    rejects = [n for n in git(kit, "ls-files", "--others").splitlines() if n.endswith(".rej")]
    assert (code == 3) == bool(markers or rejects or "was kept" in stderr), stderr
    for name in markers:
        assert f"  {name}: conflict markers" in stderr
    assert time.monotonic() - started < 60, "bounded time"
