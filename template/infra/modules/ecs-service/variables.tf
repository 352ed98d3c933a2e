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

variable "repository_arn" {
  description = "ECR repository the execution role may pull the image from."
  type        = string
}

variable "task_definition_file" {
  description = "Path of the kit's ECS task-definition JSON (.aws/task-definition.json)."
  type        = string
}

variable "desired_count" {
  description = "Tasks the service starts with, and the least autoscaling keeps running."
  type        = number
  default     = 2

  validation {
    condition     = var.desired_count >= 1 && var.desired_count <= 100
    error_message = "Use 1 to 100 tasks."
  }
}

variable "autoscaling" {
  description = "Target tracking between desired_count and max_count on cpu or memory (average %) or requests (ALB requests per target per minute). Off: the scalable target pins the count to desired_count."
  type = object({
    enabled   = optional(bool, true)
    max_count = optional(number, 6)
    metric    = optional(string, "cpu")
    target    = optional(number, 60)
  })
  default = {}

  validation {
    condition     = contains(["cpu", "memory", "requests"], var.autoscaling.metric)
    error_message = "metric is cpu, memory or requests."
  }

  validation {
    condition     = !var.autoscaling.enabled || (var.autoscaling.max_count >= var.desired_count && var.autoscaling.max_count <= 100)
    error_message = "max_count must be from desired_count to 100."
  }

  validation {
    condition     = var.autoscaling.target >= 1 && (var.autoscaling.metric == "requests" || var.autoscaling.target <= 100)
    error_message = "target is a percentage (1-100) for cpu and memory, a positive request count for requests."
  }
}

variable "request_count_resource_label" {
  description = "app/<alb>/<id>/targetgroup/<tg>/<id>: the target group ALBRequestCountPerTarget is measured on (metric requests)."
  type        = string
  default     = null

  validation {
    condition     = var.request_count_resource_label == null || can(regex("^app/[^/]+/[^/]+/targetgroup/[^/]+/[^/]+$", var.request_count_resource_label))
    error_message = "Use the load balancer's ARN suffix, '/', and the target group's: app/<alb>/<id>/targetgroup/<tg>/<id>."
  }
}

variable "fargate_spot_percent" {
  description = "Share of the tasks (by weight) on Fargate Spot; one task always stays on regular Fargate. With 0 the service uses launch type FARGATE, so going from 0 to more, or back, replaces it."
  type        = number
  default     = 0

  validation {
    condition     = var.fargate_spot_percent >= 0 && var.fargate_spot_percent <= 100 && floor(var.fargate_spot_percent) == var.fargate_spot_percent
    error_message = "Use a whole percentage from 0 to 100."
  }
}

variable "deployment" {
  description = "Rolling-deploy settings: tasks kept and allowed during a deploy (% of desired), and how long ECS ignores failing load-balancer checks of a new task."
  type = object({
    minimum_healthy_percent           = optional(number, 100)
    maximum_percent                   = optional(number, 200)
    health_check_grace_period_seconds = optional(number, 60)
  })
  default = {}

  validation {
    condition     = var.deployment.minimum_healthy_percent >= 0 && var.deployment.minimum_healthy_percent <= 100 && var.deployment.maximum_percent >= 100 && var.deployment.maximum_percent <= 200
    error_message = "minimum_healthy_percent is 0 to 100, maximum_percent 100 to 200."
  }

  validation {
    condition     = var.deployment.health_check_grace_period_seconds >= 0 && var.deployment.health_check_grace_period_seconds <= 2147483647
    error_message = "Use a grace period from 0 seconds."
  }
}

variable "deployment_alarm_names" {
  description = "CloudWatch alarms that roll a deployment back when one goes into ALARM; [] for none."
  type        = list(string)
  default     = []
}

variable "enable_execute_command" {
  description = "ECS Exec into the service's tasks (the cluster must have its configuration): the task role gets the session channels and execute_command_log_group_arn."
  type        = bool
  default     = false
}

variable "execute_command_log_group_arn" {
  description = "CloudWatch log group the cluster logs ECS Exec sessions to; required with enable_execute_command."
  type        = string
  default     = null

  validation {
    condition     = !var.enable_execute_command || var.execute_command_log_group_arn != null
    error_message = "ECS Exec needs the cluster's log group ARN."
  }
}

variable "cluster_name" {
  description = "Name of the ECS cluster (with the FARGATE and FARGATE_SPOT capacity providers)."
  type        = string
}

variable "cluster_arn" {
  description = "ARN of the ECS cluster the service runs in."
  type        = string
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

variable "security_group_id" {
  description = "Security group of the tasks (modules/service-security-group)."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the log groups, the SSM SecureStrings the execution role reads and ECS Exec sessions."
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

variable "permissions_boundary_arn" {
  description = "Permissions boundary of the roles this module creates: the environment's <project>-<environment>-boundary, made by the bootstrap root. The deploy roles may only create and change roles that carry it."
  type        = string
  default     = null
}

variable "database_secret_arn" {
  description = "ARN of the database's master user secret (RDS manages it in Secrets Manager), null without a database: a container secret whose valueFrom starts with \"rds-master-user-secret:\" gets it in its place (<arn>:password:: and so on)."
  type        = string
  default     = null
}

variable "database_instance_arn" {
  description = "ARN of the RDS instance whose master user secret the execution role may read (recognised by the tag RDS puts on it, so that the permission is known before the secret exists); null without a database."
  type        = string
  default     = null
}
