resource "aws_security_group" "this" {
  #checkov:skip=CKV_AWS_260:Port 80 from anywhere is the public entry point until the service has a domain and a certificate; then it only redirects to HTTPS.
  name        = "${var.name}-alb"
  description = "Load balancer ${var.name}-alb: HTTP from the internet, to the tasks on the container port"
  vpc_id      = var.vpc_id

  ingress {
    description = "HTTP from the internet"
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
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
}

resource "aws_lb" "this" {
  #checkov:skip=CKV_AWS_91:Access logs need a second bucket with an ELB delivery policy; add one when someone will read them.
  #checkov:skip=CKV2_AWS_28:WAF is a paid add-on (per web ACL and rule); attach one when the service needs it.
  #checkov:skip=CKV_AWS_150:Deletion protection is opt-in (enable_deletion_protection) so that short-lived environments can be destroyed.
  #checkov:skip=CKV2_AWS_20:The :80 listener forwards because there is no HTTPS listener to redirect to until the service has a domain.
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
  #checkov:skip=CKV_AWS_378:Plain HTTP from the load balancer to the tasks inside the VPC; the listener side gets HTTPS with the domain.
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
    timeout             = var.health_check.timeout
    healthy_threshold   = var.health_check.healthy_threshold
    unhealthy_threshold = var.health_check.unhealthy_threshold
  }

  tags = var.tags
}

resource "aws_lb_listener" "http" {
  #checkov:skip=CKV_AWS_2:No domain yet, so no certificate: HTTP only until an HTTPS listener is added.
  #checkov:skip=CKV_AWS_103:No TLS listener yet (no domain); the HTTPS listener will use ELBSecurityPolicy-TLS13-1-2-2021-06.
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this.arn
  }

  tags = var.tags
}
