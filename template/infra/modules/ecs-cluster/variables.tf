variable "name" {
  description = "Name of the cluster (<project>-<environment>-cluster)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,255}$", var.name))
    error_message = "Use up to 255 letters, digits, hyphens and underscores."
  }
}

variable "enable_container_insights" {
  description = "CloudWatch Container Insights on the cluster."
  type        = bool
  default     = true
}

variable "enable_execute_command" {
  description = "ECS Exec: sessions encrypted with kms_key_arn and logged to exec_log_group_name."
  type        = bool
  default     = false
}

variable "exec_log_group_name" {
  description = "CloudWatch log group of ECS Exec sessions (created when enable_execute_command)."
  type        = string
  default     = null

  validation {
    condition     = var.exec_log_group_name == null ? !var.enable_execute_command : can(regex("^[.\\-_/#A-Za-z0-9]{1,512}$", var.exec_log_group_name))
    error_message = "ECS Exec needs a CloudWatch Logs group name."
  }
}

variable "kms_key_arn" {
  description = "KMS key that encrypts ECS Exec sessions and their log group."
  type        = string
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the ECS Exec logs."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags added to every resource (on top of the provider's default_tags)."
  type        = map(string)
  default     = {}
}
