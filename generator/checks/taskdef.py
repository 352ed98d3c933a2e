"""``.aws/task-definition.json``: the ECS API's own model, then the Fargate rules it cannot express."""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from generator._resources import schema_path
from generator.checks._kit import Kit
from generator.config import project_schema
from generator.errors import Finding

TOOL = "task-definition"
# Names and values that give a secret away when they sit in plain `environment`.
_SECRET_NAME = re.compile(r"(^|_)(PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|ACCESS_KEY|PRIVATE_KEY|CREDENTIALS?)$", re.I)
_SECRET_VALUE = re.compile(r"AKIA[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY-----|://[^/\s:@]+:[^/\s@]+@")


@cache
def _schema() -> dict[str, Any]:
    with schema_path("task-definition.schema.json").open(encoding="utf-8") as handle:
        schema: dict[str, Any] = json.load(handle)
    return schema


def fargate_memory(cpu: int) -> list[int]:
    """Memory sizes Fargate accepts for ``cpu`` units, from the project schema's pairs."""
    for branch in project_schema()["allOf"]:
        if branch["if"]["properties"].get("task_cpu", {}).get("const") == cpu:
            memory: list[int] = branch["then"]["properties"]["task_memory"]["enum"]
            return memory
    return []


def check(kit: Kit) -> list[Finding]:
    """Every problem in each environment's task definition."""
    findings = []
    for _, relative, tfvars in kit.environments():
        if not kit.path(relative).is_file():
            findings.append(Finding(relative, "$", "is missing", "restore it from the template (fargate-gen update)",
                                    tool=TOOL, rule="missing"))
            continue
        loaded = kit.read_json(relative)
        if loaded is None:
            findings.append(Finding(relative, "$", "is not valid JSON", "fix the syntax", tool=TOOL, rule="json"))
            continue
        data, _ = loaded
        findings += _schema_findings(kit, relative, data)
        if isinstance(data, dict):
            findings += _fargate_findings(kit, relative, tfvars, data)
    return findings


def _schema_findings(kit: Kit, relative: str, data: Any) -> list[Finding]:
    from jsonschema import Draft202012Validator

    findings = []
    for error in Draft202012Validator(_schema()).iter_errors(data):
        path = "$" + "".join(f".{p}" if isinstance(p, str) else f"[{p}]" for p in error.absolute_path)
        key = next((p for p in reversed(error.absolute_path) if isinstance(p, str)), None)
        line = kit.line_of(relative, f'"{key}"') if key else None
        findings.append(
            Finding(relative, path, error.message, "see RegisterTaskDefinition in the ECS API reference",
                    line, TOOL, f"api-{error.validator}")
        )
    return findings


def _fargate_findings(kit: Kit, relative: str, tfvars: str, td: dict[str, Any]) -> list[Finding]:
    findings: list[Finding] = []

    def add(path: str, problem: str, fix: str, rule: str, key: str | None = None) -> None:
        line = kit.line_of(relative, f'"{key}"') if key else None
        findings.append(Finding(relative, path, problem, fix, line, TOOL, rule))

    if td.get("networkMode") != "awsvpc":
        add("$.networkMode", f"is {json.dumps(td.get('networkMode'))}; Fargate needs awsvpc",
            'set "networkMode": "awsvpc"', "fargate-network-mode", "networkMode")
    if "FARGATE" not in (td.get("requiresCompatibilities") or []):
        add("$.requiresCompatibilities", "does not include FARGATE", 'set ["FARGATE"]',
            "fargate-compatibility", "requiresCompatibilities")
    try:
        cpu, memory = int(td.get("cpu", "")), int(td.get("memory", ""))
    except ValueError:
        add("$.cpu", "task-level cpu and memory are required on Fargate", 'set "cpu" and "memory", e.g. "512"/"1024"',
            "fargate-size", "cpu")
    else:
        allowed = fargate_memory(cpu)
        if not allowed:
            add("$.cpu", f"{cpu} is not a Fargate CPU size", "use 256, 512, 1024, 2048, 4096, 8192 or 16384",
                "fargate-size", "cpu")
        elif memory not in allowed:
            add("$.memory", f"{memory} MiB is not valid with {cpu} CPU units",
                f"use one of {', '.join(map(str, allowed))}", "fargate-size", "memory")
    for role in ("executionRoleArn", "taskRoleArn"):
        if not str(td.get(role, "")).startswith("arn:aws"):
            add(f"$.{role}", "is missing", "set the role ARN (Terraform creates both roles)", "roles", role)

    config = kit.config_or_none()
    expected_port = kit.tfvars(tfvars).get(
        "container_port", config.get("container_port") if config else None
    )
    for index, container in enumerate(td.get("containerDefinitions") or []):
        if not isinstance(container, dict):
            continue
        where = f"$.containerDefinitions[{index}]"
        ports = [m.get("containerPort") for m in container.get("portMappings") or [] if isinstance(m, dict)]
        for m_index, mapping in enumerate(container.get("portMappings") or []):
            if isinstance(mapping, dict) and mapping.get("hostPort") not in (None, mapping.get("containerPort")):
                add(f"{where}.portMappings[{m_index}].hostPort", "differs from containerPort; awsvpc needs them equal",
                    "remove hostPort or make it equal", "awsvpc-ports", "hostPort")
        if index == 0 and expected_port is not None and ports and expected_port not in ports:
            add(f"{where}.portMappings", f"map port(s) {ports}, but the target group sends traffic to {expected_port}",
                f"map containerPort {expected_port} (or change container_port everywhere)", "target-group-port",
                "portMappings")
        for v_index, variable in enumerate(container.get("environment") or []):
            name, value = str(variable.get("name", "")), str(variable.get("value", ""))
            if (_SECRET_NAME.search(name) and value) or _SECRET_VALUE.search(value):
                add(f"{where}.environment[{v_index}]", f"{name} looks like a secret in plain text",
                    "move it to `secrets` with an SSM parameter or Secrets Manager ARN", "plaintext-secret", name)
    return findings
