variable "name" {
  description = "<project>-<environment>: the dashboard's name and the prefix of the alarms and the SNS topic."
  type        = string
}

variable "load_balancer_arn_suffix" {
  description = "ARN suffix of the load balancer (app/<name>/<id>)."
  type        = string
}

variable "target_group_arn_suffix" {
  description = "ARN suffix of the target group (targetgroup/<name>/<id>)."
  type        = string
}

variable "cluster_name" {
  description = "Name of the ECS cluster."
  type        = string
}

variable "service_name" {
  description = "Name of the ECS service."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the SNS topic; its key policy must let cloudwatch.amazonaws.com use it."
  type        = string
}

variable "email" {
  description = "Address subscribed to the alarms' topic (it must confirm); empty for none."
  type        = string
  default     = ""

  validation {
    condition     = var.email == "" || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.email))
    error_message = "Use an email address such as oncall@example.com, or \"\" for none."
  }
}

variable "thresholds" {
  description = "Alarm thresholds: 5xx share of requests (%), p95 response time (s), CPU and memory of the service (%)."
  type = object({
    error_rate_percent  = optional(number, 5)
    latency_p95_seconds = optional(number, 1)
    cpu_percent         = optional(number, 85)
    memory_percent      = optional(number, 85)
  })
  default = {}

  validation {
    condition     = var.thresholds.error_rate_percent > 0 && var.thresholds.latency_p95_seconds > 0 && var.thresholds.cpu_percent > 0 && var.thresholds.memory_percent > 0
    error_message = "Thresholds must be above 0."
  }
}

variable "container_insights" {
  description = "Container Insights is on for the cluster: the dashboard adds its task counts."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags added to every resource (on top of the provider's default_tags)."
  type        = map(string)
  default     = {}
}
