data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  # The kit's .aws/task-definition.json is the one description of the task: Terraform registers the
  # first revision from it, CI every later one.
  task_definition = jsondecode(file(var.task_definition_file))
  container       = one([for c in local.task_definition.containerDefinitions : c if c.name == var.container_name])
  container_definitions = [
    for c in local.task_definition.containerDefinitions :
    c.name == var.container_name ? merge(c, { image = var.image }) : c
  ]

  execution_role_name = "${var.name}-ecs-execution"
  task_role_name      = "${var.name}-ecs-task"
  role_arn_prefix     = "arn:${local.partition}:iam::${local.account_id}:role/"
}

resource "aws_ecs_cluster" "this" {
  name = "${var.name}-cluster"

  setting {
    name  = "containerInsights"
    value = "enabled"
  }

  tags = var.tags
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/ecs/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags
}

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:ecs:${local.region}:${local.account_id}:*"]
    }
  }
}

resource "aws_iam_role" "execution" {
  name               = local.execution_role_name
  description        = "Lets ECS pull the image, write logs and read the task's SSM parameters"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "ReadTaskParameters"
    actions   = ["ssm:GetParameters"]
    resources = ["arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter${var.ssm_parameter_path}/*"]
  }

  statement {
    sid       = "DecryptTaskParameters"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "read-task-secrets"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

# The application's own AWS permissions go here; it has none yet.
resource "aws_iam_role" "task" {
  name               = local.task_role_name
  description        = "Role the ${var.container_name} container runs as"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json

  tags = var.tags
}

resource "aws_security_group" "this" {
  name        = "${var.name}-service"
  description = "Tasks of ${var.name}-service: the container port from the load balancer; HTTPS and the database out"
  vpc_id      = var.vpc_id

  ingress {
    description     = "Container port from the load balancer"
    from_port       = var.container_port
    to_port         = var.container_port
    protocol        = "tcp"
    security_groups = [var.load_balancer_security_group_id]
  }

  egress {
    description = "HTTPS to ECR, CloudWatch Logs and SSM through the NAT gateway"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  # By CIDR, not by the database's security group, which refers to this one.
  dynamic "egress" {
    for_each = var.database_access == null ? [] : [var.database_access]

    content {
      description = "Database in the private subnets"
      from_port   = egress.value.port
      to_port     = egress.value.port
      protocol    = "tcp"
      cidr_blocks = egress.value.cidr_blocks
    }
  }

  tags = merge(var.tags, { Name = "${var.name}-service" })
}

resource "aws_ecs_task_definition" "this" {
  family                   = local.task_definition.family
  cpu                      = local.task_definition.cpu
  memory                   = local.task_definition.memory
  network_mode             = local.task_definition.networkMode
  requires_compatibilities = local.task_definition.requiresCompatibilities
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  container_definitions    = jsonencode(local.container_definitions)

  dynamic "runtime_platform" {
    for_each = can(local.task_definition.runtimePlatform) ? [local.task_definition.runtimePlatform] : []

    content {
      cpu_architecture        = runtime_platform.value.cpuArchitecture
      operating_system_family = runtime_platform.value.operatingSystemFamily
    }
  }

  dynamic "volume" {
    for_each = try(local.task_definition.volumes, [])

    content {
      name = volume.value.name
    }
  }

  tags = var.tags

  lifecycle {
    # CI registers every later revision from the same JSON; this first one only has to exist.
    # tags: ecs-deploy.sh tags each revision that completed a deployment (deployed-at), this one
    # too; ecs-rollback.sh looks for that tag, so Terraform must not remove it.
    ignore_changes = [container_definitions, cpu, memory, runtime_platform, volume, tags]

    precondition {
      condition     = local.task_definition.family == var.name
      error_message = "${var.task_definition_file}: family is \"${local.task_definition.family}\"; Terraform expects \"${var.name}\"."
    }
    precondition {
      condition     = local.container != null
      error_message = "${var.task_definition_file}: no container named \"${var.container_name}\" in containerDefinitions."
    }
    precondition {
      condition     = contains(try(local.container.portMappings[*].containerPort, []), var.container_port)
      error_message = "${var.task_definition_file}: container \"${var.container_name}\" has no portMappings entry for containerPort ${var.container_port}, the port the load balancer sends traffic to."
    }
    precondition {
      condition     = local.task_definition.executionRoleArn == "${local.role_arn_prefix}${local.execution_role_name}"
      error_message = "${var.task_definition_file}: executionRoleArn must be ${local.role_arn_prefix}${local.execution_role_name}."
    }
    precondition {
      condition     = local.task_definition.taskRoleArn == "${local.role_arn_prefix}${local.task_role_name}"
      error_message = "${var.task_definition_file}: taskRoleArn must be ${local.role_arn_prefix}${local.task_role_name}."
    }
    precondition {
      condition     = try(local.container.logConfiguration.options["awslogs-group"], null) == aws_cloudwatch_log_group.this.name
      error_message = "${var.task_definition_file}: container \"${var.container_name}\" must log with awslogs to the group ${aws_cloudwatch_log_group.this.name}."
    }
    precondition {
      condition     = try(local.container.logConfiguration.options["awslogs-region"], null) == local.region
      error_message = "${var.task_definition_file}: awslogs-region must be ${local.region}, the region Terraform deploys to."
    }
    precondition {
      condition     = local.task_definition.networkMode == "awsvpc" && contains(local.task_definition.requiresCompatibilities, "FARGATE")
      error_message = "${var.task_definition_file}: Fargate needs networkMode \"awsvpc\" and requiresCompatibilities [\"FARGATE\"]."
    }
  }
}

resource "aws_ecs_service" "this" {
  name            = "${var.name}-service"
  cluster         = aws_ecs_cluster.this.id
  task_definition = aws_ecs_task_definition.this.arn
  desired_count   = var.desired_count

  launch_type      = "FARGATE"
  platform_version = "LATEST"

  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  health_check_grace_period_seconds  = var.health_check_grace_period_seconds

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [aws_security_group.this.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = var.target_group_arn
    container_name   = var.container_name
    container_port   = var.container_port
  }

  enable_ecs_managed_tags = true
  propagate_tags          = "SERVICE"

  tags = var.tags

  lifecycle {
    # CI owns the revisions after the first one (.github/scripts/ecs-deploy.sh).
    ignore_changes = [task_definition]
  }
}
