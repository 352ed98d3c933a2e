#!/usr/bin/env bash
# Print the sha256 digest of what a saved Terraform plan would change: every resource change that is
# not a no-op (address, actions, planned values, which of them are unknown or sensitive, what forces
# a replacement) and every output change, as canonical JSON.
#
# Usage: .github/scripts/plan-digest.sh [PLAN]   (PLAN: a saved plan in infra/, default tfplan)
#
# deploy-environment.yml shows a plan in its plan job and keeps only this digest: the plan file, which
# holds the state, never leaves that job. The deploy job plans again with its own role and applies
# only a plan with the same digest, i.e. exactly the changes that were shown and approved. Needs
# bash, terraform (initialised in infra/) and jq.
set -euo pipefail
shopt -s inherit_errexit # command substitutions stop at the first failure too

plan="${1:-tfplan}"
terraform -chdir=infra show -json "$plan" | jq -cS '{
  resources: [.resource_changes[]? | select(.change.actions != ["no-op"]) | {
    address, actions: .change.actions, after: .change.after, after_unknown: .change.after_unknown,
    after_sensitive: .change.after_sensitive, replace_paths: .change.replace_paths
  }],
  outputs: (.output_changes // {} | map_values({actions, after, after_unknown, after_sensitive}))
}' | sha256sum | cut -d ' ' -f 1
