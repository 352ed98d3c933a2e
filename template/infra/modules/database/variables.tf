variable "name" {
  description = "<project>-<environment>; the instance is <name>-db."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,56}[a-z0-9]$", var.name)) && !strcontains(var.name, "--")
    error_message = "Use lowercase letters, digits and single hyphens, starting with a letter (RDS identifier rules)."
  }
}

variable "engine" {
  description = "Database engine: postgres (PostgreSQL 17) or mysql (MySQL 8.4)."
  type        = string
  default     = "postgres"

  validation {
    condition     = contains(["postgres", "mysql"], var.engine)
    error_message = "Use postgres or mysql."
  }
}

variable "port" {
  description = "Port the engine listens on; null means the engine's default (5432 or 3306)."
  type        = number
  default     = null

  validation {
    condition     = var.port == null || try(var.port >= 1150 && var.port <= 65535, false)
    error_message = "RDS accepts ports from 1150 to 65535."
  }
}

variable "instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.t3.micro"

  validation {
    condition     = can(regex("^db\\.[a-z0-9]+\\.[a-z0-9]+$", var.instance_class))
    error_message = "Use an RDS instance class such as db.t3.micro."
  }
}

variable "database_name" {
  description = "Name of the database created in the instance."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_]{0,62}$", var.database_name))
    error_message = "Use a letter followed by at most 62 letters, digits or underscores."
  }
}

variable "username" {
  description = "Master user name ('admin' and 'rdsadmin' are reserved on PostgreSQL)."
  type        = string
  default     = "app"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_]{0,15}$", var.username)) && !contains(["admin", "rdsadmin", "postgres"], lower(var.username))
    error_message = "Use a letter followed by at most 15 letters, digits or underscores, other than admin, rdsadmin or postgres."
  }
}

variable "vpc_id" {
  description = "ID of the VPC."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the DB subnet group (two zones at least)."
  type        = list(string)
}

variable "allowed_security_group_id" {
  description = "Security group (the ECS tasks') allowed to connect to the database port."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the storage, the SSM parameters, the log groups and Performance Insights."
  type        = string
}

variable "ssm_parameter_path" {
  description = "SSM path (/<project>/<environment>); the parameters go under <path>/database/."
  type        = string

  validation {
    condition     = can(regex("^(/[A-Za-z0-9_.-]+)+$", var.ssm_parameter_path))
    error_message = "Use an absolute SSM path without a trailing slash, e.g. /riderapp/prod."
  }
}

variable "allocated_storage" {
  description = "Initial storage in GiB."
  type        = number
  default     = 20
}

variable "max_allocated_storage" {
  description = "Storage autoscaling ceiling in GiB."
  type        = number
  default     = 100
}

variable "backup_retention_period" {
  description = "Days automated backups are kept."
  type        = number
  default     = 7

  validation {
    condition     = var.backup_retention_period >= 1 && var.backup_retention_period <= 35
    error_message = "Use 1 to 35 days."
  }
}

variable "multi_az" {
  description = "Keep a standby in a second zone (roughly doubles the cost)."
  type        = bool
  default     = false
}

variable "performance_insights_enabled" {
  description = "Turn on Performance Insights, encrypted with kms_key_arn."
  type        = bool
  default     = false
}

variable "deletion_protection" {
  description = "Refuse to delete the instance; set to false (and apply) before destroying the environment."
  type        = bool
  default     = true
}

variable "skip_final_snapshot" {
  description = "Delete without taking the final snapshot <name>-db-final."
  type        = bool
  default     = false
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the exported database logs."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags added to every resource (on top of the provider's default_tags)."
  type        = map(string)
  default     = {}
}
