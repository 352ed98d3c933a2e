"""copier.yml asks exactly what schemas/project.schema.json defines: names, types, choices, defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import copier
import pytest
import yaml

from generator.config import apply_defaults, check, project_schema
from tests.helpers import ROOT, load_yaml

QUESTIONS = {k: v for k, v in load_yaml(ROOT / "copier.yml").items() if not k.startswith("_")}
SCHEMA = project_schema()
COPIER_TYPES = {"str": "string", "int": "integer", "bool": "boolean"}
# copier's `yaml` questions hold the schema's lists and objects.
YAML_TYPES = {"array", "object"}
REQUIRED = {"project_name": "riderapp", "aws_account_id": "123456789012", "github_repository": "acme/riderapp"}
APP_TYPES = SCHEMA["properties"]["app_type"]["enum"]


def choice_values(question: dict[str, Any]) -> list[Any]:
    choices = question.get("choices", [])
    if isinstance(choices, dict):
        return [spec["value"] if isinstance(spec, dict) else spec for spec in choices.values()]
    return list(choices)


def copier_answers(tmp_path: Path, data: dict[str, Any]) -> dict[str, Any]:
    """Let copier fill in its own defaults for everything not in ``data``."""
    copier.run_copy(str(ROOT), tmp_path, data=data, defaults=True, vcs_ref="HEAD", quiet=True)
    answers = yaml.safe_load((tmp_path / ".copier-answers.yml").read_text())
    return {k: v for k, v in answers.items() if not k.startswith("_")}


def test_same_names() -> None:
    assert set(QUESTIONS) == set(SCHEMA["properties"])


@pytest.mark.parametrize("name", sorted(QUESTIONS))
def test_same_type(name: str) -> None:
    copier_type, schema_type = QUESTIONS[name]["type"], SCHEMA["properties"][name]["type"]
    if copier_type == "yaml":
        assert schema_type in YAML_TYPES
    else:
        assert COPIER_TYPES[copier_type] == schema_type


@pytest.mark.parametrize("name", sorted(QUESTIONS))
def test_same_choices(name: str) -> None:
    assert choice_values(QUESTIONS[name]) == SCHEMA["properties"][name].get("enum", [])


@pytest.mark.parametrize("app_type", APP_TYPES)
def test_choices_enabled_per_app_type(tmp_path: Path, app_type: str) -> None:
    """The choices copier leaves enabled for an app type are the schema's enum for that app type."""
    for name in ("runtime_version", "build_tool"):
        branch_enum = next(
            b["then"]["properties"][name]["enum"]
            for b in SCHEMA["allOf"]
            if b["if"]["properties"].get("app_type", {}).get("const") == app_type
        )
        for value in choice_values(QUESTIONS[name]):
            data = {**REQUIRED, "app_type": app_type, name: value}
            accepted = not check(apply_defaults(data), "x")
            try:
                copier_answers(tmp_path / f"{name}-{value}", data)
                copier_accepted = True
            except ValueError:
                copier_accepted = False
            assert copier_accepted == accepted == (value in branch_enum), (name, value)


@pytest.mark.parametrize("app_type", APP_TYPES)
@pytest.mark.parametrize("enable_database", [False, True])
def test_same_defaults(tmp_path: Path, app_type: str, enable_database: bool) -> None:
    data = {**REQUIRED, "app_type": app_type, "enable_database": enable_database}
    ours = apply_defaults(data)
    theirs = copier_answers(tmp_path, data)
    # copier records only the questions it asked: the database ones are skipped when the DB is off.
    assert theirs == {k: v for k, v in ours.items() if k in theirs}
    skipped = set() if enable_database else {"database_type", "database_instance_class"}
    assert set(ours) - set(theirs) == skipped
    assert set(ours) == set(SCHEMA["properties"])


# Values the schema rejects; copier's validators must reject them too.
REJECTED = [
    ("project_name", "Rider_App"),
    ("project_name", "a"),
    ("project_name", "a" * 21),
    ("project_name", "rider--app"),
    ("project_name", "riderapp-"),
    ("aws_region", "US-EAST-1"),
    ("aws_region", "us-gov-west-1"),
    ("aws_region", "cn-north-1"),
    ("aws_account_id", "12345"),
    ("github_repository", "riderapp"),
    ("database_instance_class", "t3.micro"),
    ("container_port", 80),
    ("health_check_path", "health"),
    ("task_cpu", 300),
    ("task_memory", 3000),
    ("desired_count", 0),
    ("app_type", "python-django"),
    ("environments", [{"name": "production"}]),
    ("environments", [{"name": "prod"}, {"name": "prod"}]),
    ("environments", [{"name": "dev"}, {"name": "prod", "fargate_spot_percent": 50}]),
    ("environments", []),
    ("github_owner_id", -1),
    ("github_repository_id", 2**53),
    ("github_repository_id", 812345678),  # without github_owner_id
    ("deploy_branch", "release/*"),
    ("deploy_branch", "feature..x"),
    ("deploy_branch", "-main"),
    ("deploy_branch", "my branch"),
]


@pytest.mark.parametrize(("name", "value"), REJECTED)
def test_same_rejections(tmp_path: Path, name: str, value: Any) -> None:
    data = {**REQUIRED, "app_type": "java-spring-boot", "enable_database": True, name: value}
    assert check(apply_defaults(data), "x"), "the schema accepts it"
    with pytest.raises(ValueError, match=name):
        copier_answers(tmp_path, data)
