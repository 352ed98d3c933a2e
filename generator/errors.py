"""The one error hierarchy: every problem a user can act on is a :class:`FargateGenError`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path


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


class UnsafePathError(DestinationError):
    """A symlink in the rendered kit or in DEST would read or write a file outside DEST."""

    def __init__(self, where: Path, names: Sequence[str], problem: str, fix: str) -> None:
        shown = ", ".join(names[:5]) + (", …" if len(names) > 5 else "")
        super().__init__(f"{where}: {problem}: {shown} — nothing was written: {fix}")


class NoTerminalError(FargateGenError):
    """``new`` without ``--config`` asks questions, and there is no terminal to ask them on."""

    exit_code = 2

    def __init__(self) -> None:
        super().__init__(
            "no --config was given, and the questions cannot be asked without a terminal — pass "
            "--config PATH/fargate-gen.yml (every setting is in the README; --data KEY=VALUE sets one "
            "more), or run fargate-gen new in a terminal to answer the questions"
        )


class TemplateError(FargateGenError):
    """Copier could not fetch or render the template."""


class UnservedTemplateError(TemplateError):
    """A spelling of fargate-gen's own repository that git would not fetch from the packaged releases."""

    def __init__(self, src: str, problem: str, fix: str) -> None:
        self.src, self.problem, self.fix = src, problem, fix
        super().__init__(f"{src}: {problem} — {fix}")


class UpdateError(FargateGenError):
    """A repository cannot be updated; it was left as it was."""

    def __init__(
        self, repo: Path, problem: str, fix: str, *, file: str | None = None, path: str = "$"
    ) -> None:
        self.repo = repo
        where = f"{repo / file}::{path}" if file else str(repo)
        super().__init__(f"{where}: {problem} — {fix}")


class NotARepositoryError(UpdateError):
    """The path is not (inside) a git repository, so there is no commit to merge against."""

    def __init__(self, repo: Path) -> None:
        if not repo.exists():
            super().__init__(repo, "does not exist", "give the directory of a rendered kit")
        else:
            super().__init__(
                repo, "is not a git repository, so there is no commit to merge your edits against",
                "commit the kit first: git init && git add -A && git commit -m 'fargate-gen kit'",
            )


class DirtyRepositoryError(UpdateError):
    """The working tree has uncommitted or untracked changes, which an update could mix with its own."""

    def __init__(self, repo: Path, changes: Sequence[str]) -> None:
        shown = ", ".join(changes[:5]) + (", …" if len(changes) > 5 else "")
        super().__init__(
            repo, f"{len(changes)} uncommitted or untracked change(s) ({shown})",
            "commit them, or set them aside with git stash --include-untracked, then run again",
        )


class AnswersError(UpdateError):
    """``.copier-answers.yml`` is missing, unreadable, or was not written by a fargate-gen template."""

    def __init__(self, repo: Path, problem: str, fix: str, path: str = "$") -> None:
        super().__init__(repo, problem, fix, file=".copier-answers.yml", path=path)


class VersionError(UpdateError):
    """The requested template version is unknown, or older than the kit's (a downgrade)."""


class UntrustedTemplateError(UpdateError):
    """The update would run a template's migrations, which copier runs only for trusted templates."""

    def __init__(self, repo: Path, src: str, features: str) -> None:
        super().__init__(
            repo, f"the update runs {features} from {src}, code that copier runs only for a trusted template",
            "if you trust it, list it under 'trust:' in copier's settings.yml (see copier's docs, "
            "'Settings'), then run again; fargate-gen trusts only its own template",
        )


class UpdateFailedError(UpdateError):
    """copier failed part-way; the repository was restored to its last commit."""

    def __init__(self, repo: Path, reason: str) -> None:
        super().__init__(
            repo, f"the update failed ({reason}); the repository was restored to its last commit",
            "fix the cause and run again, or report it with this message",
        )
