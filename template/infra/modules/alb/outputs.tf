output "arn" {
  description = "ARN of the load balancer."
  value       = aws_lb.this.arn
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
  description = "ARN of the target group."
  value       = aws_lb_target_group.this.arn

  # ECS rejects a service whose target group is not yet attached to a load balancer.
  depends_on = [aws_lb_listener.http]
}

output "http_listener_arn" {
  description = "ARN of the HTTP :80 listener."
  value       = aws_lb_listener.http.arn
}
