provider "aws" {
  region              = var.aws_region
  allowed_account_ids = [var.aws_account_id]

  default_tags {
    tags = merge(var.tags, {
      project    = var.project_name
      managed-by = "terraform"
    })
  }
}

data "aws_partition" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  account_id = var.aws_account_id
  region     = var.aws_region

  state_bucket = "${var.project_name}-tfstate-${local.account_id}-${local.region}"

  github_oidc_host = "token.actions.githubusercontent.com"
  # A literal string rather than the provider's arn attribute, so that checkov can read the trust
  # policies it appears in.
  github_oidc_provider_arn = "arn:aws:iam::${var.aws_account_id}:oidc-provider/token.actions.githubusercontent.com"
  github_subject_prefix    = "repo:${var.github_repository}"

  # What refreshing the network needs; none of these can be scoped to a resource.
  ec2_read_actions = [
    "ec2:DescribeAccountAttributes",
    "ec2:DescribeAddresses",
    "ec2:DescribeAddressesAttribute",
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeFlowLogs",
    "ec2:DescribeInternetGateways",
    "ec2:DescribeNatGateways",
    "ec2:DescribeNetworkAcls",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeRouteTables",
    "ec2:DescribeSecurityGroupRules",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeTags",
    "ec2:DescribeVpcs",
  ]

  # Reads every plan of an environment makes that IAM cannot scope to a resource.
  unscopable_reads = concat(
    [
      "application-autoscaling:DescribeScalableTargets",
      "application-autoscaling:DescribeScalingPolicies",
      "ecs:DescribeTaskDefinition",
      "elasticloadbalancing:Describe*",
      "kms:ListAliases",
      "logs:DescribeLogGroups",
      "rds:DescribeDBEngineVersions",
      "ssm:DescribeParameters",
    ],
    length(var.domains) > 0 ? ["route53:ListHostedZones"] : [],
    var.alarm_email_subscription ? ["sns:GetSubscriptionAttributes"] : [],
  )

  arn = {
    acm        = "arn:${local.partition}:acm:${local.region}:${local.account_id}"
    autoscale  = "arn:${local.partition}:application-autoscaling:${local.region}:${local.account_id}"
    cloudwatch = "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}"
    dashboard  = "arn:${local.partition}:cloudwatch::${local.account_id}:dashboard"
    ec2        = "arn:${local.partition}:ec2:${local.region}:${local.account_id}"
    ecs        = "arn:${local.partition}:ecs:${local.region}:${local.account_id}"
    elb        = "arn:${local.partition}:elasticloadbalancing:${local.region}:${local.account_id}"
    iam        = "arn:${local.partition}:iam::${local.account_id}"
    kms        = "arn:${local.partition}:kms:${local.region}:${local.account_id}"
    logs       = "arn:${local.partition}:logs:${local.region}:${local.account_id}"
    rds        = "arn:${local.partition}:rds:${local.region}:${local.account_id}"
    ssm        = "arn:${local.partition}:ssm:${local.region}:${local.account_id}"
    sns        = "arn:${local.partition}:sns:${local.region}:${local.account_id}"
  }

  # Route 53 ARNs name the zone by ID, which only the lookup below knows.
  hosted_zone_arns = { for env, zone in data.aws_route53_zone.environment : env => "arn:${local.partition}:route53:::hostedzone/${zone.zone_id}" }
}

# The zones of the environments with a domain must exist before bootstrap: their deploy roles may
# only change records in them.
data "aws_route53_zone" "environment" {
  for_each = var.domains

  name         = each.value.hosted_zone
  private_zone = false
}

################################################################################
# Terraform state
################################################################################

resource "aws_kms_key" "state" {
  description         = "Encrypts the Terraform state of ${var.project_name}"
  enable_key_rotation = true

  # Only the account: the roles below get their use of the key from their IAM policies.
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AccountIamPolicies"
      Effect    = "Allow"
      Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
      Action    = "kms:*"
      Resource  = "*"
    }]
  })
}

resource "aws_kms_alias" "state" {
  name          = "alias/${var.project_name}-tfstate"
  target_key_id = aws_kms_key.state.key_id
}

resource "aws_s3_bucket" "state" {
  #checkov:skip=CKV_AWS_18:Access logging needs another bucket, which would need logging in turn; CloudTrail records who touched the state.
  #checkov:skip=CKV_AWS_144:Cross-region replication needs a second region; versioning already keeps every state version.
  #checkov:skip=CKV2_AWS_62:Nothing consumes events from the state bucket.
  bucket = local.state_bucket
}

resource "aws_s3_bucket_versioning" "state" {
  bucket = aws_s3_bucket.state.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.state.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_public_access_block" "state" {
  bucket = aws_s3_bucket.state.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    id     = "state-history"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = 90
    }

    # Every run writes and deletes a .tflock object; clear the delete markers it leaves behind.
    expiration {
      expired_object_delete_marker = true
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.state]
}

data "aws_iam_policy_document" "state_bucket" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.state.arn, "${aws_s3_bucket.state.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "state" {
  bucket = aws_s3_bucket.state.id
  policy = data.aws_iam_policy_document.state_bucket.json

  depends_on = [aws_s3_bucket_public_access_block.state]
}

################################################################################
# Container registry (shared by every environment)
################################################################################

resource "aws_ecr_repository" "app" {
  name                 = var.project_name
  image_tag_mutability = "IMMUTABLE"
  force_delete         = var.ecr_force_delete

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
  }
}

resource "aws_ecr_lifecycle_policy" "app" {
  repository = aws_ecr_repository.app.name

  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Expire untagged images after 7 days"
        selection = {
          tagStatus   = "untagged"
          countType   = "sinceImagePushed"
          countUnit   = "days"
          countNumber = 7
        }
        action = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Keep the last 100 images"
        selection = {
          tagStatus   = "any"
          countType   = "imageCountMoreThan"
          countNumber = 100
        }
        action = { type = "expire" }
      },
    ]
  })
}

################################################################################
# GitHub OIDC
################################################################################

resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_github_oidc_provider ? 1 : 0

  url            = "https://${local.github_oidc_host}"
  client_id_list = ["sts.amazonaws.com"]
}

# When the account already has the provider, this lookup fails early if it does not after all.
data "aws_iam_openid_connect_provider" "github" {
  count = var.create_github_oidc_provider ? 0 : 1

  url = "https://${local.github_oidc_host}"
}

data "aws_iam_policy_document" "plan_trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.github_oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = ["${local.github_subject_prefix}:pull_request", "${local.github_subject_prefix}:ref:refs/heads/main"]
    }
  }
}

data "aws_iam_policy_document" "build_trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.github_oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = ["${local.github_subject_prefix}:ref:refs/heads/main"]
    }
  }
}

data "aws_iam_policy_document" "deploy_trust" {
  for_each = toset(var.environments)

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.github_oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = ["${local.github_subject_prefix}:environment:${each.key}"]
    }
  }
}

################################################################################
# Plan role: read-only, for `terraform plan -lock=false` on pull requests and main
################################################################################

data "aws_iam_policy_document" "plan" {
  # Reads that IAM cannot scope to a resource.
  statement {
    sid = "ReadUnscopable"
    actions = concat(local.ec2_read_actions, local.unscopable_reads, [
      # Terraform opens the ephemeral password resource during plan too; nothing is stored.
      "secretsmanager:GetRandomPassword",
    ])
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
    sid       = "ReadParameters"
    actions   = ["ssm:GetParameter", "ssm:GetParameters", "ssm:ListTagsForResource"]
    resources = ["${local.arn.ssm}:parameter/${var.project_name}/*"]
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

  # Refreshing an SSM SecureString reads its value.
  statement {
    sid       = "DecryptParametersThroughSsm"
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

################################################################################
# Build role: push images to ECR from main
################################################################################

data "aws_iam_policy_document" "build" {
  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid = "PushImages"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:CompleteLayerUpload",
      "ecr:DescribeImages",
      "ecr:GetDownloadUrlForLayer",
      "ecr:InitiateLayerUpload",
      "ecr:PutImage",
      "ecr:UploadLayerPart",
    ]
    resources = [aws_ecr_repository.app.arn]
  }
}

resource "aws_iam_role" "build" {
  name                 = "${var.project_name}-github-build"
  description          = "Pushes images of ${var.project_name} to ECR from GitHub Actions (main)"
  assume_role_policy   = data.aws_iam_policy_document.build_trust.json
  max_session_duration = 3600

  depends_on = [aws_iam_openid_connect_provider.github, data.aws_iam_openid_connect_provider.github]
}

resource "aws_iam_role_policy" "build" {
  name   = "ecr-push"
  role   = aws_iam_role.build.id
  policy = data.aws_iam_policy_document.build.json
}

################################################################################
# Deploy roles: terraform apply of infra/ and the ECS deploy, one per environment
################################################################################

data "aws_iam_policy_document" "deploy_network_compute" {
  for_each = toset(var.environments)

  # Actions that IAM cannot scope to a resource.
  statement {
    sid = "Unscopable"
    actions = concat(local.ec2_read_actions, local.unscopable_reads, [
      "ecs:DeregisterTaskDefinition",
      "ecs:ListTaskDefinitions",
      "ecs:RegisterTaskDefinition",
      "rds:DescribeOrderableDBInstanceOptions",
      "secretsmanager:GetRandomPassword",
    ])
    resources = ["*"]
  }

  statement {
    sid = "Network"
    actions = [
      "ec2:AllocateAddress",
      "ec2:AssociateRouteTable",
      "ec2:AttachInternetGateway",
      "ec2:AuthorizeSecurityGroupEgress",
      "ec2:AuthorizeSecurityGroupIngress",
      "ec2:CreateFlowLogs",
      "ec2:CreateInternetGateway",
      "ec2:CreateNatGateway",
      "ec2:CreateRoute",
      "ec2:CreateRouteTable",
      "ec2:CreateSecurityGroup",
      "ec2:CreateSubnet",
      "ec2:CreateTags",
      "ec2:CreateVpc",
      "ec2:DeleteFlowLogs",
      "ec2:DeleteInternetGateway",
      "ec2:DeleteNatGateway",
      "ec2:DeleteRoute",
      "ec2:DeleteRouteTable",
      "ec2:DeleteSecurityGroup",
      "ec2:DeleteSubnet",
      "ec2:DeleteTags",
      "ec2:DeleteVpc",
      "ec2:DescribeVpcAttribute",
      "ec2:DetachInternetGateway",
      "ec2:DisassociateAddress",
      "ec2:DisassociateRouteTable",
      "ec2:ModifySubnetAttribute",
      "ec2:ModifyVpcAttribute",
      "ec2:ReleaseAddress",
      "ec2:ReplaceRoute",
      "ec2:ReplaceRouteTableAssociation",
      "ec2:RevokeSecurityGroupEgress",
      "ec2:RevokeSecurityGroupIngress",
      "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
      "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
    ]
    resources = ["${local.arn.ec2}:*"]
  }

  statement {
    sid = "LoadBalancer"
    actions = [
      "elasticloadbalancing:AddTags",
      "elasticloadbalancing:CreateListener",
      "elasticloadbalancing:CreateLoadBalancer",
      "elasticloadbalancing:CreateRule",
      "elasticloadbalancing:CreateTargetGroup",
      "elasticloadbalancing:DeleteListener",
      "elasticloadbalancing:DeleteLoadBalancer",
      "elasticloadbalancing:DeleteRule",
      "elasticloadbalancing:DeleteTargetGroup",
      "elasticloadbalancing:ModifyListener",
      "elasticloadbalancing:ModifyLoadBalancerAttributes",
      "elasticloadbalancing:ModifyRule",
      "elasticloadbalancing:ModifyTargetGroup",
      "elasticloadbalancing:ModifyTargetGroupAttributes",
      "elasticloadbalancing:RemoveTags",
      "elasticloadbalancing:SetSecurityGroups",
      "elasticloadbalancing:SetSubnets",
    ]
    resources = [
      "${local.arn.elb}:loadbalancer/app/${var.project_name}-${each.key}-*/*",
      "${local.arn.elb}:listener/app/${var.project_name}-${each.key}-*/*/*",
      "${local.arn.elb}:listener-rule/app/${var.project_name}-${each.key}-*/*/*/*",
      "${local.arn.elb}:targetgroup/${var.project_name}-${each.key}-*/*",
    ]
  }

  statement {
    sid = "EcsCluster"
    actions = [
      "ecs:CreateCluster",
      "ecs:DeleteCluster",
      "ecs:PutClusterCapacityProviders",
      "ecs:UpdateCluster",
      "ecs:UpdateClusterSettings",
    ]
    resources = ["${local.arn.ecs}:cluster/${var.project_name}-${each.key}-cluster"]
  }

  statement {
    sid       = "EcsService"
    actions   = ["ecs:CreateService", "ecs:DeleteService", "ecs:UpdateService"]
    resources = ["${local.arn.ecs}:service/${var.project_name}-${each.key}-cluster/${var.project_name}-${each.key}-service"]
  }

  statement {
    sid     = "EcsRead"
    actions = ["ecs:DescribeClusters", "ecs:DescribeServices", "ecs:DescribeTasks", "ecs:ListTagsForResource", "ecs:ListTasks"]
    resources = [
      "${local.arn.ecs}:cluster/${var.project_name}-${each.key}-cluster",
      "${local.arn.ecs}:container-instance/${var.project_name}-${each.key}-cluster/*",
      "${local.arn.ecs}:service/${var.project_name}-${each.key}-cluster/${var.project_name}-${each.key}-service",
      "${local.arn.ecs}:task/${var.project_name}-${each.key}-cluster/*",
      "${local.arn.ecs}:task-definition/${var.project_name}-${each.key}:*",
    ]
  }

  statement {
    sid     = "EcsTags"
    actions = ["ecs:TagResource", "ecs:UntagResource"]
    resources = [
      "${local.arn.ecs}:cluster/${var.project_name}-${each.key}-cluster",
      "${local.arn.ecs}:service/${var.project_name}-${each.key}-cluster/${var.project_name}-${each.key}-service",
      "${local.arn.ecs}:task-definition/${var.project_name}-${each.key}:*",
    ]
  }

  statement {
    sid = "LogGroups"
    actions = [
      "logs:AssociateKmsKey",
      "logs:CreateLogGroup",
      "logs:DeleteLogGroup",
      "logs:DeleteRetentionPolicy",
      "logs:DisassociateKmsKey",
      "logs:ListTagsForResource",
      "logs:ListTagsLogGroup",
      "logs:PutRetentionPolicy",
      "logs:TagLogGroup",
      "logs:TagResource",
      "logs:UntagLogGroup",
      "logs:UntagResource",
    ]
    resources = [
      "${local.arn.logs}:log-group:/ecs/${var.project_name}-${each.key}",
      "${local.arn.logs}:log-group:/ecs/${var.project_name}-${each.key}:*",
      "${local.arn.logs}:log-group:/ecs/${var.project_name}-${each.key}/*",
      "${local.arn.logs}:log-group:/vpc/${var.project_name}-${each.key}/*",
      "${local.arn.logs}:log-group:/aws/rds/instance/${var.project_name}-${each.key}-db/*",
    ]
  }
}

data "aws_iam_policy_document" "deploy_iam_data" {
  for_each = toset(var.environments)

  statement {
    sid = "Roles"
    actions = [
      "iam:CreateRole",
      "iam:DeleteRole",
      "iam:DeleteRolePolicy",
      "iam:GetRole",
      "iam:GetRolePolicy",
      "iam:ListAttachedRolePolicies",
      "iam:ListInstanceProfilesForRole",
      "iam:ListRolePolicies",
      "iam:PutRolePolicy",
      "iam:TagRole",
      "iam:UntagRole",
      "iam:UpdateAssumeRolePolicy",
      "iam:UpdateRole",
      "iam:UpdateRoleDescription",
    ]
    resources = ["${local.arn.iam}:role/${var.project_name}-${each.key}-*"]
  }

  # Kits before issue 6 attached this AWS managed policy to the execution role; the apply that
  # replaces it with a policy scoped to the environment detaches it.
  statement {
    sid       = "DetachTaskExecutionPolicy"
    actions   = ["iam:DetachRolePolicy"]
    resources = ["${local.arn.iam}:role/${var.project_name}-${each.key}-*"]

    condition {
      test     = "ArnEquals"
      variable = "iam:PolicyARN"
      values   = ["arn:${local.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"]
    }
  }

  # The role matches <project>-<env>-* itself: it must not be able to widen its own permissions.
  statement {
    sid       = "NotItself"
    effect    = "Deny"
    actions   = ["iam:*"]
    resources = ["${local.arn.iam}:role/${var.project_name}-${each.key}-github-deploy"]
  }

  statement {
    sid     = "PassTaskRoles"
    actions = ["iam:PassRole"]
    resources = [
      "${local.arn.iam}:role/${var.project_name}-${each.key}-ecs-execution",
      "${local.arn.iam}:role/${var.project_name}-${each.key}-ecs-task",
    ]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }

  statement {
    sid       = "PassFlowLogRole"
    actions   = ["iam:PassRole"]
    resources = ["${local.arn.iam}:role/${var.project_name}-${each.key}-vpc-flow-logs"]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["vpc-flow-logs.amazonaws.com"]
    }
  }

  # ECS, App Auto Scaling, ELB and RDS create their service-linked roles on first use in an account.
  statement {
    sid       = "ServiceLinkedRoles"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = ["${local.arn.iam}:role/aws-service-role/*"]

    condition {
      test     = "StringEquals"
      variable = "iam:AWSServiceName"
      values   = ["ecs.amazonaws.com", "ecs.application-autoscaling.amazonaws.com", "elasticloadbalancing.amazonaws.com", "rds.amazonaws.com"]
    }
  }

  statement {
    sid     = "KeyAlias"
    actions = ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]
    resources = [
      "${local.arn.kms}:alias/${var.project_name}-${each.key}",
    ]
  }

  # Key IDs are random: this environment's key is recognised by the tags every resource gets
  # (default_tags), from its creation on. Tagging on create needs kms:TagResource on every key.
  statement {
    sid       = "CreateEnvironmentKey"
    actions   = ["kms:CreateKey", "kms:TagResource"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/project"
      values   = [var.project_name]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/environment"
      values   = [each.key]
    }
  }

  statement {
    sid = "EnvironmentKey"
    actions = [
      "kms:CreateAlias",
      "kms:CreateGrant",
      "kms:Decrypt",
      "kms:DeleteAlias",
      "kms:DescribeKey",
      "kms:EnableKeyRotation",
      "kms:Encrypt",
      "kms:GenerateDataKey",
      "kms:GetKeyPolicy",
      "kms:GetKeyRotationStatus",
      "kms:ListResourceTags",
      "kms:PutKeyPolicy",
      "kms:ScheduleKeyDeletion",
      "kms:TagResource",
      "kms:UntagResource",
      "kms:UpdateAlias",
      "kms:UpdateKeyDescription",
    ]
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

  statement {
    sid = "Parameters"
    actions = [
      "ssm:AddTagsToResource",
      "ssm:DeleteParameter",
      "ssm:DeleteParameters",
      "ssm:GetParameter",
      "ssm:GetParameters",
      "ssm:ListTagsForResource",
      "ssm:PutParameter",
      "ssm:RemoveTagsFromResource",
    ]
    resources = ["${local.arn.ssm}:parameter/${var.project_name}/${each.key}/*"]
  }

  statement {
    sid = "Database"
    actions = [
      "rds:AddTagsToResource",
      "rds:CreateDBInstance",
      "rds:CreateDBParameterGroup",
      "rds:CreateDBSnapshot",
      "rds:CreateDBSubnetGroup",
      "rds:DeleteDBInstance",
      "rds:DeleteDBParameterGroup",
      "rds:DeleteDBSubnetGroup",
      "rds:DescribeDBInstances",
      "rds:DescribeDBParameterGroups",
      "rds:DescribeDBParameters",
      "rds:DescribeDBSnapshots",
      "rds:DescribeDBSubnetGroups",
      "rds:ListTagsForResource",
      "rds:ModifyDBInstance",
      "rds:ModifyDBParameterGroup",
      "rds:ModifyDBSubnetGroup",
      "rds:RebootDBInstance",
      "rds:RemoveTagsFromResource",
    ]
    resources = [
      "${local.arn.rds}:db:${var.project_name}-${each.key}-*",
      "${local.arn.rds}:og:default:*",
      "${local.arn.rds}:pg:${var.project_name}-${each.key}-*",
      "${local.arn.rds}:snapshot:${var.project_name}-${each.key}-*",
      "${local.arn.rds}:subgrp:${var.project_name}-${each.key}-*",
    ]
  }

  statement {
    sid       = "Repository"
    actions   = ["ecr:DescribeImages", "ecr:DescribeRepositories", "ecr:ListTagsForResource"]
    resources = [aws_ecr_repository.app.arn]
  }

  statement {
    sid       = "ListState"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.state.arn]
  }

  statement {
    sid       = "ReadWriteState"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["${aws_s3_bucket.state.arn}/${each.key}/terraform.tfstate"]
  }

  statement {
    sid       = "Lock"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${aws_s3_bucket.state.arn}/${each.key}/terraform.tfstate.tflock"]
  }

  statement {
    sid       = "StateKey"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.state.arn]
  }
}

data "aws_iam_policy_document" "deploy_operations" {
  for_each = toset(var.environments)

  statement {
    sid       = "RegisterScalableTarget"
    actions   = ["application-autoscaling:RegisterScalableTarget", "application-autoscaling:TagResource"]
    resources = ["${local.arn.autoscale}:scalable-target/*"]

    condition {
      test     = "StringEquals"
      variable = "application-autoscaling:service-namespace"
      values   = ["ecs"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/project"
      values   = [var.project_name]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/environment"
      values   = [each.key]
    }
  }

  # Scalable-target IDs are random: this environment's is recognised by its tags (default_tags).
  statement {
    sid = "ScalableTarget"
    actions = [
      "application-autoscaling:DeleteScalingPolicy",
      "application-autoscaling:DeregisterScalableTarget",
      "application-autoscaling:ListTagsForResource",
      "application-autoscaling:PutScalingPolicy",
      "application-autoscaling:RegisterScalableTarget",
      "application-autoscaling:TagResource",
      "application-autoscaling:UntagResource",
    ]
    resources = ["${local.arn.autoscale}:scalable-target/*"]

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

  # The kit's alarms, and the ones target tracking creates for the service.
  statement {
    sid = "Alarms"
    actions = [
      "cloudwatch:DeleteAlarms",
      "cloudwatch:DescribeAlarms",
      "cloudwatch:ListTagsForResource",
      "cloudwatch:PutMetricAlarm",
      "cloudwatch:TagResource",
      "cloudwatch:UntagResource",
    ]
    resources = [
      "${local.arn.cloudwatch}:alarm:${var.project_name}-${each.key}-*",
      "${local.arn.cloudwatch}:alarm:TargetTracking-service/${var.project_name}-${each.key}-cluster/${var.project_name}-${each.key}-service-*",
    ]
  }

  statement {
    sid       = "Dashboard"
    actions   = ["cloudwatch:DeleteDashboards", "cloudwatch:GetDashboard", "cloudwatch:PutDashboard"]
    resources = ["${local.arn.dashboard}/${var.project_name}-${each.key}"]
  }

  statement {
    sid = "AlarmTopic"
    actions = concat([
      "sns:CreateTopic",
      "sns:DeleteTopic",
      "sns:GetTopicAttributes",
      "sns:ListSubscriptionsByTopic",
      "sns:ListTagsForResource",
      "sns:SetTopicAttributes",
      "sns:TagResource",
      "sns:UntagResource",
    ], var.alarm_email_subscription ? ["sns:Subscribe"] : [])
    resources = ["${local.arn.sns}:${var.project_name}-${each.key}-alarms"]
  }

  # SNS defines no resource for these: they act on a subscription, named by its ARN in the request.
  dynamic "statement" {
    for_each = var.alarm_email_subscription ? [1] : []

    content {
      sid       = "AlarmSubscription"
      actions   = ["sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes", "sns:Unsubscribe"]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = contains(keys(var.domains), each.key) ? [var.domains[each.key]] : []

    content {
      sid       = "RequestCertificate"
      actions   = ["acm:RequestCertificate"]
      resources = ["*"]

      condition {
        test     = "ForAllValues:StringEquals"
        variable = "acm:DomainNames"
        values   = [statement.value.domain]
      }

      condition {
        test     = "StringEquals"
        variable = "acm:ValidationMethod"
        values   = ["DNS"]
      }

      condition {
        test     = "StringEquals"
        variable = "aws:RequestTag/environment"
        values   = [each.key]
      }
    }
  }

  # Certificate IDs are random: this environment's is recognised by its tags.
  dynamic "statement" {
    for_each = contains(keys(var.domains), each.key) ? [1] : []

    content {
      sid = "Certificate"
      actions = [
        "acm:AddTagsToCertificate",
        "acm:DeleteCertificate",
        "acm:DescribeCertificate",
        "acm:ListTagsForCertificate",
        "acm:RemoveTagsFromCertificate",
        "acm:UpdateCertificateOptions",
      ]
      resources = ["${local.arn.acm}:certificate/*"]

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
  }

  dynamic "statement" {
    for_each = contains(keys(var.domains), each.key) ? [1] : []

    content {
      sid       = "ReadZone"
      actions   = ["route53:GetHostedZone", "route53:ListResourceRecordSets", "route53:ListTagsForResource"]
      resources = [local.hosted_zone_arns[each.key]]
    }
  }

  # Only the alias record of the environment's domain and its certificate's validation record.
  dynamic "statement" {
    for_each = contains(keys(var.domains), each.key) ? [var.domains[each.key]] : []

    content {
      sid       = "ChangeRecords"
      actions   = ["route53:ChangeResourceRecordSets"]
      resources = [local.hosted_zone_arns[each.key]]

      condition {
        test     = "ForAllValues:StringLike"
        variable = "route53:ChangeResourceRecordSetsNormalizedRecordNames"
        values   = [statement.value.domain, "_*.${statement.value.domain}"]
      }

      condition {
        test     = "ForAllValues:StringEquals"
        variable = "route53:ChangeResourceRecordSetsRecordTypes"
        values   = ["A", "AAAA", "CNAME"]
      }
    }
  }

  dynamic "statement" {
    for_each = contains(keys(var.domains), each.key) ? [1] : []

    content {
      sid       = "RecordChanges"
      actions   = ["route53:GetChange"]
      resources = ["arn:${local.partition}:route53:::change/*"]
    }
  }
}

resource "aws_iam_role" "deploy" {
  for_each = toset(var.environments)

  name                 = "${var.project_name}-${each.key}-github-deploy"
  description          = "terraform apply and ECS deploys of ${var.project_name} ${each.key} from GitHub Actions (environment ${each.key})"
  assume_role_policy   = data.aws_iam_policy_document.deploy_trust[each.key].json
  max_session_duration = 3600

  depends_on = [aws_iam_openid_connect_provider.github, data.aws_iam_openid_connect_provider.github]
}

# Three managed policies: the permissions are larger than a role's 10,240-character inline quota
# and than the 6,144 characters of one managed policy.
resource "aws_iam_policy" "deploy_network_compute" {
  for_each = toset(var.environments)

  name        = "${var.project_name}-${each.key}-github-deploy-network-compute"
  description = "VPC, load balancer, ECS and log groups of ${var.project_name} ${each.key}, for terraform apply and ECS deploys"
  policy      = data.aws_iam_policy_document.deploy_network_compute[each.key].json
}

resource "aws_iam_policy" "deploy_operations" {
  for_each = toset(var.environments)

  name        = "${var.project_name}-${each.key}-github-deploy-operations"
  description = "Autoscaling, alarms, dashboard, alarm topic, certificate and DNS records of ${var.project_name} ${each.key}"
  policy      = data.aws_iam_policy_document.deploy_operations[each.key].json
}

resource "aws_iam_policy" "deploy_iam_data" {
  for_each = toset(var.environments)

  name        = "${var.project_name}-${each.key}-github-deploy-iam-data"
  description = "Roles, KMS key, SSM parameters, database, ECR and Terraform state of ${var.project_name} ${each.key}"
  policy      = data.aws_iam_policy_document.deploy_iam_data[each.key].json
}

resource "aws_iam_role_policy_attachment" "deploy_network_compute" {
  for_each = toset(var.environments)

  role       = aws_iam_role.deploy[each.key].name
  policy_arn = aws_iam_policy.deploy_network_compute[each.key].arn
}

resource "aws_iam_role_policy_attachment" "deploy_operations" {
  for_each = toset(var.environments)

  role       = aws_iam_role.deploy[each.key].name
  policy_arn = aws_iam_policy.deploy_operations[each.key].arn
}

resource "aws_iam_role_policy_attachment" "deploy_iam_data" {
  for_each = toset(var.environments)

  role       = aws_iam_role.deploy[each.key].name
  policy_arn = aws_iam_policy.deploy_iam_data[each.key].arn
}
