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
  description = "Target-group health check. A new target is healthy after one passing check; the thresholds apply to later changes. timeout null: 5 s, or interval - 1 when shorter."
  type = object({
    path                = string
    matcher             = optional(string, "200")
    interval            = optional(number, 15)
    timeout             = optional(number)
    healthy_threshold   = optional(number, 2)
    unhealthy_threshold = optional(number, 3)
  })

  validation {
    condition     = startswith(var.health_check.path, "/") && var.health_check.interval >= 5 && var.health_check.interval <= 300
    error_message = "The path must start with '/' and the interval be 5 to 300 seconds."
  }

  validation {
    condition     = var.health_check.timeout == null || try(var.health_check.timeout >= 2 && var.health_check.timeout < var.health_check.interval, false)
    error_message = "The timeout must be at least 2 seconds and shorter than the interval."
  }

  validation {
    condition     = alltrue([for t in [var.health_check.healthy_threshold, var.health_check.unhealthy_threshold] : t >= 2 && t <= 10])
    error_message = "Health-check thresholds are 2 to 10."
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

variable "https" {
  description = "HTTPS on :443 with this (validated) ACM certificate, and :80 redirecting to it; null serves plain HTTP on :80."
  type = object({
    certificate_arn = string
  })
  default = null
}

variable "ssl_policy" {
  description = "Security policy of the HTTPS listener: TLS 1.3 and 1.2 with forward secrecy by default."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"

  validation {
    condition     = startswith(var.ssl_policy, "ELBSecurityPolicy-TLS13-") || startswith(var.ssl_policy, "ELBSecurityPolicy-FS-1-2-")
    error_message = "Use a policy without TLS 1.0 and 1.1, e.g. ELBSecurityPolicy-TLS13-1-2-2021-06."
  }
}

variable "dns_alias" {
  description = "An alias A record that points name at the load balancer, in the Route 53 zone zone_id; null for none."
  type = object({
    zone_id = string
    name    = string
  })
  default = null
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
