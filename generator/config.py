"""Read a project config (``fargate-gen.yml``) and check it against ``schemas/project.schema.json``.

Kept free of copier and other heavy imports: ``fargate-gen validate`` runs on every commit.
"""

from __future__ import annotations

import copy
import difflib
import json
import re
import warnings
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
# Bounds that keep `validate` (the pre-commit hook) fast on any input: a complete config is a few
# KB with about a hundred keys and list items, so these are far above any real one.
MAX_BYTES = 64 * 1024
MAX_ENTRIES = 1000


class LegacyOidcSubjectWarning(UserWarning):
    """The config has no GitHub IDs: the AWS roles trust the repository by its name only."""


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
        _refuse_aliases(text, source)
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


def _refuse_aliases(text: str, source: str) -> None:
    """Refuse YAML anchors and aliases, before anything is built from them.

    A config needs neither, and aliases of aliases make a file of a few hundred bytes expand into
    gigabytes (a "billion laughs"): refusing them keeps ``validate`` linear in the file's size.
    """
    if "&" not in text and "*" not in text:
        return  # no anchor or alias can be in it: spare the second scan
    scanner = _Loader(text)
    try:
        while scanner.check_token():
            token = scanner.get_token()  # type: ignore[no-untyped-call]
            if isinstance(token, (yaml.AnchorToken, yaml.AliasToken)):
                kind = "anchor &" if isinstance(token, yaml.AnchorToken) else "alias *"
                raise ConfigError([Finding(
                    source, "$", f"uses the YAML {kind}{token.value}: {CONFIG_FILENAME} takes no anchors or "
                    "aliases, which can make a small file expand without bound",
                    "write each value out in full", token.start_mark.line + 1,
                )])
    finally:
        scanner.dispose()


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
        if len(lines) > MAX_ENTRIES:
            raise ConfigError([Finding(
                source, "$", f"holds more than {MAX_ENTRIES} keys and list items; a complete config holds "
                "about a hundred", "remove what is not a setting of fargate-gen.yml", line,
            )])
        result[key] = _build_value(loader, value_node, child, source, lines)
    return result


def _build_value(loader: yaml.SafeLoader, node: yaml.Node, path: str, source: str, lines: dict[str, int]) -> Any:
    """Construct ``node``, recording the line of every key and list item below it."""
    if isinstance(node, yaml.MappingNode):
        return _build_mapping(loader, node, path, source, lines)
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            lines[f"{path}[{index}]"] = item.start_mark.line + 1
            items.append(_build_value(loader, item, f"{path}[{index}]", source, lines))
        return items
    return loader.construct_object(node, deep=True)


def read_document(path: Path) -> Document:
    """Read and parse a config file; a missing or unreadable file is a :class:`ConfigError`."""
    source = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ConfigError([Finding(
                source, "$", f"is {size} bytes; a fargate-gen.yml is a few KB, and more than {MAX_BYTES} "
                "is refused unread", f"point at the project's {CONFIG_FILENAME}",
            )])
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
    """Return a copy of ``data`` with every default of the schema filled in.

    JSON Schema validators ignore ``default``. The schema keeps per-``app_type`` defaults in
    ``allOf[].if/then`` branches and nested ones inside objects and array items; they are applied
    here, a partial object given by the user being completed key by key, until nothing changes.
    """
    from jsonschema import Draft202012Validator

    schema = project_schema()
    result = copy.deepcopy(dict(data))
    changed = True
    while changed:
        changed = False
        branches: list[Mapping[str, Any]] = [schema]
        for branch in schema.get("allOf", []):
            if Draft202012Validator(branch["if"]).is_valid(result):
                branches.append(branch["then"])
        for branch in branches:
            for name, spec in branch.get("properties", {}).items():
                changed |= _fill(result, name, spec)
    return result


def _resolve(spec: Mapping[str, Any]) -> Mapping[str, Any]:
    """Follow a local ``$ref`` (``#/$defs/...``), keeping the referring schema's own keywords."""
    ref = spec.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return spec
    target: Any = project_schema()
    for part in ref[2:].split("/"):
        target = target[part]
    return {**target, **{k: v for k, v in spec.items() if k != "$ref"}}


def _fill(container: dict[str, Any], name: str, spec: Mapping[str, Any]) -> bool:
    """Fill ``container[name]`` and what is nested in it from ``spec``'s defaults; True if it changed."""
    spec = _resolve(spec)
    changed = False
    if name not in container:
        if "default" not in spec:
            return False
        container[name] = copy.deepcopy(spec["default"])
        changed = True
    value = container[name]
    if isinstance(value, dict):
        if isinstance(spec.get("default"), dict):
            for key, default in spec["default"].items():
                if key not in value:
                    value[key] = copy.deepcopy(default)
                    changed = True
        for key, nested in spec.get("properties", {}).items():
            changed |= _fill(value, key, nested)
    elif isinstance(value, list) and "items" in spec:
        items = _resolve(spec["items"])
        for item in value:
            if isinstance(item, dict):
                for key, nested in items.get("properties", {}).items():
                    changed |= _fill(item, key, nested)
    return changed


ENVIRONMENT_OVERRIDES = ("task_cpu", "task_memory", "desired_count")


def effective_environments(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each environment with the top-level values it does not override (config has its defaults).

    The last environment is production. The template computes the same in
    ``template/_fragments/environments.jinja``.
    """
    environments = []
    entries = config.get("environments") or [{"name": "prod"}]
    for index, entry in enumerate(entries):
        environment = {key: config.get(key) for key in ENVIRONMENT_OVERRIDES}
        environment.update({k: v for k, v in entry.items() if k != "autoscaling"})
        environment["autoscaling"] = {**(config.get("autoscaling") or {}), **(entry.get("autoscaling") or {})}
        environment["production"] = index == len(entries) - 1
        environment.setdefault("fargate_spot_percent", 0)
        if environment.get("domain") and not environment.get("hosted_zone"):
            environment["hosted_zone"] = str(environment["domain"]).split(".", 1)[1]
        environments.append(environment)
    return environments


def check(data: Mapping[str, Any], source: str, lines: Mapping[str, int] | None = None) -> list[Finding]:
    """Every schema violation in ``data`` (defaults already applied), then the rules across
    settings that JSON Schema cannot express, sorted by path."""
    findings = [
        finding
        for error in _validator().iter_errors(dict(data))
        for finding in _findings(error, data, source, lines or {})
    ]
    findings.extend(_control_character_findings(data, source, lines or {}))
    findings.extend(_github_id_findings(data, source, lines or {}))
    findings.extend(_cross_setting_findings(data, source, lines or {}))
    unique = {(f.path, f.problem): f for f in findings}
    return sorted(unique.values(), key=lambda f: (f.path, f.problem))


@cache
def _validator() -> Any:
    r"""The schema's validator, with every ``pattern`` matched in full.

    JSON Schema's ``pattern`` is a search, and Python's ``$`` also matches before a final newline:
    ``^[a-z]{2}-[a-z]+-[0-9]$`` would accept ``"us-east-1\n"``, which renders broken files.
    """
    from jsonschema import Draft202012Validator, validators
    from jsonschema.exceptions import ValidationError

    def full_pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
        if validator.is_type(instance, "string") and re.fullmatch(pattern, instance) is None:
            yield ValidationError(f"{instance!r} does not match {pattern!r}")

    extended = validators.extend(Draft202012Validator, {"pattern": full_pattern})  # type: ignore[no-untyped-call]
    return extended(project_schema())


# C0 and C1 controls, zero-width and bidirectional formatting characters: none belongs in a setting.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def _control_character_findings(
    data: Mapping[str, Any], source: str, lines: Mapping[str, int]
) -> list[Finding]:
    """Every string value (and key) holding a control character, which no setting allows."""
    findings = []
    pending: list[tuple[str, Any]] = [("$", data)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str):
            found = _CONTROL.search(value)
            if found:
                findings.append(Finding(
                    source, path, f"contains the control character U+{ord(found.group()):04X}",
                    "remove it: settings are one line of plain text (a YAML block scalar, | or >, adds a "
                    "newline: write the value on the key's line instead)", lines.get(path),
                ))
        elif isinstance(value, Mapping):
            pending.extend((f"{path}.{key}", item) for key, item in value.items())
            pending.extend((f"{path}.{key}", key) for key in value if isinstance(key, str))
        elif isinstance(value, list):
            pending.extend((f"{path}[{index}]", item) for index, item in enumerate(value))
    return findings


def _github_id_findings(data: Mapping[str, Any], source: str, lines: Mapping[str, int]) -> list[Finding]:
    """github_owner_id and github_repository_id come together: one without the other pins nothing."""
    owner, repository = data.get("github_owner_id"), data.get("github_repository_id")
    if not (isinstance(owner, int) and isinstance(repository, int)) or bool(owner) == bool(repository):
        return []
    given, missing = ("github_owner_id", "github_repository_id")[:: 1 if owner else -1]
    path = f"$.{missing}"
    return [Finding(
        source, path, f"is missing while {given} is set: the trust pins the repository by both IDs",
        f"add both from: gh api repos/{data.get('github_repository', 'OWNER/REPO')} --jq '.owner.id, .id'",
        lines.get(path) or lines.get(f"$.{given}"),
    )]


def trust_warnings(
    config: Mapping[str, Any], source: str, lines: Mapping[str, int] | None = None
) -> list[Finding]:
    """Warn about a valid config's weak trust: the legacy name-only subject, without GitHub IDs.

    The AWS roles then trust ``repo:OWNER/REPO:...``, which a recycled name also gets.
    """
    if config.get("github_owner_id") and config.get("github_repository_id"):
        return []
    repository = config.get("github_repository", "OWNER/REPO")
    return [Finding(
        source, "$.github_repository",
        f"the AWS roles trust {repository} by name only (the legacy OIDC subject repo:{repository}:...): "
        "whoever holds that name after a rename or deletion is trusted too, and repositories created or "
        "renamed since 2026-07-15 get GitHub's immutable subject, which this trust refuses",
        "add github_owner_id and github_repository_id from: "
        f"gh api repos/{repository} --jq '.owner.id, .id'",
        (lines or {}).get("$.github_repository"),
    )]


def _cross_setting_findings(data: Mapping[str, Any], source: str, lines: Mapping[str, int]) -> list[Finding]:
    """Rules across settings: unique environment names, valid sizes per environment, autoscaling
    bounds, no Spot in production, domains inside their hosted zones."""
    entries = data.get("environments")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        return []
    findings = []

    def add(path: str, problem: str, fix: str) -> None:
        findings.append(Finding(source, path, problem, fix, lines.get(path)))

    seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        name = entry.get("name")
        if isinstance(name, str) and name in seen:
            add(f"$.environments[{index}].name", f"'{name}' is already environment {seen[name]}",
                "give every environment its own name")
        elif isinstance(name, str):
            seen[name] = index
    try:
        environments = effective_environments(data)
    except (AttributeError, TypeError, IndexError):
        return findings  # malformed values: the schema errors already say what is wrong
    pairs = {
        branch["if"]["properties"]["task_cpu"]["const"]: branch["then"]["properties"]["task_memory"]["enum"]
        for branch in project_schema()["allOf"]
        if "task_cpu" in branch["if"]["properties"]
    }
    for index, (entry, environment) in enumerate(zip(entries, environments)):
        where = f"$.environments[{index}]"
        cpu, memory = environment.get("task_cpu"), environment.get("task_memory")
        if ("task_cpu" in entry or "task_memory" in entry) and cpu in pairs and memory not in pairs[cpu]:
            add(f"{where}.task_memory" if "task_memory" in entry else f"{where}.task_cpu",
                f"{memory} MiB is not valid with {cpu} CPU units in environment '{environment['name']}'",
                f"use task_memory one of {', '.join(map(str, pairs[cpu]))}")
        scaling, count = environment["autoscaling"], environment.get("desired_count")
        if scaling.get("enabled") and isinstance(count, int) and isinstance(scaling.get("max_count"), int) \
                and scaling["max_count"] < count:
            path = f"{where}.autoscaling.max_count" if "max_count" in (entry.get("autoscaling") or {}) \
                else "$.autoscaling.max_count"
            add(path, f"max_count {scaling['max_count']} is below desired_count {count} in environment "
                f"'{environment['name']}'", f"raise max_count to at least {count}, or disable autoscaling")
        if environment["production"] and entry.get("fargate_spot_percent"):
            add(f"{where}.fargate_spot_percent", f"'{environment['name']}' is the last environment (production), "
                "where Fargate Spot interruptions are not acceptable", "set it to 0, or use Spot in an earlier environment")
        domain, zone = entry.get("domain"), environment.get("hosted_zone")
        if isinstance(domain, str) and isinstance(zone, str) and domain != zone and not domain.endswith("." + zone):
            add(f"{where}.hosted_zone", f"{domain} is not inside the hosted zone {zone}",
                f"use a zone that {domain} ends with")
    return findings


def load_config(path: Path, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Read ``path``, apply ``overrides`` and the schema's defaults, and check the result.

    Returns the complete config; raises :class:`ConfigError` listing every problem. Issues a
    :class:`LegacyOidcSubjectWarning` for each of :func:`trust_warnings`.
    """
    document = read_document(path)
    data = apply_defaults({**document.data, **(overrides or {})})
    findings = check(data, str(path), document.lines)
    if findings:
        raise ConfigError(findings)
    for warning in trust_warnings(data, str(path), document.lines):
        # A warning, not an error: the legacy subject still works for repositories created before
        # 2026-07-15. Python's warnings print it on stderr with the file's line.
        warnings.warn_explicit(
            f"{warning.path}: {warning.message}", LegacyOidcSubjectWarning, str(path), warning.line or 0
        )
    return data


def _findings(error: Any, data: Mapping[str, Any], source: str, lines: Mapping[str, int]) -> list[Finding]:
    """Turn one jsonschema error into findings whose messages say how to fix them."""
    if error.validator == "additionalProperties":
        known = error.schema.get("properties", {})
        parent = _json_path(error.absolute_path)
        findings = []
        for count, name in enumerate(sorted(set(error.instance) - set(known))):
            # Suggestions cost a fuzzy match each: a few are helpful, thousands only slow.
            close = difflib.get_close_matches(name, known, n=1) if count < 20 else []
            fix = f"did you mean '{close[0]}'?" if close else "remove it; the schema lists every setting"
            path = f"{parent}.{name}"
            findings.append(Finding(source, path, "is not a known setting", fix, lines.get(path)))
        return findings
    return [_finding(error, data, source, lines)]


def _finding(error: Any, data: Mapping[str, Any], source: str, lines: Mapping[str, int]) -> Finding:
    """Turn one jsonschema error into a Finding whose message says how to fix it."""
    schema = project_schema()
    properties: dict[str, Any] = schema["properties"]
    path = _json_path(error.absolute_path)
    name = next((str(p) for p in reversed(error.absolute_path) if isinstance(p, str)), "")
    # The subschema that failed carries the property's own hints (x-fix, examples, bounds).
    spec = error.schema if isinstance(error.schema, dict) else properties.get(name, {})
    value = error.instance

    if error.validator == "required":
        missing = error.message.split("'")[1]
        example = (error.schema.get("properties", {}).get(missing, {}).get("examples") or ["..."])[0]
        where = f"{_json_path(error.absolute_path)}.{missing}"
        return Finding(source, where, "is required", f"add '{missing}: {json.dumps(example)}'", lines.get(where))
    line = lines.get(path)
    if error.validator == "type":
        example = (spec.get("examples") or properties.get(name, {}).get("examples") or [""])[0]
        fix = spec.get("x-fix") or f"use a {error.validator_value}, e.g. {json.dumps(example)}"
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


def _json_path(parts: Any) -> str:
    return "$" + "".join(f".{part}" if isinstance(part, str) else f"[{part}]" for part in parts)


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
