################################################################################
# Plan role: read-only, for `terraform plan -lock=false` on pull requests and main
################################################################################

# A pull request can assume this role, and a plan can run code: it reads the state and every
# setting, never a secret. The database password is RDS's secret in Secrets Manager, out of the
# state and out of reach; the database's other parameters are SecureStrings too, so the role may
# decrypt exactly those through SSM.
locals {
  plan_readable_parameters = [
    for key in ["host", "port", "name", "username", "url"] : "${local.arn.ssm}:parameter/${var.project_name}/*/database/${key}"
  ]
}

data "aws_iam_policy_document" "plan" {
  # Reads that IAM cannot scope to a resource.
  statement {
    sid       = "ReadUnscopable"
    actions   = concat(local.ec2_read_actions, local.unscopable_reads)
    resources = ["*"]
  }

  statement {
    sid       = "ReadVpcAttributes"
    actions   = ["ec2:DescribeVpcAttribute"]
    resources = ["${local.arn.ec2}:vpc/*"]
  }

  statement {
    sid     = "ReadEcs"
    actions = ["ecs:DescribeClusters", "ecs:DescribeServices", "ecs:ListTagsForResource"]
    resources = [
      "${local.arn.ecs}:cluster/${var.project_name}-*",
      "${local.arn.ecs}:service/${var.project_name}-*",
      "${local.arn.ecs}:task-definition/${var.project_name}-*",
    ]
  }

  statement {
    sid     = "ReadDatabases"
    actions = ["rds:DescribeDBInstances", "rds:DescribeDBParameterGroups", "rds:DescribeDBParameters", "rds:DescribeDBSubnetGroups", "rds:ListTagsForResource"]
    resources = [
      "${local.arn.rds}:db:${var.project_name}-*",
      "${local.arn.rds}:pg:${var.project_name}-*",
      "${local.arn.rds}:subgrp:${var.project_name}-*",
    ]
  }

  statement {
    sid       = "ReadRoles"
    actions   = ["iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies"]
    resources = ["${local.arn.iam}:role/${var.project_name}-*"]
  }

  statement {
    sid     = "ReadLogGroupTags"
    actions = ["logs:ListTagsForResource", "logs:ListTagsLogGroup"]
    resources = [
      "${local.arn.logs}:log-group:/ecs/${var.project_name}-*",
      "${local.arn.logs}:log-group:/vpc/${var.project_name}-*",
      "${local.arn.logs}:log-group:/aws/rds/instance/${var.project_name}-*",
    ]
  }

  statement {
    sid       = "ReadParameterTags"
    actions   = ["ssm:ListTagsForResource"]
    resources = ["${local.arn.ssm}:parameter/${var.project_name}/*"]
  }

  statement {
    sid       = "ReadSettingParameters"
    actions   = ["ssm:GetParameter", "ssm:GetParameters"]
    resources = local.plan_readable_parameters
  }

  # Key IDs are random: the environment keys are recognised by the project tag every resource gets.
  statement {
    sid       = "ReadEnvironmentKeys"
    actions   = ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"]
    resources = ["${local.arn.kms}:key/*"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/project"
      values   = [var.project_name]
    }
  }

  # Refreshing an SSM SecureString reads its value: only the settings' (SSM names the parameter in
  # the encryption context).
  statement {
    sid       = "DecryptSettingsThroughSsm"
    actions   = ["kms:Decrypt"]
    resources = ["${local.arn.kms}:key/*"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/project"
      values   = [var.project_name]
    }

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["ssm.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "StringLike"
      variable = "kms:EncryptionContext:PARAMETER_ARN"
      values   = local.plan_readable_parameters
    }
  }

  # Belt and braces: whatever is added above, no secret value.
  statement {
    sid       = "NoSecretValues"
    effect    = "Deny"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = ["*"]
  }

  statement {
    sid       = "ReadRepository"
    actions   = ["ecr:DescribeRepositories", "ecr:DescribeImages", "ecr:ListTagsForResource"]
    resources = [aws_ecr_repository.app.arn]
  }

  statement {
    sid       = "ListState"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.state.arn]
  }

  statement {
    sid       = "ReadState"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.state.arn}/*/terraform.tfstate"]
  }

  statement {
    sid       = "DecryptState"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.state.arn]
  }

  statement {
    sid       = "ReadScalableTargets"
    actions   = ["application-autoscaling:ListTagsForResource"]
    resources = ["${local.arn.autoscale}:scalable-target/*"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/project"
      values   = [var.project_name]
    }
  }

  statement {
    sid     = "ReadAlarms"
    actions = ["cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"]
    resources = [
      "${local.arn.cloudwatch}:alarm:${var.project_name}-*",
      "${local.arn.cloudwatch}:alarm:TargetTracking-service/${var.project_name}-*",
    ]
  }

  statement {
    sid       = "ReadDashboards"
    actions   = ["cloudwatch:GetDashboard"]
    resources = ["${local.arn.dashboard}/${var.project_name}-*"]
  }

  statement {
    sid       = "ReadAlarmTopics"
    actions   = ["sns:GetTopicAttributes", "sns:ListTagsForResource"]
    resources = ["${local.arn.sns}:${var.project_name}-*-alarms"]
  }

  dynamic "statement" {
    for_each = length(var.domains) > 0 ? [1] : []

    content {
      sid       = "ReadCertificates"
      actions   = ["acm:DescribeCertificate", "acm:ListTagsForCertificate"]
      resources = ["${local.arn.acm}:certificate/*"]

      condition {
        test     = "StringEquals"
        variable = "aws:ResourceTag/project"
        values   = [var.project_name]
      }
    }
  }

  dynamic "statement" {
    for_each = length(var.domains) > 0 ? [1] : []

    content {
      sid       = "ReadZones"
      actions   = ["route53:GetHostedZone", "route53:ListResourceRecordSets", "route53:ListTagsForResource"]
      resources = distinct(values(local.hosted_zone_arns))
    }
  }
}

resource "aws_iam_role" "plan" {
  name                 = "${var.project_name}-github-plan"
  description          = "Read-only Terraform plans from GitHub Actions (pull requests and main)"
  assume_role_policy   = data.aws_iam_policy_document.plan_trust.json
  max_session_duration = 3600

  depends_on = [aws_iam_openid_connect_provider.github, data.aws_iam_openid_connect_provider.github]
}

resource "aws_iam_role_policy" "plan" {
  name   = "terraform-plan"
  role   = aws_iam_role.plan.id
  policy = data.aws_iam_policy_document.plan.json
}
