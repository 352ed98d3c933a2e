terraform {
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }

  # Partial configuration: `terraform init -backend-config=environments/<env>.s3.tfbackend` sets
  # bucket, key, region and use_lockfile. No `encrypt`: it would ask S3 for SSE-S3 and override the
  # bucket's default SSE-KMS with the state key, which is what encrypts the state.
  backend "s3" {}
}
