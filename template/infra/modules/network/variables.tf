variable "name" {
  description = "Prefix of every resource name (<project>-<environment>)."
  type        = string
}

variable "cidr" {
  description = "IPv4 CIDR block of the VPC; /16 to /20 (subnets are 4 bits smaller)."
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition     = can(cidrhost(var.cidr, 0)) && try(tonumber(split("/", var.cidr)[1]) >= 16 && tonumber(split("/", var.cidr)[1]) <= 20, false)
    error_message = "Use an IPv4 CIDR block from /16 to /20, e.g. 10.0.0.0/16."
  }
}

variable "single_nat_gateway" {
  description = "One NAT gateway for both zones (cheaper) instead of one per zone (egress survives the loss of a zone)."
  type        = bool
  default     = true
}

variable "flow_log_kms_key_arn" {
  description = "ARN of the KMS key that encrypts the flow-log group."
  type        = string
}

variable "flow_log_retention_days" {
  description = "Days CloudWatch keeps VPC flow logs."
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
