from __future__ import annotations

from pathlib import Path

import pytest

from generator.render import new
from tests.helpers import EXAMPLES


@pytest.fixture(scope="session")
def rendered_examples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every example config rendered once per test session, by example name."""
    kits = {}
    for example in EXAMPLES:
        dest = tmp_path_factory.mktemp("kits") / example.name
        new(dest, config=example / "fargate-gen.yml")
        kits[example.name] = dest
    return kits
