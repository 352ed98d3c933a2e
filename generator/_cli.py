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
  2  usage error (unknown option, missing argument)"""


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
    help="Project config (fargate-gen.yml); without it the questions are asked.",
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


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="fargate-gen")
