"""`fargate-gen explain`: resources, the rollout model against AWS defaults, and the cost estimate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator._cli import cli
from generator.config import load_config
from generator.explain import (
    FARGATE_GB_HOUR,
    FARGATE_VCPU_HOUR,
    HOURS_PER_MONTH,
    explain,
    rollout,
    waves,
)
from tests.helpers import ROOT

RIDERAPP = ROOT / "examples" / "riderapp" / "fargate-gen.yml"
THREE = ROOT / "tests" / "cases" / "valid" / "three-environments.yml"


@pytest.mark.parametrize(
    ("desired", "minimum", "maximum", "expected"),
    [(2, 100, 200, 1), (10, 100, 200, 1), (4, 100, 150, 2), (3, 100, 100, 3), (4, 50, 100, 2), (1, 0, 100, 1)],
)
def test_waves(desired: int, minimum: int, maximum: int, expected: int) -> None:
    assert waves(desired, minimum, maximum) == expected


def test_tuned_spring_rollout_is_under_two_minutes_and_defaults_about_seven() -> None:
    config = load_config(RIDERAPP)
    environment = {"desired_count": 2, "task_cpu": 512}
    model = rollout(config, environment)
    phases = {p.name.split(" (")[0]: p for p in model.phases}
    assert phases["drain the old tasks"].defaults == 300  # AWS's deregistration delay
    assert phases["drain the old tasks"].tuned == config["deployment"]["deregistration_delay"]
    assert model.tuned < 120
    assert 6.5 * 60 < model.defaults < 7.5 * 60


def test_node_rollout_is_about_a_minute() -> None:
    config = load_config(ROOT / "examples" / "orders-api" / "fargate-gen.yml")
    model = explain(config).environments[0].rollout
    assert 50 < model.tuned < 75
    assert model.defaults / model.tuned > 5


def test_a_slower_rollout_setting_shows_in_the_model(tmp_path: Path) -> None:
    config = tmp_path / "fargate-gen.yml"
    config.write_text(RIDERAPP.read_text() + "deployment:\n  deregistration_delay: 120\n  maximum_percent: 150\n")
    model = explain(load_config(config)).environments[0].rollout
    assert model.waves == 2
    assert dict((p.name.split(" (")[0], p.tuned) for p in model.phases)["drain the old tasks"] == 240


def test_fargate_cost_follows_the_price_table() -> None:
    config = load_config(RIDERAPP)
    costs = dict(explain(config).environments[0].costs)
    fargate = next(cost for what, cost in costs.items() if what.startswith("Fargate"))
    assert fargate == pytest.approx(2 * (0.5 * FARGATE_VCPU_HOUR + 1 * FARGATE_GB_HOUR) * HOURS_PER_MONTH)
    assert any(what.startswith("RDS db.t3.micro") for what in costs)


def test_every_environment_is_explained_in_order_and_spot_is_cheaper() -> None:
    explanation = explain(load_config(THREE))
    assert [e.name for e in explanation.environments] == ["dev", "staging", "prod"]
    assert [e.production for e in explanation.environments] == [False, False, True]
    dev, _, prod = explanation.environments
    fargate = {e.name: next(c for w, c in e.costs if w.startswith("Fargate")) for e in (dev, prod)}
    assert fargate["dev"] < fargate["prod"] / 3  # one Spot task against three on-demand ones
    assert any("HTTPS" in what for what, _ in prod.resources)
    assert explanation.monthly == pytest.approx(sum(e.monthly for e in explanation.environments) + 1.2)


def test_cli_text_and_json() -> None:
    result = CliRunner().invoke(cli, ["explain", str(THREE)])
    assert result.exit_code == 0, result.stderr
    for text in ("dev (promoted before production)", "prod (production", "https://api.shop.example.com",
                 "AWS defaults", "estimated total $"):
        assert text in result.stdout
    result = CliRunner().invoke(cli, ["explain", "--format", "json", str(RIDERAPP.parent)])
    data = json.loads(result.stdout)
    assert data["environments"][0]["rollout"]["aws_defaults_seconds"] > data["environments"][0]["rollout"]["tuned_seconds"]
    assert data["prices_as_of"]


def test_cli_bad_config_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "fargate-gen.yml"
    bad.write_text("project_name: x\n")
    result = CliRunner().invoke(cli, ["explain", str(bad)])
    assert result.exit_code == 1
    assert "::$.project_name" in result.stderr
