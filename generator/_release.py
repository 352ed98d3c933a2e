"""Archive the template as a release: ``python -m generator._release [VERSION] [--replace | --check]``.

Writes ``generator/_releases/vVERSION.tar.gz`` (``copier.yml`` and ``template/`` of this checkout,
byte-for-byte reproducible) and records it in ``generator/_releases/index.json`` with its sha256 and
the commit id it gets in the rebuilt release repository. VERSION defaults to ``generator.__version__``.

A published archive is never rewritten: kits in the wild were rendered from it, and ``fargate-gen
update`` re-renders it to tell their owners' edits apart. So a version that is already archived is
refused, unless ``--replace`` says explicitly that it has not been published yet; even then only the
newest archive may be replaced, and never once its ``vVERSION`` tag exists in this checkout.
``--check`` writes nothing: it exits 1 when the archive of VERSION is missing or differs from the
template (run it before tagging a release).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from packaging.version import InvalidVersion, Version

from generator import __version__
from generator._releases import (
    CANONICAL_URL,
    INDEX,
    RELEASES_DIR,
    build_repository,
    read_archive,
    releases,
    template_files,
    write_archive,
)
from generator._resources import template_root


class ReleaseError(Exception):
    """The archive cannot be written; the message says why and what to do."""


def archive(
    version: str,
    *,
    source: Path | None = None,
    directory: Path | None = None,
    replace: bool = False,
    date: int | None = None,
) -> str:
    """Archive ``source``'s template as release ``version`` into ``directory``; return a summary line."""
    source = source or template_root()
    directory = directory or RELEASES_DIR
    wanted = _version(version)
    tag = f"v{wanted}"
    existing = releases(directory)
    newest = existing[-1] if existing else None
    if any(release.version == wanted for release in existing):
        if not replace:
            raise ReleaseError(
                f"{tag} is already archived, and a published archive must never change — if {tag} "
                "is not released yet, pass --replace to refresh it from the template"
            )
        assert newest is not None
        if newest.version != wanted:
            raise ReleaseError(f"{tag} is not the newest archive ({newest.tag} is); only that one may change")
        if _tagged(source, tag):
            raise ReleaseError(f"{tag} is tagged in {source}: it is published, and its archive is immutable")
    elif newest is not None and wanted < newest.version:
        raise ReleaseError(f"{tag} is older than the newest archive {newest.tag}: archive a newer version")

    files = template_files(source)
    if "copier.yml" not in files or not any(name.startswith("template/") for name in files):
        raise ReleaseError(f"{source}: no copier.yml and template/ to archive")
    if newest is not None and newest.version == wanted \
            and read_archive(directory / newest.archive, newest.sha256) == files:
        return f"{tag} is already archived with this very template; nothing to do"
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{tag}.tar.gz"
    entries = [
        {"version": str(r.version), "archive": r.archive, "sha256": r.sha256, "date": r.date,
         "commit": r.commit}
        for r in existing
        if r.version != wanted
    ]
    sha256 = write_archive(files, directory / name)
    stamp = int(time.time()) if date is None else date
    entries.append({"version": str(wanted), "archive": name, "sha256": sha256, "date": stamp, "commit": ""})
    _write_index(directory, entries)
    # The commit ids are those of the deterministic rebuild, recorded so that every rebuild is checked.
    with tempfile.TemporaryDirectory(prefix="fargate-gen-release-") as scratch:
        rebuilt = build_repository(Path(scratch) / "repo.git", directory)
    for entry in entries:
        entry["commit"] = rebuilt.tags[f"v{entry['version']}"]
    _write_index(directory, entries)
    size = (directory / name).stat().st_size
    return (
        f"archived {tag}: {len(files)} files, {size // 1024} KiB, sha256 {sha256[:12]}…, "
        f"commit {rebuilt.tags[tag][:12]} — in {directory}"
    )


def check(version: str, *, source: Path | None = None, directory: Path | None = None) -> list[str]:
    """The files whose archived content differs from ``source`` (empty when the archive is current)."""
    source = source or template_root()
    directory = directory or RELEASES_DIR
    wanted = _version(version)
    match = [release for release in releases(directory) if release.version == wanted]
    if not match:
        return [f"v{wanted} is not archived"]
    archived = read_archive(directory / match[0].archive, match[0].sha256)
    current = template_files(source)
    return sorted(name for name in set(archived) | set(current) if archived.get(name) != current.get(name))


def _version(text: str) -> Version:
    try:
        return Version(text.removeprefix("v"))
    except InvalidVersion:
        raise ReleaseError(f"{text!r} is not a version such as 0.2.0") from None


def _tagged(source: Path, tag: str) -> bool:
    if not (source / ".git").exists():
        return False
    result = subprocess.run(["git", "rev-parse", "--quiet", "--verify", f"refs/tags/{tag}"],
                            cwd=source, capture_output=True, check=False)
    return result.returncode == 0


def _write_index(directory: Path, entries: list[dict[str, object]]) -> None:
    index = {
        "about": "Released fargate-gen template versions, oldest first. Written by `python -m "
                 "generator._release`; never edit by hand, never change a published entry.",
        "canonical_url": CANONICAL_URL,
        "releases": sorted(entries, key=lambda entry: Version(str(entry["version"]))),
    }
    (directory / INDEX).write_text(json.dumps(index, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    summary = (__doc__ or "").split("\n\n")[0]
    parser = argparse.ArgumentParser(prog="python -m generator._release", description=summary)
    parser.add_argument("version", nargs="?", default=__version__, help=f"default: {__version__}")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--replace", action="store_true", help="refresh the newest archive, not yet published")
    mode.add_argument("--check", action="store_true", help="write nothing; exit 1 if the archive is stale")
    parser.add_argument("--source", type=Path, help="folder with copier.yml and template/ (default: here)")
    parser.add_argument("--releases", type=Path, help=f"archive folder (default: {RELEASES_DIR})")
    args = parser.parse_args(argv)
    try:
        if args.check:
            stale = check(args.version, source=args.source, directory=args.releases)
            for name in stale:
                print(f"differs from the archive: {name}", file=sys.stderr)
            if stale:
                print(f"v{args.version} is stale — python -m generator._release {args.version} --replace",
                      file=sys.stderr)
            return 1 if stale else 0
        print(archive(args.version, source=args.source, directory=args.releases, replace=args.replace),
              file=sys.stderr)
    except ReleaseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
