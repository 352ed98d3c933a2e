################################################################################
# Permissions boundary of the roles the deploy roles create, one per environment
################################################################################

locals {
  secretsmanager_arn = "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}"
  # By name, not from the resource: the environments' roots compute the same ARN.
  boundary_arns = { for e in var.environments : e => "${local.arn.iam}:policy/${var.project_name}-${e}-boundary" }
}

# The ceiling of every role an environment's deploy role may create or change: its task, execution
# and VPC flow-log roles. Whatever policy the deploy role writes into them, they can do no more than
# this, and only in their own environment. Only this root (an administrator) writes it; the deploy
# roles may neither change nor remove it (deploy-roles.tf).
data "aws_iam_policy_document" "boundary" {
  for_each = toset(var.environments)

  # Pulling the image (execution role).
  statement {
    sid       = "RegistryLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid       = "PullImages"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = [aws_ecr_repository.app.arn]
  }

  # Container, ECS Exec and VPC flow logs of this environment.
  statement {
    sid     = "WriteLogs"
    actions = ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
    resources = [
      "${local.arn.logs}:log-group:/ecs/${var.project_name}-${each.key}:*",
      "${local.arn.logs}:log-group:/ecs/${var.project_name}-${each.key}/*",
      "${local.arn.logs}:log-group:/vpc/${var.project_name}-${each.key}/*",
    ]
  }

  statement {
    sid       = "FindExecLogGroup"
    actions   = ["logs:DescribeLogGroups"]
    resources = ["${local.arn.logs}:log-group:*"]
  }

  # The task's settings (execution role).
  statement {
    sid       = "ReadTaskParameters"
    actions   = ["ssm:GetParameters"]
    resources = ["${local.arn.ssm}:parameter/${var.project_name}/${each.key}/*"]
  }

  # The database's master user secret, which RDS creates and names: only this environment's instance's.
  statement {
    sid       = "ReadDatabaseSecret"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = ["${local.secretsmanager_arn}:secret:rds!db-*"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/aws:rds:primaryDBInstanceArn"
      values   = ["${local.arn.rds}:db:${var.project_name}-${each.key}-db"]
    }
  }

  # The environment key: parameters, secrets, logs and ECS Exec sessions.
  statement {
    sid       = "EnvironmentKey"
    actions   = ["kms:Decrypt"]
    resources = ["${local.arn.kms}:key/*"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/project"
      values   = [var.project_name]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/environment"
      values   = [each.key]
    }
  }

  # ECS Exec's session channels; Systems Manager defines no resource for them.
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
}

resource "aws_iam_policy" "boundary" {
  for_each = toset(var.environments)

  name        = "${var.project_name}-${each.key}-boundary"
  description = "Permissions boundary of the roles the ${each.key} deploy role creates: at most ${var.project_name} ${each.key}'s logs, parameters, secret, key and image"
  policy      = data.aws_iam_policy_document.boundary[each.key].json
}
