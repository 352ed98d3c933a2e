"""Where the template, its questions and the schemas live: a checkout or the installed wheel."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def template_root() -> Path:
    """The directory holding ``copier.yml``, ``template/`` and ``schemas/``.

    In a checkout (or an editable install) that is the repository root; in a wheel it is the
    ``_template`` folder that the build copies next to the package.
    """
    for candidate in (_PACKAGE.parent, _PACKAGE / "_template"):
        if (candidate / "copier.yml").is_file() and (candidate / "template").is_dir():
            return candidate
    raise FileNotFoundError(f"no copier.yml next to {_PACKAGE}: the installation is incomplete")


def schema_path(name: str) -> Path:
    """Path of ``schemas/<name>``."""
    return template_root() / "schemas" / name
