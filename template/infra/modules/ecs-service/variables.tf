variable "name" {
  description = "<project>-<environment>: the task family, and the prefix of the cluster, service, roles and log group."
  type        = string
}

variable "container_name" {
  description = "Name of the application container in the task definition (the project name)."
  type        = string
}

variable "container_port" {
  description = "Port the application container listens on."
  type        = number

  validation {
    condition     = var.container_port >= 1 && var.container_port <= 65535
    error_message = "Use a port from 1 to 65535."
  }
}

variable "image" {
  description = "Image of the first task-definition revision (<registry>/<repository>:<tag> or @sha256:...)."
  type        = string

  validation {
    condition     = can(regex("^[^\\s]+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[0-9a-f]{64})$", var.image))
    error_message = "Use a full image reference with a tag or digest, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/app:<git sha>."
  }
}

variable "task_definition_file" {
  description = "Path of the kit's ECS task-definition JSON (.aws/task-definition.json)."
  type        = string
}

variable "desired_count" {
  description = "Number of tasks the service keeps running."
  type        = number
  default     = 2

  validation {
    condition     = var.desired_count >= 1
    error_message = "Run at least one task."
  }
}

variable "health_check_grace_period_seconds" {
  description = "Seconds ECS ignores failing load-balancer health checks after a task starts."
  type        = number
  default     = 60

  validation {
    condition     = var.health_check_grace_period_seconds >= 0 && var.health_check_grace_period_seconds <= 2147483647
    error_message = "Use a number of seconds from 0."
  }
}

variable "vpc_id" {
  description = "ID of the VPC."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets the tasks run in."
  type        = list(string)
}

variable "target_group_arn" {
  description = "Target group the service registers its tasks with."
  type        = string
}

variable "load_balancer_security_group_id" {
  description = "Security group of the load balancer, the only source allowed to reach the container port."
  type        = string
}

variable "database_access" {
  description = "Port and CIDR blocks of the database the tasks may connect to; null when there is none."
  type = object({
    port        = number
    cidr_blocks = list(string)
  })
  default = null
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the log group and the SSM SecureStrings the execution role reads."
  type        = string
}

variable "ssm_parameter_path" {
  description = "SSM path (/<project>/<environment>) under which the execution role may read parameters."
  type        = string

  validation {
    condition     = can(regex("^(/[A-Za-z0-9_.-]+)+$", var.ssm_parameter_path))
    error_message = "Use an absolute SSM path without a trailing slash, e.g. /riderapp/prod."
  }
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the container logs."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags added to every resource (on top of the provider's default_tags)."
  type        = map(string)
  default     = {}
}
