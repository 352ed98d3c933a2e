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
  description = "Kind of backend: java-spring-boot or node-backend."
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
  description = "Number of tasks the service keeps running."
  type        = number
  default     = 2

  validation {
    condition     = var.desired_count >= 1 && var.desired_count <= 100
    error_message = "Use 1 to 100."
  }
}

variable "image" {
  description = "Image of the first task-definition revision; CI passes the one it has just pushed (<registry>/<project_name>:<git sha>)."
  type        = string
}

variable "task_definition_file" {
  description = "Path of the task-definition JSON; null means ../.aws/task-definition.json from this directory."
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
  description = "Refuse to delete the database; set to false and apply before a destroy."
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

variable "health_check_grace_period_seconds" {
  description = "Seconds ECS ignores failing load-balancer health checks after a task starts; null means 90 for java-spring-boot, 30 for node-backend."
  type        = number
  default     = null
}

variable "tags" {
  description = "Extra tags for every resource (project, environment and managed-by are always set)."
  type        = map(string)
  default     = {}
}
