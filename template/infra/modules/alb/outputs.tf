output "arn" {
  description = "ARN of the load balancer."
  value       = aws_lb.this.arn
}

output "arn_suffix" {
  description = "ARN suffix of the load balancer (app/<name>/<id>): its CloudWatch dimension."
  value       = aws_lb.this.arn_suffix
}

output "dns_name" {
  description = "Public DNS name of the load balancer."
  value       = aws_lb.this.dns_name
}

output "zone_id" {
  description = "Route 53 zone ID of the load balancer, for an alias record."
  value       = aws_lb.this.zone_id
}

output "security_group_id" {
  description = "Security group of the load balancer."
  value       = aws_security_group.this.id
}

output "target_group_arn" {
  description = "ARN of the target group (available once a listener forwards to it)."
  value       = aws_lb_target_group.this.arn

  # ECS rejects a service whose target group is not yet attached to a load balancer.
  depends_on = [aws_lb_listener.http, aws_lb_listener.https]
}

output "target_group_arn_suffix" {
  description = "ARN suffix of the target group (targetgroup/<name>/<id>): its CloudWatch dimension."
  value       = aws_lb_target_group.this.arn_suffix
}

output "http_listener_arn" {
  description = "ARN of the HTTP :80 listener."
  value       = aws_lb_listener.http.arn
}

output "https_listener_arn" {
  description = "ARN of the HTTPS :443 listener; null without https."
  value       = var.https == null ? null : aws_lb_listener.https[0].arn
}

output "fqdn" {
  description = "Name of the alias record; null without one."
  value       = var.dns_alias == null ? null : aws_route53_record.alias[0].fqdn
}
