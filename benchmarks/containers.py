"""Wall time of the container tests (tests/test_containers.py), cold and warm.

Phases, each run as a subprocess and timed:
  bases        bash tests/containers/setup.sh: podman, its configuration and the stand-in base images.
               With --cold-bases, the cached root filesystems and the stand-ins are removed first, so
               mmdebstrap builds them again (minutes); otherwise it finds them cached (seconds).
  tests cold   python -m pytest tests/test_containers.py with FARGATE_GEN_CONTAINER_NO_CACHE=1: every
               image layer is built afresh.
  tests warm   the same with podman's layer cache.
Each pytest run uses -n WORKERS --dist loadgroup, as .ci/run does (default 4; 0 for no xdist), one
worker per example. Run as root: python benchmarks/containers.py [--cold-bases] [--workers N]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("FARGATE_GEN_BASES_CACHE", "/var/cache/fargate-gen-bases"))


def timed(label: str, args: list[str], env: dict[str, str]) -> float:
    start = time.monotonic()
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - start
    summary = [line for line in result.stdout.splitlines() if re.search(r"\d+ (passed|failed|error)", line)]
    print(f"{label:<12} {elapsed:7.1f} s  exit {result.returncode}  {summary[-1] if summary else ''}")
    if result.returncode != 0:
        log = Path(tempfile.gettempdir()) / f"benchmark-containers-{label.replace(' ', '-')}.log"
        log.write_text(result.stdout + result.stderr)
        print(f"{label}: failed; its output is in {log}", file=sys.stderr)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cold-bases", action="store_true", help="rebuild the stand-in base images too")
    parser.add_argument("--workers", type=int, default=4, help="pytest-xdist workers (0: none)")
    options = parser.parse_args()
    env = {**os.environ, "FARGATE_GEN_REQUIRE_TOOLS": "1"}
    if options.cold_bases:
        shutil.rmtree(CACHE, ignore_errors=True)
        images = subprocess.run(["podman", "images", "--format", "{{.Repository}}:{{.Tag}}"],
                                capture_output=True, text=True, check=True).stdout.split()
        stand_ins = [i for i in images if "fargate-gen-base" in i or "fargate-gen-rootfs" in i]
        subprocess.run(["podman", "rmi", "--force", *stand_ins], capture_output=True, check=False)
    timed("bases", ["bash", "tests/containers/setup.sh"], env)
    pytest = [sys.executable, "-m", "pytest", "tests/test_containers.py", "-q", "-p", "no:cacheprovider"]
    if options.workers:
        pytest += ["-n", str(options.workers), "--dist", "loadgroup"]
    timed("tests cold", pytest, {**env, "FARGATE_GEN_CONTAINER_NO_CACHE": "1"})
    timed("tests warm", pytest, env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
