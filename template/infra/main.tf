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

locals {
  name               = "${var.project_name}-${var.environment}"
  ssm_parameter_path = "/${var.project_name}/${var.environment}"

  # Known here rather than read from the database module, which itself refers to the service's
  # security group: no module-level cycle.
  database_port = var.database_engine == "mysql" ? 3306 : 5432
}

# Created by the bootstrap root and shared by every environment. Looking it up here also stops the
# plan early when bootstrap has not been applied.
data "aws_ecr_repository" "app" {
  name = var.project_name
}

module "kms" {
  source = "./modules/kms"

  name = local.name
}

module "network" {
  source = "./modules/network"

  name                    = local.name
  cidr                    = var.vpc_cidr
  single_nat_gateway      = var.single_nat_gateway
  flow_log_kms_key_arn    = module.kms.key_arn
  flow_log_retention_days = var.log_retention_days
}

module "alb" {
  source = "./modules/alb"

  name           = local.name
  vpc_id         = module.network.vpc_id
  vpc_cidr_block = module.network.vpc_cidr_block
  subnet_ids     = module.network.public_subnet_ids
  target_port    = var.container_port
  health_check   = { path = var.health_check_path }
}

module "ecs_service" {
  source = "./modules/ecs-service"

  name                 = local.name
  container_name       = var.project_name
  container_port       = var.container_port
  image                = var.image
  task_definition_file = coalesce(var.task_definition_file, "${path.root}/../.aws/task-definition.json")
  desired_count        = var.desired_count

  # A JVM needs longer than Node before it answers health checks.
  health_check_grace_period_seconds = coalesce(var.health_check_grace_period_seconds, var.app_type == "java-spring-boot" ? 90 : 30)

  vpc_id                          = module.network.vpc_id
  subnet_ids                      = module.network.private_subnet_ids
  target_group_arn                = module.alb.target_group_arn
  load_balancer_security_group_id = module.alb.security_group_id
  database_access = var.enable_database ? {
    port        = local.database_port
    cidr_blocks = module.network.private_subnet_cidr_blocks
  } : null

  kms_key_arn        = module.kms.key_arn
  ssm_parameter_path = local.ssm_parameter_path
  log_retention_days = var.log_retention_days
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
  allowed_security_group_id = module.ecs_service.security_group_id
  kms_key_arn               = module.kms.key_arn
  ssm_parameter_path        = local.ssm_parameter_path
  deletion_protection       = var.database_deletion_protection
  skip_final_snapshot       = var.database_skip_final_snapshot
  log_retention_days        = var.log_retention_days
}
