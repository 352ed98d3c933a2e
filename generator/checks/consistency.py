"""What no single tool sees: the artifacts agree on port, health path, names, region, account, image.

The config is the reference. Only these six facts are compared: other values (sizes, counts, extra
variables, extra workflows) are the owner's to change and never reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml

from generator.checks._kit import Kit
from generator.errors import Finding

TOOL = "consistency"
BOOTSTRAP_TFVARS = "infra/bootstrap/terraform.tfvars"
_ROLE_ARN = re.compile(r"arn:aws:iam::(\d{12}):role/([A-Za-z0-9+=,.@_-]+)")
_REGISTRY = re.compile(r"(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com/([a-z0-9._/-]+)")


def check(kit: Kit) -> list[Finding]:
    """Every disagreement with the config; nothing to compare against when the config is broken."""
    config = kit.config_or_none()
    if config is None:
        return []
    findings: list[Finding] = []
    for _, _, tfvars in kit.environments():
        if not kit.path(tfvars).is_file():
            findings.append(Finding(tfvars, "$", "is missing: fargate-gen.yml lists this environment",
                                    "run fargate-gen update to render it, or remove the environment from fargate-gen.yml",
                                    tool=TOOL, rule="environment"))
    for file, what, found, expected, needle in _facts(kit, config):
        if found is not None and found != expected:
            findings.append(
                Finding(file, "$", f"{what} is {found!r} but fargate-gen.yml says {expected!r}",
                        "make them agree: change the file, or change fargate-gen.yml and run fargate-gen update",
                        kit.line_of(file, str(needle if needle is not None else found)), TOOL, what.split()[0])
            )
    return findings


def _facts(kit: Kit, config: dict[str, Any]) -> Iterator[tuple[str, str, Any, Any, Any]]:
    """(file, fact, value found, value expected, text to locate) for each fact a file states."""
    p, acct, region = config["project_name"], config["aws_account_id"], config["aws_region"]
    port, health = config["container_port"], config["health_check_path"]
    repository = f"{acct}.dkr.ecr.{region}.amazonaws.com/{p}"

    for environment, task_definition, tfvars_file in kit.environments():
        yield from _task_definition_facts(kit, task_definition, f"{p}-{environment['name']}", config, repository)
        tfvars = kit.tfvars(tfvars_file)
        for key, expected in (("project_name", p), ("environment", environment["name"]), ("aws_region", region),
                              ("aws_account_id", acct), ("container_port", port), ("health_check_path", health)):
            if key in tfvars:
                yield tfvars_file, f"{key.replace('_', ' ')}", tfvars[key], expected, key
    bootstrap = kit.tfvars(BOOTSTRAP_TFVARS)
    for key, expected in (("project_name", p), ("aws_region", region), ("aws_account_id", acct),
                          ("github_repository", config["github_repository"])):
        if key in bootstrap:
            yield BOOTSTRAP_TFVARS, f"{key.replace('_', ' ')}", bootstrap[key], expected, key

    dockerfile = kit.path("Dockerfile")
    if dockerfile.is_file():
        text = dockerfile.read_text(encoding="utf-8")
        exposed = re.findall(r"^EXPOSE\s+(\d+)", text, re.M)
        if exposed:
            yield "Dockerfile", "container port (EXPOSE)", int(exposed[-1]), port, "EXPOSE"
        healthcheck = re.findall(r"^HEALTHCHECK .*$", text, re.M)
        if healthcheck:
            found = health if health in healthcheck[-1] else _path_in(healthcheck[-1])
            yield "Dockerfile", "health-check path", found, health, "HEALTHCHECK"

    for workflow in kit.workflows():
        name = kit.display(workflow)
        text = workflow.read_text(encoding="utf-8")
        for account, _role in set(_ROLE_ARN.findall(text)):
            yield name, "account id in a role ARN", account, acct, account
        for account, reg, repo in set(_REGISTRY.findall(text)):
            yield name, "image repository", f"{account}.dkr.ecr.{reg}.amazonaws.com/{repo}", repository, account
        for found in set(_regions_in(text)):
            yield name, "region", found, region, found


def _task_definition_facts(
    kit: Kit, relative: str, family: str, config: dict[str, Any], repository: str
) -> Iterator[tuple[str, str, Any, Any, Any]]:
    loaded = kit.read_json(relative)
    if loaded is None or not isinstance(loaded[0], dict):
        return  # taskdef.check reports a missing or broken file
    td = loaded[0]
    p, acct, region = config["project_name"], config["aws_account_id"], config["aws_region"]
    yield relative, "family", td.get("family"), family, '"family"'
    containers = [c for c in td.get("containerDefinitions") or [] if isinstance(c, dict)]
    app = next((c for c in containers if c.get("name") == p), containers[0] if containers else {})
    yield relative, "container name", app.get("name"), p, None
    ports = [m.get("containerPort") for m in app.get("portMappings") or [] if isinstance(m, dict)]
    if ports:
        yield relative, "container port", ports[0], config["container_port"], '"containerPort"'
    command = " ".join(map(str, (app.get("healthCheck") or {}).get("command") or []))
    health = config["health_check_path"]
    if command:
        yield relative, "health-check path", health if health in command else _path_in(command), health, '"healthCheck"'
    image = str(app.get("image", ""))
    if _REGISTRY.search(image):
        yield relative, "image repository", image.split("@")[0].rsplit(":", 1)[0], repository, None
    logs = (app.get("logConfiguration") or {}).get("options") or {}
    if "awslogs-region" in logs:
        yield relative, "region", logs["awslogs-region"], region, None
    for key in ("executionRoleArn", "taskRoleArn"):
        match = _ROLE_ARN.search(str(td.get(key, "")))
        if match:
            yield relative, f"account id in {key}", match.group(1), acct, None


def _path_in(command: str) -> str | None:
    """The URL path a health-check command probes, e.g. '/health' in 'curl http://127.0.0.1:8080/health'."""
    match = re.search(r"https?://[^/\s'\"]+(/[^\s'\")]*)", command)
    return match.group(1) if match else None


def _regions_in(text: str) -> Iterator[str]:
    """Region values a workflow sets (``aws-region:`` inputs, ``AWS_REGION`` env)."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError:
        return
    stack: list[Any] = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("aws-region", "AWS_REGION", "AWS_DEFAULT_REGION") and isinstance(value, str) \
                        and "${{" not in value:
                    yield value
                else:
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)
