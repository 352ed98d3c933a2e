"""A rendered repository as the checkers see it: its files, parsed once, shared between threads."""

from __future__ import annotations

import json
import re
import shutil
import threading
from functools import cached_property
from pathlib import Path
from typing import Any

from generator import config as config_mod
from generator.errors import ConfigError

TASK_DEFINITION = ".aws/task-definition.json"  # the production (last) environment's
WORKFLOWS = ".github/workflows"
TF_ROOTS = ("infra", "infra/bootstrap")

_ASSIGNMENT = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(.+?)\s*$")
_TRAILING_COMMENT = re.compile(r"\s+(#|//).*$")


class ToolMissing(Exception):  # noqa: N818 - a signal, not an error the user sees as such
    """A checker's tool is not installed; the report lists it as skipped."""


class Kit:
    """Lazy, thread-safe access to a kit's files."""

    def __init__(self, root: Path, *, mirror: str | None = None) -> None:
        self.root = root
        # Tools run with the kit as their working directory: the paths handed to them are absolute.
        self.absolute = root.resolve()
        self.mirror = mirror
        self._lock = threading.Lock()

    def path(self, relative: str) -> Path:
        return self.root / relative

    def display(self, path: Path) -> str:
        """How findings name a file: relative to the repository."""
        for base in (self.absolute, self.root):
            try:
                return str(path.relative_to(base))
            except ValueError:
                continue
        return str(path)

    def config(self) -> dict[str, Any]:
        """The complete config (defaults applied); raises ConfigError like ``load_config``."""
        with self._lock:
            return self._config

    @cached_property
    def _config(self) -> dict[str, Any]:
        return config_mod.load_config(self.path(config_mod.CONFIG_FILENAME))

    def config_or_none(self) -> dict[str, Any] | None:
        try:
            return self.config()
        except ConfigError:
            return None

    def environments(self) -> list[tuple[dict[str, Any], str, str]]:
        """Each configured environment with its task-definition file and tfvars, by relative path.

        Without a readable config, the single ``prod`` environment of the default kit.
        """
        config = self.config_or_none()
        if config is None:
            return [({"name": "prod", "production": True}, TASK_DEFINITION, "infra/environments/prod.tfvars")]
        return [
            (
                environment,
                TASK_DEFINITION if environment["production"] else f".aws/task-definition.{environment['name']}.json",
                f"infra/environments/{environment['name']}.tfvars",
            )
            for environment in config_mod.effective_environments(config)
        ]

    def read_json(self, relative: str) -> tuple[Any, str] | None:
        """``(data, text)`` of a JSON file, or ``None`` when it is missing or does not parse."""
        path = self.path(relative)
        try:
            text = path.read_text(encoding="utf-8")
            return json.loads(text), text
        except (OSError, ValueError):
            return None

    def tfvars(self, relative: str) -> dict[str, Any]:
        """The scalar assignments of a ``.tfvars`` file (strings, numbers, booleans)."""
        values: dict[str, Any] = {}
        path = self.path(relative)
        if not path.is_file():
            return values
        for line in path.read_text(encoding="utf-8").splitlines():
            match = _ASSIGNMENT.match(line)
            if not match:
                continue
            key, raw = match.groups()
            for candidate in (raw, _TRAILING_COMMENT.sub("", raw)):
                try:
                    values[key] = json.loads(candidate)
                    break
                except ValueError:
                    continue  # lists, maps, expressions: not what the consistency checks compare
        return values

    def line_of(self, relative: str, needle: str) -> int | None:
        """First line of ``relative`` containing ``needle``."""
        path = self.path(relative)
        if not path.is_file():
            return None
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if needle in line:
                return number
        return None

    def workflows(self) -> list[Path]:
        """The workflow files, as absolute paths."""
        folder = self.absolute / WORKFLOWS
        return sorted(p for p in folder.glob("*.y*ml") if p.suffix in (".yml", ".yaml"))

    def which(self, tool: str) -> str:
        """Path of ``tool`` on PATH, or :class:`ToolMissing`."""
        found = shutil.which(tool)
        if found is None:
            raise ToolMissing(f"{tool} is not on PATH")
        return found
