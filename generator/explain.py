"""``fargate-gen explain``: what a config creates, how long a rolling deploy takes, what it costs.

The rollout model is the critical path of one ECS rolling deployment (see the README's "Deploy-time
model"), computed with the config's timings and again with AWS's defaults. The cost is a monthly
estimate from the dated price table below: list prices, not a quote.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from generator.config import effective_environments, trust_warnings

# ---------------------------------------------------------------------------------------------
# Price table: AWS on-demand list prices for us-east-1 (Linux/x86, USD) as published on
# aws.amazon.com/pricing; other regions cost up to ~30% more. Update the date with the numbers.
PRICES_AS_OF = "2025-10"
HOURS_PER_MONTH = 730
FARGATE_VCPU_HOUR = 0.04048
FARGATE_GB_HOUR = 0.004445
FARGATE_SPOT_VCPU_HOUR = 0.01334  # Spot varies by hour and zone; a typical ~67% discount
FARGATE_SPOT_GB_HOUR = 0.00146
ALB_HOUR = 0.0225
ALB_LCU_HOUR = 0.008  # one LCU on average: light traffic
NAT_GATEWAY_HOUR = 0.045
NAT_GATEWAY_GB = 0.045
PUBLIC_IPV4_HOUR = 0.005  # the ALB's address in each zone and the NAT gateway's
CLOUDWATCH_LOGS_INGEST_GB = 0.50
CLOUDWATCH_ALARM_METRIC_MONTH = 0.10
CLOUDWATCH_DASHBOARD_MONTH = 3.00  # the first three per account are free
KMS_KEY_MONTH = 1.00
RDS_GP3_GB_MONTH = 0.115
ECR_GB_MONTH = 0.10
# Single-AZ on-demand instance-hours; Multi-AZ doubles them.
RDS_HOUR = {
    "postgres": {
        "db.t3.micro": 0.018, "db.t3.small": 0.036, "db.t3.medium": 0.072, "db.t3.large": 0.145,
        "db.t4g.micro": 0.016, "db.t4g.small": 0.032, "db.t4g.medium": 0.065, "db.t4g.large": 0.129,
        "db.m6g.large": 0.159, "db.m7g.large": 0.168, "db.r6g.large": 0.225, "db.r7g.large": 0.239,
    },
    "mysql": {
        "db.t3.micro": 0.017, "db.t3.small": 0.034, "db.t3.medium": 0.068, "db.t3.large": 0.136,
        "db.t4g.micro": 0.016, "db.t4g.small": 0.032, "db.t4g.medium": 0.065, "db.t4g.large": 0.129,
        "db.m6g.large": 0.152, "db.m7g.large": 0.168, "db.r6g.large": 0.215, "db.r7g.large": 0.239,
    },
}
# Usage the estimate assumes, per environment and month.
ASSUMED_NAT_GB = 10
ASSUMED_LOG_GB = 5
ASSUMED_IMAGE_GB = 2  # in ECR, shared: the lifecycle policy keeps the newest images
RDS_STORAGE_GB = 20

# ---------------------------------------------------------------------------------------------
# Rollout model inputs (seconds). Fargate provisions a task in "30-45 seconds or longer"; images
# are pulled whole, at roughly 40 MB/s from same-region ECR.
TASK_LAUNCH = 40.0
PULL_MB_PER_SECOND = 40.0
IMAGE_MB = {"java-spring-boot": 190, "node-backend": 80}
# Start-up to the first answered health check: a Spring Boot service on 0.5 vCPU takes ~25 s and
# scales roughly with CPU; Node starts in about 2 s.
APP_READY = {"java-spring-boot": 25.0, "node-backend": 2.0}
APP_SHUTDOWN = {"java-spring-boot": 3.0, "node-backend": 1.0}
DEPLOY_POLL = 10.0  # ecs-deploy.sh polls every 10 s
AWS_DEFAULTS = {
    "health_check_interval": 30, "healthy_threshold": 5, "unhealthy_threshold": 2,
    "deregistration_delay": 300, "stop_timeout": 30, "health_check_grace_period": 0,
    "minimum_healthy_percent": 100, "maximum_percent": 200,
}
SERVICES_STABLE_POLL = 15.0  # `aws ecs wait services-stable`, the usual way to wait


@dataclass
class Phase:
    """One step on the critical path of a rolling deploy."""

    name: str
    tuned: float
    defaults: float


@dataclass
class Rollout:
    """The modeled critical path, tuned and with AWS defaults."""

    waves: int
    phases: list[Phase]

    @property
    def tuned(self) -> float:
        return sum(p.tuned for p in self.phases)

    @property
    def defaults(self) -> float:
        return sum(p.defaults for p in self.phases)


@dataclass
class Environment:
    """What one environment runs, creates, takes to deploy and costs."""

    name: str
    production: bool
    settings: dict[str, Any]
    resources: list[tuple[str, int]]
    rollout: Rollout
    costs: list[tuple[str, float]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def monthly(self) -> float:
        return sum(cost for _, cost in self.costs)


@dataclass
class Explanation:
    """Every environment plus what they share."""

    project: str
    app_type: str
    region: str
    environments: list[Environment]
    shared_costs: list[tuple[str, float]]
    trust: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def monthly(self) -> float:
        return sum(e.monthly for e in self.environments) + sum(c for _, c in self.shared_costs)


def waves(desired: int, minimum_percent: int, maximum_percent: int) -> int:
    """Batches ECS needs to replace ``desired`` tasks: extra tasks allowed above desired, plus the
    tasks it may stop first below it."""
    room = math.floor(desired * maximum_percent / 100) - desired
    room += desired - math.ceil(desired * minimum_percent / 100)
    return max(1, math.ceil(desired / max(1, room)))


def rollout(config: Mapping[str, Any], environment: Mapping[str, Any]) -> Rollout:
    """The critical path of one rolling deploy of ``environment``, tuned and with AWS defaults."""
    app = config["app_type"]
    tuned, default = config["deployment"], AWS_DEFAULTS
    count = int(environment["desired_count"])
    scale = 512 / int(environment["task_cpu"]) if app == "java-spring-boot" else 1.0
    ready = max(8.0, APP_READY[app] * scale) if app == "java-spring-boot" else APP_READY[app]
    launch = TASK_LAUNCH + IMAGE_MB[app] / PULL_MB_PER_SECOND
    shutdown = APP_SHUTDOWN[app]
    n_tuned = waves(count, tuned["minimum_healthy_percent"], tuned["maximum_percent"])
    n_default = waves(count, default["minimum_healthy_percent"], default["maximum_percent"])
    phases = [
        Phase("launch the new tasks and pull the image", n_tuned * launch, n_default * launch),
        Phase("application starts", n_tuned * ready, n_default * ready),
        # A new target is healthy after one passing check, whatever the healthy threshold.
        Phase("first passing health check (up to one interval)", n_tuned * tuned["health_check_interval"],
              n_default * default["health_check_interval"]),
        Phase("drain the old tasks (deregistration delay)", n_tuned * tuned["deregistration_delay"],
              n_default * default["deregistration_delay"]),
        Phase("stop the old tasks (SIGTERM, exit)", n_tuned * min(shutdown, tuned["stop_timeout"]),
              n_default * min(shutdown, default["stop_timeout"])),
        Phase("the deploy job notices (poll interval)", DEPLOY_POLL, SERVICES_STABLE_POLL),
    ]
    return Rollout(n_tuned, phases)


def _resources(config: Mapping[str, Any], environment: Mapping[str, Any]) -> list[tuple[str, int]]:
    https = bool(environment.get("domain"))
    resources = [
        ("VPC with 2 public and 2 private subnets, internet gateway, route tables", 1),
        ("NAT gateway with an Elastic IP", 1),
        ("VPC flow log to CloudWatch", 1),
        ("KMS key (logs, parameters, database, alarms)", 1),
        ("Application Load Balancer, target group (ip)", 1),
        ("listeners: " + ("HTTPS (TLS 1.3/1.2) and HTTP → HTTPS redirect" if https else "HTTP"), 2 if https else 1),
        ("ECS cluster, Fargate service with circuit breaker, first task definition", 1),
        ("security groups (load balancer, service" + (", database)" if config["enable_database"] else ")"),
         3 if config["enable_database"] else 2),
        ("IAM roles (task execution, task)", 2),
        ("CloudWatch log group", 1),
        ("App Auto Scaling target" + (f" and {environment['autoscaling']['metric']} policy"
                                      if environment["autoscaling"]["enabled"] else ""), 1),
    ]
    if https:
        resources.append((f"ACM certificate for {environment['domain']} (DNS-validated) and Route 53 records", 1))
    if config["enable_database"]:
        engine = "PostgreSQL 17" if config["database_type"] == "postgres" else "MySQL 8.4"
        resources.append((f"RDS {engine} {config['database_instance_class']} in the private subnets", 1))
        resources.append(("SSM parameters with the connection settings", 6))
    if config["alarms"]["enabled"]:
        resources.append(("CloudWatch alarms (5xx rate, p95 latency, unhealthy targets, CPU, memory)", 5))
        resources.append(("CloudWatch dashboard, SNS topic for the alarms", 2))
    return resources


def _costs(config: Mapping[str, Any], environment: Mapping[str, Any]) -> tuple[list[tuple[str, float]], list[str]]:
    count = int(environment["desired_count"])
    vcpu, gb = int(environment["task_cpu"]) / 1024, int(environment["task_memory"]) / 1024
    spot = int(environment.get("fargate_spot_percent") or 0) / 100
    on_demand = count * (1 - spot) * (vcpu * FARGATE_VCPU_HOUR + gb * FARGATE_GB_HOUR)
    spot_cost = count * spot * (vcpu * FARGATE_SPOT_VCPU_HOUR + gb * FARGATE_SPOT_GB_HOUR)
    costs = [
        (f"Fargate: {count} × {vcpu:g} vCPU / {gb:g} GB" + (f", {spot:.0%} Spot" if spot else ""),
         (on_demand + spot_cost) * HOURS_PER_MONTH),
        ("Application Load Balancer (1 LCU)", (ALB_HOUR + ALB_LCU_HOUR) * HOURS_PER_MONTH),
        (f"NAT gateway (+{ASSUMED_NAT_GB} GB processed)", NAT_GATEWAY_HOUR * HOURS_PER_MONTH + NAT_GATEWAY_GB * ASSUMED_NAT_GB),
        ("public IPv4 addresses (ALB ×2, NAT)", 3 * PUBLIC_IPV4_HOUR * HOURS_PER_MONTH),
        (f"CloudWatch Logs ({ASSUMED_LOG_GB} GB ingested)", CLOUDWATCH_LOGS_INGEST_GB * ASSUMED_LOG_GB),
        ("KMS key", KMS_KEY_MONTH),
    ]
    notes = []
    if config["enable_database"]:
        engine, size = config["database_type"], config["database_instance_class"]
        hourly = RDS_HOUR[engine].get(size)
        if hourly is None:
            notes.append(f"{size} is not in the price table: the database is not counted")
        else:
            costs.append((f"RDS {size} single-AZ + {RDS_STORAGE_GB} GB gp3",
                          hourly * HOURS_PER_MONTH + RDS_STORAGE_GB * RDS_GP3_GB_MONTH))
    if config["alarms"]["enabled"]:
        # The 5xx-rate alarm is metric math over two metrics; each metric is billed.
        costs.append(("CloudWatch alarms (6 metrics) and dashboard",
                      6 * CLOUDWATCH_ALARM_METRIC_MONTH + CLOUDWATCH_DASHBOARD_MONTH))
    if environment["autoscaling"]["enabled"] and environment["autoscaling"]["max_count"] > count:
        notes.append(f"autoscaling may run up to {environment['autoscaling']['max_count']} tasks: Fargate "
                     f"then costs up to {environment['autoscaling']['max_count'] / count:.1f}× the figure above")
    if config["enable_container_insights"]:
        notes.append("Container Insights metrics are billed per metric and not included")
    return costs, notes


def explain(config: Mapping[str, Any]) -> Explanation:
    """Explain a complete config (``generator.config.load_config``'s result)."""
    environments = []
    for environment in effective_environments(config):
        costs, notes = _costs(config, environment)
        environments.append(
            Environment(
                name=environment["name"],
                production=environment["production"],
                settings=environment,
                resources=_resources(config, environment),
                rollout=rollout(config, environment),
                costs=costs,
                notes=notes,
            )
        )
    shared = [
        (f"ECR storage (~{ASSUMED_IMAGE_GB} GB of images)", ECR_GB_MONTH * ASSUMED_IMAGE_GB),
        ("Terraform state bucket and its KMS key", KMS_KEY_MONTH),
    ]
    return Explanation(
        config["project_name"], config["app_type"], config["aws_region"], environments, shared,
        trust=_trust(config), warnings=[w.message for w in trust_warnings(config, "")],
    )


def _trust(config: Mapping[str, Any]) -> str:
    """Which GitHub OIDC subjects the AWS roles accept, in one sentence."""
    repository, branch = config["github_repository"], config.get("deploy_branch", "main")
    if config.get("github_owner_id") and config.get("github_repository_id"):
        return (f"{repository} by its immutable IDs (owner {config['github_owner_id']}, repository "
                f"{config['github_repository_id']}), through the customised OIDC subject set by "
                ".github/scripts/github-setup.sh; deploy roles: only deploy-environment.yml and "
                f"rollback.yml on {branch}, in their environment")
    return (f"{repository} by name only (legacy OIDC subject); deploy roles: any job of the repository "
            f"in their GitHub environment, which github-setup.sh limits to {branch}")


def as_text(explanation: Explanation) -> str:
    """A human-readable report."""
    lines = [f"{explanation.project} ({explanation.app_type}, {explanation.region}): "
             f"{len(explanation.environments)} environment(s), deployed in this order"]
    if explanation.trust:
        lines.append(f"  AWS trusts {explanation.trust}")
    lines += [f"  warning: {warning}" for warning in explanation.warnings]
    for environment in explanation.environments:
        s = environment.settings
        scaling = s["autoscaling"]
        kind = "production: approval before deploy, deletion protection" if environment.production \
            else "promoted before production"
        lines += ["", f"{environment.name} ({kind})"]
        spot = f", {s['fargate_spot_percent']}% on Fargate Spot" if s.get("fargate_spot_percent") else ""
        autoscale = (f"autoscaling {s['desired_count']}-{scaling['max_count']} on {scaling['metric']} "
                     f"{scaling['target']}" if scaling["enabled"] else "autoscaling off")
        lines.append(f"  runs      {s['desired_count']} × {s['task_cpu']} CPU / {s['task_memory']} MiB{spot}; {autoscale}")
        lines.append("  serves    " + (f"https://{s['domain']}" if s.get("domain") else
                                       "http://<load balancer DNS name> (no domain: plain HTTP)"))
        lines.append("  creates")
        lines += [f"    {what}" + (f" ×{n}" if n > 1 else "") for what, n in environment.resources]
        r = environment.rollout
        lines.append(f"  rollout   critical path of one deploy ({r.waves} wave(s)):   tuned  AWS defaults")
        for phase in r.phases:
            lines.append(f"    {phase.name:<52}{phase.tuned:>6.0f} s {phase.defaults:>7.0f} s")
        lines.append(f"    {'total':<52}{r.tuned:>6.0f} s {r.defaults:>7.0f} s"
                     f"   (defaults take {r.defaults / r.tuned:.1f}× as long)")
        lines.append(f"  monthly   estimate, {PRICES_AS_OF} us-east-1 list prices")
        lines += [f"    {what:<56}${cost:>8.2f}" for what, cost in environment.costs]
        lines.append(f"    {'environment total':<56}${environment.monthly:>8.2f}")
        lines += [f"    note: {note}" for note in environment.notes]
    lines += ["", "shared by every environment"]
    lines += [f"    {what:<56}${cost:>8.2f}" for what, cost in explanation.shared_costs]
    lines.append(f"\nestimated total ${explanation.monthly:.2f} per month "
                 f"(list prices of {PRICES_AS_OF}; see the README's cost model)")
    return "\n".join(lines)


def as_data(explanation: Explanation) -> dict[str, Any]:
    """The same report as plain data, for --format json."""
    return {
        "project": explanation.project,
        "prices_as_of": PRICES_AS_OF,
        "monthly_usd": round(explanation.monthly, 2),
        "environments": [
            {
                "name": e.name,
                "production": e.production,
                "resources": [{"what": w, "count": n} for w, n in e.resources],
                "rollout": {
                    "waves": e.rollout.waves,
                    "tuned_seconds": round(e.rollout.tuned),
                    "aws_defaults_seconds": round(e.rollout.defaults),
                    "phases": [{"name": p.name, "tuned": p.tuned, "aws_defaults": p.defaults} for p in e.rollout.phases],
                },
                "monthly_usd": round(e.monthly, 2),
                "costs": [{"what": w, "usd": round(c, 2)} for w, c in e.costs],
                "notes": e.notes,
            }
            for e in explanation.environments
        ],
        "shared_costs": [{"what": w, "usd": round(c, 2)} for w, c in explanation.shared_costs],
        "trust": explanation.trust,
        "warnings": explanation.warnings,
    }
