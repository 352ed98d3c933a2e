"""Wall time of `terraform apply` and `terraform destroy` of each example kit on the local AWS emulator.

For every example, each run renders the kit, starts a fresh emulator (moto, in-process, loopback only,
with the patches of tests/emulator.py), then times:
  bootstrap apply   terraform -chdir=infra/bootstrap apply
  apply             terraform -chdir=infra apply tfplan  (after init and plan -out, as deploy.yml does)
  unprotect         the apply that turns production's deletion protection off (load balancer, database)
  destroy           terraform -chdir=infra destroy
  bootstrap destroy terraform -chdir=infra/bootstrap destroy  (after emptying the state bucket)
and counts the managed resources in each root's state. A kit with several environments applies and
destroys each in turn (production, the last, is unprotected first): its apply and destroy times and
infra resources are summed over them. Figures are medians over --runs.
Terraform's provider waiters (load balancer, database, S3 lifecycle) are most of the time; AWS itself is
slower (the database alone takes minutes). Run: python benchmarks/emulator.py [--runs 3] [--example NAME]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator._terraform import find_mirror  # noqa: E402
from generator.render import new  # noqa: E402
from tests.emulator import (  # noqa: E402
    create_hosted_zones,
    empty_bucket,
    running_emulator,
    sh,
    state_resources,
    terraform_cli_config,
    terraform_env,
)
from tests.helpers import EXAMPLES, load_yaml  # noqa: E402

PHASES = ("bootstrap apply", "apply", "unprotect", "destroy", "bootstrap destroy")


def one_run(example: Path, workdir: Path, cli_config_file: Path) -> tuple[dict[str, float], dict[str, int]]:
    """Times of each phase (summed over the environments) and resource counts of each root, for one
    fresh kit on a fresh emulator."""
    kit = workdir / "kit"
    new(kit, config=example / "fargate-gen.yml")
    answers = load_yaml(kit / ".copier-answers.yml")
    project, account, region = answers["project_name"], str(answers["aws_account_id"]), answers["aws_region"]
    image = f"{account}.dkr.ecr.{region}.amazonaws.com/{project}:{'0' * 40}"
    environments = [str(e["name"]) for e in answers["environments"]]
    times: dict[str, float] = dict.fromkeys(PHASES, 0.0)
    counts: dict[str, int] = {"infra": 0}
    with running_emulator(account_id=account, region=region) as emulator:
        env = terraform_env(cli_config_file, emulator)

        def timed(phase: str, command: str) -> None:
            started = time.perf_counter()
            sh(command, cwd=kit, env=env)
            times[phase] += time.perf_counter() - started

        def init(environment: str) -> None:
            sh(
                f"terraform -chdir=infra init -input=false -reconfigure "
                f"-backend-config=environments/{environment}.s3.tfbackend",
                cwd=kit,
                env=env,
            )

        create_hosted_zones(emulator, answers)
        sh("terraform -chdir=infra/bootstrap init -input=false", cwd=kit, env=env)
        timed("bootstrap apply", "terraform -chdir=infra/bootstrap apply -input=false -auto-approve")
        counts["bootstrap"] = len(state_resources(kit, "infra/bootstrap", env))
        for environment in environments:
            init(environment)
            variables = f'-var-file=environments/{environment}.tfvars -var "image={image}"'
            sh(f"terraform -chdir=infra plan -input=false {variables} -out=tfplan", cwd=kit, env=env)
            timed("apply", "terraform -chdir=infra apply -input=false tfplan")
            counts["infra"] += len(state_resources(kit, "infra", env))
        for environment in environments:
            init(environment)
            variables = f'-var-file=environments/{environment}.tfvars -var "image={image}"'
            if environment == environments[-1]:  # production is protected against deletion
                unprotected = "-var load_balancer_deletion_protection=false"
                if answers["enable_database"]:
                    unprotected += " -var database_deletion_protection=false"
                timed(
                    "unprotect",
                    f"terraform -chdir=infra apply -input=false -auto-approve {variables} {unprotected}",
                )
            timed("destroy", f"terraform -chdir=infra destroy -input=false -auto-approve {variables}")
        empty_bucket(emulator, f"{project}-tfstate-{account}-{region}")
        timed("bootstrap destroy", "terraform -chdir=infra/bootstrap destroy -input=false -auto-approve")
    return times, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--example", action="append", help="example name (default: all)")
    args = parser.parse_args()
    if shutil.which("terraform") is None:
        sys.exit("terraform is not on PATH")
    mirror = find_mirror()
    if mirror is None:
        sys.exit(
            "no Terraform provider mirror: "
            "set FARGATE_GEN_TF_MIRROR to a folder holding registry.terraform.io"
        )
    examples = [e for e in EXAMPLES if not args.example or e.name in args.example]
    with tempfile.TemporaryDirectory(prefix="fargate-gen-bench-") as tmp:
        cli_config_file = terraform_cli_config(mirror, Path(tmp))
        print(f"{'example':12} {'resources':>16}  " + "  ".join(f"{p:>17}" for p in PHASES))
        for example in examples:
            samples: dict[str, list[float]] = {p: [] for p in PHASES}
            counts: dict[str, int] = {}
            for run in range(args.runs):
                workdir = Path(tmp) / f"{example.name}-{run}"
                workdir.mkdir()
                times, counts = one_run(example, workdir, cli_config_file)
                for phase, seconds in times.items():
                    samples[phase].append(seconds)
                print(
                    f"  {example.name} run {run + 1}: "
                    + ", ".join(f"{p} {s:.1f} s" for p, s in times.items()),
                    file=sys.stderr,
                )
            resources = f"{counts['infra']} + {counts['bootstrap']} boot"
            cells = [
                f"{statistics.median(samples[p]):15.1f} s" if samples[p] else f"{'-':>17}" for p in PHASES
            ]
            print(f"{example.name:12} {resources:>16}  " + "  ".join(cells))
    print(
        f"medians of {args.runs} run(s); resources: managed resources in the state of infra + infra/bootstrap"
    )


if __name__ == "__main__":
    main()
