# The zone must exist already (a domain registered with Route 53 has one): the kit adds records to it
# and leaves the zone itself alone.
data "aws_route53_zone" "this" {
  name         = var.hosted_zone
  private_zone = false
}

resource "aws_acm_certificate" "this" {
  domain_name       = var.domain
  validation_method = "DNS"

  options {
    certificate_transparency_logging_preference = "ENABLED"
  }

  tags = var.tags

  # A listener always has a certificate: the new one must be issued before the old one goes.
  lifecycle {
    create_before_destroy = true
  }
}

locals {
  # One name, so one DNS validation record.
  validation = one(aws_acm_certificate.this.domain_validation_options)
}

resource "aws_route53_record" "validation" {
  zone_id         = data.aws_route53_zone.this.zone_id
  name            = local.validation.resource_record_name
  type            = local.validation.resource_record_type
  records         = [local.validation.resource_record_value]
  ttl             = 300
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "this" {
  certificate_arn         = aws_acm_certificate.this.arn
  validation_record_fqdns = [aws_route53_record.validation.fqdn]
}
