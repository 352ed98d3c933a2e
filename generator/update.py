"""``fargate-gen update``: take a newer template, or a changed config, into rendered kits, losing no edit.

copier does the merge: it re-renders the kit's recorded template version with the recorded answers,
takes the difference to the committed kit as the owner's edits, renders the new version over the kit
and re-applies those edits, falling back to a 3-way merge per file. fargate-gen adds what copier
leaves to its callers: a preflight that names each problem and its fix before anything is written,
validation of a changed ``fargate-gen.yml``, templates served offline from the releases inside the
package, a non-zero exit code and a list of files on conflicts, ``.rej`` files made from the 3-way
merge (never from copier's weaker patch rejects), owner-changed files that the new template removed
kept rather than deleted, a restore of the last commit if copier fails half-way, a real diff for
``--pretend`` and several repositories per run.
"""

from __future__ import annotations

import difflib
import filecmp
import re
import subprocess
import tempfile
import traceback
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import Any, Literal

import yaml
from packaging.version import Version

from generator import _releases
from generator import config as config_mod
from generator._resources import template_root
from generator.errors import (
    AnswersError,
    DirtyRepositoryError,
    FargateGenError,
    NotARepositoryError,
    UnservedTemplateError,
    UntrustedTemplateError,
    UpdateError,
    UpdateFailedError,
    VersionError,
)

ANSWERS_FILE = ".copier-answers.yml"
CURRENT = ":current:"
"""``--vcs-ref`` value that keeps the kit's template version and applies only config changes."""

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CONFLICTS = 3
EXIT_UPDATE_AVAILABLE = 4

ConflictMode = Literal["inline", "rej"]
Say = Callable[[str], None]

# Settings every fargate-gen template asks: answers without them come from another template.
_OUR_QUESTIONS = ("project_name", "app_type", "aws_account_id", "github_repository")
_MISSING = object()


class Outcome(Enum):
    """What happened to one repository, worst last."""

    UP_TO_DATE = "up to date"
    UPDATED = "updated"
    AVAILABLE = "update available"
    CONFLICTS = "conflicts"
    FAILED = "failed"


@dataclass(frozen=True)
class RepoResult:
    """The outcome for one repository; paths are relative to the kit."""

    repo: Path
    outcome: Outcome
    old: str = ""
    new: str = ""
    changed: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()
    config: tuple[str, ...] = ()
    rej: bool = False
    error: str = ""
    diff: str = ""


@dataclass(frozen=True)
class UpdateReport:
    """Every repository's result and the exit code they add up to."""

    results: tuple[RepoResult, ...]
    pretend: bool = False
    check: bool = False

    @property
    def exit_code(self) -> int:
        """1 if any failed, else 3 if any has conflicts, else 4 if an update is available, else 0."""
        outcomes = {result.outcome for result in self.results}
        if Outcome.FAILED in outcomes:
            return EXIT_ERROR
        if Outcome.CONFLICTS in outcomes:
            return EXIT_CONFLICTS
        if Outcome.AVAILABLE in outcomes:
            return EXIT_UPDATE_AVAILABLE
        return EXIT_OK

    def table(self) -> str:
        """A summary table, one row per repository, and the totals."""
        rows = [("repository", "result", "template", "details")]
        for result in self.results:
            version = result.old if result.new in ("", result.old) else f"{result.old} → {result.new}"
            details = {
                Outcome.UPDATED: f"{len(result.changed)} file(s) changed",
                Outcome.CONFLICTS: f"{len(result.conflicts) + len(result.kept)} file(s) to resolve",
                Outcome.AVAILABLE: "fargate-gen.yml changed" if result.config else "",
                Outcome.FAILED: result.error.split(" — ")[0].split(": ", 1)[-1],
                Outcome.UP_TO_DATE: "",
            }[result.outcome]
            rows.append((str(result.repo), result.outcome.value, version or "-", details))
        widths = [max(len(row[column]) for row in rows) for column in range(3)]
        lines = ["  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[3]])
                 for row in rows]
        counts = {outcome: sum(r.outcome is outcome for r in self.results) for outcome in Outcome}
        order = (Outcome.UPDATED, Outcome.UP_TO_DATE, Outcome.AVAILABLE, Outcome.CONFLICTS, Outcome.FAILED)
        totals = ", ".join(f"{counts[o]} {o.value}" for o in order if counts[o] or o is not Outcome.AVAILABLE)
        note = " (pretend: nothing was written)" if self.pretend else ""
        summary = f"{len(self.results)} repositories: {totals}{note}"
        return "\n".join([*(line.rstrip() for line in lines), summary])


@dataclass(frozen=True)
class _Plan:
    """What the preflight found out about one repository, and what the update will do."""

    repo: Path
    kit: Path
    top: Path
    answers: Mapping[str, Any]
    src: str
    canonical: bool
    trusted: bool
    old: str
    target: str
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def prefix(self) -> str:
        """The kit's folder inside its git repository, as git prints it ('' at the top)."""
        relative = self.kit.relative_to(self.top).as_posix()
        return "" if relative == "." else relative + "/"


def update(
    repos: Sequence[Path],
    *,
    vcs_ref: str | None = None,
    pretend: bool = False,
    check: bool = False,
    conflict: ConflictMode = "inline",
    progress: Say | None = None,
    output: Say | None = None,
) -> UpdateReport:
    """Update each kit in ``repos``; one failing does not stop the others.

    ``vcs_ref`` is the template version to go to (default: the newest; :data:`CURRENT` keeps the
    kit's). ``pretend`` writes nothing and sends each would-be diff to ``output``; ``check`` only
    finds out whether an update is available. ``progress`` receives a line per repository and, for
    several, the summary table. The report's ``exit_code`` reflects the worst outcome.
    """
    say = progress or (lambda _line: None)
    results = []
    several = len(repos) > 1
    for number, repo in enumerate(repos, start=1):
        counter = f"[{number}/{len(repos)}] " if several else ""
        if several and not check:
            say(f"{counter}{repo}: {'checking' if pretend else 'updating'}…")
        try:
            result = update_repo(repo, vcs_ref=vcs_ref, pretend=pretend, check=check, conflict=conflict,
                                 label=repo.as_posix().strip("/") if several else None)
        except FargateGenError as error:
            result = RepoResult(repo, Outcome.FAILED, error=str(error))
        except Exception as error:  # one repository's bug must not stop the others
            say(traceback.format_exc().rstrip())
            problem = f"{repo}: unexpected {type(error).__name__}: {error}"
            result = RepoResult(repo, Outcome.FAILED, error=problem)
        results.append(result)
        say(counter + describe(result, pretend=pretend))
        if result.diff and output is not None:
            output(result.diff.rstrip("\n"))
    report = UpdateReport(tuple(results), pretend, check)
    if several:
        say(report.table())
    return report


def update_repo(
    repo: Path,
    *,
    vcs_ref: str | None = None,
    pretend: bool = False,
    check: bool = False,
    conflict: ConflictMode = "inline",
    label: str | None = None,
) -> RepoResult:
    """Update one kit; raise an :class:`~generator.errors.UpdateError` (nothing written) when it cannot."""
    plan = _preflight(repo, vcs_ref=vcs_ref, clean=not check)
    if plan.target == plan.old and not plan.data:
        return RepoResult(repo, Outcome.UP_TO_DATE, plan.old, plan.old)
    if check:
        return RepoResult(repo, Outcome.AVAILABLE, plan.old, plan.target, config=tuple(sorted(plan.data)))
    if pretend:
        with _scratch_clone(plan) as scratch:
            result = _apply(scratch, conflict)
            diff = _staged_diff(scratch, label)
        return replace(result, repo=repo, diff=diff)
    try:
        return _apply(plan, conflict)
    except BaseException:
        _restore(plan)
        raise


def describe(result: RepoResult, *, pretend: bool = False) -> str:
    """One line (and, for conflicts, one per file) saying what happened and what to do next."""
    repo, old, new = result.repo, result.old, result.new
    moved = f"{old} → {new}" if new != old else f"{old}, re-rendered with the changed fargate-gen.yml"
    would = "would be " if pretend else ""
    if result.outcome is Outcome.FAILED:
        return f"error: {result.error}"
    if result.outcome is Outcome.UP_TO_DATE:
        return f"{repo}: up to date ({old})"
    if result.outcome is Outcome.AVAILABLE:
        parts = [f"{old} → {new} is available"] if new != old else []
        if result.config:
            parts.append(f"fargate-gen.yml changed since the last render ({', '.join(result.config)})")
        return f"{repo}: update available: {'; '.join(parts)} — run fargate-gen update"
    if result.outcome is Outcome.UPDATED:
        then = "nothing was written" if pretend else "review with git diff, then commit"
        return f"{repo}: {would}updated {moved}, {len(result.changed)} file(s) changed — {then}"
    lines = [
        f"{repo}: {would}updated {moved} with {len(result.conflicts) + len(result.kept)} file(s) to resolve"
        + (" (nothing was written)" if pretend else " — resolve them, then git add and commit:")
    ]
    for name in result.conflicts:
        if result.rej:
            lines.append(f"  {name}: took the new template; your edit is only in {name}.rej "
                         f"(git apply {name}.rej, or copy it by hand; delete the .rej before committing)")
        else:
            lines.append(f"  {name}: conflict markers <<<<<<< before updating / >>>>>>> after updating")
    for name in result.kept:
        lines.append(f"  {name}: the new template no longer has this file, but you changed it, so it was "
                     "kept — delete it if you no longer need it")
    return "\n".join(lines)


# --- preflight -----------------------------------------------------------------------------------

def _git(cwd: Path, *args: str, check: bool = True) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    if check and result.returncode != 0:
        raise subprocess.CalledProcessError(result.returncode, ["git", *args], result.stdout, result.stderr)
    return result.stdout.decode("utf-8", "surrogateescape")


def _preflight(repo: Path, *, vcs_ref: str | None, clean: bool) -> _Plan:
    kit = repo.resolve()
    if not kit.is_dir():
        raise NotARepositoryError(repo)
    try:
        top = Path(_git(kit, "rev-parse", "--show-toplevel").strip())
    except subprocess.CalledProcessError:
        raise NotARepositoryError(repo) from None
    status = _git(kit, "status", "--porcelain=v2", "--branch", "--untracked-files=all", "-z", "--", ".")
    records = [record for record in status.split("\0") if record]
    if "# branch.oid (initial)" in records:
        raise UpdateError(repo, "has no commit yet, so there is nothing to merge your edits against",
                          "commit the kit first: git add -A && git commit -m 'fargate-gen kit'")
    answers = _read_answers(repo, kit)
    src, old = str(answers["_src_path"]), str(answers["_commit"])
    # The source is judged as copier will fetch it: any spelling of fargate-gen's repository is served
    # from the packaged releases (see _releases.serving), or refused here if copier would not fetch it.
    canonical = _releases.is_canonical(src)
    if canonical and _releases.git_url(src) is None:
        raise AnswersError(
            repo, f"_src_path {src!r} names fargate-gen's repository in a spelling that copier reads as "
                  "a local path",
            f"write _src_path: {_releases.CANONICAL_URL} and commit", path="$._src_path",
        )
    if not canonical and not all(name in answers for name in _OUR_QUESTIONS):
        raise AnswersError(
            repo, f"the kit comes from {src}, not from a fargate-gen template",
            "fargate-gen updates only the kits it rendered: update this one with copier update",
            path="$._src_path",
        )
    if clean:
        changes = _describe_status(records)
        if changes:
            raise DirtyRepositoryError(repo, changes)
        # The kit's .gitignore hides them; a new one of the same name would replace an older one's edit.
        leftovers = _rej_files(kit)
        if leftovers:
            shown = ", ".join(leftovers[:5])
            raise UpdateError(
                repo, f"{len(leftovers)} .rej file(s) left from an earlier update ({shown})",
                "apply what you need from them (git apply FILE.rej) and delete them, then run again",
            )
    target = _target(repo, src, old, vcs_ref, canonical=canonical)
    data = _config_changes(repo, answers)
    trusted = canonical or _is_own_checkout(src)
    return _Plan(repo, kit, top, answers, src, canonical, trusted, old, target, data)


def _is_own_checkout(src: str) -> bool:
    """Whether ``src`` is the development checkout this fargate-gen runs from (its own template)."""
    if _releases.git_url(src) is not None or re.match(r"(?i)^[a-z][a-z0-9+.-]*:|^[^/]+@", src) \
            or not _releases.is_checkout():
        return False
    return Path(src).expanduser().resolve() == template_root().resolve()


def _describe_status(records: list[str]) -> list[str]:
    """'M Dockerfile', '?? notes.txt', … from ``git status --porcelain=v2 -z`` records."""
    changes = []
    fields_before_path = {"1": 8, "2": 9, "u": 10}
    skip = False
    for record in records:
        if skip:
            skip = False  # the source path of a rename or copy
        elif record.startswith("? "):
            changes.append(f"?? {record[2:]}")
        elif record[:1] in fields_before_path and record[1:2] == " ":
            parts = record.split(" ", fields_before_path[record[0]])
            changes.append(f"{parts[1].replace('.', '') or 'M'} {parts[-1]}")
            skip = record[0] == "2"
    return changes


def _read_answers(repo: Path, kit: Path) -> dict[str, Any]:
    path = kit / ANSWERS_FILE
    if not path.is_file():
        raise AnswersError(
            repo, "the file does not exist, so the template and version the kit came from are unknown",
            "if fargate-gen rendered this kit, restore the file from git history "
            "(git log --diff-filter=D -- .copier-answers.yml); otherwise render it with fargate-gen new",
        )
    try:
        answers = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise AnswersError(repo, f"cannot be read ({error})", "restore it from git history") from None
    if not isinstance(answers, dict):
        raise AnswersError(repo, "is not a mapping of answers", "restore it from git history")
    for key in ("_src_path", "_commit"):
        if not answers.get(key):
            raise AnswersError(
                repo, f"has no {key}, so the template version the kit came from is unknown",
                "restore the file from git history; it is written by copier and never edited by hand",
                path=f"$.{key}",
            )
    return answers


def _config_changes(repo: Path, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The settings whose value in fargate-gen.yml differs from the last render, after validating them.

    Only a changed config is validated, against this fargate-gen's schema: an unchanged one was valid
    when it was rendered, and may use names that a newer template renames through a migration.
    """
    path = repo / config_mod.CONFIG_FILENAME
    if not path.is_file():
        raise UpdateError(
            repo, "the file does not exist, and it holds the settings the kit is rendered with",
            "restore it from git history (git log --diff-filter=D -- fargate-gen.yml finds the commit "
            "that deleted it)", file=config_mod.CONFIG_FILENAME,
        )
    document = config_mod.read_document(path)
    defaults = config_mod.project_schema()["properties"]
    changed = {}
    for name, value in document.data.items():
        recorded = answers.get(name, defaults.get(name, {}).get("default", _MISSING))
        if recorded != value:
            changed[name] = value
    unrecorded = [name for name in changed if name not in answers]
    if unrecorded:
        # copier records no answer for a question it skips (database_type without a database), and
        # a value set for it ahead of time changes nothing it renders: not a change to re-render.
        for name in _skipped_questions({**answers, **document.data}) & set(unrecorded):
            del changed[name]
    # A setting deleted from fargate-gen.yml goes back to its default (or is reported as required).
    removed = [name for name in answers if not name.startswith("_") and name not in document.data]
    if changed or removed:
        validated = config_mod.load_config(path)
        changed.update({name: validated[name] for name in removed
                        if name in validated and validated[name] != answers[name]})
    return changed


def _skipped_questions(settings: Mapping[str, Any]) -> set[str]:
    """The questions of fargate-gen's copier.yml whose ``when`` is false for ``settings``."""
    from jinja2 import TemplateError as JinjaTemplateError
    from jinja2.sandbox import SandboxedEnvironment

    questions = yaml.safe_load((template_root() / "copier.yml").read_text(encoding="utf-8"))
    environment = SandboxedEnvironment()
    skipped = set()
    for name, spec in questions.items():
        when = spec.get("when", True) if isinstance(spec, dict) else True
        try:
            shown = environment.from_string(when).render(**settings) if isinstance(when, str) else str(when)
        except JinjaTemplateError:
            continue
        if shown.strip().lower() in ("false", "0", "no", "none", ""):
            skipped.add(name)
    return skipped


def _target(repo: Path, src: str, old: str, vcs_ref: str | None, *, canonical: bool) -> str:
    """The tag (or, with --vcs-ref, any git ref) to update to, after the version checks."""
    current = _releases.parse_version(old)
    if current is None:
        raise AnswersError(
            repo, f"_commit {old!r} is not a version, so the kit came from an untagged template "
                  "(a development checkout?)",
            "render the kit again with a released fargate-gen, or tag the template", path="$._commit",
        )
    if canonical:
        target = _release_target(repo, old, current, vcs_ref)
    else:
        target = old if vcs_ref == CURRENT else vcs_ref or _latest_tag(repo, src)
    wanted = _releases.parse_version(target)
    if wanted is not None and wanted < current:
        if vcs_ref is None:
            raise VersionError(
                repo, f"the kit's template {old} is past the newest release, {target}",
                "there is nothing to update to yet; -r :current: re-renders a changed fargate-gen.yml",
            )
        raise VersionError(
            repo, f"{target} is older than the kit's template version {old}",
            "downgrades are not supported: omit --vcs-ref to take the newest version",
        )
    return target


def _release_target(repo: Path, old: str, current: Version, vcs_ref: str | None) -> str:
    """The packaged release to go to, once the kit's own version is known to be reproducible here."""
    known = {release.tag: release for release in _releases.releases()}
    if not known:
        raise VersionError(repo, "this fargate-gen has no template release", "reinstall fargate-gen")
    newest = max(known.values(), key=lambda release: release.version)
    if old not in known:
        if current > newest.version and current.local is None:
            raise VersionError(
                repo, f"the kit's template {old} is newer than any this fargate-gen knows ({newest.tag})",
                "upgrade fargate-gen: pip install --upgrade fargate-gen",
            )
        if current.local is None or not _is_this_development_build(old):
            raise VersionError(
                repo, f"the kit's template {old} is not a fargate-gen release, and this fargate-gen "
                      "cannot re-render it (an unreleased build rendered it)",
                "update it with the build that rendered it, or render the kit again",
            )
    if vcs_ref == CURRENT:
        return old
    if vcs_ref is None:
        return newest.tag
    for tag in (vcs_ref, f"v{vcs_ref}"):
        if tag in known:
            return tag
    listing = ", ".join(sorted(known, key=lambda tag: known[tag].version))
    raise VersionError(
        repo, f"{vcs_ref} is not a fargate-gen release this installation knows ({listing})",
        "choose one of them, or upgrade fargate-gen: pip install --upgrade fargate-gen",
    )


def _is_this_development_build(commit: str) -> bool:
    """Whether ``commit`` (``vX-N-g<hash>``) is the unreleased template this installation carries."""
    with tempfile.TemporaryDirectory(prefix="fargate-gen-releases-") as scratch:
        rebuilt = _releases.build_repository(Path(scratch) / "repo.git", working=_releases.template_files(
            template_root()))
    abbreviated = commit.rsplit("-g", 1)[-1]
    return rebuilt.development is not None and rebuilt.development.startswith(abbreviated)


def _latest_tag(repo: Path, src: str) -> str:
    """The newest non-prerelease version tag of a template repository."""
    url = src
    for alias, host in (("gh:", "https://github.com/"), ("gl:", "https://gitlab.com/")):
        if url.startswith(alias):
            url = host + url[len(alias):].lstrip("/").removesuffix(".git") + ".git"
    local = Path(url).expanduser()
    if local.exists():
        url = str(local.resolve())
    try:
        listing = _git(Path.cwd(), "ls-remote", "--tags", "--refs", "--", url)
    except subprocess.CalledProcessError as error:
        reason = (error.stderr or b"").decode(errors="replace").strip().splitlines() or ["no answer"]
        raise UpdateError(repo, f"cannot list the versions of the template {src} ({reason[-1]})",
                          "check that the path or URL is reachable, or pass --vcs-ref") from None
    versions = {}
    for line in listing.splitlines():
        tag = line.split("\t", 1)[-1].removeprefix("refs/tags/")
        version = _releases.parse_version(tag)
        if version is not None and not version.is_prerelease:
            versions[tag] = version
    if not versions:
        raise VersionError(repo, f"the template {src} has no version tags (such as v1.0.0)",
                           "tag its releases, or pass --vcs-ref")
    return max(versions, key=lambda tag: versions[tag])


# --- the update itself ---------------------------------------------------------------------------

def _apply(plan: _Plan, conflict: ConflictMode) -> RepoResult:
    """Run copier's update in ``plan.kit`` and sort out what it left: conflicts, removals, .rej files."""
    # copier is imported in _apply_served: it takes about half a second; an up-to-date kit never needs it.
    with ExitStack() as served:
        try:
            served.enter_context(_releases.serving(plan.src if plan.canonical else None))
        except UnservedTemplateError as error:
            raise UpdateError(plan.repo, f"_src_path {error.src!r}: {error.problem}",
                              f"{error.fix}, and commit", file=ANSWERS_FILE, path="$._src_path") from None
        return _apply_served(plan, conflict)


def _apply_served(plan: _Plan, conflict: ConflictMode) -> RepoResult:
    """:func:`_apply`, once git fetches the template from where it should."""
    import copier
    from copier.errors import CopierError, DirtyLocalWarning, UnsafeTemplateError, UserMessageError
    from jinja2 import TemplateError as JinjaTemplateError
    from plumbum import ProcessExecutionError

    with _guarding_removals(plan) as guarded:
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", category=DirtyLocalWarning)
                copier.run_update(
                    str(plan.kit),
                    data=dict(plan.data),
                    answers_file=ANSWERS_FILE,
                    vcs_ref=plan.target,
                    defaults=True,
                    overwrite=True,
                    quiet=True,
                    unsafe=plan.trusted,
                    # Always the 3-way merge: --conflict rej is made from its result (see _to_rej).
                    conflict="inline",
                )
        except UnsafeTemplateError as error:
            features = str(error).split(": ", 1)[-1].split(".")[0]
            raise UntrustedTemplateError(plan.repo, plan.src, features) from None
        except UserMessageError as error:
            if "downgrad" in str(error).lower():
                raise VersionError(plan.repo, str(error).split(". ")[0],
                                   "downgrades are not supported: omit --vcs-ref") from None
            raise UpdateFailedError(plan.repo, str(error)) from error
        except (CopierError, ValueError, TypeError, OSError, JinjaTemplateError, ProcessExecutionError,
                subprocess.CalledProcessError) as error:
            first = (str(error).strip().splitlines() or [""])[0]
            raise UpdateFailedError(plan.repo, f"{type(error).__name__}: {first}") from error
        kept = _restore_kept(plan, guarded) if guarded is not None else _keep_changed_removals(plan)
    conflicts = _unmerged(plan)
    if conflict == "rej":
        for name in conflicts:
            _to_rej(plan, name)
    answers = yaml.safe_load((plan.kit / ANSWERS_FILE).read_text(encoding="utf-8")) or {}
    new = str(answers.get("_commit", ""))
    changed = tuple(_status_paths(plan))
    outcome = Outcome.CONFLICTS if conflicts or kept else Outcome.UPDATED if changed else Outcome.UP_TO_DATE
    return RepoResult(plan.repo, outcome, plan.old, new, changed, conflicts, kept,
                      tuple(sorted(plan.data)), rej=conflict == "rej")


def _status_paths(plan: _Plan) -> list[str]:
    """Kit-relative paths that differ from the last commit, untracked files included."""
    records = _git(plan.kit, "status", "--porcelain", "--untracked-files=all", "-z", "--", ".").split("\0")
    paths = []
    skip = False
    for record in records:
        if skip or not record:
            skip = False
            continue
        if record[0] in "RC":
            skip = True  # the next record is the rename's source
        paths.append(record[3:].removeprefix(plan.prefix))
    return paths


def _unmerged(plan: _Plan) -> tuple[str, ...]:
    """Files copier left with conflict markers (unmerged in the index), and stray .rej files."""
    listed = _git(plan.kit, "ls-files", "--unmerged", "-z", "--", ".").split("\0")
    names = {record.split("\t", 1)[1] for record in listed if "\t" in record}
    # copier may still leave a .rej despite the inline mode (copier-org/copier#2386): never hide one.
    names |= {path.removesuffix(".rej") for path in _rej_files(plan.kit)}
    return tuple(sorted(names))


def _rej_files(kit: Path) -> list[str]:
    """Untracked ``*.rej`` files in the kit, git-ignored ones included, relative to it."""
    return sorted(name for name in _git(kit, "ls-files", "--others", "-z", "--", "*.rej").split("\0") if name)


@contextmanager
def _guarding_removals(plan: _Plan) -> Iterator[list[str] | None]:
    """While copier updates, spare the files the new template dropped but the owner had changed.

    copier deletes every file the old version rendered and the new one does not, edited or not, in
    its private ``_remove_old_files``, which is handed the old render: the guard compares each file
    with it there, and keeps (and lists, relative to the repository) the ones that differ. With a
    copier that has no such function, yields None and :func:`_keep_changed_removals` does the job.
    """
    from copier import _main

    original = getattr(_main, "_remove_old_files", None)
    if original is None:
        yield None
        return
    kept: list[str] = []
    top = plan.top.resolve()

    def guarded(prefix: Path, compared: filecmp.dircmp[str], rm_common: bool = False) -> None:
        try:
            groups = [compared.left_only, compared.common_files if rm_common else []]
        except (NotADirectoryError, FileNotFoundError):
            groups = []  # copier calls it on paths that are no directories, and ignores the same errors
        for group in groups:
            for name in list(group):
                target, old = Path(prefix, name), Path(compared.left, name)
                if target.is_file() and not target.is_symlink() and old.is_file() \
                        and target.read_bytes() != old.read_bytes():
                    group.remove(name)
                    kept.append(target.resolve().relative_to(top).as_posix())
        original(prefix, compared, rm_common)

    setattr(_main, "_remove_old_files", guarded)  # noqa: B010 - a module attribute, restored below
    try:
        yield kept
    finally:
        setattr(_main, "_remove_old_files", original)  # noqa: B010


def _restore_kept(plan: _Plan, kept: list[str]) -> tuple[str, ...]:
    """Put the spared files back as committed (copier may have re-applied edits to them)."""
    tracked = [path for path in kept if _git(plan.top, "ls-files", "--", path).strip()]
    if tracked:
        _git(plan.top, "checkout", "HEAD", "--", *tracked)
    return tuple(sorted(path.removeprefix(plan.prefix) for path in kept))


def _keep_changed_removals(plan: _Plan) -> tuple[str, ...]:
    """Restore files the new template removed but the owner had changed; return them.

    The fallback of :func:`_guarding_removals`: whether the owner edited a removed file is known only
    against the old render, so that is made once more, only when the update removed something.
    """
    import copier

    records = _git(plan.kit, "status", "--porcelain", "-z", "--", ".").split("\0")
    removed = [record[3:] for record in records if record[:2] == " D"]
    if not removed:
        return ()
    kept = []
    with tempfile.TemporaryDirectory(prefix="fargate-gen-old-") as scratch:
        old = Path(scratch) / "old"
        copier.run_copy(
            plan.src, old, data={k: v for k, v in plan.answers.items() if not k.startswith("_")},
            vcs_ref=plan.old, defaults=True, quiet=True, overwrite=True, unsafe=plan.trusted, skip_tasks=True,
        )
        for path in removed:
            name = path.removeprefix(plan.prefix)
            committed = subprocess.run(["git", "cat-file", "blob", f"HEAD:{path}"], cwd=plan.top,
                                       capture_output=True, check=True).stdout
            rendered = old / name
            if not rendered.is_file() or rendered.read_bytes() != committed:
                _git(plan.top, "checkout", "HEAD", "--", path)
                kept.append(name)
    return tuple(kept)


_MARKERS = ("<<<<<<< ", "||||||| ", "=======", ">>>>>>> ")


def _to_rej(plan: _Plan, name: str) -> None:
    """Turn a file with conflict markers into the new template's text plus ``name.rej``.

    The .rej is a unified diff that puts the owner's side of every conflict back
    (``git apply name.rej`` at the repository's top), made from copier's 3-way merge.
    """
    path = plan.kit / name
    template: list[str] = []
    owner: list[str] = []
    side = "both"
    for line in path.read_text(encoding="utf-8", errors="surrogateescape").splitlines(keepends=True):
        bare = line.rstrip("\r\n")
        if side == "both" and line.startswith(_MARKERS[0]):
            side = "owner"
        elif side == "owner" and line.startswith(_MARKERS[1]):
            side = "base"
        elif side in ("owner", "base") and bare == _MARKERS[2]:
            side = "template"
        elif side == "template" and line.startswith(_MARKERS[3]):
            side = "both"
        else:
            if side in ("both", "template"):
                template.append(line)
            if side in ("both", "owner"):
                owner.append(line)
    path.write_text("".join(template), encoding="utf-8", errors="surrogateescape")
    where = plan.prefix + name
    patch = []
    for line in difflib.unified_diff(template, owner, f"a/{where}", f"b/{where}"):
        patch.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    Path(f"{path}.rej").write_text("".join(patch), encoding="utf-8", errors="surrogateescape")
    # Back to an ordinary modified file: the index keeps the last commit's version.
    _git(plan.top, "reset", "--quiet", "HEAD", "--", where)


def _restore(plan: _Plan) -> None:
    """Put the kit back to its last commit after a failed update (it was clean before)."""
    _git(plan.kit, "reset", "--quiet", "HEAD", "--", ".", check=False)
    _git(plan.kit, "checkout", "--quiet", "HEAD", "--", ".", check=False)
    _git(plan.kit, "clean", "-d", "--force", "--quiet", "--", ".", check=False)


# --- --pretend -------------------------------------------------------------------------------------

@contextmanager
def _scratch_clone(plan: _Plan) -> Iterator[_Plan]:
    """The plan, moved to a throw-away clone of the repository at its last commit."""
    with tempfile.TemporaryDirectory(prefix="fargate-gen-pretend-") as scratch:
        clone = Path(scratch) / "repo"
        head = _git(plan.top, "rev-parse", "HEAD").strip()
        # --shared borrows the objects instead of copying them; nothing is written to the repository.
        _git(Path(scratch), "clone", "--quiet", "--shared", "--no-checkout", "--", str(plan.top), str(clone))
        _git(clone, "checkout", "--quiet", "--detach", head)
        yield replace(plan, kit=clone / plan.prefix, top=clone)


def _staged_diff(plan: _Plan, label: str | None) -> str:
    """The unified diff from the last commit to the updated clone, paths relative to the kit."""
    # --force: the kit's .gitignore hides *.rej, which belong in the preview.
    _git(plan.kit, "add", "--all", "--force", "--", ".")
    prefixes = [f"--src-prefix=a/{label}/", f"--dst-prefix=b/{label}/"] if label else []
    return _git(plan.kit, "-c", "core.quotePath=false", "diff", "--cached", "--no-color", "--no-ext-diff",
                "--relative", *prefixes, "HEAD", "--", ".")


__all__ = [
    "CURRENT",
    "EXIT_CONFLICTS",
    "EXIT_ERROR",
    "EXIT_OK",
    "EXIT_UPDATE_AVAILABLE",
    "Outcome",
    "RepoResult",
    "UpdateReport",
    "describe",
    "update",
    "update_repo",
]
