"""Generate the README's config reference from the schema, so the two cannot disagree."""

from __future__ import annotations

import json
from typing import Any

from generator.config import project_schema

BEGIN = "<!-- config-reference:begin (generated from schemas/project.schema.json by `python -m generator._docs`) -->"
END = "<!-- config-reference:end -->"


def _default(name: str, schema: dict[str, Any]) -> str:
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
    if "enum" in spec:
        return ", ".join(f"`{json.dumps(v)}`" for v in spec["enum"])
    if "pattern" in spec:
        return f"`{spec['pattern']}`"
    if "minimum" in spec:
        return f"{spec['minimum']}–{spec['maximum']}"
    return spec["type"]


def config_reference() -> str:
    """A Markdown table of every setting: type, default, allowed values, description."""
    schema = project_schema()
    rows = ["| setting | type | default | allowed | what it does |", "|---|---|---|---|---|"]
    for name, spec in schema["properties"].items():
        description = spec["description"].replace("|", "\\|")
        allowed = _allowed(spec).replace("|", "\\|")
        rows.append(f"| `{name}` | {spec['type']} | {_default(name, schema)} | {allowed} | {description} |")
    rows.append("")
    rows.append("`task_memory` must pair with `task_cpu` as Fargate allows: 256 → 512, 1024, 2048; "
                "512 → 1024–4096; 1024 → 2048–8192; 2048 → 4096–16384 (steps of 1024); "
                "4096 → 8192–30720 (1024); 8192 → 16384–61440 (4096); 16384 → 32768–122880 (8192).")
    return "\n".join([BEGIN, *rows, END])


if __name__ == "__main__":
    print(config_reference())
