"""How long `fargate-gen validate` takes on hostile configs just under 1 MB, and on the alias bomb.

Each file is written to a temp dir and validated in a fresh process (what the pre-commit hook
runs); the figure is the median wall time of N runs, next to the same for the riderapp example
(the process's start-up cost), with the in-process time of ``load_config`` and the peak memory.
The bar: every file answered (exit 0 or 1, never a traceback) in under a second.
Run: python benchmarks/hostile_input.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 1_000_000  # bytes: every generated file stays under it
BAR = 1.0  # seconds
HEAD = 'project_name: riderapp\napp_type: java-spring-boot\naws_account_id: "123456789012"\n' \
       "github_repository: acme/riderapp\n"


def alias_bomb() -> str:
    """The ~700-byte 'billion laughs' of the issue: nine levels of nine aliases."""
    lines = [HEAD.rstrip("\n"), 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def fill(limit: int, unit: Callable[[int], str], prefix: str = HEAD, suffix: str = "") -> str:
    """``prefix`` + as many ``unit(i)`` as fit under ``limit`` bytes + ``suffix``."""
    parts, size, index = [prefix], len(prefix) + len(suffix), 0
    while True:
        piece = unit(index)
        if size + len(piece) >= limit:
            break
        parts.append(piece)
        size += len(piece)
        index += 1
    return "".join(parts) + suffix


def cases(limit: int) -> dict[str, str]:
    """Hostile configs of just under ``limit`` bytes."""
    half = (limit - 200) // 2
    return {
        "anchors and aliases": fill(limit, lambda i: f"k{i}: &a{i} [*a{i - 1}]\n" if i else "k0: &a0 [x]\n"),
        "unknown keys": fill(limit, lambda i: f"setting_{i}: {i}\n"),
        "one long key name": HEAD + "x" * (limit - len(HEAD) - 100) + ": 1\n",
        "long region (pattern)": HEAD + f"aws_region: {'a' * (limit - len(HEAD) - 100)}-\n",
        "long email (pattern)": HEAD + f"alarms:\n  email: {'a@' * half}\n",
        "long domain (pattern)": f"{HEAD}environments:\n  - name: prod\n    domain: {'a.' * (half - 20)}-\n",
        "long deploy branch (pattern)": HEAD + f"deploy_branch: {'a/' * half}.\n",
        "environments list": fill(limit, lambda i: f"  - {{name: e{i}, task_cpu: 256, task_memory: 3}}\n",
                                  HEAD + "environments:\n"),
        "deep nesting": HEAD + "x: " + "[" * half + "]" * half + "\n",
        "control characters": HEAD + 'aws_region: "' + "\\n" * half + '"\n',
        "comment lines": fill(limit, lambda i: "#\n"),
    }


def run_once(command: list[str]) -> tuple[float, int, str]:
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
    return time.perf_counter() - started, result.returncode, result.stderr


def in_process(path: Path) -> tuple[float, int]:
    """Seconds of load_config on ``path`` once the imports are warm, and the peak RSS (MiB), in a child."""
    code = (
        "import json, resource, sys, time\n"
        "from pathlib import Path\n"
        "from generator.config import load_config\n"
        "from generator.errors import ConfigError\n"
        "load_config(Path('examples/riderapp/fargate-gen.yml'))  # imports jsonschema, compiles the schema\n"
        "started = time.perf_counter()\n"
        "try:\n    load_config(Path(sys.argv[1]))\nexcept ConfigError:\n    pass\n"
        "print(json.dumps([time.perf_counter() - started, "
        "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024]))\n"
    )
    result = subprocess.run([sys.executable, "-W", "ignore", "-c", code, str(path)], capture_output=True,
                            text=True, check=True, timeout=120, cwd=ROOT)
    seconds, peak = json.loads(result.stdout)
    return float(seconds), int(peak)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    tool = shutil.which("fargate-gen") or sys.exit("fargate-gen is not installed")
    worst = 0.0
    with tempfile.TemporaryDirectory(prefix="fargate-gen-hostile-") as scratch:
        example = ROOT / "examples" / "riderapp" / "fargate-gen.yml"
        files = {"riderapp example (baseline)": example.read_text(), "alias bomb of the issue": alias_bomb()}
        from generator.config import MAX_BYTES

        for limit, label in ((MAX_BYTES, "64 KiB"), (LIMIT, "1 MB")):
            files.update({f"{name}, {label}": text for name, text in cases(limit).items()})
        print(f"{'input':40} {'bytes':>9} {'exit':>4} {'median s':>9} {'max s':>7} {'load s':>7} "
              f"{'peak MiB':>8}")
        failures = []
        for number, (name, text) in enumerate(files.items()):
            path = Path(scratch) / f"case{number}.yml"
            path.write_text(text)
            assert path.stat().st_size < LIMIT, name
            runs = [run_once([tool, "validate", str(path)]) for _ in range(args.runs)]
            times = [seconds for seconds, _, _ in runs]
            code, stderr = runs[0][1], runs[0][2]
            loaded, peak = in_process(path)
            if code not in (0, 1) or "Traceback" in stderr:
                failures.append(f"{name}: exit {code}: {stderr[-500:]}")
            worst = max(worst, statistics.median(times))
            print(f"{name:40} {path.stat().st_size:>9} {code:>4} {statistics.median(times):>9.3f} "
                  f"{max(times):>7.3f} {loaded:>7.3f} {peak:>8}")
    print(f"\nworst median wall time: {worst:.3f} s (bar: under {BAR:.0f} s for any file under 1 MB); "
          "'load s' is load_config alone, after the imports")
    for failure in failures:
        print(f"FAILED {failure}")
    sys.exit(1 if failures or worst >= BAR else 0)


if __name__ == "__main__":
    main()
