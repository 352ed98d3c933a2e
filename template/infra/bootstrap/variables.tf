variable "project_name" {
  description = "Base of every resource name; also the ECR repository."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]*(-[a-z0-9]+)*$", var.project_name)) && length(var.project_name) >= 2 && length(var.project_name) <= 20
    error_message = "Use 2-20 lowercase letters, digits and single hyphens, starting with a letter."
  }
}

variable "aws_region" {
  description = "AWS region of the state bucket, the ECR repository and the environments."
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

variable "github_repository" {
  description = "GitHub repository (owner/name) whose workflows may assume the roles."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$", var.github_repository))
    error_message = "Use owner/name as in the repository URL."
  }
}

variable "environments" {
  description = "Environments that get a deploy role (each is also a GitHub environment)."
  type        = list(string)
  default     = ["prod"]

  validation {
    condition     = length(var.environments) > 0 && alltrue([for e in var.environments : can(regex("^[a-z][a-z0-9]{0,6}$", e))])
    error_message = "List at least one environment; each 1-7 lowercase letters and digits, starting with a letter."
  }
}

variable "create_github_oidc_provider" {
  description = "Create the account's GitHub OIDC provider; false when it already exists (there can be only one per account)."
  type        = bool
  default     = true
}

variable "ecr_force_delete" {
  description = "Let `terraform destroy` delete the ECR repository while it still holds images."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Extra tags for every resource (project and managed-by are always set)."
  type        = map(string)
  default     = {}
}

variable "domains" {
  description = "Environments served on a domain (HTTPS), by name: the domain and its Route 53 public hosted zone, which must exist. Their deploy roles may request the certificate and change those records."
  type = map(object({
    domain      = string
    hosted_zone = string
  }))
  default = {}

  validation {
    condition     = alltrue([for e, d in var.domains : contains(var.environments, e) && (d.domain == d.hosted_zone || endswith(d.domain, ".${d.hosted_zone}"))])
    error_message = "Each key must be one of environments, and each domain must be inside its hosted_zone."
  }
}

variable "alarm_email_subscription" {
  description = "The alarm topics have an email subscription: the deploy roles may manage it (and every role read it), which SNS only allows on all subscriptions."
  type        = bool
  default     = false
}
