output "certificate_arn" {
  description = "ARN of the certificate, once it is issued (validated)."
  value       = aws_acm_certificate_validation.this.certificate_arn
}

output "zone_id" {
  description = "ID of the hosted zone."
  value       = data.aws_route53_zone.this.zone_id
}
