locals {
  # The load balancer wants the timeout shorter than the interval: 5 s, or less for short intervals.
  health_check_timeout = coalesce(var.health_check.timeout, min(5, var.health_check.interval - 1))
}

resource "aws_security_group" "this" {
  #checkov:skip=CKV_AWS_260:Port 80 stays open to the internet in both modes: with a domain it only answers a 301 to HTTPS, without one it is the service's plain-HTTP entry point.
  name        = "${var.name}-alb"
  description = "Load balancer ${var.name}-alb: HTTP and HTTPS from the internet, to the tasks on the container port"
  vpc_id      = var.vpc_id

  ingress {
    description = "HTTP from the internet"
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  dynamic "ingress" {
    for_each = var.https == null ? [] : [443]

    content {
      description = "HTTPS from the internet"
      from_port   = ingress.value
      to_port     = ingress.value
      protocol    = "tcp"
      cidr_blocks = ["0.0.0.0/0"]
    }
  }

  # To the VPC CIDR rather than the service's security group, which already refers to this one.
  egress {
    description = "To the tasks on the container port"
    from_port   = var.target_port
    to_port     = var.target_port
    protocol    = "tcp"
    cidr_blocks = [var.vpc_cidr_block]
  }

  tags = merge(var.tags, { Name = "${var.name}-alb" })

  lifecycle {
    # A new description replaces the group, which the load balancer uses (and its name is taken):
    # kits rendered before 0.2.0 keep the one they were created with.
    ignore_changes = [description]
  }
}

resource "aws_lb" "this" {
  #checkov:skip=CKV_AWS_91:Access logs need a second bucket with an ELB delivery policy; add one when someone will read them.
  #checkov:skip=CKV2_AWS_28:WAF is a paid add-on (per web ACL and rule); attach one when the service needs it.
  #checkov:skip=CKV2_AWS_20:With a domain, HTTP only answers a 301 to HTTPS; without one there is no HTTPS to redirect to (the README and the deploy summary say so).
  name                       = "${var.name}-alb"
  load_balancer_type         = "application"
  internal                   = false
  security_groups            = [aws_security_group.this.id]
  subnets                    = var.subnet_ids
  drop_invalid_header_fields = true
  enable_deletion_protection = var.enable_deletion_protection

  tags = var.tags
}

resource "aws_lb_target_group" "this" {
  #checkov:skip=CKV_AWS_378:TLS ends at the load balancer; behind it, HTTP to tasks in private subnets that only the load balancer's security group can reach.
  name                 = "${var.name}-tg"
  port                 = var.target_port
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = var.vpc_id
  deregistration_delay = var.deregistration_delay

  health_check {
    enabled             = true
    protocol            = "HTTP"
    port                = "traffic-port"
    path                = var.health_check.path
    matcher             = var.health_check.matcher
    interval            = var.health_check.interval
    timeout             = local.health_check_timeout
    healthy_threshold   = var.health_check.healthy_threshold
    unhealthy_threshold = var.health_check.unhealthy_threshold
  }

  tags = var.tags
}


# The :80 listener is the same resource with or without a domain, so that adding or removing one
# changes its action in place: never two listeners competing for the port (DuplicateListener), and
# no moment without a listener.
resource "aws_lb_listener" "http" {
  # checkov:skip=CKV_AWS_2:Without a domain there is no certificate: plain HTTP is the entry point, as the README and the deploy summary say. With one, this listener only redirects.
  # checkov:skip=CKV_AWS_103:A plain HTTP listener has no TLS to set a version for; the :443 listener's ssl_policy allows TLS 1.2 and 1.3 only.
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type             = var.https == null ? "forward" : "redirect"
    target_group_arn = var.https == null ? aws_lb_target_group.this.arn : null

    dynamic "redirect" {
      for_each = var.https == null ? [] : ["https"]

      content {
        port        = "443"
        protocol    = "HTTPS"
        status_code = "HTTP_301"
      }
    }
  }

  tags = var.tags
}

resource "aws_lb_listener" "https" {
  count = var.https == null ? 0 : 1

  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = var.ssl_policy
  certificate_arn   = var.https.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this.arn
  }

  tags = var.tags
}

# Only with a domain: its name points at the load balancer (IPv4, so A only).
resource "aws_route53_record" "alias" {
  count = var.dns_alias == null ? 0 : 1

  zone_id = var.dns_alias.zone_id
  name    = var.dns_alias.name
  type    = "A"

  alias {
    name                   = aws_lb.this.dns_name
    zone_id                = aws_lb.this.zone_id
    evaluate_target_health = true
  }
}
