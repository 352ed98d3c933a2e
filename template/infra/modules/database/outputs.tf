output "endpoint" {
  description = "host:port of the instance."
  value       = aws_db_instance.this.endpoint
}

output "address" {
  description = "Host name of the instance."
  value       = aws_db_instance.this.address
}

output "port" {
  description = "Port of the engine."
  value       = local.engine.port
}

output "identifier" {
  description = "RDS instance identifier."
  value       = aws_db_instance.this.identifier
}

output "security_group_id" {
  description = "Security group of the instance."
  value       = aws_security_group.this.id
}

output "ssm_parameter_arns" {
  description = "ARNs of the SSM parameters by key (host, port, name, username, url)."
  value       = { for k, p in aws_ssm_parameter.this : k => p.arn }
}

output "master_user_secret_arn" {
  description = "ARN of the Secrets Manager secret RDS keeps the master user's credentials in (JSON keys username and password)."
  # Empty in the plan that hands an existing password over to RDS: known after that apply.
  value = try(aws_db_instance.this.master_user_secret[0].secret_arn, null)
}
