variable "project_name" {
  description = "Base of every resource name; also the ECR repository and the container name."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]*(-[a-z0-9]+)*$", var.project_name)) && length(var.project_name) >= 2 && length(var.project_name) <= 20
    error_message = "Use 2-20 lowercase letters, digits and single hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Environment name (also the GitHub environment); resources are named <project_name>-<environment>-*."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{0,6}$", var.environment))
    error_message = "Use 1-7 lowercase letters and digits, starting with a letter (so '<project>-<environment>-alb' fits in 32 characters)."
  }
}

variable "production" {
  description = "This is the production (last) environment: its task definition is .aws/task-definition.json and it never runs on Fargate Spot. Defaults to true, the stricter side."
  type        = bool
  default     = true
}

variable "aws_region" {
  description = "AWS region of the environment."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "Use an AWS region code such as us-east-1."
  }
}

variable "aws_account_id" {
  description = "The only AWS account Terraform may change."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.aws_account_id))
    error_message = "Use the 12-digit account ID as a string."
  }
}

variable "app_type" {
  description = "Kind of backend: java-spring-boot or node-backend (for reference: what differs between them is in the task definition and the tfvars)."
  type        = string

  validation {
    condition     = contains(["java-spring-boot", "node-backend"], var.app_type)
    error_message = "Use java-spring-boot or node-backend."
  }
}

variable "container_port" {
  description = "Port the application listens on in the container."
  type        = number
  default     = 8080

  validation {
    condition     = var.container_port >= 1024 && var.container_port <= 65535
    error_message = "Use a port from 1024 to 65535 (the container does not run as root)."
  }
}

variable "health_check_path" {
  description = "Path that answers 200 when the application is ready."
  type        = string

  validation {
    condition     = can(regex("^/[A-Za-z0-9._~/-]*$", var.health_check_path))
    error_message = "Use an absolute URL path such as /health."
  }
}

variable "desired_count" {
  description = "Tasks the service starts with, and the least autoscaling keeps running."
  type        = number
  default     = 2

  validation {
    condition     = var.desired_count >= 1 && var.desired_count <= 100
    error_message = "Use 1 to 100."
  }
}

variable "autoscaling" {
  description = "Target tracking between desired_count and max_count: metric cpu or memory (average %) or requests (ALB requests per target per minute) kept at target. Off: the task count stays at desired_count."
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
    error_message = "max_count must be from desired_count to 100 (or turn autoscaling off)."
  }

  validation {
    condition     = var.autoscaling.target >= 1 && (var.autoscaling.metric == "requests" ? var.autoscaling.target <= 100000 : var.autoscaling.target <= 100)
    error_message = "target is a percentage (1-100) for cpu and memory, requests per target per minute (1-100000) for requests."
  }
}

variable "fargate_spot_percent" {
  description = "Share of the tasks on Fargate Spot (cheaper, may be interrupted); one task always stays on regular Fargate. Production takes none."
  type        = number
  default     = 0

  validation {
    condition     = var.fargate_spot_percent >= 0 && var.fargate_spot_percent <= 100 && floor(var.fargate_spot_percent) == var.fargate_spot_percent
    error_message = "Use a whole percentage from 0 to 100."
  }

  validation {
    condition     = !var.production || var.fargate_spot_percent == 0
    error_message = "The production environment does not run on Fargate Spot: set fargate_spot_percent = 0."
  }
}

variable "domain" {
  description = "Serve HTTPS on this name (ACM certificate validated in Route 53, alias record, HTTP redirected); null serves plain HTTP on the load balancer's name."
  type        = string
  default     = null

  validation {
    condition     = var.domain == null || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain))
    error_message = "Use a lowercase host name such as api.example.com."
  }
}

variable "hosted_zone" {
  description = "Route 53 public hosted zone that holds domain; null means domain without its first label."
  type        = string
  default     = null

  validation {
    condition     = var.hosted_zone == null || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.hosted_zone))
    error_message = "Use the zone's name, such as example.com."
  }
}

variable "deployment" {
  description = "Rolling-deploy timings: target-group health checks (seconds, counts), deregistration delay (s), ECS health-check grace period (s), tasks kept and allowed during a deploy (% of desired). The container's stop timeout is in the task definition."
  type = object({
    health_check_interval     = optional(number, 10)
    healthy_threshold         = optional(number, 2)
    unhealthy_threshold       = optional(number, 3)
    deregistration_delay      = optional(number, 10)
    health_check_grace_period = optional(number, 60)
    minimum_healthy_percent   = optional(number, 100)
    maximum_percent           = optional(number, 200)
  })
  default = {}

  validation {
    condition     = var.deployment.health_check_interval >= 5 && var.deployment.health_check_interval <= 300
    error_message = "health_check_interval is 5 to 300 seconds."
  }

  validation {
    condition     = alltrue([for t in [var.deployment.healthy_threshold, var.deployment.unhealthy_threshold] : t >= 2 && t <= 10])
    error_message = "healthy_threshold and unhealthy_threshold are 2 to 10."
  }

  validation {
    condition     = var.deployment.deregistration_delay >= 0 && var.deployment.deregistration_delay <= 3600 && var.deployment.health_check_grace_period >= 0
    error_message = "deregistration_delay is 0 to 3600 seconds; health_check_grace_period is at least 0."
  }

  validation {
    condition     = var.deployment.minimum_healthy_percent >= 0 && var.deployment.minimum_healthy_percent <= 100 && var.deployment.maximum_percent >= 100 && var.deployment.maximum_percent <= 200
    error_message = "minimum_healthy_percent is 0 to 100, maximum_percent 100 to 200."
  }
}

variable "alarms" {
  description = "CloudWatch alarms (5xx rate, p95 response time, unhealthy targets, CPU, memory) notifying the SNS topic <name>-alarms, the first three rolling a bad deployment back, and a dashboard; email subscribes an address to the topic (\"\" for none)."
  type = object({
    enabled = optional(bool, true)
    email   = optional(string, "")
  })
  default = {}

  validation {
    condition     = var.alarms.email == "" || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarms.email))
    error_message = "Use an email address such as oncall@example.com, or \"\" for none."
  }
}

variable "enable_ecs_exec" {
  description = "Allow `aws ecs execute-command` into running tasks (sessions encrypted with the environment key and logged to /ecs/<name>/exec)."
  type        = bool
  default     = false
}

variable "enable_container_insights" {
  description = "CloudWatch Container Insights on the cluster (per-task metrics, at extra CloudWatch cost)."
  type        = bool
  default     = true
}

variable "load_balancer_deletion_protection" {
  description = "Refuse to delete the load balancer. On unless the tfvars say otherwise (the kit's do for every environment but production); set false and apply before destroying production."
  type        = bool
  default     = true
}

variable "image" {
  description = "Image of the first task-definition revision; CI passes the one it has just pushed, by digest (<registry>/<project_name>@sha256:...)."
  type        = string
}

variable "task_definition_file" {
  description = "Path of the task-definition JSON; null means ../.aws/task-definition.json in production, ../.aws/task-definition.<environment>.json elsewhere."
  type        = string
  default     = null
}

variable "enable_database" {
  description = "Create an RDS database and its SSM parameters."
  type        = bool
  default     = false
}

variable "database_engine" {
  description = "postgres (PostgreSQL 17) or mysql (MySQL 8.4)."
  type        = string
  default     = "postgres"

  validation {
    condition     = contains(["postgres", "mysql"], var.database_engine)
    error_message = "Use postgres or mysql."
  }
}

variable "database_instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.t3.micro"

  validation {
    condition     = can(regex("^db\\.[a-z0-9]+\\.[a-z0-9]+$", var.database_instance_class))
    error_message = "Use an RDS instance class such as db.t3.micro."
  }
}

variable "database_deletion_protection" {
  description = "Refuse to delete the database. On unless the tfvars say otherwise (the kit's do for every environment but production); set false and apply before destroying production."
  type        = bool
  default     = true
}

variable "database_skip_final_snapshot" {
  description = "Delete the database without a final snapshot."
  type        = bool
  default     = false
}

variable "vpc_cidr" {
  description = "IPv4 CIDR block of the VPC (/16 to /20)."
  type        = string
  default     = "10.0.0.0/16"
}

variable "single_nat_gateway" {
  description = "One NAT gateway for both zones (cheaper) rather than one per zone."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps container, flow and database logs."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "Use a retention CloudWatch Logs accepts, e.g. 30, 90, 365 or 731."
  }
}

variable "tags" {
  description = "Extra tags for every resource (project, environment and managed-by are always set)."
  type        = map(string)
  default     = {}
}
