"""``fargate-gen validate --kit --build``: build the kit's image and run it as its task definition says.

The one translation of an ECS task definition into ``docker run``/``podman run`` flags lives here
(:func:`run_flags`); the project's container tests use it too, so a container runs the same way in
the tests, on the user's machine and (as far as an engine can reproduce it) on Fargate.

The check builds the Dockerfile with the app's real base images, runs the production task definition
(``.aws/task-definition.json``) with stand-in values for its secrets, and checks what ECS relies on:
the container stays up, the task definition's health check passes within its start period and
retries, the health path answers 200 on the container port, and on SIGTERM the process exits within
``stopTimeout``. The container and the image tag it made are always removed.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

from generator.checks._kit import TASK_DEFINITION, Kit
from generator.errors import FargateGenError, Finding

ENGINES = ("podman", "docker")
"""The engines ``--build`` looks for, in this order: podman first (rootless, no daemon)."""

OFFLINE_ENV = "FARGATE_GEN_BUILD_OFFLINE"
"""Set to 1 to build with ``--pull=never --network=none``: only local base images (the tests' stand-ins)."""

# Container definition keys the translation knows. Any other key changes how the container runs on
# ECS, so a task definition carrying one is refused until run_flags translates it too.
_TRANSLATED = {"user", "readonlyRootFilesystem", "mountPoints", "linuxParameters", "stopTimeout", "cpu",
               "memory", "memoryReservation", "environment", "secrets", "portMappings", "healthCheck",
               "privileged"}
_NOT_RUNTIME = {"name", "image", "essential", "logConfiguration"}
_CONTAINER = "$.containerDefinitions[0]"
_LOG_LINES = 15


def stand_in_secret(variable: str) -> str:
    """Return the value a secret gets outside ECS (which reads the real one from SSM)."""
    return f"stand-in-{variable.lower().replace('_', '-')}"


def run_flags(task_definition: dict[str, Any], *, name: str, host_port: int,
              tmp: Literal["volume", "tmpfs"] = "volume",
              environment: dict[str, str] | None = None,
              engine: str = "podman") -> list[str]:
    """``run`` flags (podman's or docker's) that run the task definition's only container as Fargate would.

    - user, read-only root filesystem (only the mounted volumes writable: with podman, no tmpfs on
      /tmp or /run either), the init process, stopTimeout (SIGTERM, then SIGKILL), CPU and memory
      (no swap: Fargate has none);
    - the environment, with each secret set to a stand-in value (ECS reads it from SSM);
    - the container port published on 127.0.0.1:host_port;
    - the task definition's health check, which on ECS replaces the image's HEALTHCHECK;
    - task volumes without a host (Fargate's ephemeral storage): ``tmp="volume"`` mounts a new named
      volume, which the engine fills from the image's path the way ECS does for a VOLUME in the
      image; ``tmp="tmpfs"`` mounts a tmpfs instead.

    ``environment`` adds or replaces variables. Raises ValueError for a container setting the
    translation does not know.
    """
    [container] = task_definition["containerDefinitions"]
    unknown = set(container) - _TRANSLATED - _NOT_RUNTIME
    if unknown:
        raise ValueError(f"run_flags does not translate {sorted(unknown)} yet")
    if container.get("privileged"):
        raise ValueError("a privileged container is not what the kit renders")
    flags = ["--name", name, "--user", container["user"]]
    if container.get("readonlyRootFilesystem"):
        flags.append("--read-only")
        if engine == "podman":
            flags.append("--read-only-tmpfs=false")  # docker adds no tmpfs to a read-only root
    volumes = {volume["name"]: volume for volume in task_definition.get("volumes", [])}
    for mount in container.get("mountPoints", []):
        volume = volumes[mount["sourceVolume"]]
        if "host" in volume or "efsVolumeConfiguration" in volume:
            raise ValueError(f"run_flags does not translate volume {volume} yet")
        options = ",ro" if mount.get("readOnly") else ""
        if tmp == "tmpfs":
            flags += ["--mount", f"type=tmpfs,destination={mount['containerPath']},tmpfs-mode=1777{options}"]
        else:
            flags += ["--mount", f"type=volume,source={name}-{volume['name']},"
                                 f"destination={mount['containerPath']}{options}"]
    if container.get("linuxParameters", {}).get("initProcessEnabled"):
        flags.append("--init")
    unknown_linux = set(container.get("linuxParameters", {})) - {"initProcessEnabled"}
    if unknown_linux:
        raise ValueError(f"run_flags does not translate linuxParameters {sorted(unknown_linux)} yet")
    # ECS's default stop timeout on Fargate is 30 s.
    flags += ["--stop-timeout", str(container.get("stopTimeout", 30))]
    cpu_units = int(container.get("cpu") or task_definition["cpu"])
    memory = int(container.get("memory") or task_definition["memory"])
    flags += ["--cpus", f"{cpu_units / 1024:g}", "--memory", f"{memory}m", "--memory-swap", f"{memory}m"]
    variables = {item["name"]: item["value"] for item in container.get("environment", [])}
    variables |= {item["name"]: stand_in_secret(item["name"]) for item in container.get("secrets", [])}
    variables |= environment or {}
    for key, value in variables.items():
        flags += ["--env", f"{key}={value}"]
    for mapping in container.get("portMappings", []):
        protocol = mapping.get("protocol", "tcp")
        flags += ["--publish", f"127.0.0.1:{host_port}:{mapping['containerPort']}/{protocol}"]
    check = container.get("healthCheck")
    if check:
        flags += ["--health-cmd", _health_cmd(check["command"], engine)]
        # ECS's defaults: 30 s, 5 s, 3 retries, no start period.
        flags += ["--health-interval", f"{check.get('interval', 30)}s",
                  "--health-timeout", f"{check.get('timeout', 5)}s",
                  "--health-retries", str(check.get("retries", 3)),
                  "--health-start-period", f"{check.get('startPeriod', 0)}s"]
    return flags


def _health_cmd(command: list[str], engine: str) -> str:
    kind, *rest = command
    if kind == "CMD":
        # podman takes a JSON array as exec form; docker always runs a shell command.
        return json.dumps(rest) if engine == "podman" else shlex.join(rest)
    if kind == "CMD-SHELL":
        [shell] = rest
        return str(shell)
    raise ValueError(f"unknown health check form {kind!r}")


def health_exec(command: list[str]) -> list[str]:
    """Return the task definition's health-check command as an ``exec`` argument list."""
    kind, *rest = command
    return list(rest) if kind == "CMD" else ["/bin/sh", "-c", *rest]


def find_engine(preferred: str | None = None) -> str:
    """Return the container engine to use: ``preferred``, else podman, else docker, on PATH."""
    for engine in (preferred,) if preferred else ENGINES:
        if shutil.which(engine):
            return engine
    wanted = preferred or " or ".join(ENGINES)
    raise FargateGenError(
        f"--build needs a container engine, and {wanted} is not on PATH: install Podman "
        "(https://podman.io) or Docker, or run validate without --build"
    )


class Engine:
    """A container engine's command line (podman and docker take the same commands used here)."""

    def __init__(self, name: str) -> None:
        self.name = name
        # The OCI image format drops HEALTHCHECK; podman and buildah read this.
        self.env = {**os.environ, "BUILDAH_FORMAT": "docker"}

    def __call__(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """Run one engine command; never raises for its exit code."""
        try:
            # From the temporary folder: conmon leaves an `oom` marker in its working directory when a
            # container process is OOM-killed, which must not land in the user's repository.
            return subprocess.run([self.name, *args], capture_output=True, text=True, env=self.env,
                                  timeout=timeout, check=False, cwd=tempfile.gettempdir())
        except subprocess.TimeoutExpired as expired:
            return subprocess.CompletedProcess([self.name, *args], 124, "",
                                               f"timed out after {expired.timeout} s")

    def build_args(self, context: str, tag: str, *, offline: bool) -> list[str]:
        """``build`` arguments: podman builds in docker format (keeps HEALTHCHECK)."""
        args = ["build", "--tag", tag]
        if self.name == "podman":
            args.append("--format=docker")
        if offline:
            args += ["--pull=never", "--network=none"]
        return [*args, context]


def unique_name(prefix: str = "validate") -> str:
    """Return a container or image name no other run uses."""
    return f"fargate-gen-{prefix}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free at the time of asking."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _storage_race(output: str) -> bool:
    # podman 4.3's storage can lose a cached layer while another process removes an image.
    return "layer not known" in output or "image not known" in output


def _tail(text: str, lines: int = _LOG_LINES) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()][-lines:]
    return "\n".join(f"    | {line}" for line in kept) if kept else "    | (no output)"


def check(kit: Kit, engine_name: str, *, offline: bool | None = None) -> list[Finding]:
    """Build the kit's image, run it as the production task definition says, report what fails."""
    if offline is None:
        offline = os.environ.get(OFFLINE_ENV, "") not in ("", "0")
    loaded = kit.read_json(TASK_DEFINITION)
    if loaded is None:
        return [_finding(TASK_DEFINITION, "$", "build", "missing or not JSON: nothing to run the image with",
                         "restore it from the template (fargate-gen update)")]
    definition: dict[str, Any] = loaded[0]
    engine = Engine(engine_name)
    tag = f"localhost/{unique_name()}:latest"
    for _attempt in range(2):
        built = engine(*engine.build_args(str(kit.absolute), tag, offline=offline), timeout=1800)
        if built.returncode == 0 or not _storage_race(built.stdout + built.stderr):
            break
    try:
        if built.returncode != 0:
            return [_finding("Dockerfile", "$", "build", f"`{engine.name} build` exited {built.returncode}",
                             "fix the build (its last lines follow) and run again",
                             built.stdout + built.stderr)]
        with _running(engine, definition, tag) as (name, port, started):
            if started.returncode != 0:
                return [_finding(TASK_DEFINITION, _CONTAINER, "run", f"`{engine.name} run` exited "
                                 f"{started.returncode}", "see the engine's message", started.stderr)]
            return _probe(engine, kit, definition, name, port)
    finally:
        engine("rmi", "--force", tag, timeout=120)


@contextmanager
def _running(engine: Engine, definition: dict[str, Any],
             image: str) -> Iterator[tuple[str, int, subprocess.CompletedProcess[str]]]:
    name = unique_name()
    try:
        for _attempt in range(3):
            # Another process may take the free port before the engine binds it: then try another.
            port = free_port()
            flags = run_flags(definition, name=name, host_port=port, engine=engine.name)
            started = engine("run", "--detach", *flags, image, timeout=300)
            if started.returncode == 0 or "address already in use" not in started.stderr:
                break
            engine("rm", "--force", name)
        yield name, port, started
    finally:
        engine("rm", "--force", "--volumes", name, timeout=120)
        for volume in engine("volume", "ls", "--quiet", "--filter", f"name={name}").stdout.split():
            engine("volume", "rm", "--force", volume)


def _state(engine: Engine, name: str) -> dict[str, Any]:
    result = engine("inspect", "--type", "container", name)
    try:
        [data] = json.loads(result.stdout)
        return dict(data["State"])
    except (ValueError, KeyError, TypeError):
        return {}


def _logs(engine: Engine, name: str) -> str:
    result = engine("logs", name)
    return result.stdout + result.stderr


def _probe(engine: Engine, kit: Kit, definition: dict[str, Any], name: str, port: int) -> list[Finding]:
    [container] = definition["containerDefinitions"]
    health = container.get("healthCheck")
    container_port = (container.get("portMappings") or [{}])[0].get("containerPort")
    if health:
        budget = health.get("startPeriod", 0) + health.get("retries", 3) * health.get("interval", 30)
        command = health_exec(health["command"])
        timeout = float(health.get("timeout", 5))
        started = time.monotonic()
        last = subprocess.CompletedProcess(command, 1, "", "")
        while True:
            state = _state(engine, name)
            if not state.get("Running"):
                return [_finding(TASK_DEFINITION, _CONTAINER, "stays-up",
                                 f"the container exited (code {state.get('ExitCode', '?')}) "
                                 f"{time.monotonic() - started:.0f} s after it started, before its health "
                                 "check passed; ECS would restart it again and again",
                                 _start_fix(logs := _logs(engine, name)), logs)]
            last = engine("exec", name, *command, timeout=timeout + 5)
            if last.returncode == 0:
                break
            if time.monotonic() - started > budget:
                return [_finding(TASK_DEFINITION, f"{_CONTAINER}.healthCheck", "health-check",
                                 f"the health check did not pass within {budget} s (startPeriod + retries * "
                                 f"interval): ECS would replace the task",
                                 f"make the app listen on port {container_port} and answer the health "
                                 "check", _with_check_output(last, _logs(engine, name)))]
            time.sleep(min(1.0, float(health.get("interval", 30))))
    findings = []
    path = _health_path(kit)
    status = _get(port, path)
    if status != 200:
        findings.append(_finding(TASK_DEFINITION, f"{_CONTAINER}.portMappings[0].containerPort",
                                 "health-path",
                                 f"GET {path} on container port {container_port} answered "
                                 f"{status or 'nothing'}, not 200: the load balancer would mark the task "
                                 "unhealthy", f"answer GET {path} with 200 on port {container_port}",
                                 _logs(engine, name)))
    stop_timeout = int(container.get("stopTimeout", 30))
    started = time.monotonic()
    engine("stop", "--time", str(stop_timeout), name, timeout=stop_timeout + 120)
    elapsed = time.monotonic() - started
    code = _state(engine, name).get("ExitCode")
    if code == 137 or elapsed >= stop_timeout:
        findings.append(_finding(TASK_DEFINITION, f"{_CONTAINER}.stopTimeout", "sigterm",
                                 f"on SIGTERM the app did not exit within stopTimeout ({stop_timeout} s): it "
                                 f"was killed after {elapsed:.1f} s (exit {code}), dropping requests in "
                                 "flight",
                                 "on SIGTERM stop accepting connections, finish the requests in flight and "
                                 "exit", _logs(engine, name)))
    return findings


def _with_check_output(check: subprocess.CompletedProcess[str], logs: str) -> str:
    output = (check.stdout + check.stderr).strip()
    return f"{logs}\n(the health check printed: {output[-500:]})" if output else logs


def _start_fix(logs: str) -> str:
    if "Cannot find module" in logs:
        return ('make the image start the app: the Dockerfile runs `node .`, so package.json needs "main" '
                "pointing at the server, and every module it requires must be in the image")
    return "make the app start and keep running with the task definition's environment"


def _health_path(kit: Kit) -> str:
    config = kit.config_or_none() or {}
    return str(config.get("health_check_path", "/"))


def _get(port: int, path: str) -> int | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (OSError, ValueError):
        return None


def _finding(file: str, path: str, rule: str, problem: str, fix: str, logs: str | None = None) -> Finding:
    if logs is not None:
        fix += f"; last lines:\n{_tail(logs)}"
    return Finding(file=file, path=path, problem=problem, fix=fix, tool="container", rule=rule)
