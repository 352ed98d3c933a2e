locals {
  identifier = "${var.name}-db"

  # Major versions only: RDS applies minor upgrades itself (auto_minor_version_upgrade) and
  # Terraform accepts any minor of the major it asked for.
  engines = {
    postgres = {
      version     = "17"
      family      = "postgres17"
      port        = 5432
      log_exports = ["postgresql", "upgrade"]
      parameters = {
        "rds.force_ssl"            = "1"
        log_statement              = "ddl"
        log_min_duration_statement = "1000"
      }
      jdbc_url = "jdbc:postgresql://%s:%d/%s?sslmode=require"
    }
    mysql = {
      version     = "8.4"
      family      = "mysql8.4"
      port        = 3306
      log_exports = ["error", "slowquery"]
      parameters = {
        require_secure_transport = "ON"
        slow_query_log           = "1"
        long_query_time          = "1"
      }
      jdbc_url = "jdbc:mysql://%s:%d/%s?sslMode=REQUIRED"
    }
  }
  engine = local.engines[var.engine]
  port   = coalesce(var.port, local.engine.port)
}

resource "aws_db_subnet_group" "this" {
  name        = local.identifier
  description = "Private subnets of ${local.identifier}"
  subnet_ids  = var.subnet_ids

  tags = var.tags
}

resource "aws_security_group" "this" {
  name        = local.identifier
  description = "Database ${local.identifier}: its port from the ECS tasks only"
  vpc_id      = var.vpc_id

  ingress {
    description     = "Database port from the ECS tasks"
    from_port       = local.port
    to_port         = local.port
    protocol        = "tcp"
    security_groups = [var.allowed_security_group_id]
  }

  # No egress rules: the database only answers connections.

  tags = merge(var.tags, { Name = local.identifier })
}

resource "aws_db_parameter_group" "this" {
  # The family is in the name so that a major upgrade can create the new group before the old one goes.
  name        = "${local.identifier}-${replace(local.engine.family, ".", "")}"
  family      = local.engine.family
  description = "TLS-only connections and statement logging for ${local.identifier}"

  dynamic "parameter" {
    for_each = local.engine.parameters

    content {
      name  = parameter.key
      value = parameter.value
    }
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

# Created here rather than by RDS so that they are encrypted and expire.
resource "aws_cloudwatch_log_group" "this" {
  for_each = toset(local.engine.log_exports)

  name              = "/aws/rds/instance/${local.identifier}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags
}

resource "aws_db_instance" "this" {
  #checkov:skip=CKV_AWS_157:Multi-AZ roughly doubles the cost; opt in with multi_az = true.
  #checkov:skip=CKV_AWS_118:Enhanced monitoring needs another IAM role and costs extra; CloudWatch metrics and log exports are on.
  #checkov:skip=CKV_AWS_353:Performance Insights is opt-in (performance_insights_enabled) because of its cost; it uses the environment key when on.
  identifier     = local.identifier
  engine         = var.engine
  engine_version = local.engine.version
  instance_class = var.instance_class
  port           = local.port

  # RDS generates the master password, keeps it in a Secrets Manager secret encrypted with the
  # environment key and rotates it (every 7 days by default): it is never in a plan, in state or
  # anywhere a pull request's plan role can read. The app reads it as an ECS secret.
  db_name                       = var.database_name
  username                      = var.username
  manage_master_user_password   = true
  master_user_secret_kms_key_id = var.kms_key_arn

  allocated_storage     = var.allocated_storage
  max_allocated_storage = var.max_allocated_storage
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = var.kms_key_arn

  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [aws_security_group.this.id]
  publicly_accessible    = false
  multi_az               = var.multi_az
  parameter_group_name   = aws_db_parameter_group.this.name

  backup_retention_period    = var.backup_retention_period
  backup_window              = "03:00-04:00"
  maintenance_window         = "sun:04:30-sun:05:30"
  copy_tags_to_snapshot      = true
  auto_minor_version_upgrade = true

  enabled_cloudwatch_logs_exports     = local.engine.log_exports
  iam_database_authentication_enabled = true
  performance_insights_enabled        = var.performance_insights_enabled
  performance_insights_kms_key_id     = var.performance_insights_enabled ? var.kms_key_arn : null

  deletion_protection       = var.deletion_protection
  skip_final_snapshot       = var.skip_final_snapshot
  final_snapshot_identifier = "${local.identifier}-final"

  tags = var.tags

  depends_on = [aws_cloudwatch_log_group.this]
}

locals {
  parameters = {
    host     = aws_db_instance.this.address
    port     = tostring(aws_db_instance.this.port)
    name     = aws_db_instance.this.db_name
    username = aws_db_instance.this.username
    url      = format(local.engine.jdbc_url, aws_db_instance.this.address, aws_db_instance.this.port, aws_db_instance.this.db_name)
  }
}

# All SecureString, not only the password: they are read the same way (ECS secrets) and cost the same.
resource "aws_ssm_parameter" "this" {
  for_each = local.parameters

  name   = "${var.ssm_parameter_path}/database/${each.key}"
  type   = "SecureString"
  key_id = var.kms_key_arn
  value  = each.value

  tags = var.tags
}
