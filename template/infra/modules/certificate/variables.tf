variable "domain" {
  description = "Name the service answers on (e.g. api.example.com)."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain)) && length(var.domain) <= 253
    error_message = "Use a lowercase host name such as api.example.com (no wildcard)."
  }
}

variable "hosted_zone" {
  description = "Route 53 public hosted zone that holds domain (e.g. example.com)."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.hosted_zone))
    error_message = "Use the zone's name, such as example.com, without a trailing dot."
  }
}

variable "tags" {
  description = "Tags added to the certificate (on top of the provider's default_tags)."
  type        = map(string)
  default     = {}
}
