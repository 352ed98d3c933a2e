"""Whole-process time of `fargate-gen validate CONFIG` against `check-jsonschema --schemafile`.

Both check the same file against the same schema; the figure is the median wall time of N runs of
each, interleaved so that machine noise hits both alike. Run: python benchmarks/validate_config.py
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def wall(command: list[str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed: {result.stderr.decode()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--config", type=Path, default=ROOT / "examples" / "riderapp" / "fargate-gen.yml")
    args = parser.parse_args()
    ours = [shutil.which("fargate-gen") or sys.exit("fargate-gen is not installed"), "validate", str(args.config)]
    theirs = [
        shutil.which("check-jsonschema") or sys.exit("check-jsonschema is not installed"),
        "--schemafile", str(ROOT / "schemas" / "project.schema.json"), str(args.config),
    ]
    for command in (ours, theirs):
        wall(command)  # warm the file cache and .pyc files
    samples: dict[str, list[float]] = {"fargate-gen validate": [], "check-jsonschema": []}
    for _ in range(args.runs):
        samples["fargate-gen validate"].append(wall(ours))
        samples["check-jsonschema"].append(wall(theirs))
    medians = {name: statistics.median(times) for name, times in samples.items()}
    for name, median in medians.items():
        print(f"{name:22} median {median * 1000:7.1f} ms over {args.runs} runs")
    ratio = medians["check-jsonschema"] / medians["fargate-gen validate"]
    print(f"fargate-gen validate is {ratio:.2f}x as fast as check-jsonschema")


if __name__ == "__main__":
    main()
