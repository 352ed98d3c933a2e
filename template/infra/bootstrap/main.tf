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

  # The OIDC subject (`sub`) of each job a role trusts: with `aud`, the only GitHub claims AWS IAM
  # can match, so everything the trust pins is in it.
  #
  # With the repository's IDs, .github/scripts/github-setup.sh sets the repository's subject template
  # to the claim keys repository_owner_id, repository_id, context and job_workflow_ref. GitHub then
  # joins them, in that order, as `key:value` with `:` (a `:` inside a value becomes %3A), `context`
  # being what follows the repository in the default subject (environment:<name>, pull_request or
  # ref:refs/heads/<branch>):
  #   repository_owner_id:<id>:repository_id:<id>:environment:prod:job_workflow_ref:<owner>/<repo>/.github/workflows/deploy-environment.yml@refs/heads/main
  # job_workflow_ref is the workflow file that defines the job (the called one for a reusable
  # workflow), at the ref it ran from. Source: GitHub Docs, "OpenID Connect reference",
  # "Customizing the subject claims for an organization or repository": the examples "Requiring a
  # reusable workflow and other claims" (repo:octo-org/octo-repo:environment:prod:job_workflow_ref:
  # octo-org/octo-automation/.github/workflows/oidc.yml@refs/heads/main), "Using system-generated
  # GUIDs" and "Context value with :"; and the job_workflow_ref and workflow_ref claims.
  # The IDs never change, so a recycled owner or repository name is refused, as is the default
  # subject (repo:...), which does not name the workflow. Without the IDs: GitHub's legacy default
  # subject, repo:<owner>/<repo>:<context>.
  github_pinned = var.github_owner_id > 0 && var.github_repository_id > 0
  github_subject_prefix = (local.github_pinned
    ? "repository_owner_id:${var.github_owner_id}:repository_id:${var.github_repository_id}"
  : "repo:${var.github_repository}")
  deploy_ref = "refs/heads/${var.deploy_branch}"
  # What follows the context: the workflow file and ref of the job, with the IDs; nothing in the
  # legacy subject, which cannot name a workflow.
  github_job_workflow = { for key, file_ref in {
    # ci.yml's plans run for pull requests: refs/pull/<number>/merge.
    ci                 = "ci.yml@refs/pull/*/merge"
    deploy             = "deploy.yml@${local.deploy_ref}"
    deploy_environment = "deploy-environment.yml@${local.deploy_ref}"
    rollback           = "rollback.yml@${local.deploy_ref}"
  } : key => local.github_pinned ? ":job_workflow_ref:${var.github_repository}/.github/workflows/${file_ref}" : "" }

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

    # StringLike only for the pull request number in job_workflow_ref; no other subject has a
    # wildcard character (the config's patterns keep `*` and `?` out of names and branches).
    condition {
      test     = local.github_pinned ? "StringLike" : "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      # ci.yml on a pull request; deploy-environment.yml's plan job on the deploy branch.
      values = [
        "${local.github_subject_prefix}:pull_request${local.github_job_workflow.ci}",
        "${local.github_subject_prefix}:ref:${local.deploy_ref}${local.github_job_workflow.deploy_environment}",
      ]
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
      # deploy.yml's build job on the deploy branch.
      values = ["${local.github_subject_prefix}:ref:${local.deploy_ref}${local.github_job_workflow.deploy}"]
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
      # The deploy job of deploy-environment.yml and rollback.yml, on the deploy branch, in the
      # environment. A literal list, which checkov can read: without the IDs both are the same.
      values = [
        "${local.github_subject_prefix}:environment:${each.key}${local.github_job_workflow.deploy_environment}",
        "${local.github_subject_prefix}:environment:${each.key}${local.github_job_workflow.rollback}",
      ]
    }
  }
}
