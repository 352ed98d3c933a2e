from __future__ import annotations

from pathlib import Path

import pytest

from generator.render import new
from tests.helpers import EXAMPLES

_EXAMPLE_NAMES = {example.name for example in EXAMPLES}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Keep the tests that share one example's emulator setup on one xdist worker.

    The emulator tests mostly wait on moto and Terraform, so the suite runs them in parallel workers
    (``-n 4 --dist loadgroup``). Their expensive fixtures are module-scoped per example (a bootstrap and
    every environment applied once): grouping by module and example keeps each of those on a single
    worker, built once, while different examples run side by side. Without xdist the marks do nothing.
    """
    for item in items:
        if item.get_closest_marker("emulator") is None:
            continue
        callspec = getattr(item, "callspec", None)
        params = callspec.params.values() if callspec is not None else ()
        example = next((p for p in params if isinstance(p, str) and p in _EXAMPLE_NAMES), "")
        module = item.nodeid.split("::")[0]
        item.add_marker(pytest.mark.xdist_group(f"{module}:{example}"))


@pytest.fixture(scope="session")
def rendered_examples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every example config rendered once per test session, by example name."""
    kits = {}
    for example in EXAMPLES:
        dest = tmp_path_factory.mktemp("kits") / example.name
        new(dest, config=example / "fargate-gen.yml")
        kits[example.name] = dest
    return kits
