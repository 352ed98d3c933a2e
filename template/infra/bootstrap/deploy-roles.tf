################################################################################
# Deploy roles: terraform apply of infra/ and the ECS deploy, one per environment
################################################################################

data "aws_iam_policy_document" "deploy_network_compute" {
  for_each = toset(var.environments)

  # Actions that IAM cannot scope to a resource.
  statement {
    sid = "Unscopable"
    actions = concat(local.ec2_read_actions, local.unscopable_reads, [
      "ecs:ListTaskDefinitions",
      "rds:DescribeOrderableDBInstanceOptions",
    ])
    resources = ["*"]
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

  # RegisterTaskDefinition takes the family's ARN in the Service Authorization Reference: only this
  # environment's family.
  statement {
    sid       = "EcsTaskDefinition"
    actions   = ["ecs:RegisterTaskDefinition"]
    resources = ["${local.arn.ecs}:task-definition/${var.project_name}-${each.key}:*"]
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

data "aws_iam_policy_document" "deploy_network" {
  for_each = toset(var.environments)

  # EC2 names everything by generated IDs: this environment's network is recognised by the tags
  # every resource gets (default_tags), which it is created with and can never change (guardrails).
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

  # The resources a create action makes, tagged for this environment in the same request.
  statement {
    sid = "CreateNetwork"
    actions = [
      "ec2:AllocateAddress",
      "ec2:AuthorizeSecurityGroupEgress",
      "ec2:AuthorizeSecurityGroupIngress",
      "ec2:CreateFlowLogs",
      "ec2:CreateInternetGateway",
      "ec2:CreateNatGateway",
      "ec2:CreateRouteTable",
      "ec2:CreateSecurityGroup",
      "ec2:CreateSubnet",
      "ec2:CreateVpc",
    ]
    resources = [
      "${local.arn.ec2}:elastic-ip/*",
      "${local.arn.ec2}:internet-gateway/*",
      "${local.arn.ec2}:natgateway/*",
      "${local.arn.ec2}:route-table/*",
      "${local.arn.ec2}:security-group/*",
      "${local.arn.ec2}:security-group-rule/*",
      "${local.arn.ec2}:subnet/*",
      "${local.arn.ec2}:vpc/*",
      "${local.arn.ec2}:vpc-flow-log/*",
    ]

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
    sid       = "TagOnCreate"
    actions   = ["ec2:CreateTags"]
    resources = ["${local.arn.ec2}:*"]

    condition {
      test     = "StringEquals"
      variable = "ec2:CreateAction"
      values   = local.ec2_create_actions
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

  # The VPC's default security group is created by EC2 without tags; Terraform adopts it by tagging
  # it (then revokes its rules as the tagged group's owner).
  statement {
    sid       = "AdoptDefaultSecurityGroup"
    actions   = ["ec2:CreateTags"]
    resources = ["${local.arn.ec2}:security-group/*"]

    condition {
      test     = "Null"
      variable = "aws:ResourceTag/environment"
      values   = ["true"]
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
}

data "aws_iam_policy_document" "deploy_iam_data" {
  for_each = toset(var.environments)

  statement {
    sid = "ReadRoles"
    actions = [
      "iam:GetRole",
      "iam:GetRolePolicy",
      "iam:ListAttachedRolePolicies",
      "iam:ListInstanceProfilesForRole",
      "iam:ListRolePolicies",
    ]
    resources = ["${local.arn.iam}:role/${var.project_name}-${each.key}-*"]
  }

  # Every role this role creates or changes carries the environment's boundary (boundary.tf), so no
  # policy it writes reaches beyond that ceiling; the guardrails policy keeps the boundary on. For
  # PutRolePermissionsBoundary the key is the boundary being put: kits before 0.3.0 created these
  # roles without one, and their first apply puts it on.
  statement {
    sid = "RolesUnderBoundary"
    actions = [
      "iam:CreateRole",
      "iam:DeleteRole",
      "iam:DeleteRolePolicy",
      "iam:PutRolePermissionsBoundary",
      "iam:PutRolePolicy",
      "iam:UpdateAssumeRolePolicy",
      "iam:UpdateRole",
      "iam:UpdateRoleDescription",
    ]
    resources = ["${local.arn.iam}:role/${var.project_name}-${each.key}-*"]

    condition {
      test     = "StringEquals"
      variable = "iam:PermissionsBoundary"
      values   = [local.boundary_arns[each.key]]
    }
  }

  # No policy of the kit is conditioned on role tags.
  statement {
    sid       = "TagRoles"
    actions   = ["iam:TagRole", "iam:UntagRole"]
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
  # (default_tags), from its creation on. Tagging on create needs kms:TagResource on every key; the
  # guardrails deny it on any existing key of another environment, or of none (the state key).
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

  # RDS creates, rotates and deletes the master user secret with the caller's permissions; the
  # secret's name is random, its tag (set by RDS, which no one else may set: aws: prefix) names the
  # instance. No GetSecretValue: the pipeline never reads the password.
  statement {
    sid       = "CreateDatabaseSecret"
    actions   = ["secretsmanager:CreateSecret", "secretsmanager:TagResource"]
    resources = ["${local.secretsmanager_arn}:secret:rds!db-*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/aws:rds:primaryDBInstanceArn"
      values   = ["${local.arn.rds}:db:${var.project_name}-${each.key}-db"]
    }
  }

  statement {
    sid = "DatabaseSecret"
    actions = [
      "secretsmanager:DeleteSecret",
      "secretsmanager:DescribeSecret",
      "secretsmanager:RotateSecret",
      "secretsmanager:TagResource",
      "secretsmanager:UpdateSecret",
    ]
    resources = ["${local.secretsmanager_arn}:secret:rds!db-*"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/aws:rds:primaryDBInstanceArn"
      values   = ["${local.arn.rds}:db:${var.project_name}-${each.key}-db"]
    }
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

  # SNS defines no resource for SetSubscriptionAttributes and Unsubscribe, so that granting them
  # would reach every environment's subscriptions: changing or removing the alarm email is an
  # administrator's apply. Subscribing is on the topic (above), reading is unscopable_reads.

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

locals {
  # The EC2 actions Terraform creates the network with, each tagging what it creates.
  ec2_create_actions = [
    "AllocateAddress",
    "AuthorizeSecurityGroupEgress",
    "AuthorizeSecurityGroupIngress",
    "CreateFlowLogs",
    "CreateInternetGateway",
    "CreateNatGateway",
    "CreateRouteTable",
    "CreateSecurityGroup",
    "CreateSubnet",
    "CreateVpc",
  ]

  # The tags that say whose a resource is: the policies above recognise resources with random IDs
  # by them.
  ownership_tags = ["project", "environment"]
  tagging_actions = [
    "acm:AddTagsToCertificate",
    "acm:RemoveTagsFromCertificate",
    "application-autoscaling:TagResource",
    "application-autoscaling:UntagResource",
    "ec2:CreateTags",
    "ec2:DeleteTags",
    "kms:TagResource",
    "kms:UntagResource",
  ]
}

# What no allow above may ever grant, whatever it says: one place to read the deploy roles' limits.
data "aws_iam_policy_document" "deploy_guardrails" {
  for_each = toset(var.environments)

  # The pipeline's own roles: no deploy role widens itself or another pipeline role.
  statement {
    sid     = "NotThePipelineRoles"
    effect  = "Deny"
    actions = ["iam:*"]
    resources = [
      "${local.arn.iam}:role/${var.project_name}-github-*",
      "${local.arn.iam}:role/${var.project_name}-*-github-deploy",
    ]
  }

  # The boundaries, and every other customer managed policy, are the administrator's.
  statement {
    sid    = "NoPolicyWrites"
    effect = "Deny"
    actions = [
      "iam:CreatePolicy",
      "iam:CreatePolicyVersion",
      "iam:DeletePolicy",
      "iam:DeletePolicyVersion",
      "iam:SetDefaultPolicyVersion",
      "iam:TagPolicy",
      "iam:UntagPolicy",
    ]
    resources = ["*"]
  }

  # No role loses its boundary, gets another one or gets a managed policy attached.
  statement {
    sid       = "KeepBoundaries"
    effect    = "Deny"
    actions   = ["iam:AttachRolePolicy", "iam:DeleteRolePermissionsBoundary"]
    resources = ["*"]
  }

  statement {
    sid       = "OnlyThisBoundary"
    effect    = "Deny"
    actions   = ["iam:CreateRole", "iam:PutRolePermissionsBoundary"]
    resources = ["*"]

    condition {
      test     = "StringNotEquals"
      variable = "iam:PermissionsBoundary"
      values   = [local.boundary_arns[each.key]]
    }
  }

  # An existing resource keeps the environment it was created in: no tagging into or out of one.
  # (Resources created in the same request have no tags yet, so this does not apply to them.)
  statement {
    sid       = "NoRetagging"
    effect    = "Deny"
    actions   = local.tagging_actions
    resources = ["*"]

    condition {
      test     = "ForAnyValue:StringEquals"
      variable = "aws:TagKeys"
      values   = local.ownership_tags
    }

    condition {
      test     = "Null"
      variable = "aws:ResourceTag/project"
      values   = ["false"]
    }
  }

  # Another environment's tagged resources (and the bootstrap's state key, which has no
  # environment) are out of reach, whatever the allows' request-tag conditions would let through.
  statement {
    sid       = "NotOtherEnvironments"
    effect    = "Deny"
    actions   = concat(local.tagging_actions, ["application-autoscaling:RegisterScalableTarget"])
    resources = ["*"]

    condition {
      test     = "StringNotEquals"
      variable = "aws:ResourceTag/environment"
      values   = [each.key]
    }

    condition {
      test     = "Null"
      variable = "aws:ResourceTag/project"
      values   = ["false"]
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

# Managed policies: the permissions are larger than a role's 10,240-character inline quota and than
# the 6,144 characters of one managed policy. The denies are in another one (guardrails, above).
resource "aws_iam_policy" "deploy_network" {
  for_each = toset(var.environments)

  name        = "${var.project_name}-${each.key}-github-deploy-network"
  description = "VPC, subnets, gateways, routes and security groups of ${var.project_name} ${each.key}, recognised by their tags"
  policy      = data.aws_iam_policy_document.deploy_network[each.key].json
}

resource "aws_iam_policy" "deploy_network_compute" {
  for_each = toset(var.environments)

  name        = "${var.project_name}-${each.key}-github-deploy-network-compute"
  description = "Load balancer, ECS and log groups of ${var.project_name} ${each.key}, for terraform apply and ECS deploys"
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

resource "aws_iam_role_policy_attachment" "deploy_network" {
  for_each = toset(var.environments)

  role       = aws_iam_role.deploy[each.key].name
  policy_arn = aws_iam_policy.deploy_network[each.key].arn
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

resource "aws_iam_policy" "deploy_guardrails" {
  for_each = toset(var.environments)

  name        = "${var.project_name}-${each.key}-github-deploy-guardrails"
  description = "What the ${var.project_name} ${each.key} deploy role may never do: widen a pipeline role, drop or change a boundary, retag another environment's resources"
  policy      = data.aws_iam_policy_document.deploy_guardrails[each.key].json
}

resource "aws_iam_role_policy_attachment" "deploy_guardrails" {
  for_each = toset(var.environments)

  role       = aws_iam_role.deploy[each.key].name
  policy_arn = aws_iam_policy.deploy_guardrails[each.key].arn
}

resource "aws_iam_role_policy_attachment" "deploy_iam_data" {
  for_each = toset(var.environments)

  role       = aws_iam_role.deploy[each.key].name
  policy_arn = aws_iam_policy.deploy_iam_data[each.key].arn
}
