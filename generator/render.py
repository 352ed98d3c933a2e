"""``fargate-gen new``: render a kit with copier, into DEST only once everything has succeeded."""

from __future__ import annotations

import filecmp
import shutil
import tempfile
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator import config as config_mod
from generator._resources import template_root
from generator.errors import ConfigError, DestinationError, Finding, TemplateError


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
    if dest.exists() and not dest.is_dir():
        raise DestinationError(f"{dest}: exists and is not a directory — choose another destination")

    # Imported here, like copier: `fargate-gen validate` (every commit) needs neither.
    from generator import _releases

    src = template or (str(template_root()) if _releases.is_checkout() else _releases.CANONICAL_URL)
    if _releases.is_canonical(src) and vcs_ref is not None:
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
        rendered = config_mod.read_document(staging / config_mod.CONFIG_FILENAME)
        findings = config_mod.check(rendered.data, config_mod.CONFIG_FILENAME, rendered.lines)
        if findings:
            # Interactive answers pass copier's validators; the schema is the final word.
            raise ConfigError(findings)
        files = _staged_files(staging)
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
    from copier.errors import CopierError, DirtyLocalWarning
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
    except CopierError as error:
        raise TemplateError(f"{src}: {error}") from None
    except JinjaTemplateError as error:
        raise TemplateError(f"{src}: the template failed to render ({error})") from error


def _staged_files(staging: Path) -> tuple[str, ...]:
    return tuple(sorted(str(p.relative_to(staging)) for p in staging.rglob("*") if p.is_file()))


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
    for name in files:
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(staging / name, target)
