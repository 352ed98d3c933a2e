"""The local AWS emulator the end-to-end tests deploy a kit to: moto's server, in this process, on a
free loopback port, with the few gaps that matter to the kit patched in-process.

Every patch below names the gap it fills. None of them changes what the kit sends: they make moto
answer as AWS does where moto's answer is known to differ (see README, "Proven against a local AWS
emulator").
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import json
import logging
import os
import re
import shutil
import socket
import subprocess
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
import requests
from moto.acm.models import AWSCertificateManagerBackend
from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
from moto.core.utils import utcnow
from moto.ec2.models.nat_gateways import NatGateway, NatGatewayBackend
from moto.ec2.models.vpcs import VPCBackend
from moto.ecr.models import Image
from moto.ecs.models import EC2ContainerServiceBackend, Service
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.iam.access_control import IAMPolicy, PermissionResult
from moto.moto_api._internal import mock_random
from moto.rds.models import DBParameterGroup
from moto.s3.models import FakeBucket
from moto.server import ThreadedMotoServer

from generator._terraform import cli_config, find_mirror
from tests.helpers import load_yaml, require_tool, unavailable

LOOPBACK = "127.0.0.1"

# Dummy credentials: moto accepts any, and no real key can leak into a test run.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def free_port() -> int:
    """A TCP port on the loopback address that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


################################################################################
# ECS rollouts
################################################################################


@dataclass
class _Rollout:
    """One deployment the emulator is moving forward, one DescribeServices call at a time."""

    deployment: dict[str, Any]
    crashes: bool
    previous: str | None  # the task definition the circuit breaker rolls back to
    observed: int = 0


@dataclass
class EcsRollouts:
    """Deployments as ECS makes them, which moto does not.

    Gap: moto's UpdateService only swaps the service's task definition; it never creates a deployment,
    so the service's one deployment keeps the first revision and a deploy script that waits for the
    new revision's PRIMARY deployment to complete waits forever. Here, as in ECS, a new task definition
    (or forceNewDeployment) creates a new PRIMARY deployment (IN_PROGRESS, no task running) and turns
    the old one ACTIVE; the next DescribeServices shows it COMPLETED with every task running and the
    old deployment drained away.

    Gap: moto runs no task, so ECS's deployment circuit breaker never fires. A revision whose image is
    in ``crashing_images`` stands for an image whose tasks never get healthy: its deployment counts
    failed tasks, is marked FAILED and, as the breaker does with ``rollback = true``, a new PRIMARY
    deployment of the last COMPLETED revision replaces it.
    """

    crashing_images: set[str] = field(default_factory=set)
    _active: dict[str, _Rollout] = field(default_factory=dict)  # by deployment id
    _completed: dict[str, str] = field(default_factory=dict)  # service ARN -> last completed revision

    def _new_deployment(self, service: Service, task_definition: str) -> dict[str, Any]:
        now = utcnow()
        deployment_id = f"ecs-svc/{mock_random.randint(0, 32**12)}"
        template = service.deployments[0] if service.deployments else {}
        return {
            **template,
            "id": deployment_id,
            "status": "PRIMARY",
            "taskDefinition": task_definition,
            "desiredCount": service.desired_count,
            "runningCount": 0,
            "pendingCount": service.desired_count,
            "failedTasks": 0,
            "rolloutState": "IN_PROGRESS",
            "rolloutStateReason": f"ECS deployment {deployment_id} in progress.",
            "createdAt": now,
            "updatedAt": now,
        }

    def _event(self, service: Service, message: str) -> None:
        service.events.insert(
            0,
            {
                "id": str(mock_random.uuid4()),
                "createdAt": utcnow(),
                "message": f"(service {service.name}) {message}",
            },
        )

    def start(self, service: Service, task_definition: str, images: list[str]) -> None:
        """A new PRIMARY deployment of ``task_definition``; the current ones become ACTIVE."""
        for deployment in service.deployments:
            if deployment["status"] == "PRIMARY":
                deployment["status"] = "ACTIVE"
                if deployment["rolloutState"] == "COMPLETED":
                    self._completed[service.arn] = str(deployment["taskDefinition"])
        deployment = self._new_deployment(service, task_definition)
        service.deployments.insert(0, deployment)
        service.task_definition = task_definition
        crashes = any(image in self.crashing_images for image in images)
        self._active[str(deployment["id"])] = _Rollout(deployment, crashes, self._completed.get(service.arn))
        self._event(service, f"has started 0 tasks: deployment {deployment['id']}.")

    def advance(self, service: Service) -> None:
        """Move every unfinished deployment of ``service`` one step on."""
        for deployment in list(service.deployments):
            rollout = self._active.get(str(deployment["id"]))
            if rollout is None:
                continue
            rollout.observed += 1
            if rollout.observed < 2:
                continue
            deployment["updatedAt"] = utcnow()
            del self._active[str(deployment["id"])]
            if not rollout.crashes:
                self._complete(service, deployment)
            else:
                self._fail_and_roll_back(service, deployment, rollout)

    def _complete(self, service: Service, deployment: dict[str, Any]) -> None:
        deployment.update(
            runningCount=service.desired_count,
            pendingCount=0,
            rolloutState="COMPLETED",
            rolloutStateReason=f"ECS deployment {deployment['id']} completed.",
        )
        if deployment["status"] == "PRIMARY":
            # The older deployments have drained: ECS drops them from the service.
            service.deployments[:] = [deployment]
            self._completed[service.arn] = deployment["taskDefinition"]
            service.running_count, service.pending_count = service.desired_count, 0
        self._event(service, "has reached a steady state.")

    def _fail_and_roll_back(self, service: Service, deployment: dict[str, Any], rollout: _Rollout) -> None:
        # The breaker's threshold: half the desired count, at least 3 and at most 200 failed tasks.
        threshold = min(max(3, service.desired_count // 2), 200)
        reason = f"ECS deployment circuit breaker: tasks failed to start. ({threshold} tasks failed)"
        deployment.update(
            status="ACTIVE", failedTasks=threshold, rolloutState="FAILED", rolloutStateReason=reason
        )
        self._event(service, f"deployment {deployment['id']} deployment failed: tasks failed to start.")
        if rollout.previous is None:
            return
        back = self._new_deployment(service, rollout.previous)
        service.deployments.insert(0, back)
        service.task_definition = rollout.previous
        self._active[back["id"]] = _Rollout(back, crashes=False, previous=None)
        self._event(service, f"rolling back to deployment {back['id']}.")


def _patch_ecs(rollouts: EcsRollouts) -> list[Any]:
    """CreateService, UpdateService and DescribeServices through ``rollouts`` (see EcsRollouts for
    the gaps)."""
    original_create = EC2ContainerServiceBackend.create_service
    original_update = EC2ContainerServiceBackend.update_service
    original_describe = EC2ContainerServiceBackend.describe_services

    def create_service(self: EC2ContainerServiceBackend, *args: Any, **kwargs: Any) -> Service:
        """Gap: moto runs no task; a new service reports MOTO_ECS_SERVICE_RUNNING tasks running (one
        number for every service, 0 by default), so its first deployment stays IN_PROGRESS unless
        that number happens to be its desired count. Here, as in ECS once the tasks are healthy, the
        first deployment has the service's desired count running and is COMPLETED."""
        service = original_create(self, *args, **kwargs)
        service.running_count, service.pending_count = service.desired_count, 0
        for deployment in service.deployments:
            deployment.update(
                runningCount=service.desired_count,
                pendingCount=0,
                rolloutState="COMPLETED",
                rolloutStateReason=f"ECS deployment {deployment['id']} completed.",
            )
        return service

    def update_service(self: EC2ContainerServiceBackend, properties: dict[str, Any]) -> Service:
        service = self._get_service(
            properties.get("cluster", "default"), properties["service"].split("/")[-1]
        )
        before = service.task_definition
        requested = properties.get("task_definition")
        force = bool(properties.get("force_new_deployment"))
        result = original_update(self, properties)
        # ECS stores the revision's full ARN, whatever form the request named it in.
        target = self.describe_task_definition(requested).arn if requested else before
        result.task_definition = before
        if target is not None and (target != before or force):
            task_definition = self.describe_task_definition(target)
            images = [str(c.get("image", "")) for c in task_definition.container_definitions]
            rollouts.start(result, target, images)
        for deployment in result.deployments:
            if deployment["status"] == "PRIMARY" and deployment["rolloutState"] == "COMPLETED":
                # A new desired count (Terraform scales the service to 0 before deleting it) is
                # reached at once, as moto's own UpdateService has it for runningCount.
                deployment.update(desiredCount=result.desired_count, runningCount=result.desired_count)
        return result

    def describe_services(
        self: EC2ContainerServiceBackend, cluster: str, names: list[str]
    ) -> tuple[list[Service], list[dict[str, str]]]:
        services, failures = original_describe(self, cluster, names)
        for service in services:
            rollouts.advance(service)
        return services, failures

    return [
        mock.patch.object(EC2ContainerServiceBackend, "create_service", create_service),
        mock.patch.object(EC2ContainerServiceBackend, "update_service", update_service),
        mock.patch.object(EC2ContainerServiceBackend, "describe_services", describe_services),
        *_patch_ecs_service_settings(),
    ]


# CreateService/UpdateService parameter -> attribute moto's serializer reads for DescribeServices.
_SERVICE_SETTINGS = {
    "healthCheckGracePeriodSeconds": "health_check_grace_period_seconds",
    "enableECSManagedTags": "enable_ecs_managed_tags",
    "availabilityZoneRebalancing": "availability_zone_rebalancing",
    "capacityProviderStrategy": "capacity_provider_strategy",
    "enableExecuteCommand": "enable_execute_command",
    "deploymentConfiguration": "deployment_configuration",
}


def _patch_ecs_service_settings() -> list[Any]:
    """Gap: moto's CreateService and UpdateService drop healthCheckGracePeriodSeconds,
    enableECSManagedTags, availabilityZoneRebalancing, capacityProviderStrategy,
    enableExecuteCommand and deploymentConfiguration, so DescribeServices never returns them and
    every plan wants to set them again (a capacity-provider strategy even replaces the service); the
    deployment alarms and circuit breaker the kit configures are not visible either. Here they are
    stored on the service, as ECS does; a service with a strategy has no launch type, as in ECS (moto
    says EC2)."""
    original_create = EC2ContainerServiceResponse.create_service
    original_update = EC2ContainerServiceResponse.update_service

    def remember(response: EC2ContainerServiceResponse, service_name: str) -> None:
        service = response.ecs_backend._get_service(response._get_param("cluster", "default"), service_name)
        for parameter, attribute in _SERVICE_SETTINGS.items():
            value = response._get_param(parameter)
            if value is not None:
                setattr(service, attribute, value)
        if response._get_param("capacityProviderStrategy"):
            service.launch_type = None

    def create_service(self: EC2ContainerServiceResponse) -> Any:
        result = original_create(self)
        remember(self, self._get_param("serviceName"))
        return result

    def update_service(self: EC2ContainerServiceResponse) -> Any:
        result = original_update(self)
        remember(self, self._get_param("service").split("/")[-1])
        return result

    return [
        mock.patch.object(EC2ContainerServiceResponse, "create_service", create_service),
        mock.patch.object(EC2ContainerServiceResponse, "update_service", update_service),
    ]


################################################################################
# Application Auto Scaling tags
################################################################################


def _patch_application_autoscaling() -> list[Any]:
    """Gap: moto's Application Auto Scaling has no ListTagsForResource, TagResource or UntagResource
    and drops the Tags of RegisterScalableTarget. The AWS provider reads a scalable target's tags after
    creating it and retries moto's 500 for minutes, so an aws_appautoscaling_target never finishes.
    Here tags are kept by scalable-target ARN, as Application Auto Scaling does."""
    tags: dict[str, dict[str, str]] = {}
    cls = ApplicationAutoScalingResponse
    original_register = cls.register_scalable_target
    original_deregister = cls.deregister_scalable_target

    def target_arn(self: ApplicationAutoScalingResponse) -> str | None:
        targets = self.applicationautoscaling_backend.describe_scalable_targets(
            self._get_param("ServiceNamespace"),
            [self._get_param("ResourceId")],
            self._get_param("ScalableDimension"),
        )
        return str(targets[0].arn) if targets else None

    def register_scalable_target(self: ApplicationAutoScalingResponse) -> str:
        result: str = original_register(self)
        tags.setdefault(json.loads(result)["ScalableTargetARN"], {}).update(self._get_param("Tags") or {})
        return result

    def deregister_scalable_target(self: ApplicationAutoScalingResponse) -> str:
        arn = target_arn(self)
        result: str = original_deregister(self)
        tags.pop(arn or "", None)
        return result

    def list_tags_for_resource(self: ApplicationAutoScalingResponse) -> str:
        return json.dumps({"Tags": tags.get(self._get_param("ResourceARN"), {})})

    def tag_resource(self: ApplicationAutoScalingResponse) -> str:
        tags.setdefault(self._get_param("ResourceARN"), {}).update(self._get_param("Tags") or {})
        return "{}"

    def untag_resource(self: ApplicationAutoScalingResponse) -> str:
        current = tags.get(self._get_param("ResourceARN"), {})
        for key in self._get_param("TagKeys") or []:
            current.pop(key, None)
        return "{}"

    return [
        mock.patch.object(cls, "register_scalable_target", register_scalable_target),
        mock.patch.object(cls, "deregister_scalable_target", deregister_scalable_target),
        mock.patch.object(cls, "list_tags_for_resource", list_tags_for_resource, create=True),
        mock.patch.object(cls, "tag_resource", tag_resource, create=True),
        mock.patch.object(cls, "untag_resource", untag_resource, create=True),
    ]


################################################################################
# RDS parameter groups, EC2 NAT gateways, ECR image digests, ACM certificate options
################################################################################


def _patch_rds() -> list[Any]:
    """Gap: moto's DescribeDBParameters leaves out each parameter's Source. The AWS provider keeps
    only parameters whose Source is "user" (or that the config names and AWS reports), so it reads the
    kit's parameter group as empty and every plan wants to set its parameters again. A parameter set
    through Create/ModifyDBParameterGroup has Source "user" in RDS; here too."""
    original = DBParameterGroup.update_parameters

    def update_parameters(self: DBParameterGroup, new_parameters: Any) -> None:
        original(self, new_parameters)
        for parameter in self.parameters.values():
            parameter.setdefault("Source", "user")

    return [mock.patch.object(DBParameterGroup, "update_parameters", update_parameters)]


def _patch_ec2() -> list[Any]:
    """Gap: moto's DeleteNatGateway marks the gateway deleted but keeps the network interface it
    made for it, so the interface outlives its subnet and VPC. AWS deletes it with the gateway.

    Gap: moto's DeleteVpc deletes the VPC's main route table and default security group but keeps
    its default network ACL. AWS deletes it with the VPC."""
    original = NatGatewayBackend.delete_nat_gateway
    original_delete_vpc = VPCBackend.delete_vpc

    def delete_vpc(self: Any, vpc_id: str) -> Any:
        acls = [acl_id for acl_id, acl in self.network_acls.items() if acl.vpc_id == vpc_id and acl.default]
        vpc = original_delete_vpc(self, vpc_id)
        for acl_id in acls:
            del self.network_acls[acl_id]
        return vpc

    def delete_nat_gateway(self: Any, nat_gateway_id: str) -> NatGateway:
        gateway = original(self, nat_gateway_id)
        eni = getattr(gateway, "_eni", None)
        if eni is not None and eni.id in self.enis:
            self.delete_network_interface(eni.id)
        return gateway

    return [
        mock.patch.object(NatGatewayBackend, "delete_nat_gateway", delete_nat_gateway),
        mock.patch.object(VPCBackend, "delete_vpc", delete_vpc),
    ]


def _patch_ecr() -> list[Any]:
    """Gap: moto's PutImage makes an image's digest the hash of its layers' digests, so two images
    with the same layers (the fake pushes here have none) get the same digest, and a deploy by digest
    cannot tell one commit's image from another's. ECR's digest is the SHA-256 of the manifest as
    pushed; here too."""

    def create_digest(self: Image) -> None:
        self._image_digest = "sha256:" + hashlib.sha256(self.image_manifest.encode()).hexdigest()

    return [mock.patch.object(Image, "_create_digest", create_digest)]


def _patch_acm() -> list[Any]:
    """Gap: moto's RequestCertificate keeps the request's Options as they are, and its
    ListCertificates then fails (500, KeyError 'Export') for a certificate whose Options name no
    Export, as the kit's (certificate transparency only) do. ACM fills in Export DISABLED; here too."""
    original = AWSCertificateManagerBackend.request_certificate

    def request_certificate(self: AWSCertificateManagerBackend, *args: Any, **kwargs: Any) -> str:
        arn: str = original(self, *args, **kwargs)
        certificate = self._certificates[arn]
        certificate.cert_options = {"Export": "DISABLED", **certificate.cert_options}
        return arn

    return [mock.patch.object(AWSCertificateManagerBackend, "request_certificate", request_certificate)]


################################################################################
# S3 bucket policies
################################################################################


def _conditions_hold(statement: dict[str, Any], context: dict[str, str]) -> bool:
    """Whether every condition of ``statement`` holds for a request with ``context`` (Bool only)."""
    for operator, keys in statement.get("Condition", {}).items():
        if operator != "Bool":
            raise NotImplementedError(f"the emulator patch only evaluates Bool conditions, not {operator}")
        for key, expected in keys.items():
            values = expected if isinstance(expected, list) else [expected]
            if context.get(key) not in [str(v).lower() for v in values]:
                return False
    return True


def _patch_s3() -> list[Any]:
    """Gap: moto evaluates a bucket policy's conditions without the request's context and counts a
    statement whose condition does not hold as an explicit deny. The kit's TLS-only policy (Deny when
    aws:SecureTransport is false) therefore denies every request, and moto answers 403 even though a
    request to AWS over HTTPS passes it. Here a statement applies only when its conditions hold, for a
    request that came over TLS, as every request to AWS does (moto itself only speaks plain HTTP)."""

    def get_permission(self: FakeBucket, action: str, resource: str) -> PermissionResult:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        policy = json.loads(self.policy)
        statements = policy["Statement"] if isinstance(policy["Statement"], list) else [policy["Statement"]]
        applicable = [
            {k: v for k, v in s.items() if k != "Condition"}
            for s in statements
            if _conditions_hold(s, {"aws:SecureTransport": "true"})
        ]
        if not applicable:
            return PermissionResult.NEUTRAL
        return IAMPolicy(json.dumps({**policy, "Statement": applicable})).is_action_permitted(
            action, resource
        )

    return [mock.patch.object(FakeBucket, "get_permission", get_permission)]


################################################################################
# The emulator
################################################################################


@dataclass
class Emulator:
    """A running moto server and what the tests need to talk to it."""

    endpoint: str
    account_id: str
    region: str
    ecs: EcsRollouts

    def env(
        self, base: dict[str, str] | None = None, credentials: dict[str, str] | None = None
    ) -> dict[str, str]:
        """``base`` (default: this process's environment) pointed at the emulator for the AWS CLI, the
        AWS provider, Terraform's S3 backend and boto3: endpoint, region and credentials (dummy ones
        unless given). Nothing else of the machine's AWS setup may leak in and point elsewhere."""
        env = {k: v for k, v in (os.environ if base is None else base).items() if not k.startswith("AWS_")}
        env.update(credentials or CREDENTIALS)
        env.update(
            AWS_ENDPOINT_URL=self.endpoint,
            AWS_REGION=self.region,
            AWS_DEFAULT_REGION=self.region,
            AWS_CONFIG_FILE=os.devnull,
            AWS_SHARED_CREDENTIALS_FILE=os.devnull,
            AWS_EC2_METADATA_DISABLED="true",
            AWS_PAGER="",
        )
        return env

    def client(self, service: str, credentials: dict[str, str] | None = None) -> Any:
        """A boto3 client of ``service`` in the emulator (dummy credentials unless given)."""
        keys = credentials or CREDENTIALS
        session = boto3.session.Session(
            aws_access_key_id=keys["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=keys["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=keys.get("AWS_SESSION_TOKEN"),
            region_name=self.region,
        )
        return session.client(service, endpoint_url=self.endpoint)

    def inventory(self) -> set[str]:
        """Everything that exists in the emulator in the services the kit touches, as ``kind:id``.

        Only what still counts in AWS: deleted NAT gateways, INACTIVE clusters, services and task
        definitions, and KMS keys pending deletion are left out. moto's own defaults (default VPC,
        AWS managed policies and keys) are in it: compare with an inventory taken at the start."""
        c = self.client
        ec2 = c("ec2")
        items: list[str] = []
        items += [f"vpc:{v['VpcId']}" for v in ec2.describe_vpcs()["Vpcs"]]
        items += [f"subnet:{s['SubnetId']}" for s in ec2.describe_subnets()["Subnets"]]
        items += [
            f"igw:{g['InternetGatewayId']}" for g in ec2.describe_internet_gateways()["InternetGateways"]
        ]
        items += [
            f"nat:{n['NatGatewayId']}"
            for n in ec2.describe_nat_gateways()["NatGateways"]
            if n["State"] not in ("deleted", "deleting")
        ]
        items += [
            f"eip:{a.get('AllocationId', a.get('PublicIp'))}" for a in ec2.describe_addresses()["Addresses"]
        ]
        items += [f"sg:{g['GroupId']}" for g in ec2.describe_security_groups()["SecurityGroups"]]
        items += [f"rtb:{r['RouteTableId']}" for r in ec2.describe_route_tables()["RouteTables"]]
        items += [f"acl:{a['NetworkAclId']}" for a in ec2.describe_network_acls()["NetworkAcls"]]
        items += [
            f"eni:{e['NetworkInterfaceId']}" for e in ec2.describe_network_interfaces()["NetworkInterfaces"]
        ]
        items += [f"flow-log:{f['FlowLogId']}" for f in ec2.describe_flow_logs()["FlowLogs"]]
        elb = c("elbv2")
        items += [f"lb:{b['LoadBalancerName']}" for b in elb.describe_load_balancers()["LoadBalancers"]]
        items += [f"tg:{t['TargetGroupName']}" for t in elb.describe_target_groups()["TargetGroups"]]
        ecs = c("ecs")
        clusters = ecs.list_clusters()["clusterArns"]
        for cluster in ecs.describe_clusters(clusters=clusters)["clusters"] if clusters else []:
            if cluster["status"] != "ACTIVE":
                continue
            items.append(f"ecs-cluster:{cluster['clusterName']}")
            arns = ecs.list_services(cluster=cluster["clusterArn"])["serviceArns"]
            services = (
                ecs.describe_services(cluster=cluster["clusterArn"], services=arns)["services"]
                if arns
                else []
            )
            items += [f"ecs-service:{s['serviceName']}" for s in services if s["status"] == "ACTIVE"]
        items += [
            f"task-definition:{a.rsplit('/', 1)[-1]}"
            for a in ecs.list_task_definitions(status="ACTIVE")["taskDefinitionArns"]
        ]
        items += [f"ecr:{r['repositoryName']}" for r in c("ecr").describe_repositories()["repositories"]]
        iam = c("iam")
        items += [f"role:{r['RoleName']}" for r in iam.list_roles()["Roles"]]
        items += [f"policy:{p['PolicyName']}" for p in iam.list_policies(Scope="Local")["Policies"]]
        items += [
            f"oidc:{p['Arn']}" for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
        ]
        kms = c("kms")
        for key in kms.list_keys()["Keys"]:
            if kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] != "PendingDeletion":
                items.append(f"kms-key:{key['KeyId']}")
        items += [f"kms-alias:{a['AliasName']}" for a in kms.list_aliases()["Aliases"]]
        items += [f"log-group:{g['logGroupName']}" for g in c("logs").describe_log_groups()["logGroups"]]
        rds = c("rds")
        items += [f"db:{d['DBInstanceIdentifier']}" for d in rds.describe_db_instances()["DBInstances"]]
        items += [
            f"db-snapshot:{s['DBSnapshotIdentifier']}" for s in rds.describe_db_snapshots()["DBSnapshots"]
        ]
        items += [
            f"db-subnets:{g['DBSubnetGroupName']}" for g in rds.describe_db_subnet_groups()["DBSubnetGroups"]
        ]
        items += [
            f"db-parameters:{g['DBParameterGroupName']}"
            for g in rds.describe_db_parameter_groups()["DBParameterGroups"]
        ]
        items += [f"ssm:{p['Name']}" for p in c("ssm").describe_parameters()["Parameters"]]
        items += [f"s3:{b['Name']}" for b in c("s3").list_buckets()["Buckets"]]
        items += [f"secret:{s['Name']}" for s in c("secretsmanager").list_secrets()["SecretList"]]
        return set(items + self._monitoring_inventory() + self._dns_inventory())

    def _monitoring_inventory(self) -> list[str]:
        """Alarms, dashboards, SNS topics and subscriptions, Application Auto Scaling targets and
        policies."""
        c = self.client
        cloudwatch, sns, scaling = c("cloudwatch"), c("sns"), c("application-autoscaling")
        items = [f"alarm:{a['AlarmName']}" for a in cloudwatch.describe_alarms()["MetricAlarms"]]
        items += [f"dashboard:{d['DashboardName']}" for d in cloudwatch.list_dashboards()["DashboardEntries"]]
        items += [f"sns-topic:{t['TopicArn']}" for t in sns.list_topics()["Topics"]]
        items += [f"sns-subscription:{s['Endpoint']}" for s in sns.list_subscriptions()["Subscriptions"]]
        items += [
            f"scalable-target:{t['ResourceId']}"
            for t in scaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]
        ]
        items += [
            f"scaling-policy:{p['PolicyName']}"
            for p in scaling.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]
        ]
        return items

    def _dns_inventory(self) -> list[str]:
        """Certificates, hosted zones and their records."""
        route53 = self.client("route53")
        items = [
            f"certificate:{a['DomainName']}"
            for a in self.client("acm").list_certificates()["CertificateSummaryList"]
        ]
        for zone in route53.list_hosted_zones()["HostedZones"]:
            items.append(f"zone:{zone['Name']}")
            records = route53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
            items += [f"record:{r['Type']}:{r['Name']}" for r in records]
        return items


@contextmanager
def _environ(**values: str) -> Iterator[None]:
    """Set process environment variables (moto reads its settings from them) and restore them."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def running_emulator(*, account_id: str, region: str) -> Iterator[Emulator]:
    """moto on a free loopback port with the patches above; always stopped and emptied on exit."""
    rollouts = EcsRollouts()
    with ExitStack() as stack:
        stack.enter_context(
            _environ(
                # Gap: without it moto has no AWS managed policies, and attaching
                # AmazonECSTaskExecutionRolePolicy fails with NoSuchEntity.
                MOTO_IAM_LOAD_MANAGED_POLICIES="true",
                # The account every ARN is in: the one the kit's allowed_account_ids names.
                MOTO_ACCOUNT_ID=account_id,
            )
        )
        for patch in [
            *_patch_ecs(rollouts),
            *_patch_application_autoscaling(),
            *_patch_ecr(),
            *_patch_acm(),
            *_patch_s3(),
            *_patch_rds(),
            *_patch_ec2(),
        ]:
            stack.enter_context(patch)
        # One log line per request would bury a failure's output.
        werkzeug = logging.getLogger("werkzeug")
        stack.callback(werkzeug.setLevel, werkzeug.level)
        werkzeug.setLevel(logging.WARNING)
        port = free_port()
        server = ThreadedMotoServer(ip_address=LOOPBACK, port=port, verbose=False)
        server.start()
        endpoint = f"http://{LOOPBACK}:{port}"
        try:
            yield Emulator(endpoint=endpoint, account_id=account_id, region=region, ecs=rollouts)
        finally:
            try:
                # The backends live in this process: empty them so that the next test starts clean.
                requests.post(f"{endpoint}/moto-api/reset", timeout=30)
            finally:
                server.stop()


################################################################################
# Terraform, the way the kit's README and workflows run it
################################################################################


def terraform_cli_config(mirror: Path, folder: Path) -> Path:
    """A Terraform CLI config for ``mirror`` (offline) with a plugin cache in ``folder``, so that the
    many ``init`` runs of a test link the 700 MB provider rather than copy it."""
    cache = folder / "plugin-cache"
    cache.mkdir(parents=True, exist_ok=True)
    path = folder / "terraform.rc"
    path.write_text(cli_config(mirror) + f'plugin_cache_dir = "{cache}"\n', encoding="utf-8")
    return path


def offline_terraform(folder: Path, *tools: str) -> Path:
    """``terraform_cli_config`` for this machine's provider mirror, after checking that ``terraform``
    and ``tools`` are here (a skip with the reason, or a failure under FARGATE_GEN_REQUIRE_TOOLS)."""
    for tool in ("terraform", *tools):
        require_tool(tool)
    mirror = find_mirror()
    if mirror is None:
        unavailable("no Terraform provider mirror found: set FARGATE_GEN_TF_MIRROR to a folder holding "
                    "registry.terraform.io")
    assert mirror is not None
    return terraform_cli_config(mirror, folder)


def terraform_env(
    cli_config_file: Path, emulator: Emulator, credentials: dict[str, str] | None = None
) -> dict[str, str]:
    """The environment Terraform and the AWS CLI run in: the emulator's, offline providers."""
    env = emulator.env(credentials=credentials)
    env.update(TF_CLI_CONFIG_FILE=str(cli_config_file), TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1")
    # Plain text in failure messages; it changes nothing else.
    for command in ("init", "plan", "apply", "destroy", "output", "show"):
        env[f"TF_CLI_ARGS_{command}"] = "-no-color"
    for name in ("TF_LOG", "TF_DATA_DIR", "TF_WORKSPACE"):
        env.pop(name, None)
    return env


def sh(
    command: str | list[str],
    *,
    cwd: Path,
    env: dict[str, str],
    stdin: str | None = None,
    check: bool = True,
    timeout: float = 900,
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` (a bash script when a string) and, with ``check``, fail with its output."""
    args = (
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", command]
        if isinstance(command, str)
        else command
    )
    result = subprocess.run(
        args,
        cwd=cwd,
        env=env,
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and result.returncode != 0:
        shown = command if isinstance(command, str) else " ".join(command)
        raise AssertionError(
            f"{shown} exited {result.returncode}\n"
            f"--- stdout\n{result.stdout[-20000:]}\n--- stderr\n{result.stderr[-20000:]}"
        )
    return result


def state_resources(kit: Path, root: str, env: dict[str, str]) -> list[str]:
    """The managed resources in the state of ``root`` (data sources left out)."""
    listed = sh(["terraform", f"-chdir={root}", "state", "list"], cwd=kit, env=env).stdout.split()
    return [address for address in listed if ".data." not in f".{address}"]


def empty_bucket(emulator: Emulator, bucket: str) -> int:
    """Delete every object version and delete marker of ``bucket`` (what `aws s3api delete-objects`
    over `list-object-versions` does); the number deleted."""
    s3 = emulator.client("s3")
    deleted = 0
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        objects = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
        ]
        if objects:
            result = s3.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})
            assert not result.get("Errors"), result["Errors"]
            deleted += len(objects)
    return deleted


def create_hosted_zones(emulator: Emulator, answers: dict[str, Any]) -> None:
    """The Route 53 zones the README's setup says must exist before bootstrap: one per environment
    with a domain (the kit adds records to it and leaves the zone alone)."""
    route53 = emulator.client("route53")
    for environment in answers["environments"]:
        if environment.get("domain"):
            zone = environment.get("hosted_zone") or environment["domain"].split(".", 1)[1]
            route53.create_hosted_zone(Name=zone, CallerReference=f"{zone}-{environment['name']}")


def empty_repository(emulator: Emulator, repository: str) -> int:
    """Delete every image of an ECR repository; the number deleted."""
    ecr = emulator.client("ecr")
    images = ecr.list_images(repositoryName=repository)["imageIds"]
    if images:
        ecr.batch_delete_image(repositoryName=repository, imageIds=images)
    return len(images)


################################################################################
# GitHub Actions, the way a runner runs the kit's workflows
################################################################################

_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def _text(value: Any) -> str:
    """A value as a ``${{ }}`` expression renders it: booleans as true/false."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _evaluator(context: dict[str, str], step_outputs: dict[str, dict[str, str]]) -> Callable[[Any], str]:
    """Substitutes each ``${{ name }}`` (a plain context name, no operators) in a text: from
    ``context`` (github.*, inputs.*, needs.*.outputs.*) or ``step_outputs`` (steps.*.outputs.*, as
    they are when the text is evaluated)."""

    def value(name: str) -> str:
        match = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", name)
        if match:
            return step_outputs[match.group(1)][match.group(2)]
        assert name in context, f"the runner here cannot evaluate ${{{{ {name} }}}}"
        return context[name]

    return lambda text: _EXPRESSION.sub(lambda m: value(m.group(1)), _text(text))


# A stand-in for docker on the runner: `build` has nothing to build here, `push` ends, as a real push
# does, with ECR's PutImage of the tag (the manifest names no layer: moto stores no blob).
FAKE_DOCKER = """#!/usr/bin/env bash
set -euo pipefail
echo "docker $*" >>"${DOCKER_CALLS:?}"
case "$1" in
  build) ;;
  push)
    reference="$2" path="${2#*/}"
    repository="${path%:*}" tag="${path##*:}"
    digest="$(printf '%s' "$reference" | sha256sum | cut -d' ' -f1)" v2="application/vnd.docker"
    manifest="{\\"schemaVersion\\":2,\\"mediaType\\":\\"$v2.distribution.manifest.v2+json\\","
    manifest+="\\"config\\":{\\"mediaType\\":\\"$v2.container.image.v1+json\\",\\"size\\":2,"
    manifest+="\\"digest\\":\\"sha256:$digest\\"},\\"layers\\":[]}"
    aws ecr put-image --repository-name "$repository" --image-tag "$tag" --image-manifest "$manifest" \\
      >/dev/null
    ;;
  *) echo "fake docker: unexpected command $1" >&2; exit 1 ;;
esac
"""


@dataclass
class StepResult:
    """One step of a job: its name, exit code and output."""

    name: str
    returncode: int
    stdout: str = ""
    stderr: str = ""


@dataclass
class JobRun:
    """One job run: its steps in order (up to the first that failed), outputs and step summary."""

    job: str
    steps: list[StepResult] = field(default_factory=list)
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    summary: str = ""

    @property
    def ok(self) -> bool:
        return all(step.returncode == 0 for step in self.steps)

    @property
    def failed(self) -> StepResult | None:
        return next((step for step in self.steps if step.returncode != 0), None)

    def step(self, name: str) -> StepResult:
        return next(step for step in self.steps if step.name == name)

    def describe(self) -> str:
        return "\n".join(
            f"--- {self.job} / {s.name}: exit {s.returncode}\n{s.stdout[-4000:]}{s.stderr[-8000:]}"
            for s in self.steps
        )


def _jwt_segment(claims: dict[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")


class Runner:
    """Runs jobs of the kit's workflows as a GitHub-hosted runner would, against the emulator.

    ``run:`` steps run unchanged, with ``bash --noprofile --norc -eo pipefail`` and the workflow's,
    job's and step's ``env:`` (their ``${{ }}`` expressions evaluated from the run's context).
    ``uses:`` steps of the official actions are done through the same AWS API calls with the same
    inputs: configure-aws-credentials assumes ``role-to-assume`` with AssumeRoleWithWebIdentity (after
    checking that the role exists and trusts the job's OIDC subject) and exports the credentials;
    amazon-ecr-login gets an ECR authorization token; checkout gives the job a clean work tree; the
    artifact actions carry files between the jobs of one workflow run (one commit), through a local
    folder. A job that calls a reusable workflow (``uses: ./.github/workflows/...``) passes its
    ``with:`` as the called workflow's ``inputs``; a job's ``outputs`` reach the jobs that need it.
    The only additions to a runner's environment are the emulator's endpoint (AWS_ENDPOINT_URL), the
    offline Terraform config, a docker stand-in on PATH and ``extra_env``.
    """

    def __init__(
        self,
        kit: Path,
        emulator: Emulator,
        cli_config_file: Path,
        workdir: Path,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.kit = kit
        self.emulator = emulator
        self.cli_config_file = cli_config_file
        self.workdir = workdir
        self.extra_env = extra_env or {}
        self.answers = load_yaml(kit / ".copier-answers.yml")
        self.artifacts = workdir / "artifacts"
        self.job_outputs: dict[tuple[str, str], dict[str, str]] = {}  # by (commit, job)
        self.bin = workdir / "runner-bin"
        self.bin.mkdir(parents=True, exist_ok=True)
        docker = self.bin / "docker"
        docker.write_text(FAKE_DOCKER, encoding="utf-8")
        docker.chmod(0o755)
        self.docker_calls = workdir / "docker-calls.log"
        self.terraform_version = re.search(
            r"Terraform v(\S+)", sh(["terraform", "version"], cwd=kit, env=dict(os.environ)).stdout
        ).group(1)  # type: ignore[union-attr]

    def docker_commands(self) -> list[str]:
        return self.docker_calls.read_text().splitlines() if self.docker_calls.exists() else []

    def run(self, workflow: str, job: str, *, sha: str, inputs: dict[str, str] | None = None) -> JobRun:
        """Run job ``job`` of ``.github/workflows/<workflow>`` for commit ``sha``: a job id, or
        ``caller/called`` for job ``called`` of the reusable workflow that job ``caller`` calls with
        ``uses: ./.github/workflows/...``. ``needs.*.outputs`` are those of the jobs already run for
        ``sha``; ``inputs`` are a workflow_dispatch's."""
        caller_id, _, called_id = job.partition("/")
        document = self._workflow(workflow)
        definition = document["jobs"][caller_id]
        event = "push" if inputs is None else "workflow_dispatch"
        context = self._context(sha, event, inputs or {}, workflow)
        context.update(self._needs(definition, sha, prefix=""))
        if "uses" in definition:
            assert called_id, f"{workflow}/{caller_id} calls a workflow: name one of its jobs"
            called = str(definition["uses"]).removeprefix("./.github/workflows/")
            document, called_inputs = self._call(definition, context)
            definition = document["jobs"][called_id]
            context = self._context(sha, context["github.event_name"], called_inputs, called)
            context.update(self._needs(definition, sha, prefix=f"{caller_id}/"))
        else:
            assert not called_id, f"{workflow}/{caller_id} calls no workflow"
        run = self._run_job(document, definition, job, context)
        if run.ok:
            evaluate = _evaluator(context, run.outputs)
            self.job_outputs[(sha, job)] = {k: evaluate(v) for k, v in definition.get("outputs", {}).items()}
        return run

    def _workflow(self, file_name: str) -> dict[str, Any]:
        document: dict[str, Any] = load_yaml(self.kit / ".github" / "workflows" / file_name)
        shell = document.get("defaults", {}).get("run", {}).get("shell", "bash")
        assert shell == "bash", f"{file_name}: the runner here only knows bash, not {shell}"
        return document

    def _context(self, sha: str, event: str, inputs: dict[str, str], workflow: str) -> dict[str, str]:
        """The expressions of a run of ``workflow`` (the file defining the job) on the deploy branch."""
        ref = f"refs/heads/{self.answers.get('deploy_branch', 'main')}"
        context = {
            "github.sha": sha,
            "github.ref": ref,
            "github.run_id": "1",
            "github.event_name": event,
            # No expression of GitHub's: the job_workflow_ref claim of the job's OIDC token, the file
            # that defines the job (the called one in a reusable workflow) at the run's ref.
            "job_workflow_ref": f"{self.answers['github_repository']}/.github/workflows/{workflow}@{ref}",
        }
        context.update({f"inputs.{name}": _text(value) for name, value in inputs.items()})
        return context

    def _needs(self, job: dict[str, Any], sha: str, *, prefix: str) -> dict[str, str]:
        """``needs.<job>.outputs.<name>`` of the jobs ``job`` needs that have run for ``sha``."""
        needs = job.get("needs", [])
        context = {}
        for needed in [needs] if isinstance(needs, str) else needs:
            for name, value in self.job_outputs.get((sha, f"{prefix}{needed}"), {}).items():
                context[f"needs.{needed}.outputs.{name}"] = value
        return context

    def _call(self, caller: dict[str, Any], context: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
        """The reusable workflow a job calls and the inputs it passes (``with:``), checked against
        the called workflow's ``workflow_call`` inputs: each one declared, each required one given."""
        path = str(caller["uses"])
        assert path.startswith("./.github/workflows/"), f"{path}: only local reusable workflows here"
        document = self._workflow(path.removeprefix("./.github/workflows/"))
        # YAML 1.1 reads a bare `on` as true.
        triggers: dict[str, Any] = next(v for k, v in document.items() if k in ("on", True))
        declared = triggers["workflow_call"].get("inputs", {})
        evaluate = _evaluator(context, {})
        given = {name: evaluate(value) for name, value in caller.get("with", {}).items()}
        assert set(given) <= set(declared), f"{path}: undeclared inputs {set(given) - set(declared)}"
        missing = {name for name, spec in declared.items() if spec.get("required") and name not in given}
        assert not missing, f"{path}: required inputs not given: {missing}"
        for name, spec in declared.items():
            if spec.get("type") == "boolean" and name in given:
                assert given[name] in ("true", "false"), f"{path}: input {name} is not a boolean"
        return document, given

    def _run_job(
        self, document: dict[str, Any], job: dict[str, Any], job_path: str, context: dict[str, str]
    ) -> JobRun:
        run = JobRun(job=job_path)
        slug = job_path.replace("/", "--")
        output_file = self.workdir / f"{slug}.output"
        summary_file = self.workdir / f"{slug}.summary"
        summary_file.write_text("")
        env = terraform_env(self.cli_config_file, self.emulator)
        env.update(
            CI="true",
            GITHUB_ACTIONS="true",
            GITHUB_SHA=context["github.sha"],
            GITHUB_REF=context["github.ref"],
            GITHUB_WORKSPACE=str(self.kit),
            GITHUB_STEP_SUMMARY=str(summary_file),
            GITHUB_OUTPUT=str(output_file),
            GITHUB_EVENT_NAME=context["github.event_name"],
            GITHUB_REPOSITORY=self.answers["github_repository"],
            DOCKER_CALLS=str(self.docker_calls),
            PATH=f"{self.bin}{os.pathsep}{env['PATH']}",
            **self.extra_env,
        )
        evaluate = _evaluator(context, run.outputs)
        for scope in (document.get("env", {}), job.get("env", {})):
            env.update({k: evaluate(v) for k, v in scope.items()})
        for index, step in enumerate(job["steps"]):
            name = step.get("name", f"step {index}")
            assert "if" not in step, f"{job_path}/{name}: the runner here does not evaluate if:"
            step_env = {**env, **{k: evaluate(v) for k, v in step.get("env", {}).items()}}
            if "uses" in step:
                result = self._action(step, name, job, step_env, env, evaluate)
            else:
                output_file.write_text("")
                completed = sh(step["run"], cwd=self.kit, env=step_env, check=False)
                result = StepResult(name, completed.returncode, completed.stdout, completed.stderr)
                if "id" in step:
                    lines = output_file.read_text().splitlines()
                    run.outputs[step["id"]] = dict(line.split("=", 1) for line in lines if "=" in line)
            run.steps.append(result)
            if result.returncode != 0:
                break
        run.summary = summary_file.read_text()
        return run

    def oidc_subject(self, job: dict[str, Any], evaluate: Callable[[str], str]) -> str:
        """The ``sub`` claim of the job's GitHub OIDC token (an environment takes precedence).

        With the repository's IDs in the config, the subject of the template that
        .github/scripts/github-setup.sh sets (repository_owner_id, repository_id, context,
        job_workflow_ref: GitHub Docs, "OpenID Connect reference", "Customizing the subject claims");
        without, GitHub's legacy default ``repo:OWNER/REPO:<context>``.
        """
        environment = job.get("environment")
        if environment is not None:
            name = environment["name"] if isinstance(environment, dict) else environment
            context = f"environment:{evaluate(name)}"
        else:
            context = f"ref:{evaluate('${{ github.ref }}')}"
        owner_id, repository_id = (self.answers.get(f"github_{key}_id") for key in ("owner", "repository"))
        if owner_id and repository_id:
            workflow_ref = evaluate("${{ job_workflow_ref }}")
            ids = f"repository_owner_id:{owner_id}:repository_id:{repository_id}"
            return f"{ids}:{context}:job_workflow_ref:{workflow_ref}"
        return f"repo:{self.answers['github_repository']}:{context}"

    def _action(
        self,
        step: dict[str, Any],
        name: str,
        job: dict[str, Any],
        step_env: dict[str, str],
        env: dict[str, str],
        evaluate: Callable[[str], str],
    ) -> StepResult:
        action = step["uses"].split("@", 1)[0]
        inputs = {k: evaluate(v) for k, v in step.get("with", {}).items()}
        if action == "actions/checkout":
            # A fresh clone: no Terraform working directory, plan or lock file of an earlier job.
            shutil.rmtree(self.kit / "infra" / ".terraform", ignore_errors=True)
            for leftover in ("infra/tfplan", "plan.txt"):
                (self.kit / leftover).unlink(missing_ok=True)
            assert inputs.get("persist-credentials") in (False, "False", "false"), "checkout keeps no token"
            # A clone is a git repository (deploy-order.sh reads its history). The made-up commits
            # of these runs are not in it: deploy-order.sh warns that it cannot order them, and
            # deploys; tests/test_deploy_order.py orders real commits.
            if not (self.kit / ".git").exists():
                sh(["git", "init", "--quiet"], cwd=self.kit, env=dict(os.environ))
        elif action == "hashicorp/setup-terraform":
            # The version the workflow pins is the one this test runs.
            assert str(inputs["terraform_version"]) == self.terraform_version, (
                inputs,
                self.terraform_version,
            )
        elif action == "aws-actions/configure-aws-credentials":
            env.update(
                self._assume(inputs["role-to-assume"], inputs["aws-region"], self.oidc_subject(job, evaluate))
            )
        elif action == "aws-actions/amazon-ecr-login":
            self._ecr_login(step_env)
        elif action == "actions/upload-artifact":
            return self._upload(name, inputs, evaluate("${{ github.sha }}"))
        elif action == "actions/download-artifact":
            return self._download(name, inputs, evaluate("${{ github.sha }}"))
        else:
            raise AssertionError(f"{name}: the runner here does not know the action {action}")
        return StepResult(name, 0)

    def _upload(self, name: str, inputs: dict[str, str], run: str) -> StepResult:
        """upload-artifact: the file at ``path`` kept under the workflow run's artifact ``name`` (a
        local folder stands for the run's artifact storage)."""
        source = self.kit / inputs["path"]
        if not source.is_file():
            # The kit's upload says if-no-files-found: error.
            assert inputs.get("if-no-files-found") == "error", f"{name}: a missing file must fail the upload"
            return StepResult(name, 1, stderr=f"No files were found with the provided path: {inputs['path']}")
        folder = self.artifacts / run / inputs["name"]
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        shutil.copy2(source, folder / source.name)
        return StepResult(name, 0)

    def _download(self, name: str, inputs: dict[str, str], run: str) -> StepResult:
        """download-artifact: the files of the run's artifact ``name`` into ``path``."""
        folder = self.artifacts / run / inputs["name"]
        if not folder.is_dir():
            return StepResult(
                name,
                1,
                stderr=f"Unable to download artifact(s): Artifact not found for name: {inputs['name']}",
            )
        destination = self.kit / inputs.get("path", ".")
        destination.mkdir(parents=True, exist_ok=True)
        for file in folder.iterdir():
            shutil.copy2(file, destination / file.name)
        return StepResult(name, 0)

    def _assume(self, role_arn: str, region: str, subject: str) -> dict[str, str]:
        """configure-aws-credentials with role-to-assume: AssumeRoleWithWebIdentity, as the action does."""
        assert region == self.emulator.region, (
            f"aws-region {region} is not the kit's region {self.emulator.region}"
        )
        iam = self.emulator.client("iam")
        role = iam.get_role(RoleName=role_arn.rsplit("/", 1)[-1])["Role"]
        assert role["Arn"] == role_arn
        assert trusts(role["AssumeRolePolicyDocument"], subject), (
            f"{role_arn} does not trust the OIDC subject {subject}: {role['AssumeRolePolicyDocument']}"
        )
        providers = [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
        assert any(p.endswith("oidc-provider/token.actions.githubusercontent.com") for p in providers), (
            providers
        )
        # The token's signature is not checked by the emulator; its claims are the ones GitHub sends.
        claims = {
            "iss": "https://token.actions.githubusercontent.com",
            "aud": "sts.amazonaws.com",
            "sub": subject,
        }
        token = f"{_jwt_segment({'alg': 'RS256', 'typ': 'JWT'})}.{_jwt_segment(claims)}.c2lnbmF0dXJl"
        credentials = self.emulator.client("sts").assume_role_with_web_identity(
            RoleArn=role_arn, RoleSessionName="GitHubActions", WebIdentityToken=token, DurationSeconds=3600
        )["Credentials"]
        return {
            "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
            "AWS_SESSION_TOKEN": credentials["SessionToken"],
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
        }

    def _ecr_login(self, env: dict[str, str]) -> None:
        """amazon-ecr-login: GetAuthorizationToken; the registry it logs in to must be the one the
        workflow tags images for."""
        keys: dict[str, str] = {
            k: env[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN") if k in env
        }
        data = self.emulator.client("ecr", keys).get_authorization_token()["authorizationData"][0]
        user, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
        assert user == "AWS" and password
        registry = data["proxyEndpoint"].removeprefix("https://")
        image = env.get("IMAGE", "")
        assert image.startswith(f"{registry}/"), (
            f"the workflow's image {image} is not in the registry {registry}"
        )


def trusts(policy: dict[str, Any] | str, subject: str) -> bool:
    """Whether a role trust policy lets a GitHub OIDC token with ``subject`` (and audience
    sts.amazonaws.com) assume the role: a StringEquals/StringLike reading of the policy."""
    document = json.loads(policy) if isinstance(policy, str) else policy
    statements = document["Statement"] if isinstance(document["Statement"], list) else [document["Statement"]]
    claims = {
        "token.actions.githubusercontent.com:sub": subject,
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
    }
    for statement in statements:
        actions = statement.get("Action", [])
        if statement.get("Effect") != "Allow" or "sts:AssumeRoleWithWebIdentity" not in (
            actions if isinstance(actions, list) else [actions]
        ):
            continue
        federated = statement.get("Principal", {}).get("Federated", "")
        if not str(federated).endswith("oidc-provider/token.actions.githubusercontent.com"):
            continue
        conditions = statement.get("Condition", {})
        if set(conditions) - {"StringEquals", "StringLike"}:
            continue
        ok = True
        for operator, keys in conditions.items():
            for key, expected in keys.items():
                values = expected if isinstance(expected, list) else [expected]
                actual = claims.get(key)
                if actual is None:
                    ok = False
                elif operator == "StringEquals":
                    ok = ok and actual in values
                else:
                    ok = ok and any(fnmatch.fnmatchcase(actual, v) for v in values)
        if ok and "token.actions.githubusercontent.com:sub" in {
            k for keys in conditions.values() for k in keys
        }:
            return True
    return False
