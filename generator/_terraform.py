"""Run Terraform offline: find a provider mirror and point a CLI config at it."""

from __future__ import annotations

import os
from pathlib import Path

MIRROR_ENV = "FARGATE_GEN_TF_MIRROR"

# Terraform's implied local mirror directories on Unix (see "Provider Installation" in its docs).
_IMPLIED_MIRRORS = (
    "~/.terraform.d/plugins",
    "~/.local/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
)


def find_mirror(explicit: str | None = None) -> Path | None:
    """The first folder holding ``registry.terraform.io/hashicorp/aws``: ``explicit``, then the
    ``FARGATE_GEN_TF_MIRROR`` variable, then Terraform's implied mirror folders."""
    candidates = [explicit, os.environ.get(MIRROR_ENV), *_IMPLIED_MIRRORS]
    for candidate in candidates:
        if candidate:
            path = Path(candidate).expanduser()
            if (path / "registry.terraform.io" / "hashicorp" / "aws").is_dir():
                return path
    return None


def cli_config(mirror: Path) -> str:
    """A Terraform CLI config that installs hashicorp/aws from ``mirror`` and nothing from the network."""
    return (
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f'    path    = "{mirror}"\n'
        '    include = ["registry.terraform.io/hashicorp/*"]\n'
        "  }\n"
        "  direct {\n"
        '    exclude = ["registry.terraform.io/hashicorp/*"]\n'
        "  }\n"
        "}\n"
    )


def offline_env(workdir: Path, mirror: Path | None = None) -> dict[str, str] | None:
    """Environment for running Terraform offline, or ``None`` when there is no way to.

    An existing ``TF_CLI_CONFIG_FILE`` is honoured as it is; otherwise a CLI config for the mirror
    is written into ``workdir``. A shared plugin cache keeps repeated ``init`` runs fast.
    """
    env = dict(os.environ)
    env.setdefault("TF_IN_AUTOMATION", "1")
    env["CHECKPOINT_DISABLE"] = "1"
    configured = env.get("TF_CLI_CONFIG_FILE")
    if configured and Path(configured).is_file() and mirror is None:
        return env
    mirror = mirror or find_mirror()
    if mirror is None:
        return None
    rc = workdir / "terraform.rc"
    rc.write_text(cli_config(mirror), encoding="utf-8")
    env["TF_CLI_CONFIG_FILE"] = str(rc)
    return env
