"""Generate the README's config reference from the schema, so the two cannot disagree."""

from __future__ import annotations

import json
from typing import Any

from generator.config import project_schema

BEGIN = "<!-- config-reference:begin (generated from schemas/project.schema.json by `python -m generator._docs`) -->"
END = "<!-- config-reference:end -->"


def _default(name: str, schema: dict[str, Any]) -> str:
    if schema["properties"][name]["type"] == "object":
        return "see below"
    defaults = []
    if "default" in schema["properties"][name]:
        defaults.append(f"`{json.dumps(schema['properties'][name]['default'])}`")
    for branch in schema.get("allOf", []):
        condition = branch["if"]["properties"]
        spec = branch["then"]["properties"].get(name, {})
        if "default" in spec:
            key, value = next(iter(condition.items()))
            defaults.append(f"`{json.dumps(spec['default'])}` ({value['const']})")
    if name in schema.get("required", []):
        return "required"
    return ", ".join(defaults) or "—"


def _allowed(spec: dict[str, Any]) -> str:
    if spec.get("type") in ("object", "array"):
        return "see below"
    if "enum" in spec:
        return ", ".join(f"`{json.dumps(v)}`" for v in spec["enum"])
    if "pattern" in spec:
        return f"`{spec['pattern']}`"
    if "minimum" in spec:
        return f"{spec['minimum']}–{spec['maximum']}"
    return str(spec.get("type", ""))


def _branch_defaults(name: str, schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Per-app-type defaults of the object setting ``name``: (app type, default object)."""
    found = []
    for branch in schema.get("allOf", []):
        default = branch["then"]["properties"].get(name, {}).get("default")
        if isinstance(default, dict):
            found.append((next(iter(branch["if"]["properties"].values()))["const"], default))
    return found


def _nested_rows(prefix: str, spec: dict[str, Any], defaults: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    """Rows for the fields of an object setting (or of each item of a list setting)."""
    per_app_type = _branch_defaults(prefix.rstrip("."), schema)
    rows = []
    for name, field in spec.get("properties", {}).items():
        if "$ref" in field:
            target: Any = schema
            for part in field["$ref"][2:].split("/"):
                target = target[part]
            field = {**target, **{k: v for k, v in field.items() if k != "$ref"}}
        if "default" in field:
            default = f"`{json.dumps(field['default'])}`"
        elif name in defaults:
            default = f"`{json.dumps(defaults[name])}`"
        elif any(name in branch for _, branch in per_app_type):
            default = ", ".join(f"`{json.dumps(branch[name])}` ({app})" for app, branch in per_app_type if name in branch)
        else:
            default = "required" if name in spec.get("required", []) else "—"
        description = field["description"].replace("|", "\\|")
        allowed = _allowed(field).replace("|", "\\|")
        rows.append(f"| `{prefix}{name}` | {field.get('type', 'object')} | {default} | {allowed} | {description} |")
    return rows


def config_reference() -> str:
    """A Markdown table of every setting and every field of the structured ones."""
    schema = project_schema()
    rows = ["| setting | type | default | allowed | what it does |", "|---|---|---|---|---|"]
    for name, spec in schema["properties"].items():
        description = spec["description"].replace("|", "\\|")
        allowed = _allowed(spec).replace("|", "\\|")
        rows.append(f"| `{name}` | {spec['type']} | {_default(name, schema)} | {allowed} | {description} |")
        if spec["type"] == "object":
            rows += _nested_rows(f"{name}.", spec, spec.get("default", {}), schema)
        elif spec["type"] == "array" and "$ref" in spec.get("items", {}):
            item = schema["$defs"][spec["items"]["$ref"].rsplit("/", 1)[1]]
            rows += _nested_rows(f"{name}[].", item, {}, schema)
    rows.append("")
    rows.append("`task_memory` must pair with `task_cpu` as Fargate allows: 256 → 512, 1024, 2048; "
                "512 → 1024–4096; 1024 → 2048–8192; 2048 → 4096–16384 (steps of 1024); "
                "4096 → 8192–30720 (1024); 8192 → 16384–61440 (4096); 16384 → 32768–122880 (8192).")
    return "\n".join([BEGIN, *rows, END])


if __name__ == "__main__":
    print(config_reference())
