variable "name" {
  description = "Name of the security group (<project>-<environment>-service)."
  type        = string
}

variable "vpc_id" {
  description = "ID of the VPC."
  type        = string
}

variable "container_port" {
  description = "Port the application container listens on."
  type        = number

  validation {
    condition     = var.container_port >= 1 && var.container_port <= 65535
    error_message = "Use a port from 1 to 65535."
  }
}

variable "load_balancer_security_group_id" {
  description = "Security group of the load balancer, the only source allowed to reach the container port."
  type        = string
}

variable "database_access" {
  description = "Port and CIDR blocks of the database the tasks may connect to; null when there is none."
  type = object({
    port        = number
    cidr_blocks = list(string)
  })
  default = null
}

variable "tags" {
  description = "Tags added to the security group (on top of the provider's default_tags)."
  type        = map(string)
  default     = {}
}
