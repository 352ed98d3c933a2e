"""Read a project config (``fargate-gen.yml``) and check it against ``schemas/project.schema.json``.

Kept free of copier and other heavy imports: ``fargate-gen validate`` runs on every commit.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from generator._resources import schema_path
from generator.errors import ConfigError, Finding

CONFIG_FILENAME = "fargate-gen.yml"
PROJECT_SCHEMA = "project.schema.json"

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class Document:
    """A parsed YAML mapping and the line of each key, by JSON path (``$.task_cpu``)."""

    data: dict[str, Any]
    lines: dict[str, int] = field(default_factory=dict)


@cache
def project_schema() -> dict[str, Any]:
    """The project config schema, parsed once."""
    with schema_path(PROJECT_SCHEMA).open(encoding="utf-8") as handle:
        schema: dict[str, Any] = json.load(handle)
    return schema


def parse_yaml(text: str, source: str) -> Document:
    """Parse one YAML mapping, rejecting what ``yaml.safe_load`` lets through silently.

    Duplicate keys, several documents, tabs used for indentation, an empty file and a document
    that is not a mapping each raise a :class:`ConfigError` naming the line.
    """
    for number, line in enumerate(text.splitlines(), start=1):
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent:
            raise ConfigError(
                [Finding(source, "$", "a tab is used for indentation", "indent with spaces", number)]
            )
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ConfigError(
                [
                    Finding(
                        source,
                        "$",
                        "the file is empty",
                        "add at least project_name, app_type, aws_account_id and github_repository",
                    )
                ]
            )
        if not isinstance(node, yaml.MappingNode):
            kind = "a list" if isinstance(node, yaml.SequenceNode) else "a single value"
            raise ConfigError(
                [
                    Finding(
                        source,
                        "$",
                        f"the document is {kind}, not a mapping of settings",
                        "write one 'key: value' per line, e.g. 'project_name: riderapp'",
                        node.start_mark.line + 1,
                    )
                ]
            )
        document = Document({})
        document.data = _build_mapping(loader, node, "$", source, document.lines)
        return document
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or str(error)
        if error.context and "single document" in error.context:
            problem = "the file holds more than one YAML document"
        raise ConfigError(
            [
                Finding(
                    source,
                    "$",
                    f"not valid YAML: {problem}",
                    "fix the syntax at that line",
                    mark.line + 1 if mark else None,
                )
            ]
        ) from None
    finally:
        loader.dispose()


def _build_mapping(
    loader: yaml.SafeLoader, node: yaml.MappingNode, path: str, source: str, lines: dict[str, int]
) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str):
            raise ConfigError(
                [Finding(source, path, f"key {key!r} is not a string", "quote the key or rename it", line)]
            )
        child = f"{path}.{key}"
        if key in result:
            raise ConfigError(
                [
                    Finding(
                        source,
                        child,
                        f"'{key}' is set twice (first on line {lines[child]})",
                        "keep one of the two",
                        line,
                    )
                ]
            )
        lines[child] = line
        if isinstance(value_node, yaml.MappingNode):
            result[key] = _build_mapping(loader, value_node, child, source, lines)
        else:
            result[key] = loader.construct_object(value_node, deep=True)
    return result


def read_document(path: Path) -> Document:
    """Read and parse a config file; a missing or unreadable file is a :class:`ConfigError`."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            [Finding(source, "$", "the file does not exist", f"create it (see examples/*/{CONFIG_FILENAME})")]
        ) from None
    except IsADirectoryError:
        raise ConfigError(
            [Finding(source, "$", "is a directory, not a config file", f"point at {path / CONFIG_FILENAME}")]
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError([Finding(source, "$", f"cannot be read ({error})", "check the path")]) from None
    return parse_yaml(text, source)


def apply_defaults(data: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``data`` with every default of the schema filled in, per-``app_type`` ones included.

    JSON Schema validators ignore ``default``; the schema keeps the per-app-type defaults in
    ``allOf[].if/then`` branches, applied here until nothing changes.
    """
    from jsonschema import Draft202012Validator

    schema = project_schema()
    result = dict(data)
    changed = True
    while changed:
        changed = False
        branches: list[Mapping[str, Any]] = [schema]
        for branch in schema.get("allOf", []):
            if Draft202012Validator(branch["if"]).is_valid(result):
                branches.append(branch["then"])
        for branch in branches:
            for name, spec in branch.get("properties", {}).items():
                if name not in result and "default" in spec:
                    result[name] = spec["default"]
                    changed = True
    return result


def check(data: Mapping[str, Any], source: str, lines: Mapping[str, int] | None = None) -> list[Finding]:
    """Every schema violation in ``data`` (defaults already applied), sorted by path."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(project_schema())
    findings = [
        finding
        for error in validator.iter_errors(dict(data))
        for finding in _findings(error, data, source, lines or {})
    ]
    unique = {(f.path, f.problem): f for f in findings}
    return sorted(unique.values(), key=lambda f: (f.path, f.problem))


def load_config(path: Path, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Read ``path``, apply ``overrides`` and the schema's defaults, and check the result.

    Returns the complete config; raises :class:`ConfigError` listing every problem.
    """
    document = read_document(path)
    data = apply_defaults({**document.data, **(overrides or {})})
    findings = check(data, str(path), document.lines)
    if findings:
        raise ConfigError(findings)
    return data


def _findings(error: Any, data: Mapping[str, Any], source: str, lines: Mapping[str, int]) -> list[Finding]:
    """Turn one jsonschema error into findings whose messages say how to fix them."""
    if error.validator == "additionalProperties":
        known = project_schema()["properties"]
        findings = []
        for name in sorted(set(data) - set(known)):
            close = difflib.get_close_matches(name, known, n=1)
            fix = f"did you mean '{close[0]}'?" if close else "remove it; the schema lists every setting"
            findings.append(Finding(source, f"$.{name}", "is not a known setting", fix, lines.get(f"$.{name}")))
        return findings
    return [_finding(error, data, source, lines)]


def _finding(error: Any, data: Mapping[str, Any], source: str, lines: Mapping[str, int]) -> Finding:
    """Turn one jsonschema error into a Finding whose message says how to fix it."""
    schema = project_schema()
    properties: dict[str, Any] = schema["properties"]
    path = "$" + "".join(f".{part}" if isinstance(part, str) else f"[{part}]" for part in error.absolute_path)
    name = str(error.absolute_path[-1]) if error.absolute_path else ""
    spec = properties.get(name, {})
    value = error.instance

    if error.validator == "required":
        missing = error.message.split("'")[1]
        example = properties[missing]["examples"][0]
        return Finding(source, f"$.{missing}", "is required", f"add '{missing}: {json.dumps(example)}'")
    line = lines.get(path)
    if error.validator == "type":
        fix = spec.get("x-fix") or f"use a {error.validator_value}, e.g. {json.dumps(spec.get('examples', [''])[0])}"
        return Finding(source, path, f"{json.dumps(value)} is not a {error.validator_value}", fix, line)
    if error.validator in ("enum", "const"):
        allowed = error.validator_value if error.validator == "enum" else [error.validator_value]
        choices = ", ".join(str(choice) for choice in allowed)
        condition = _branch_condition(error.schema_path, data)
        problem = f"{json.dumps(value)} is not allowed" + (f" {condition}" if condition else "")
        return Finding(source, path, problem, f"use one of {choices}", line)
    if error.validator == "pattern" or error.validator in ("minLength", "maxLength"):
        problem = f"{json.dumps(value)} is not a valid {name.replace('_', ' ')}"
        if error.validator == "maxLength":
            problem = f"{json.dumps(value)} is longer than {error.validator_value} characters"
        return Finding(source, path, problem, spec.get("x-fix", error.message), line)
    if error.validator in ("minimum", "maximum"):
        low, high = spec.get("minimum"), spec.get("maximum")
        return Finding(source, path, f"{value} is out of range", f"use a value from {low} to {high}", line)
    return Finding(source, path, error.message, "see the schema's description of this setting", line)


def _branch_condition(schema_path: Iterator[Any] | Any, data: Mapping[str, Any]) -> str:
    """Describe the ``if`` that made an ``allOf`` branch apply, e.g. 'for app_type node-backend'."""
    parts = list(schema_path)
    if len(parts) < 2 or parts[0] != "allOf":
        return ""
    condition = project_schema()["allOf"][parts[1]]["if"]["properties"]
    key = next(iter(condition))
    if key == "task_cpu":
        return f"with task_cpu {data.get(key)}"
    return f"for {key} {data.get(key)}"
