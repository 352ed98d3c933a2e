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

variable "github_owner_id" {
  description = "GitHub's numeric ID of the repository's owner. With github_repository_id, the roles trust only the customised OIDC subject that .github/scripts/github-setup.sh sets, which names both IDs and the workflow file; 0: the legacy name-only subject."
  type        = number
  default     = 0

  validation {
    condition     = var.github_owner_id >= 0 && floor(var.github_owner_id) == var.github_owner_id
    error_message = "Use the owner's numeric ID (gh api repos/OWNER/REPO --jq .owner.id), or 0."
  }
}

variable "github_repository_id" {
  description = "GitHub's numeric ID of the repository; set with github_owner_id, or both 0."
  type        = number
  default     = 0

  validation {
    condition     = var.github_repository_id >= 0 && floor(var.github_repository_id) == var.github_repository_id && (var.github_repository_id == 0) == (var.github_owner_id == 0)
    error_message = "Use the repository's numeric ID (gh api repos/OWNER/REPO --jq .id) together with github_owner_id, or both 0."
  }
}

variable "deploy_branch" {
  description = "The branch whose workflows may build the image and deploy."
  type        = string
  default     = "main"

  validation {
    condition     = can(regex("^[A-Za-z0-9._/@+-]{1,100}$", var.deploy_branch)) && !strcontains(var.deploy_branch, "..")
    error_message = "Use a git branch name without wildcards, e.g. main."
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
