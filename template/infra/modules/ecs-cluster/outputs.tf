output "name" {
  description = "Name of the cluster."
  value       = aws_ecs_cluster.this.name
}

output "arn" {
  description = "ARN of the cluster, once both Fargate capacity providers are attached to it."
  value       = aws_ecs_cluster.this.arn

  # A service whose strategy names a provider the cluster does not have yet fails to create.
  depends_on = [aws_ecs_cluster_capacity_providers.this]
}

output "exec_log_group_arn" {
  description = "ARN of the ECS Exec log group; null when ECS Exec is off."
  value       = var.enable_execute_command ? aws_cloudwatch_log_group.exec[0].arn : null
}

output "exec_log_group_name" {
  description = "Name of the ECS Exec log group; null when ECS Exec is off."
  value       = var.enable_execute_command ? aws_cloudwatch_log_group.exec[0].name : null
}
