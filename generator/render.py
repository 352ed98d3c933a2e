"""``fargate-gen new``: render a kit with copier, into DEST only once everything has succeeded."""

from __future__ import annotations

import filecmp
import os
import shutil
import sys
import tempfile
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator import config as config_mod
from generator._resources import template_root
from generator.errors import (
    ConfigError,
    DestinationError,
    Finding,
    NoTerminalError,
    TemplateError,
    UnsafePathError,
)


@dataclass(frozen=True)
class RenderResult:
    """What :func:`new` wrote."""

    dest: Path
    files: tuple[str, ...]
    answers: Mapping[str, Any]


def new(
    dest: Path,
    *,
    config: Path | None = None,
    template: str | None = None,
    vcs_ref: str | None = None,
    data: Mapping[str, Any] | None = None,
    overwrite: bool = False,
) -> RenderResult:
    """Render the kit for ``config`` (or for answers asked interactively) into ``dest``.

    The config is validated before copier runs, copier renders into a temporary folder, and the
    files reach ``dest`` only when rendering succeeded and no existing file would be overwritten
    (unless ``overwrite``): a failure leaves ``dest`` as it was, not even created.

    Without ``template``, an installed fargate-gen renders its packaged template from the release
    archives, offline, so that the kit records the canonical repository URL and the release tag and
    ``fargate-gen update`` (or copier, anywhere) can re-render it later; a development checkout
    renders its working tree.
    """
    answers: dict[str, Any] | None = None
    if config is not None:
        answers = config_mod.load_config(config, data)
    elif not sys.stdin.isatty():
        raise NoTerminalError()
    if dest.exists() and not dest.is_dir():
        raise DestinationError(f"{dest}: exists and is not a directory — choose another destination")

    # Imported here, like copier: `fargate-gen validate` (every commit) needs neither.
    from generator import _releases

    src = template or (str(template_root()) if _releases.is_checkout() else _releases.CANONICAL_URL)
    if _releases.is_canonical(src):
        # Any spelling of fargate-gen's repository is its packaged releases, recorded in one spelling.
        src = _releases.CANONICAL_URL
        if vcs_ref is not None:
            vcs_ref = _release_tag(vcs_ref)
    with tempfile.TemporaryDirectory(prefix="fargate-gen-") as scratch, _releases.serving(src):
        staging = Path(scratch) / "kit"
        _run_copier(
            staging,
            src=src,
            # A checkout's template is rendered as it is on disk, uncommitted edits included; the
            # packaged one at its newest release (or, in a development build, its unreleased state).
            vcs_ref=vcs_ref or (None if template else "HEAD"),
            data=answers if answers is not None else dict(data or {}),
            ask=answers is None,
        )
        # Before anything is read from it: a symlink there would copy the file it names into the kit.
        files = _staged_files(staging, src)
        rendered = config_mod.read_document(staging / config_mod.CONFIG_FILENAME)
        findings = config_mod.check(rendered.data, config_mod.CONFIG_FILENAME, rendered.lines)
        if findings:
            # Interactive answers pass copier's validators; the schema is the final word.
            raise ConfigError(findings)
        _refuse_links(dest, files)
        _refuse_overwrites(staging, dest, files, overwrite=overwrite)
        _publish(staging, dest, files)
    return RenderResult(dest, files, rendered.data)


def _release_tag(vcs_ref: str) -> str:
    from generator import _releases

    known = [release.tag for release in _releases.releases()]
    for tag in (vcs_ref, f"v{vcs_ref}"):
        if tag in known:
            return tag
    raise TemplateError(
        f"{_releases.CANONICAL_URL}: {vcs_ref} is not a release this fargate-gen carries "
        f"({', '.join(known) or 'none'}) — choose one of them, or upgrade fargate-gen"
    )


def _run_copier(
    staging: Path, *, src: str, vcs_ref: str | None, data: Mapping[str, Any], ask: bool
) -> None:
    # Imported here: copier takes about half a second to import, and only `new`/`update` need it.
    import copier
    from copier.errors import CopierError, DirtyLocalWarning, InteractiveSessionError
    from jinja2 import TemplateError as JinjaTemplateError

    from generator._releases import environment

    # copier commits a checkout's uncommitted template edits in a throw-away clone and records that
    # commit as _commit: fixed dates make its id depend on the content alone, so equal renders are equal.
    dates = {"GIT_AUTHOR_DATE": "2000-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2000-01-01T00:00:00Z"}
    try:
        with warnings.catch_warnings(), environment(dates if vcs_ref == "HEAD" else {}):
            # A template checkout with uncommitted edits is normal while developing it.
            warnings.filterwarnings("ignore", category=DirtyLocalWarning)
            copier.run_copy(
                src,
                staging,
                data=dict(data),
                vcs_ref=vcs_ref,
                defaults=not ask,
                quiet=True,
                overwrite=True,
            )
    except ValueError as error:
        # copier raises ValueError when an answer fails a question's validator or choices.
        raise ConfigError([Finding("answers", "$", str(error), "correct the value and run again")]) from None
    except InteractiveSessionError:
        raise NoTerminalError() from None
    except CopierError as error:
        raise TemplateError(f"{src}: {error}") from None
    except JinjaTemplateError as error:
        raise TemplateError(f"{src}: the template failed to render ({error})") from error


def _staged_files(staging: Path, src: str) -> tuple[str, ...]:
    """The files copier rendered, relative to ``staging``; a kit holds regular files only."""
    files, links = [], []
    for top, folders, names in os.walk(staging):
        for name in [*folders, *names]:
            path = Path(top, name)
            relative = path.relative_to(staging).as_posix()
            if path.is_symlink():
                links.append(f"{relative} -> {os.readlink(path)}")
            elif name in names and path.is_file():
                files.append(relative)
    if links:
        raise UnsafePathError(
            Path(src), links, "the template renders symbolic links, which would copy the files they name "
            "into the kit", "fargate-gen kits hold regular files only; use a template without symlinks",
        )
    return tuple(sorted(files))


def _refuse_links(dest: Path, files: tuple[str, ...]) -> None:
    """Refuse a DEST where writing ``files`` would follow a symlink (to a file or a folder) out of it."""
    base = dest.resolve()
    linked = sorted({
        name for name in files
        if any((base / part).is_symlink() for part in _prefixes(name))
    })
    if linked:
        raise UnsafePathError(
            dest, linked, "these paths of the kit go through symbolic links in the destination, so "
            "writing them would write where the links point",
            "remove the links, or render into an empty directory",
        )


def _prefixes(name: str) -> list[str]:
    """``a``, ``a/b``, ``a/b/c`` for ``a/b/c``."""
    parts = name.split("/")
    return ["/".join(parts[:count]) for count in range(1, len(parts) + 1)]


def _refuse_overwrites(staging: Path, dest: Path, files: tuple[str, ...], *, overwrite: bool) -> None:
    if overwrite or not dest.exists():
        return
    clashes = [
        name
        for name in files
        if (dest / name).exists() and not filecmp.cmp(staging / name, dest / name, shallow=False)
    ]
    if clashes:
        listing = "\n".join(f"  {name}" for name in clashes)
        raise DestinationError(
            f"{dest}: {len(clashes)} file(s) already exist with other content:\n{listing}\n"
            "Nothing was written — render into an empty directory, or pass --overwrite "
            "(in a git repository, `git diff` then shows what changed)."
        )


def _publish(staging: Path, dest: Path, files: tuple[str, ...]) -> None:
    base = dest.resolve()
    for name in files:
        target = base / name
        target.parent.mkdir(parents=True, exist_ok=True)
        # Checked again at the moment of writing: a link made since the check is not followed either.
        if any((base / part).is_symlink() for part in _prefixes(name)):
            raise UnsafePathError(dest, [name], "a symbolic link appeared in the destination while "
                                  "writing", "remove it and render again")
        shutil.copy2(staging / name, target)
