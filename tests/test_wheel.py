"""`pip install` then `fargate-gen new` works with no checkout: the wheel carries the template."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.helpers import ROOT, build_wheel, install_wheel, run, tree, without_provenance

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("dist"))


def test_wheel_carries_template_questions_and_schemas(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "generator/_template/copier.yml" in names
    assert "generator/_template/schemas/project.schema.json" in names
    assert "generator/_template/schemas/task-definition.schema.json" in names
    template = {n.removeprefix("generator/_template/") for n in names if n.startswith("generator/_template/template/")}
    in_checkout = {str(p.relative_to(ROOT)) for p in (ROOT / "template").rglob("*") if p.is_file()}
    assert template == in_checkout


def test_installed_wheel_renders_the_same_kit(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    # What `pip install fargate-gen` gives a user: the wheel and the dependencies it declares.
    install_wheel(wheel, venv)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import generator._resources as r; print(r.template_root())"],
        cwd=outside, capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert where.startswith(str(venv)), f"the installed package renders its own template, not {where}"
    config = ROOT / "examples" / "riderapp" / "fargate-gen.yml"
    run([str(venv / "bin" / "fargate-gen"), "new", "kit", "--config", str(config)], cwd=outside)
    run([sys.executable, "-m", "generator", "new", str(tmp_path / "checkout-kit"), "--config", str(config)])
    from_wheel, from_checkout = tree(outside / "kit"), tree(tmp_path / "checkout-kit")
    assert from_wheel.keys() == from_checkout.keys()
    for name in from_wheel:
        if name != ".copier-answers.yml":  # records where the template came from
            assert without_provenance(name, from_wheel[name]) == without_provenance(name, from_checkout[name]), name
