variable "name" {
  description = "Alias of the key, without the alias/ prefix (e.g. riderapp-prod)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9/_-]+$", var.name)) && !startswith(var.name, "aws/")
    error_message = "Use letters, digits, '/', '_' and '-'; the aws/ prefix is reserved for AWS managed keys."
  }
}

variable "description" {
  description = "Description of the key."
  type        = string
  default     = "Encrypts the environment's logs, SSM SecureStrings, RDS storage, alarm notifications and ECS Exec sessions"
}

variable "deletion_window_in_days" {
  description = "Days a deleted key can still be recovered before KMS destroys it."
  type        = number
  default     = 30

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30
    error_message = "KMS accepts 7 to 30 days."
  }
}

variable "tags" {
  description = "Tags added to the key (on top of the provider's default_tags)."
  type        = map(string)
  default     = {}
}

variable "allow_cloudwatch_alarms" {
  description = "Let CloudWatch alarms use the key, to publish to an SNS topic it encrypts."
  type        = bool
  default     = false
}
