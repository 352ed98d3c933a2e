"""The container harness: podman as tests/containers/setup.sh configures it, the stand-in base
images, and containers started with the one translation of an ECS task definition into run flags
(generator.checks.container.run_flags, which `fargate-gen validate --kit --build` uses too).

Every test that builds an image or starts a container goes through this module, so a container
runs here the way the task definition says it runs on Fargate, and nowhere differently.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from generator.checks.container import run_flags
from tests.helpers import ROOT, unavailable

SETUP = ROOT / "tests" / "containers" / "setup.sh"
BASE_IMAGES = ROOT / "tests" / "containers" / "base-images.txt"
SETUP_HINT = f"run `bash {SETUP.relative_to(ROOT)}` as root"

# The OCI image format drops HEALTHCHECK; podman build reads this too.
PODMAN_ENV = {**os.environ, "BUILDAH_FORMAT": "docker"}


def base_images() -> dict[str, str]:
    """Image name (as the Dockerfiles write it) -> stand-in kind, from base-images.txt."""
    images = {}
    for line in BASE_IMAGES.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            kind, name = line.split()
            images[name] = kind
    return images


def podman(*args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    # From the temporary folder: conmon leaves an `oom` marker in its working directory when a
    # container process is OOM-killed (the memory-limit test), which must not land in the checkout.
    result = subprocess.run(["podman", *args], capture_output=True, text=True, env=PODMAN_ENV,
                            timeout=timeout, check=False, cwd=tempfile.gettempdir())
    if check and result.returncode != 0:
        raise AssertionError(f"podman {' '.join(args)} exited {result.returncode}\n{result.stderr[-3000:]}")
    return result


def require_podman() -> None:
    """Skip (fail under FARGATE_GEN_REQUIRE_TOOLS) unless podman runs as this sandbox needs and
    every stand-in base image is there."""
    if shutil.which("podman") is None:
        unavailable(f"podman is not on PATH; {SETUP_HINT}")
    if os.geteuid() != 0:
        unavailable("the container tests run rootful podman: run them as root")
    info = podman("info", "--format", "json", check=False, timeout=60)
    if info.returncode != 0:
        unavailable(f"podman info failed ({info.stderr.strip()[-300:]}); {SETUP_HINT}")
    host = json.loads(info.stdout)["host"]
    wanted = {"cgroupManager": "cgroupfs", "eventLogger": "file", "networkBackend": "netavark"}
    wrong = {key: host.get(key) for key, value in wanted.items() if host.get(key) != value}
    if host.get("ociRuntime", {}).get("name") != "runc":
        wrong["ociRuntime"] = host.get("ociRuntime", {}).get("name")
    if wrong:
        unavailable(f"podman is not configured for this machine ({wrong}); {SETUP_HINT}")
    missing = [name for name in base_images()
               if podman("image", "exists", f"docker.io/library/{name}", check=False).returncode != 0]
    if missing:
        unavailable(f"stand-in base images missing: {', '.join(missing)}; {SETUP_HINT}")


def unique_name(prefix: str) -> str:
    """A container, image or volume name no other test or xdist worker uses."""
    return f"fgtest-{prefix}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def build(context: Path, tag: str, timeout: float = 900) -> str:
    """Build the kit's Dockerfile as the workflows do, offline: only the stand-in bases exist.
    Returns the build's output. FARGATE_GEN_CONTAINER_NO_CACHE=1 builds every layer afresh
    (benchmarks/containers.py times a cold run with it)."""
    no_cache = ["--no-cache"] if os.environ.get("FARGATE_GEN_CONTAINER_NO_CACHE", "") not in ("", "0") else []
    args = ["build", "--network=none", "--pull=never", "--format=docker", *no_cache, "--tag", tag,
            str(context)]
    for _attempt in range(2):
        result = podman(*args, check=False, timeout=timeout)
        if not storage_race(result.stdout + result.stderr):
            break
    if result.returncode != 0:
        raise AssertionError(f"podman build {tag} exited {result.returncode}\n{result.stderr[-3000:]}")
    return result.stdout + result.stderr


def storage_race(output: str) -> bool:
    """Whether a build failed because another process removed a cached layer as the build looked it
    up: podman 4.3's storage races when workers build and remove images at once. Worth one retry."""
    return "layer not known" in output or "image not known" in output


@contextmanager
def running(task_definition: dict[str, Any], image: str, *, prefix: str,
            tmp: Literal["volume", "tmpfs"] = "volume",
            environment: dict[str, str] | None = None) -> Iterator[Container]:
    """Start the image as the task definition says; remove the container and its volumes after."""
    name = unique_name(prefix)
    for _attempt in range(3):
        # Another worker may take the free port before podman binds it: then try another.
        port = free_port()
        flags = run_flags(task_definition, name=name, host_port=port, tmp=tmp, environment=environment)
        started = podman("run", "--detach", *flags, image, check=False)
        if started.returncode == 0 or "address already in use" not in started.stderr:
            break
        podman("rm", "--force", name, check=False)
    if started.returncode != 0:
        podman("rm", "--force", name, check=False)
        raise AssertionError(f"podman run {name} exited {started.returncode}\n{started.stderr[-3000:]}")
    try:
        yield Container(name, port, task_definition)
    finally:
        podman("rm", "--force", "--time", "0", name, check=False)
        for line in podman("volume", "ls", "--quiet", "--filter", f"name={name}", check=False).stdout.split():
            podman("volume", "rm", "--force", line, check=False)


class Container:
    """A running container of the harness, with the checks the tests drive."""

    def __init__(self, name: str, port: int, task_definition: dict[str, Any]) -> None:
        self.name = name
        self.port = port
        self.task_definition = task_definition

    def exec(self, *command: str, check: bool = True,
             timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return podman("exec", self.name, *command, check=check, timeout=timeout)

    def inspect(self) -> dict[str, Any]:
        [data] = json.loads(podman("inspect", "--type", "container", self.name).stdout)
        return dict(data)

    def logs(self) -> str:
        result = podman("logs", self.name, check=False)
        return result.stdout + result.stderr

    def healthy(self) -> bool:
        """One run of the container's health check (the task definition's), as ECS's agent runs it."""
        return podman("healthcheck", "run", self.name, check=False, timeout=120).returncode == 0

    def wait_healthy(self) -> float:
        """Seconds until the health check first passes; fails after ECS would have given up (the start
        period, then `retries` failed checks `interval` apart)."""
        check = self.task_definition["containerDefinitions"][0]["healthCheck"]
        budget = check.get("startPeriod", 0) + check.get("retries", 3) * check.get("interval", 30)
        start = time.monotonic()
        while time.monotonic() - start < budget:
            if not self.inspect()["State"]["Running"]:
                raise AssertionError(f"{self.name} stopped before it was healthy:\n{self.logs()[-3000:]}")
            if self.healthy():
                return time.monotonic() - start
            time.sleep(0.5)
        raise AssertionError(f"{self.name} not healthy after {budget} s:\n{self.logs()[-3000:]}")

    def app_pid(self) -> int:
        """The host PID of the application: the init process's only child."""
        init = self.inspect()["State"]["Pid"]
        children = Path(f"/proc/{init}/task/{init}/children").read_text().split()
        assert len(children) == 1, f"init of {self.name} has children {children}"
        return int(children[0])

    def stop(self) -> tuple[float, int]:
        """`podman stop` (SIGTERM, SIGKILL after the stop timeout): seconds taken and the exit code."""
        start = time.monotonic()
        podman("stop", self.name, timeout=300)
        elapsed = time.monotonic() - start
        return elapsed, int(self.inspect()["State"]["ExitCode"])
