"""Regenerate ``schemas/task-definition.schema.json`` from the AWS API's own model.

botocore ships the ECS service model; the input shape of ``RegisterTaskDefinition`` becomes a JSON
Schema (2020-12) with one ``$defs`` entry per shape. Run it after upgrading botocore::

    python -m generator._taskdef_schema > schemas/task-definition.schema.json

Only development needs botocore; ``fargate-gen validate`` reads the committed schema.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def _summary(documentation: str) -> str:
    """The first sentence of a shape's HTML documentation, as plain text."""
    text = _SPACE.sub(" ", _TAGS.sub("", documentation)).strip()
    first, _, _ = text.partition(". ")
    return first.rstrip(".") + "." if first else ""


def _shape_schema(shape: Any, defs: dict[str, Any]) -> dict[str, Any]:
    """Schema for ``shape``: structures go to ``$defs`` by name; everything else inline."""
    kind = shape.type_name
    if kind == "structure":
        if shape.name not in defs:
            defs[shape.name] = {}  # reserve first: shapes can be recursive
            definition: dict[str, Any] = {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    name: _member_schema(member, defs) for name, member in shape.members.items()
                },
            }
            if shape.required_members:
                definition["required"] = list(shape.required_members)
            defs[shape.name] = definition
        return {"$ref": f"#/$defs/{shape.name}"}
    if kind == "list":
        return {"type": "array", "items": _member_schema(shape.member, defs)}
    if kind == "map":
        return {"type": "object", "additionalProperties": _member_schema(shape.value, defs)}
    if kind == "string":
        schema: dict[str, Any] = {"type": "string"}
        if shape.enum:
            schema["enum"] = list(shape.enum)
        return schema
    if kind in ("integer", "long"):
        return {"type": "integer"}
    if kind in ("float", "double"):
        return {"type": "number"}
    if kind == "boolean":
        return {"type": "boolean"}
    return {}  # timestamps and blobs do not occur in this input


def _member_schema(member: Any, defs: dict[str, Any]) -> dict[str, Any]:
    schema = _shape_schema(member, defs)
    description = _summary(member.documentation or "")
    if description and "$ref" not in schema:
        schema["description"] = description
    return schema


def build() -> dict[str, Any]:
    """The schema of a RegisterTaskDefinition input, as ``aws ecs register-task-definition
    --cli-input-json`` accepts it."""
    import botocore
    import botocore.session

    model = botocore.session.get_session().get_service_model("ecs")
    shape = model.operation_model("RegisterTaskDefinition").input_shape
    defs: dict[str, Any] = {}
    root = _shape_schema(shape, defs)["$ref"].rsplit("/", 1)[1]
    request = defs.pop(root)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/fargate-gen/fargate-gen/blob/main/schemas/task-definition.schema.json",
        "title": "ECS RegisterTaskDefinition input (.aws/task-definition.json)",
        "description": (
            f"Generated from the botocore {botocore.__version__} model of the ECS API "
            "(RegisterTaskDefinition) by `python -m generator._taskdef_schema`; do not edit by hand."
        ),
        **request,
        "$defs": dict(sorted(defs.items())),
    }


if __name__ == "__main__":
    json.dump(build(), sys.stdout, indent=2)
    sys.stdout.write("\n")
