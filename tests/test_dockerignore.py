"""The rendered .dockerignore keeps secret files out of the build context, and so out of every layer,
while the files the Dockerfile needs stay in.

Judged by docker-py's PatternMatcher, a port of Docker's own .dockerignore matcher (the last matching
pattern wins; a pattern matching a parent folder matches what it holds), on the rendered file of every
example, read as the Docker CLI reads it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import load_yaml, unavailable

SECRETS = [
    ".env", ".env.production", "config/.env.local", ".envrc", ".npmrc", "packages/api/.npmrc",
    ".yarnrc.yml", ".pypirc", ".netrc", ".git-credentials", "server.pem", "certs/tls/server.pem",
    "server.key", "src/main/resources/keystore.p12", "keystore.jks", "signing.pfx",
    ".ssh/id_ed25519", ".ssh/config", "home/.ssh/known_hosts", "deploy/id_rsa", "id_rsa.pub",
    ".docker/config.json", ".m2/settings.xml", "gcp-credentials.json", "secrets.kdbx",
    ".aws/credentials", "infra/prod.tfvars", "infra/terraform.tfstate", "infra/tfplan", ".git/config",
]
# What each app type's Dockerfile builds from.
NEEDED = {
    "java-spring-boot": ["pom.xml", "build.gradle", "src/main/java/App.java", "mvnw",
                         "src/main/resources/application.yml", ".mvn/wrapper/maven-wrapper.properties"],
    "node-backend": ["package.json", "package-lock.json", "src/index.js", ".aws/graceful-shutdown.cjs"],
}


def dockerignore_patterns(kit: Path) -> list[str]:
    """The patterns as the Docker CLI reads them: comments and blank lines dropped."""
    lines = (kit / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


@pytest.fixture(scope="module")
def matcher_class() -> Any:
    try:
        from docker.utils.build import PatternMatcher
    except ImportError:
        unavailable("docker (docker-py), whose PatternMatcher ports Docker's .dockerignore matcher, "
                    "is not installed")
    return PatternMatcher


def test_secret_files_stay_out_and_sources_stay_in(
    rendered_examples: dict[str, Path], matcher_class: Any
) -> None:
    app_types = set()
    for name, kit in rendered_examples.items():
        app_type = load_yaml(kit / ".copier-answers.yml")["app_type"]
        app_types.add(app_type)
        matcher = matcher_class(dockerignore_patterns(kit))
        leaked = [path for path in SECRETS if not matcher.matches(path)]
        assert not leaked, f"{name}: .dockerignore lets these into the image: {leaked}"
        dropped = [path for path in NEEDED[app_type] if matcher.matches(path)]
        assert not dropped, f"{name}: .dockerignore keeps out what the build needs: {dropped}"
    assert app_types == set(NEEDED), "every app type is checked"


def test_the_matcher_can_tell(matcher_class: Any) -> None:
    """The judge itself: a file list without the secret patterns lets the secrets in."""
    matcher = matcher_class([".git", "node_modules", "**/.env"])
    assert matcher.matches("config/.env") and not matcher.matches("server.pem")
    assert not matcher.matches(".npmrc")
