resource "aws_security_group" "this" {
  #checkov:skip=CKV2_AWS_5:Attached to the ECS service by the root module (modules/ecs-service, network_configuration); checkov's attachment check does not follow a group across module boundaries.
  name        = var.name
  description = "Tasks of ${var.name}: the container port from the load balancer; HTTPS and the database out"
  vpc_id      = var.vpc_id

  ingress {
    description     = "Container port from the load balancer"
    from_port       = var.container_port
    to_port         = var.container_port
    protocol        = "tcp"
    security_groups = [var.load_balancer_security_group_id]
  }

  egress {
    description = "HTTPS to ECR, CloudWatch Logs and SSM through the NAT gateway"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  # By CIDR, not by the database's security group, which refers to this one.
  dynamic "egress" {
    for_each = var.database_access == null ? [] : [var.database_access]

    content {
      description = "Database in the private subnets"
      from_port   = egress.value.port
      to_port     = egress.value.port
      protocol    = "tcp"
      cidr_blocks = egress.value.cidr_blocks
    }
  }

  tags = merge(var.tags, { Name = var.name })
}
