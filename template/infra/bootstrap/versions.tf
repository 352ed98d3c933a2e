terraform {
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }

  # Local state on purpose: this root creates the bucket every other root keeps its state in.
  # Keep terraform.tfstate (it holds no secret) or re-import before the next apply.
}
