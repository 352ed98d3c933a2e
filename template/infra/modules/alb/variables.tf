variable "name" {
  description = "Prefix of every resource name (<project>-<environment>); '<name>-alb' and '<name>-tg' must fit in 32 characters."
  type        = string

  validation {
    condition     = length(var.name) <= 28 && can(regex("^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$", var.name))
    error_message = "Use at most 28 letters, digits and hyphens, not starting or ending with a hyphen."
  }
}

variable "vpc_id" {
  description = "ID of the VPC."
  type        = string
}

variable "vpc_cidr_block" {
  description = "CIDR block of the VPC; the load balancer may only reach the target port inside it."
  type        = string
}

variable "subnet_ids" {
  description = "Public subnets, one per availability zone (at least two)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "An application load balancer needs subnets in at least two availability zones."
  }
}

variable "target_port" {
  description = "Port the tasks listen on (the container port)."
  type        = number

  validation {
    condition     = var.target_port >= 1 && var.target_port <= 65535
    error_message = "Use a port from 1 to 65535."
  }
}

variable "health_check" {
  description = "Target-group health check. A new target is healthy after one passing check; the thresholds apply to later changes."
  type = object({
    path                = string
    matcher             = optional(string, "200")
    interval            = optional(number, 15)
    timeout             = optional(number, 5)
    healthy_threshold   = optional(number, 2)
    unhealthy_threshold = optional(number, 3)
  })

  validation {
    condition     = startswith(var.health_check.path, "/") && var.health_check.timeout < var.health_check.interval
    error_message = "The path must start with '/' and the timeout must be shorter than the interval."
  }
}

variable "deregistration_delay" {
  description = "Seconds a draining target keeps its open connections during a deployment."
  type        = number
  default     = 30

  validation {
    condition     = var.deregistration_delay >= 0 && var.deregistration_delay <= 3600
    error_message = "Use 0 to 3600 seconds."
  }
}

variable "enable_deletion_protection" {
  description = "Refuse to delete the load balancer (turn on once the environment must never be destroyed by accident)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource (on top of the provider's default_tags)."
  type        = map(string)
  default     = {}
}
