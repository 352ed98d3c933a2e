output "alarm_names" {
  description = "Names of the alarms by key: errors, latency, unhealthy, cpu, memory."
  value = {
    errors    = aws_cloudwatch_metric_alarm.errors.alarm_name
    latency   = aws_cloudwatch_metric_alarm.latency.alarm_name
    unhealthy = aws_cloudwatch_metric_alarm.unhealthy.alarm_name
    cpu       = aws_cloudwatch_metric_alarm.cpu.alarm_name
    memory    = aws_cloudwatch_metric_alarm.memory.alarm_name
  }
}

output "deployment_alarm_names" {
  description = "The alarms a rollout watches (5xx rate, p95 response time, unhealthy targets): one in ALARM rolls it back."
  value = [
    aws_cloudwatch_metric_alarm.errors.alarm_name,
    aws_cloudwatch_metric_alarm.latency.alarm_name,
    aws_cloudwatch_metric_alarm.unhealthy.alarm_name,
  ]
}

output "topic_arn" {
  description = "ARN of the SNS topic the alarms notify (<name>-alarms)."
  value       = aws_sns_topic.this.arn
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}
