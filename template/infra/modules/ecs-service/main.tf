data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  # The kit's task-definition JSON is the one description of the task: Terraform registers the
  # first revision from it, CI every later one.
  task_definition = jsondecode(file(var.task_definition_file))
  container       = one([for c in local.task_definition.containerDefinitions : c if c.name == var.container_name])
  # The database's master user secret has a random ARN: the task-definition JSON names it
  # rds-master-user-secret:<json key>::, and the secret's ARN takes its place here and in
  # .github/scripts/ecs-deploy.sh.
  secret_placeholder = "rds-master-user-secret:"
  container_definitions = [
    for c in local.task_definition.containerDefinitions : merge(
      c,
      { for k, v in { image = var.image } : k => v if c.name == var.container_name },
      { for k, v in { secrets = try(c.secrets, []) } : k => [
        for s in v : startswith(s.valueFrom, local.secret_placeholder) && var.database_secret_arn != null
        ? merge(s, { valueFrom = "${var.database_secret_arn}:${trimprefix(s.valueFrom, local.secret_placeholder)}" }) : s
      ] if can(c.secrets) },
    )
  ]

  service_name        = "${var.name}-service"
  execution_role_name = "${var.name}-ecs-execution"
  task_role_name      = "${var.name}-ecs-task"
  role_arn_prefix     = "arn:${local.partition}:iam::${local.account_id}:role/"
}

################################################################################
# Logs and roles
################################################################################

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
  name                 = local.execution_role_name
  description          = "Lets ECS pull the image, write logs and read the task's SSM parameters"
  assume_role_policy   = data.aws_iam_policy_document.ecs_tasks_assume.json
  permissions_boundary = var.permissions_boundary_arn

  tags = var.tags
}

# What AmazonECSTaskExecutionRolePolicy grants, narrowed to this service's repository and log group.
data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid       = "PullImage"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = [var.repository_arn]
  }

  statement {
    sid       = "WriteLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }

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

  # The secret's name is random: it is recognised by the tag RDS puts on it (no one else can set an
  # aws: tag).
  dynamic "statement" {
    for_each = var.database_instance_arn != null ? [var.database_instance_arn] : []

    content {
      sid       = "ReadDatabaseSecret"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = ["arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:rds!db-*"]

      condition {
        test     = "StringEquals"
        variable = "aws:ResourceTag/aws:rds:primaryDBInstanceArn"
        values   = [statement.value]
      }
    }
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "pull-log-read-secrets"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

# The application's own AWS permissions go here; it has none yet, apart from ECS Exec when it is on.
resource "aws_iam_role" "task" {
  name                 = local.task_role_name
  description          = "Role the ${var.container_name} container runs as"
  assume_role_policy   = data.aws_iam_policy_document.ecs_tasks_assume.json
  permissions_boundary = var.permissions_boundary_arn

  tags = var.tags
}

data "aws_iam_policy_document" "exec" {
  count = var.enable_execute_command ? 1 : 0

  # The SSM agent's session channels; Systems Manager defines no resource for them.
  statement {
    sid = "ExecSessions"
    actions = [
      "ssmmessages:CreateControlChannel",
      "ssmmessages:CreateDataChannel",
      "ssmmessages:OpenControlChannel",
      "ssmmessages:OpenDataChannel",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "FindExecLogGroup"
    actions   = ["logs:DescribeLogGroups"]
    resources = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*"]
  }

  statement {
    sid       = "WriteExecLogs"
    actions   = ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
    resources = ["${var.execute_command_log_group_arn}:*"]
  }

  statement {
    sid       = "EncryptExecSessions"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "exec" {
  count = var.enable_execute_command ? 1 : 0

  name   = "ecs-exec"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.exec[0].json
}

################################################################################
# Task definition and service
################################################################################

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

  # Replacing or destroying it leaves the revision registered (ECS keeps it, INACTIVE or not): the
  # deploy roles have no ecs:DeregisterTaskDefinition, which IAM cannot scope to a family.
  skip_destroy = true

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
  name            = local.service_name
  cluster         = var.cluster_arn
  task_definition = aws_ecs_task_definition.this.arn
  desired_count   = var.desired_count

  platform_version = "LATEST"

  # With no Spot share (production always), launch_type as kits before 0.2.0 created the service:
  # the AWS provider 5.x replaces a service that goes from launch_type to a capacity-provider
  # strategy or back (hashicorp/terraform-provider-aws#22823), and a replaced service is an outage.
  # With a share, a strategy with both providers (the cluster has both), so that a new share changes
  # weights in place; a share going from 0 to more, or back, replaces that environment's service.
  # FARGATE's base keeps one task on demand.
  launch_type = var.fargate_spot_percent == 0 ? "FARGATE" : null

  dynamic "capacity_provider_strategy" {
    for_each = var.fargate_spot_percent == 0 ? {} : { FARGATE = 100 - var.fargate_spot_percent, FARGATE_SPOT = var.fargate_spot_percent }

    content {
      capacity_provider = capacity_provider_strategy.key
      base              = capacity_provider_strategy.key == "FARGATE" ? 1 : 0
      weight            = capacity_provider_strategy.value
    }
  }

  # The AWS provider replaces a service whose strategy changes unless the update also forces a new
  # deployment; one that ECS starts from the running revision.
  force_new_deployment = true

  deployment_minimum_healthy_percent = var.deployment.minimum_healthy_percent
  deployment_maximum_percent         = var.deployment.maximum_percent
  health_check_grace_period_seconds  = var.deployment.health_check_grace_period_seconds

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  dynamic "alarms" {
    for_each = length(var.deployment_alarm_names) > 0 ? [var.deployment_alarm_names] : []

    content {
      alarm_names = alarms.value
      enable      = true
      rollback    = true
    }
  }

  enable_execute_command = var.enable_execute_command

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [var.security_group_id]
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
    # CI owns the revisions after the first one (.github/scripts/ecs-deploy.sh); App Auto Scaling
    # owns the task count, between the scalable target's minimum and maximum.
    ignore_changes = [task_definition, desired_count]
  }
}

################################################################################
# Autoscaling
################################################################################

locals {
  scaling_metric = {
    cpu      = "ECSServiceAverageCPUUtilization"
    memory   = "ECSServiceAverageMemoryUtilization"
    requests = "ALBRequestCountPerTarget"
  }
}

# Always there, so that App Auto Scaling alone sets the task count: with autoscaling off its range
# is just desired_count.
resource "aws_appautoscaling_target" "this" {
  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = "service/${var.cluster_name}/${aws_ecs_service.this.name}"
  min_capacity       = var.desired_count
  max_capacity       = var.autoscaling.enabled ? var.autoscaling.max_count : var.desired_count

  tags = var.tags
}

resource "aws_appautoscaling_policy" "this" {
  count = var.autoscaling.enabled ? 1 : 0

  name               = "${var.name}-${var.autoscaling.metric}"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension
  resource_id        = aws_appautoscaling_target.this.resource_id

  target_tracking_scaling_policy_configuration {
    target_value = var.autoscaling.target
    # Add tasks after a minute of load, remove them only after five quiet minutes.
    scale_out_cooldown = 60
    scale_in_cooldown  = 300

    predefined_metric_specification {
      predefined_metric_type = local.scaling_metric[var.autoscaling.metric]
      resource_label         = var.autoscaling.metric == "requests" ? var.request_count_resource_label : null
    }
  }
}
