"""Every released template version, shipped inside the package and served to copier without a network.

Each release is a small archive of ``copier.yml`` and ``template/`` in ``generator/_releases/``, written
once by ``python -m generator._release`` and listed with its sha256 in ``index.json``. From them
:func:`serving` rebuilds, deterministically, a git repository with one commit per release tagged
``vX.Y.Z`` (the same commit ids on every machine), and points git at it whenever the canonical URL
(:data:`CANONICAL_URL`, which kits rendered from the packaged template record as ``_src_path``) is
fetched. copier, which clones that URL, then sees exactly what it would see on GitHub, offline.

When the template this installation carries differs from its newest release (a development build),
the rebuilt repository has one more, untagged commit with it on top: ``fargate-gen new`` renders that
and copier records ``_commit: vX.Y.Z-1-g<hash>``, an honest description of an unreleased template.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePosixPath

from packaging.version import InvalidVersion, Version

from generator._resources import template_root
from generator.errors import TemplateError, UnservedTemplateError

CANONICAL_URL = "https://github.com/fargate-gen/fargate-gen.git"
RELEASES_DIR = Path(__file__).resolve().parent / "_releases"
INDEX = "index.json"

# What copier needs to render a version: the questions and the template folder, nothing else.
TEMPLATE_PATHS = ("copier.yml", "template")
_JUNK = re.compile(r"(^|/)(__pycache__|\.DS_Store|\.terraform)(/|$)|\.py[co]$")
_AUTHOR = "fargate-gen releases <releases@fargate-gen.invalid>"
# The spellings copier may hand to git for the canonical URL (it expands gh: and adds .git itself).
_URL_FORMS = (
    CANONICAL_URL,
    "git@github.com:fargate-gen/fargate-gen.git",
    "ssh://git@github.com/fargate-gen/fargate-gen.git",
)
# Refused while the canonical URL is served: a spelling not redirected must fail, not go online.
_NETWORK_PROTOCOLS = ("http", "https", "ssh", "git", "ext")

Files = Mapping[str, tuple[int, bytes]]
"""Template files by POSIX path: (mode 0o644 or 0o755, content)."""


@dataclass(frozen=True)
class Release:
    """One released template version as ``index.json`` lists it."""

    version: Version
    archive: str
    sha256: str
    date: int
    commit: str

    @property
    def tag(self) -> str:
        """The git tag, ``vX.Y.Z``."""
        return f"v{self.version}"


def is_canonical(src: str) -> bool:
    """Whether ``src`` names fargate-gen's own repository, in any spelling copier accepts."""
    text = src.strip().lower().removeprefix("git+").rstrip("/")
    text = text.removesuffix(".git")
    for prefix in ("gh:", "https://github.com/", "http://github.com/", "git@github.com:",
                   "ssh://git@github.com/"):
        if text.startswith(prefix):
            return text[len(prefix):].lstrip("/") == "fargate-gen/fargate-gen"
    return False


def git_url(src: str) -> str | None:
    """The URL copier hands to git for ``src``, or None when copier takes ``src`` for a local path.

    The same rules as copier's ``copier._vcs.get_repo`` for URLs (``gh:``/``gl:`` expanded, ``git+``
    dropped, ``.git`` added to an https URL); :func:`serving` must redirect exactly this string.
    """
    url = src
    for alias, host in (("gh:", "https://github.com/"), ("gl:", "https://gitlab.com/")):
        if url.startswith(alias):
            rest = url[len(alias):].removeprefix("/")
            url = host + rest + ("" if rest.endswith(".git") else ".git")
    if url.startswith("git+"):
        return url[4:]
    hosted = url.startswith(("git@", "git://", "https://github.com/", "https://gitlab.com/"))
    if hosted or url.endswith(".git"):
        return url + ".git" if url.startswith("https://") and not url.endswith(".git") else url
    return None


def releases(directory: Path | None = None) -> tuple[Release, ...]:
    """The releases listed in ``index.json``, oldest first."""
    index = (directory or RELEASES_DIR) / INDEX
    if not index.is_file():
        return ()
    data = json.loads(index.read_text(encoding="utf-8"))
    found = [
        Release(Version(entry["version"]), entry["archive"], entry["sha256"], int(entry["date"]),
                entry["commit"])
        for entry in data["releases"]
    ]
    return tuple(sorted(found, key=lambda release: release.version))


def parse_version(ref: str) -> Version | None:
    """The PEP 440 version of a tag (``v0.1.0``) or of ``git describe`` output (``v0.1.0-2-gabc1234``)."""
    described = re.fullmatch(r"(.+)-(\d+)-g([0-9a-f]+)", ref)
    try:
        if described:
            base, count, commit = described.groups()
            return Version(f"{base}.post{count}+g{commit}")
        return Version(ref)
    except InvalidVersion:
        return None


def template_files(root: Path) -> dict[str, tuple[int, bytes]]:
    """``copier.yml`` and ``template/`` under ``root``: in a git checkout, what git does not ignore."""
    if (root / ".git").exists():
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *TEMPLATE_PATHS],
            cwd=root, capture_output=True, check=True,
        ).stdout.decode().split("\0")
        names = sorted({name for name in listed if name and (root / name).is_file()})
    else:
        names = sorted(
            path.relative_to(root).as_posix()
            for top in TEMPLATE_PATHS
            for path in ([root / top] if (root / top).is_file() else (root / top).rglob("*"))
            if path.is_file()
        )
    files: dict[str, tuple[int, bytes]] = {}
    for name in names:
        if _JUNK.search(name):
            continue
        path = root / name
        files[name] = (0o755 if os.access(path, os.X_OK) else 0o644, path.read_bytes())
    return files


def write_archive(files: Files, path: Path) -> str:
    """Write ``files`` as a reproducible .tar.gz (sorted, no times or owners); return its sha256."""
    raw = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as zipped, \
            tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(files):
            mode, data = files[name]
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), mode, 0
            tar.addfile(info, io.BytesIO(data))
    path.write_bytes(raw.getvalue())
    return hashlib.sha256(raw.getvalue()).hexdigest()


def read_archive(path: Path, sha256: str | None = None) -> dict[str, tuple[int, bytes]]:
    """The files of a release archive, after checking its sha256 when one is given."""
    data = path.read_bytes()
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
        raise TemplateError(
            f"{path}: the release archive does not match the sha256 in {INDEX} — the installation is "
            "damaged: reinstall fargate-gen"
        )
    files: dict[str, tuple[int, bytes]] = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar:
            name = PurePosixPath(member.name)
            if not member.isfile() or name.is_absolute() or ".." in name.parts:
                raise TemplateError(f"{path}: unexpected entry {member.name!r} — reinstall fargate-gen")
            extracted = tar.extractfile(member)
            assert extracted is not None
            files[name.as_posix()] = (0o755 if member.mode & 0o111 else 0o644, extracted.read())
    return files


def _fast_import_stream(versions: list[tuple[str, int, Files, str | None]]) -> bytes:
    """A ``git fast-import`` stream: one commit per (message, date, files, tag), each on the last."""
    out = io.BytesIO()
    blobs: dict[bytes, int] = {}
    mark = 0
    parent = 0
    for message, date, files, tag in versions:
        entries = []
        for name in sorted(files):
            mode, data = files[name]
            digest = hashlib.sha256(data).digest()
            if digest not in blobs:
                mark += 1
                blobs[digest] = mark
                out.write(b"blob\nmark :%d\ndata %d\n" % (mark, len(data)) + data + b"\n")
            entries.append(b"M %o :%d %s\n" % (0o100000 | mode, blobs[digest], _quote(name)))
        mark += 1
        stamp = f"{_AUTHOR} {date} +0000".encode()
        out.write(b"commit refs/heads/main\nmark :%d\nauthor %s\ncommitter %s\n" % (mark, stamp, stamp))
        out.write(b"data %d\n%s\n" % (len(message.encode()), message.encode()))
        if parent:
            out.write(b"from :%d\n" % parent)
        out.write(b"deleteall\n" + b"".join(entries) + b"\n")
        if tag:
            out.write(b"reset refs/tags/%s\nfrom :%d\n\n" % (tag.encode(), mark))
        parent = mark
    out.write(b"done\n")
    return out.getvalue()


def _quote(name: str) -> bytes:
    """A path as fast-import reads it: C-style quoted, so spaces and quotes in names are safe."""
    escaped = name.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'.encode()


@dataclass(frozen=True)
class Rebuilt:
    """A rebuilt release repository: the commit of each tag, and of the development commit if any."""

    path: Path
    tags: Mapping[str, str]
    development: str | None


def build_repository(
    dest: Path, directory: Path | None = None, *, working: Files | None = None
) -> Rebuilt:
    """Rebuild the release repository into ``dest`` (a new bare repository).

    ``working`` is the template this installation carries: when it differs from the newest release
    it becomes one more, untagged commit on top.
    """
    directory = directory or RELEASES_DIR
    found = releases(directory)
    versions: list[tuple[str, int, Files, str | None]] = []
    for release in found:
        files = read_archive(directory / release.archive, release.sha256)
        versions.append((f"fargate-gen template {release.tag}\n", release.date, files, release.tag))
    development = working is not None and (not versions or dict(working) != dict(versions[-1][2]))
    if development and working is not None:
        date = versions[-1][1] + 1 if versions else 0
        versions.append(("fargate-gen template, unreleased\n", date, working, None))
    if not versions:
        raise TemplateError(f"{directory}: no template release is packaged — reinstall fargate-gen")
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    subprocess.run(["git", "init", "--quiet", "--bare", "--initial-branch=main", str(dest)],
                   check=True, capture_output=True, env=env)
    subprocess.run(["git", "fast-import", "--quiet", "--done"], cwd=dest, input=_fast_import_stream(versions),
                   check=True, capture_output=True, env=env)
    refs = subprocess.run(
        ["git", "for-each-ref", "--format=%(refname) %(objectname)", "refs/tags", "refs/heads/main"],
        cwd=dest, check=True, capture_output=True, text=True, env=env,
    ).stdout.split("\n")
    commits = dict(line.split(" ") for line in refs if line)
    tags = {ref.removeprefix("refs/tags/"): sha for ref, sha in commits.items()
            if ref.startswith("refs/tags/")}
    for release in found:
        if release.commit and tags.get(release.tag) != release.commit:
            raise TemplateError(
                f"{directory / INDEX}: {release.tag} rebuilt as commit {tags.get(release.tag)}, not "
                f"{release.commit} — the packaged releases are inconsistent: reinstall fargate-gen"
            )
    return Rebuilt(dest, tags, commits["refs/heads/main"] if development else None)


@cache
def _working_template() -> Files:
    return template_files(template_root())


def is_checkout() -> bool:
    """Whether fargate-gen runs from a git checkout of its own repository (a development setup)."""
    return (template_root() / ".git").exists()


@contextmanager
def serving(src: str | None) -> Iterator[Rebuilt | None]:
    """While active, git (and so copier) fetches ``src``, if canonical, from the rebuilt releases.

    Works by git's ``url.<base>.insteadOf``, set through ``GIT_CONFIG_*`` variables for this process
    (and copier's plumbum, which keeps its own copy of the environment); copier's mirror cache is
    pointed at a private folder so that the user's cache of the real repository is left alone.
    Yields the rebuilt repository, or None when ``src`` is another template.

    Every spelling of the canonical URL is redirected exactly as copier hands it to git, git may use
    no transport but local files meanwhile, and what git then lists for ``src`` must be the rebuilt
    repository, ref for ref: a kit's ``_src_path`` or a git rule that would fetch anything else
    raises :class:`~generator.errors.UnservedTemplateError` before copier runs, so that only the
    packaged releases are ever trusted with copier's ``unsafe``.
    """
    if src is None or not is_canonical(src):
        yield None
        return
    url = git_url(src)
    if url is None:
        raise UnservedTemplateError(
            src, "copier reads this spelling of fargate-gen's repository as a local path",
            f"write it as {CANONICAL_URL}",
        )
    with tempfile.TemporaryDirectory(prefix="fargate-gen-releases-") as scratch:
        rebuilt = build_repository(Path(scratch) / "fargate-gen.git", working=_working_template())
        variables = {
            **redirect_environment(rebuilt, int(os.environ.get("GIT_CONFIG_COUNT", "0") or 0), also=(url,)),
            "COPIER_CACHE_DIR": str(Path(scratch) / "copier-cache"),
        }
        with environment(variables):
            _check_served(src, url, rebuilt)
            yield rebuilt


def _check_served(src: str, url: str, rebuilt: Rebuilt) -> None:
    """Raise unless git, as configured now, lists exactly the rebuilt repository's refs for ``url``."""
    def listing(where: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", "ls-remote", "--", where], capture_output=True, text=True, check=False,
                              timeout=60)

    served, expected = listing(url), listing(str(rebuilt.path))
    if served.returncode == 0 and served.stdout == expected.stdout:
        return
    said = (served.stderr.strip().splitlines() or ["it lists other commits"])[-1]
    raise UnservedTemplateError(
        src, f"git would not fetch it from the releases packaged with fargate-gen ({said}); a git "
             "url.<base>.insteadOf rule in your git config may redirect it elsewhere",
        f"write it as {CANONICAL_URL}, and remove any insteadOf rule for it (git config --show-origin "
        "--get-regexp 'url\\..*insteadof')",
    )


@contextmanager
def environment(variables: Mapping[str, str]) -> Iterator[None]:
    """Set ``variables`` for this process and its subprocesses, copier's (plumbum's) included."""
    from plumbum import local

    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        with local.env(**variables):
            yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def redirect_environment(rebuilt: Rebuilt, start: int = 0, *, also: Sequence[str] = ()) -> dict[str, str]:
    """The ``GIT_CONFIG_*`` variables that make git fetch the canonical URL from ``rebuilt``, offline.

    ``start`` is the number of ``GIT_CONFIG_KEY_<n>`` entries already in the environment; ``also``
    are more spellings to redirect. Every transport but local files is refused meanwhile, so that a
    spelling left out fails instead of reaching the network.
    """
    forms = list(dict.fromkeys((*_URL_FORMS, *also)))
    entries = [(f"url.{rebuilt.path}.insteadOf", form) for form in forms]
    entries += [(f"protocol.{name}.allow", "never") for name in _NETWORK_PROTOCOLS]
    entries += [("protocol.allow", "never"), ("protocol.file.allow", "always")]
    variables = {"GIT_CONFIG_COUNT": str(start + len(entries))}
    for offset, (key, value) in enumerate(entries):
        variables[f"GIT_CONFIG_KEY_{start + offset}"] = key
        variables[f"GIT_CONFIG_VALUE_{start + offset}"] = value
    return variables
