"""The command line: each command parses its options and calls one core function."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import yaml

from generator import __version__
from generator.errors import FargateGenError

F = TypeVar("F", bound=Callable[..., Any])

EXIT_CODES = """\b
Exit codes:
  0  success
  1  a problem to fix (bad config, unsafe destination, template error); nothing was written
  2  usage error (unknown option, missing argument; for new: no --config, and no terminal to
     ask the questions on)"""


def _fail(error: FargateGenError) -> None:
    click.echo(f"error: {error}" if "\n" not in str(error) else f"error:\n{error}", err=True)
    sys.exit(error.exit_code)


def _parse_data(pairs: tuple[str, ...]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--data")
        # YAML scalars, so that --data desired_count=3 is a number and enable_database=true a boolean.
        data[key] = yaml.safe_load(value) if value else ""
    return data


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXIT_CODES)
@click.version_option(__version__, "--version", prog_name="fargate-gen")
def cli() -> None:
    """Render and maintain a kit that deploys a container to AWS ECS Fargate."""


@cli.command(epilog=EXIT_CODES)
@click.argument("dest", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--config",
    "-c",
    "config",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Project config (fargate-gen.yml); without it the questions are asked (in a terminal only).",
)
@click.option("--template", "-t", help="Template path or git URL (default: the packaged template).")
@click.option("--vcs-ref", "-r", help="Git tag, branch or commit of the template to render.")
@click.option(
    "--data", "-d", "data", multiple=True, metavar="KEY=VALUE", help="Set or override one answer."
)
@click.option("--overwrite", is_flag=True, help="Replace files that already exist in DEST.")
def new(
    dest: Path,
    config: Path | None,
    template: str | None,
    vcs_ref: str | None,
    data: tuple[str, ...],
    overwrite: bool,
) -> None:
    """Render a deploy kit into DEST.

    The config is checked against the schema first: on any problem every error is listed and DEST
    is left untouched.
    """
    from generator.render import new as render_new

    try:
        result = render_new(
            dest,
            config=config,
            template=template,
            vcs_ref=vcs_ref,
            data=_parse_data(data),
            overwrite=overwrite,
        )
    except FargateGenError as error:
        _fail(error)
        return
    answers = result.answers
    click.echo(
        f"Rendered {len(result.files)} files into {result.dest} "
        f"({answers['project_name']}, {answers['app_type']}, {answers['aws_region']}). "
        "Next: read README.md there.",
        err=True,
    )


@cli.command(epilog="""\b
Exit codes:
  0  no findings
  1  findings (or, with --strict, a checker skipped because its tool is missing)
  2  usage error""")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--kit", is_flag=True, help="Check the whole rendered repository, not just the config.")
@click.option("--strict", is_flag=True, help="Treat a checker skipped for a missing tool as a failure.")
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
    help="text: grouped by file, on stderr. json: one object per finding, on stdout.",
)
@click.option("--timings", is_flag=True, help="Print each checker's wall time.")
@click.option(
    "--tf-mirror", metavar="DIR", envvar="FARGATE_GEN_TF_MIRROR",
    help="Terraform provider mirror (the folder holding registry.terraform.io); env FARGATE_GEN_TF_MIRROR.",
)
@click.option(
    "--build", is_flag=True,
    help="With --kit: also build the image (podman, else docker) and run it as the production task "
    "definition says: it stays up, its health check passes, the health path answers 200, it stops "
    "on SIGTERM.",
)
@click.option(
    "--engine", type=click.Choice(["podman", "docker"]), default=None,
    help="Container engine for --build (default: podman if on PATH, else docker).",
)
def validate(
    paths: tuple[Path, ...], kit: bool, strict: bool, output_format: str, timings: bool,
    tf_mirror: str | None, build: bool, engine: str | None,
) -> None:
    """Check config files (default ./fargate-gen.yml), or with --kit a rendered repository.

    PATH is a config file or a directory holding fargate-gen.yml. With --kit, the repository is checked
    as its owner has it: the config against the schema, the task definition against the ECS API model
    and Fargate's rules, the workflows with check-jsonschema, zizmor and actionlint, the Dockerfile with
    hadolint, Terraform with fmt/init/validate, everything with checkov, and the facts that must agree
    across files (port, health path, names, region, account, image repository). --build also builds
    the image with the app's real base images and runs it with .aws/task-definition.json's settings
    (secrets get stand-in values); FARGATE_GEN_BUILD_OFFLINE=1 builds with --pull=never --network=none.
    """
    from generator import checks
    from generator.config import CONFIG_FILENAME
    from generator.reporting import render

    targets = list(paths) or [Path(".")]
    if (build or engine) and not kit:
        raise click.UsageError("--build and --engine check a kit: add --kit")
    if kit:
        if len(targets) != 1 or not targets[0].is_dir():
            raise click.BadParameter("--kit takes one repository directory", param_hint="PATH")
        chosen = None
        if build:
            from generator.checks.container import find_engine

            try:
                chosen = find_engine(engine)
            except FargateGenError as error:
                _fail(error)
                return
        report = checks.validate_kit(targets[0], mirror=tf_mirror, engine=chosen)
    else:
        report = checks.validate_configs([t / CONFIG_FILENAME if t.is_dir() else t for t in targets])
    sys.exit(render(report, output_format=output_format, timings=timings, strict=strict, grouped=kit))


UPDATE_EXIT_CODES = """\b
Exit codes (with several repositories: the first of 1, 3, 4 that applies to any, else 0):
  0  updated, or already up to date (with --pretend: would be)
  1  a repository could not be updated: its message says why; it was left as it was
  2  usage error (unknown option, --pretend with --check)
  3  updated, but some files need you: conflict markers (or .rej files), or files the new
     template removed that you had changed (kept); each is listed
  4  --check only: an update is available (a newer template, or a changed fargate-gen.yml)"""


@cli.command(epilog=UPDATE_EXIT_CODES)
@click.argument("repos", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--vcs-ref", "-r", metavar="REF",
    help="Template version to go to, e.g. v0.2.0 (default: the newest); ':current:' keeps the "
    "kit's version and only re-renders a changed fargate-gen.yml.",
)
@click.option("--pretend", is_flag=True, help="Print the diff the update would make (stdout); write nothing.")
@click.option("--check", is_flag=True, help="Only say whether an update is available (exit 4 if so).")
@click.option(
    "--conflict", type=click.Choice(["inline", "rej"]), default="inline", show_default=True,
    help="inline: conflict markers in the file. rej: the file takes the new template and your edit "
    "goes to FILE.rej (it then survives only there).",
)
def update(repos: tuple[Path, ...], vcs_ref: str | None, pretend: bool, check: bool, conflict: str) -> None:
    """Upgrade kits (default: the current directory) to a newer template, keeping your edits.

    Also re-renders a kit whose fargate-gen.yml you changed (validated first). Each REPO must be a
    git repository with nothing uncommitted: your edits are what differs between its last commit
    and the template version it was rendered from, and they are merged into the new version. Kits
    rendered by fargate-gen itself update offline: every released template ships inside it.
    Progress and results go to stderr; the --pretend diff to stdout.
    """
    if pretend and check:
        raise click.UsageError("--pretend and --check cannot be combined")
    from generator.update import update as update_kits

    report = update_kits(
        list(repos) or [Path(".")],
        vcs_ref=vcs_ref,
        pretend=pretend,
        check=check,
        conflict="rej" if conflict == "rej" else "inline",
        progress=lambda line: click.echo(line, err=True),
        output=click.echo,
    )
    sys.exit(report.exit_code)
@cli.command(epilog=EXIT_CODES)
@click.argument("config", required=False, type=click.Path(path_type=Path), default="fargate-gen.yml")
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
    help="json: the same report as one object on stdout.",
)
def explain(config: Path, output_format: str) -> None:
    """Print, per environment, what CONFIG creates, the modeled critical path of one rolling deploy
    next to the same model under AWS defaults, and a monthly cost estimate from a dated price table.

    CONFIG defaults to ./fargate-gen.yml; a directory means its fargate-gen.yml.
    """
    import json

    from generator.config import CONFIG_FILENAME, load_config
    from generator.explain import as_data, as_text, explain as build

    try:
        explanation = build(load_config(config / CONFIG_FILENAME if config.is_dir() else config))
    except FargateGenError as error:
        _fail(error)
        return
    if output_format == "json":
        click.echo(json.dumps(as_data(explanation), indent=2))
    else:
        click.echo(as_text(explanation))


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="fargate-gen")
