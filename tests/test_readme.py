"""The README stays true: its config reference is the schema's, and CI runs its test command."""

from __future__ import annotations

import re

from generator._docs import BEGIN, END, config_reference
from tests.helpers import ROOT

README = (ROOT / "README.md").read_text()


def test_config_reference_is_generated_from_the_schema() -> None:
    start, end = README.index(BEGIN), README.index(END) + len(END)
    assert README[start:end] == config_reference(), "run: python -m generator._docs and paste it into README.md"


def test_quick_start_has_two_commands_and_ci_runs_the_test_command() -> None:
    commands = re.findall(r"```sh\n(.+?)\n```", README.split("## Quick start", 1)[1].split("\n## ", 1)[0])
    assert len(commands) == 2
    install_and_render, install_and_test = commands
    assert "fargate-gen new" in install_and_render and "examples/riderapp" in install_and_render
    test_command = install_and_test.split("&&")[-1].strip()
    ci = (ROOT / ".ci" / "run").read_text()
    assert ci.rstrip().splitlines()[-1] == test_command
