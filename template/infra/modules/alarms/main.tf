data "aws_region" "current" {}

locals {
  alb = { LoadBalancer = var.load_balancer_arn_suffix }
  tg  = { LoadBalancer = var.load_balancer_arn_suffix, TargetGroup = var.target_group_arn_suffix }
  ecs = { ClusterName = var.cluster_name, ServiceName = var.service_name }

  alarm_names = {
    errors    = "${var.name}-5xx-rate"
    latency   = "${var.name}-latency-p95"
    unhealthy = "${var.name}-unhealthy-hosts"
    cpu       = "${var.name}-cpu-high"
    memory    = "${var.name}-memory-high"
  }
  actions = [aws_sns_topic.this.arn]
}

resource "aws_sns_topic" "this" {
  name              = "${var.name}-alarms"
  kms_master_key_id = var.kms_key_arn

  tags = var.tags
}

# Email subscriptions stay pending until the address confirms them.
resource "aws_sns_topic_subscription" "email" {
  count = var.email == "" ? 0 : 1

  topic_arn = aws_sns_topic.this.arn
  protocol  = "email"
  endpoint  = var.email
}

# Errors from the targets and from the load balancer itself (no healthy target, timeouts), as a
# share of all requests; no traffic is no data, which is not an alarm.
resource "aws_cloudwatch_metric_alarm" "errors" {
  alarm_name          = local.alarm_names.errors
  alarm_description   = "More than ${var.thresholds.error_rate_percent}% of the requests to ${var.name} answered 5xx in 2 of the last 3 minutes."
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.thresholds.error_rate_percent
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  metric_query {
    id          = "rate"
    expression  = "100 * (FILL(target, 0) + FILL(elb, 0)) / requests"
    label       = "5xx responses (% of requests)"
    return_data = true
  }

  metric_query {
    id = "target"

    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_Target_5XX_Count"
      dimensions  = local.alb
      period      = 60
      stat        = "Sum"
    }
  }

  metric_query {
    id = "elb"

    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_ELB_5XX_Count"
      dimensions  = local.alb
      period      = 60
      stat        = "Sum"
    }
  }

  metric_query {
    id = "requests"

    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "RequestCount"
      dimensions  = local.alb
      period      = 60
      stat        = "Sum"
    }
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "latency" {
  alarm_name          = local.alarm_names.latency
  alarm_description   = "95th percentile of the response time of ${var.name} above ${var.thresholds.latency_p95_seconds} s in 2 of the last 3 minutes."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "TargetResponseTime"
  dimensions          = local.tg
  extended_statistic  = "p95"
  period              = 60
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.thresholds.latency_p95_seconds
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "unhealthy" {
  alarm_name          = local.alarm_names.unhealthy
  alarm_description   = "A target of ${var.name} failed its load-balancer health checks in 2 of the last 3 minutes."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "UnHealthyHostCount"
  dimensions          = local.tg
  statistic           = "Maximum"
  period              = 60
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  tags = var.tags
}

# AWS/ECS service metrics exist on Fargate with or without Container Insights.
resource "aws_cloudwatch_metric_alarm" "cpu" {
  alarm_name          = local.alarm_names.cpu
  alarm_description   = "Average CPU of the ${var.name} service above ${var.thresholds.cpu_percent}% for 3 minutes."
  namespace           = "AWS/ECS"
  metric_name         = "CPUUtilization"
  dimensions          = local.ecs
  statistic           = "Average"
  period              = 60
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.thresholds.cpu_percent
  evaluation_periods  = 3
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "memory" {
  alarm_name          = local.alarm_names.memory
  alarm_description   = "Average memory of the ${var.name} service above ${var.thresholds.memory_percent}% for 3 minutes."
  namespace           = "AWS/ECS"
  metric_name         = "MemoryUtilization"
  dimensions          = local.ecs
  statistic           = "Average"
  period              = 60
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.thresholds.memory_percent
  evaluation_periods  = 3
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  tags = var.tags
}

locals {
  region = data.aws_region.current.name

  widget = {
    requests = {
      title   = "Requests"
      stat    = "Sum"
      metrics = [["AWS/ApplicationELB", "RequestCount", "LoadBalancer", var.load_balancer_arn_suffix]]
    }
    errors = {
      title = "5xx responses"
      stat  = "Sum"
      metrics = [
        ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "LoadBalancer", var.load_balancer_arn_suffix, { label = "from the tasks" }],
        ["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "LoadBalancer", var.load_balancer_arn_suffix, { label = "from the load balancer" }],
      ]
    }
    latency = {
      title = "Response time (s)"
      stat  = "p50"
      metrics = [for p in ["p50", "p95", "p99"] : [
        "AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", var.load_balancer_arn_suffix,
        "TargetGroup", var.target_group_arn_suffix, { stat = p, label = p },
      ]]
    }
    hosts = {
      title = "Targets"
      stat  = "Minimum"
      metrics = [for m in ["HealthyHostCount", "UnHealthyHostCount"] : [
        "AWS/ApplicationELB", m, "LoadBalancer", var.load_balancer_arn_suffix, "TargetGroup", var.target_group_arn_suffix,
      ]]
    }
    cpu = {
      title   = "CPU (%)"
      stat    = "Average"
      metrics = [for s in ["Average", "Maximum"] : ["AWS/ECS", "CPUUtilization", "ClusterName", var.cluster_name, "ServiceName", var.service_name, { stat = s, label = lower(s) }]]
    }
    memory = {
      title   = "Memory (%)"
      stat    = "Average"
      metrics = [for s in ["Average", "Maximum"] : ["AWS/ECS", "MemoryUtilization", "ClusterName", var.cluster_name, "ServiceName", var.service_name, { stat = s, label = lower(s) }]]
    }
    # Task counts are Container Insights metrics.
    tasks = {
      title   = "Tasks"
      stat    = "Average"
      metrics = [for m in ["RunningTaskCount", "DesiredTaskCount", "PendingTaskCount"] : ["ECS/ContainerInsights", m, "ClusterName", var.cluster_name, "ServiceName", var.service_name]]
    }
  }
  widgets = [for key in concat(["requests", "errors", "latency", "hosts", "cpu", "memory"], var.container_insights ? ["tasks"] : []) : local.widget[key]]
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.name

  dashboard_body = jsonencode({
    widgets = concat(
      [{
        type   = "alarm"
        x      = 0
        y      = 0
        width  = 24
        height = 3
        properties = {
          title  = "Alarms"
          alarms = [for a in [aws_cloudwatch_metric_alarm.errors, aws_cloudwatch_metric_alarm.latency, aws_cloudwatch_metric_alarm.unhealthy, aws_cloudwatch_metric_alarm.cpu, aws_cloudwatch_metric_alarm.memory] : a.arn]
        }
      }],
      [for i, w in local.widgets : {
        type   = "metric"
        x      = (i % 3) * 8
        y      = 3 + floor(i / 3) * 6
        width  = 8
        height = 6
        properties = {
          title   = w.title
          region  = local.region
          stat    = w.stat
          period  = 60
          view    = "timeSeries"
          metrics = w.metrics
        }
      }],
    )
  })
}
