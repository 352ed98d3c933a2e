"""The one error hierarchy: every problem a user can act on is a :class:`FargateGenError`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    """One problem in one file: where it is, what is wrong and how to fix it.

    ``path`` is a JSON path into the file (``$.task_memory``) where the file is data, ``$`` for the
    file as a whole; ``tool`` and ``rule`` name the checker and its rule (``hadolint``/``DL3007``).
    """

    file: str
    path: str
    problem: str
    fix: str = ""
    line: int | None = None
    tool: str = "schema"
    rule: str = ""

    def __str__(self) -> str:
        text = f"{self.file}::{self.path}: {self.problem}"
        if self.fix:
            text += f" — {self.fix}"
        if self.line is not None:
            text += f" (line {self.line})"
        return text

    @property
    def message(self) -> str:
        """The problem and its fix, without the location."""
        return f"{self.problem} — {self.fix}" if self.fix else self.problem


class FargateGenError(Exception):
    """A problem the user can fix; the CLI prints the message and exits with ``exit_code``."""

    exit_code = 1


class ConfigError(FargateGenError):
    """The project config cannot be read or breaks the schema."""

    def __init__(self, findings: Iterable[Finding]) -> None:
        self.findings = tuple(findings)
        super().__init__("\n".join(str(finding) for finding in self.findings))


class DestinationError(FargateGenError):
    """The destination cannot be rendered into without overwriting or losing something."""


class TemplateError(FargateGenError):
    """Copier could not fetch or render the template."""
