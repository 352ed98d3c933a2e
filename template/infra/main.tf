provider "aws" {
  region              = var.aws_region
  allowed_account_ids = [var.aws_account_id]

  default_tags {
    tags = merge(var.tags, {
      project     = var.project_name
      environment = var.environment
      managed-by  = "terraform"
    })
  }
}

data "aws_partition" "current" {}

locals {
  name = "${var.project_name}-${var.environment}"
  # Made by the bootstrap root (infra/bootstrap/boundary.tf): every role of the environment carries
  # it, because the deploy role may create and change roles only with it.
  permissions_boundary_arn = "arn:${data.aws_partition.current.partition}:iam::${var.aws_account_id}:policy/${local.name}-boundary"
  ssm_parameter_path       = "/${var.project_name}/${var.environment}"

  # Known here rather than read from the database module, which itself refers to the service's
  # security group: no module-level cycle.
  database_port = var.database_engine == "mysql" ? 3306 : 5432

  # The production (last) environment's task definition is .aws/task-definition.json, every other
  # one's .aws/task-definition.<environment>.json (docs/kit-contract.md).
  task_definition_file = coalesce(
    var.task_definition_file,
    var.production ? "${path.root}/../.aws/task-definition.json" : "${path.root}/../.aws/task-definition.${var.environment}.json",
  )

  https       = var.domain != null
  hosted_zone = local.https ? coalesce(var.hosted_zone, try(regex("^[^.]+\\.(.+)$", var.domain)[0], "")) : null
}

# Created by the bootstrap root and shared by every environment. Looking it up here also stops the
# plan early when bootstrap has not been applied.
data "aws_ecr_repository" "app" {
  name = var.project_name
}

module "kms" {
  source = "./modules/kms"

  name                    = local.name
  allow_cloudwatch_alarms = var.alarms.enabled
}

module "network" {
  source = "./modules/network"

  name                     = local.name
  cidr                     = var.vpc_cidr
  single_nat_gateway       = var.single_nat_gateway
  flow_log_kms_key_arn     = module.kms.key_arn
  flow_log_retention_days  = var.log_retention_days
  permissions_boundary_arn = local.permissions_boundary_arn
}

module "certificate" {
  source = "./modules/certificate"
  count  = local.https ? 1 : 0

  domain      = var.domain
  hosted_zone = local.hosted_zone
}

module "alb" {
  source = "./modules/alb"

  name           = local.name
  vpc_id         = module.network.vpc_id
  vpc_cidr_block = module.network.vpc_cidr_block
  subnet_ids     = module.network.public_subnet_ids
  target_port    = var.container_port
  https          = local.https ? { certificate_arn = module.certificate[0].certificate_arn } : null
  dns_alias      = local.https ? { zone_id = module.certificate[0].zone_id, name = var.domain } : null

  health_check = {
    path                = var.health_check_path
    interval            = var.deployment.health_check_interval
    healthy_threshold   = var.deployment.healthy_threshold
    unhealthy_threshold = var.deployment.unhealthy_threshold
  }
  deregistration_delay       = var.deployment.deregistration_delay
  enable_deletion_protection = var.load_balancer_deletion_protection
}

module "alarms" {
  source = "./modules/alarms"
  count  = var.alarms.enabled ? 1 : 0

  name                     = local.name
  load_balancer_arn_suffix = module.alb.arn_suffix
  target_group_arn_suffix  = module.alb.target_group_arn_suffix
  cluster_name             = module.ecs_cluster.name
  # By name, not from the service module: the service refers to these alarms.
  service_name       = "${local.name}-service"
  kms_key_arn        = module.kms.key_arn
  email              = var.alarms.email
  container_insights = var.enable_container_insights
}

module "service_security_group" {
  source = "./modules/service-security-group"

  name                            = "${local.name}-service"
  vpc_id                          = module.network.vpc_id
  container_port                  = var.container_port
  load_balancer_security_group_id = module.alb.security_group_id
  database_access = var.enable_database ? {
    port        = local.database_port
    cidr_blocks = module.network.private_subnet_cidr_blocks
  } : null
}

module "ecs_cluster" {
  source = "./modules/ecs-cluster"

  name                      = "${local.name}-cluster"
  enable_container_insights = var.enable_container_insights
  enable_execute_command    = var.enable_ecs_exec
  exec_log_group_name       = var.enable_ecs_exec ? "/ecs/${local.name}/exec" : null
  kms_key_arn               = module.kms.key_arn
  log_retention_days        = var.log_retention_days
}

# The cluster and the tasks' security group had been part of the service module.
moved {
  from = module.ecs_service.aws_ecs_cluster.this
  to   = module.ecs_cluster.aws_ecs_cluster.this
}

moved {
  from = module.ecs_service.aws_security_group.this
  to   = module.service_security_group.aws_security_group.this
}

module "ecs_service" {
  source = "./modules/ecs-service"

  name                 = local.name
  container_name       = var.project_name
  container_port       = var.container_port
  image                = var.image
  repository_arn       = data.aws_ecr_repository.app.arn
  task_definition_file = local.task_definition_file

  desired_count                = var.desired_count
  autoscaling                  = var.autoscaling
  request_count_resource_label = "${module.alb.arn_suffix}/${module.alb.target_group_arn_suffix}"
  fargate_spot_percent         = var.fargate_spot_percent
  deployment = {
    minimum_healthy_percent           = var.deployment.minimum_healthy_percent
    maximum_percent                   = var.deployment.maximum_percent
    health_check_grace_period_seconds = var.deployment.health_check_grace_period
  }
  deployment_alarm_names        = var.alarms.enabled ? module.alarms[0].deployment_alarm_names : []
  enable_execute_command        = var.enable_ecs_exec
  execute_command_log_group_arn = module.ecs_cluster.exec_log_group_arn

  cluster_name      = module.ecs_cluster.name
  cluster_arn       = module.ecs_cluster.arn
  vpc_id            = module.network.vpc_id
  subnet_ids        = module.network.private_subnet_ids
  target_group_arn  = module.alb.target_group_arn
  security_group_id = module.service_security_group.id

  kms_key_arn              = module.kms.key_arn
  ssm_parameter_path       = local.ssm_parameter_path
  log_retention_days       = var.log_retention_days
  permissions_boundary_arn = local.permissions_boundary_arn
  # Not one(module.database[*]...): checkov stops resolving module values after a module splat.
  database_secret_arn = var.enable_database ? module.database[0].master_user_secret_arn : null
  # By name: known in every plan, before the instance and its secret exist.
  database_instance_arn = var.enable_database ? "arn:${data.aws_partition.current.partition}:rds:${var.aws_region}:${var.aws_account_id}:db:${local.name}-db" : null
}

module "database" {
  source = "./modules/database"
  count  = var.enable_database ? 1 : 0

  name                      = local.name
  engine                    = var.database_engine
  port                      = local.database_port
  instance_class            = var.database_instance_class
  database_name             = replace(var.project_name, "-", "")
  vpc_id                    = module.network.vpc_id
  subnet_ids                = module.network.private_subnet_ids
  allowed_security_group_id = module.service_security_group.id
  kms_key_arn               = module.kms.key_arn
  ssm_parameter_path        = local.ssm_parameter_path
  deletion_protection       = var.database_deletion_protection
  skip_final_snapshot       = var.database_skip_final_snapshot
  log_retention_days        = var.log_retention_days
}
