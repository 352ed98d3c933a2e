output "state_bucket" {
  description = "S3 bucket of the Terraform state (environments/<env>.s3.tfbackend)."
  value       = aws_s3_bucket.state.bucket
}

output "state_kms_key_arn" {
  description = "KMS key the state bucket encrypts objects with."
  value       = aws_kms_key.state.arn
}

output "ecr_repository_url" {
  description = "ECR repository the images are pushed to."
  value       = aws_ecr_repository.app.repository_url
}

output "plan_role_arn" {
  description = "Role for read-only plans (pull requests and main)."
  value       = aws_iam_role.plan.arn
}

output "build_role_arn" {
  description = "Role that pushes images to ECR (main)."
  value       = aws_iam_role.build.arn
}

output "deploy_role_arns" {
  description = "Role that applies and deploys, by environment."
  value       = { for env, role in aws_iam_role.deploy : env => role.arn }
}

output "boundary_policy_arns" {
  description = "Permissions boundary every role a deploy role creates carries, by environment."
  value       = { for env, policy in aws_iam_policy.boundary : env => policy.arn }
}
