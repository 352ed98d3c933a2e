output "load_balancer_dns" {
  description = "DNS name of the load balancer."
  value       = module.alb.dns_name
}

output "service_url" {
  description = "URL of the service: https://<domain> with a domain, plain http:// on the load balancer's name without one."
  value       = local.https ? "https://${var.domain}" : "http://${module.alb.dns_name}"
}

output "https" {
  description = "Whether the service answers HTTPS on its domain (false: plain HTTP only)."
  value       = local.https
}

output "ecr_repository_url" {
  description = "ECR repository the images are pushed to."
  value       = data.aws_ecr_repository.app.repository_url
}

output "ecs_cluster_name" {
  description = "Name of the ECS cluster."
  value       = module.ecs_cluster.name
}

output "ecs_service_name" {
  description = "Name of the ECS service."
  value       = module.ecs_service.service_name
}

output "task_definition_family" {
  description = "Family CI registers new revisions in."
  value       = module.ecs_service.task_definition_family
}

output "container_name" {
  description = "Name of the application container in the task definition."
  value       = module.ecs_service.container_name
}

output "log_group_name" {
  description = "CloudWatch log group of the containers."
  value       = module.ecs_service.log_group_name
}

output "task_execution_role_arn" {
  description = "ARN of the task execution role."
  value       = module.ecs_service.execution_role_arn
}

output "task_role_arn" {
  description = "ARN of the task role."
  value       = module.ecs_service.task_role_arn
}

output "database_endpoint" {
  description = "host:port of the database; null without one."
  # Not one(module.database[*].endpoint): checkov stops resolving module values after a module splat.
  value = var.enable_database ? module.database[0].endpoint : null
}

output "database_secret_arn" {
  description = "Secrets Manager secret RDS keeps the database master user's credentials in; null without a database. .github/scripts/ecs-deploy.sh reads it from RDS itself."
  value       = var.enable_database ? module.database[0].master_user_secret_arn : null
}

output "alarm_topic_arn" {
  description = "SNS topic the alarms notify; null with alarms off."
  value       = var.alarms.enabled ? module.alarms[0].topic_arn : null
}

output "deployment_alarm_names" {
  description = "Alarms that roll a deployment back; [] with alarms off."
  value       = var.alarms.enabled ? module.alarms[0].deployment_alarm_names : []
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the service; null with alarms off."
  value       = var.alarms.enabled ? module.alarms[0].dashboard_name : null
}

output "autoscaling_range" {
  description = "Least and most tasks App Auto Scaling keeps the service between."
  value       = module.ecs_service.autoscaling_range
}
