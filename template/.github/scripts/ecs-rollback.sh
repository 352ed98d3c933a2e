#!/usr/bin/env bash
# Roll an ECS service back to an earlier task-definition revision and wait until it runs.
#
# Usage: CLUSTER=... SERVICE=... [REVISION=...] .github/scripts/ecs-rollback.sh
#   REVISION  a revision number, family:revision or a task-definition ARN, always of the family the
#             service runs. Empty: the newest revision older than the running one that carries the
#             deployed-at tag, i.e. that completed a deployment (ecs-deploy.sh tags those).
#   Optional: POLL_SECONDS, DEPLOY_TIMEOUT_SECONDS, and the AWS CLI's own variables, as ecs-deploy.sh.
#
# The rollout and the wait are ecs-deploy.sh's (TASK_DEFINITION_ARN mode), so both scripts judge
# success the same way; its outputs (stdout, GITHUB_OUTPUT) are this script's outputs.
set -euo pipefail
shopt -s inherit_errexit # command substitutions stop at the first failure too

export AWS_PAGER=""

log() { echo "ecs-rollback: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# Whether revision $1 completed a deployment; dies when its tags cannot be read.
has_deployed_tag() {
  local tags
  tags="$(aws ecs list-tags-for-resource --resource-arn "$1" --output json)" || die "cannot read the tags of $1"
  jq -e '[.tags[]? | select(.key == "deployed-at")] | length > 0' <<<"$tags" >/dev/null
}

main() {
  : "${CLUSTER:?set CLUSTER to the ECS cluster name}" "${SERVICE:?set SERVICE to the ECS service name}"
  local current family current_revision prefix target="" arns arn revision
  current="$(aws ecs describe-services --cluster "$CLUSTER" --services "$SERVICE" \
    --query 'services[0].taskDefinition' --output text)"
  [[ "$current" == arn:*:task-definition/*:* ]] || die "service $SERVICE not found in cluster $CLUSTER"
  prefix="${current%/*}/" # arn:<partition>:ecs:<region>:<account>:task-definition/
  family="${current##*/}"
  family="${family%:*}"
  current_revision="${current##*:}"
  log "$SERVICE runs $family:$current_revision"

  local requested="${REVISION:-}"
  if [[ -n "$requested" ]]; then
    # The input comes from a person: accept the three documented shapes of this family only.
    if [[ "$requested" =~ ^[0-9]+$ ]]; then
      target="$prefix$family:$requested"
    elif [[ "$requested" =~ ^([A-Za-z0-9_-]+):([0-9]+)$ && "${BASH_REMATCH[1]}" == "$family" ]]; then
      target="$prefix$requested"
    elif [[ "$requested" =~ ^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:task-definition/([A-Za-z0-9_-]+):[0-9]+$ \
      && "$requested" == "$prefix"* && "${BASH_REMATCH[1]}" == "$family" ]]; then
      target="$requested"
    else
      die "REVISION '$requested' is not a number, $family:<number> or an ARN of $prefix$family"
    fi
    has_deployed_tag "$target" \
      || log "warning: $target never completed a deployment (no deployed-at tag); rolling back to it anyway"
  else
    # Newest first; list-task-definitions matches family *prefixes*, so keep the exact family only.
    arns="$(aws ecs list-task-definitions --family-prefix "$family" --sort DESC --output json \
      | jq -r --arg family "$family" '.taskDefinitionArns[] | select(sub(".*/"; "") | sub(":[0-9]+$"; "") == $family)')"
    while read -r arn; do
      [[ -n "$arn" ]] || continue
      revision="${arn##*:}"
      ((revision < current_revision)) || continue
      if has_deployed_tag "$arn"; then
        target="$arn"
        break
      fi
    done <<<"$arns"
    [[ -n "$target" ]] \
      || die "no revision of $family older than $current_revision carries the deployed-at tag; set REVISION"
  fi

  log "rolling $SERVICE back to $target"
  unset TASK_DEFINITION_FILE IMAGE CONTAINER_NAME
  TASK_DEFINITION_ARN="$target" exec "$(dirname "${BASH_SOURCE[0]}")/ecs-deploy.sh"
}

main "$@"
