#!/usr/bin/env bash
# Roll an ECS service to a task-definition revision and wait until that revision is the one running.
#
# Usage: CLUSTER=... SERVICE=... <one of the two modes> .github/scripts/ecs-deploy.sh
#   New image (deploy-environment.yml):
#     TASK_DEFINITION_FILE  RegisterTaskDefinition input: .aws/task-definition.json (production) or
#                           .aws/task-definition.<env>.json
#     CONTAINER_NAME        the container whose image is set
#     IMAGE                 the image to run, e.g. <registry>/<repository>@sha256:<digest>
#     When the service already runs IMAGE (a re-run), nothing is registered: the script only waits.
#   Existing revision (ecs-rollback.sh):
#     TASK_DEFINITION_ARN   family:revision or the revision's ARN
#     A container secret whose valueFrom is rds-master-user-secret:<key>:: gets the ARN of the
#     database's master user secret (RDS manages it, its ARN is random) in its place, read from the
#     RDS instance DATABASE_INSTANCE (default: <family>-db).
#   Optional: POLL_SECONDS (10), DEPLOY_TIMEOUT_SECONDS (900). The AWS CLI's own variables apply
#   (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL, ...).
#
# Succeeds when the target revision's deployment is PRIMARY, its rolloutState COMPLETED and all its
# tasks run; then tags the revision deployed-at=<UTC time> (ecs-rollback.sh looks for that tag).
# Fails, saying why, when the rollout FAILED, the deployment stopped being PRIMARY (ECS rolled it
# back: its circuit breaker, or a deployment alarm; or another deployment replaced it) or the
# timeout passed.
# Prints the revision's ARN on stdout and, when GITHUB_OUTPUT is set, writes task_definition_arn and
# revision there. Progress and errors go to stderr. Needs bash 4.4+, the AWS CLI and jq.
set -euo pipefail
shopt -s inherit_errexit # command substitutions stop at the first failure too

export AWS_PAGER=""
POLL_SECONDS="${POLL_SECONDS:-10}"
DEPLOY_TIMEOUT_SECONDS="${DEPLOY_TIMEOUT_SECONDS:-900}"
SECRET_PLACEHOLDER="rds-master-user-secret:"

log() { echo "ecs-deploy: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# The service's JSON (describe-services), or die when it does not exist.
describe_service() {
  local out
  out="$(aws ecs describe-services --cluster "$CLUSTER" --services "$SERVICE" --output json)"
  jq -e '.services[0].status == "ACTIVE"' <<<"$out" >/dev/null \
    || die "service $SERVICE not found (or not ACTIVE) in cluster $CLUSTER: $(jq -c '.failures' <<<"$out")"
  jq '.services[0]' <<<"$out"
}

# What the service runs now, the last service events, the deployment alarms that fired and why
# the target's recent tasks stopped, to explain a failure.
explain_failure() {
  local service_json="$1" target="$2" primary family tasks alarms
  primary="$(jq -r '[.deployments[]? | select(.status == "PRIMARY") | .taskDefinition] | first // ""' <<<"$service_json")"
  if [[ -n "$primary" && "$primary" != "$target" ]]; then
    log "the service's primary deployment is now $primary (ECS's rollback, or a newer deployment)"
  fi
  log "latest service events (newest first):"
  jq -r '.events[:5][] | "  \(.createdAt) \(.message)"' <<<"$service_json" >&2
  # A rollback on a deployment alarm: name the alarms in ALARM and their reason.
  mapfile -t alarms < <(jq -r '.deploymentConfiguration.alarms // {} | select(.enable == true)
    | .alarmNames[]?' <<<"$service_json")
  if ((${#alarms[@]})); then
    aws cloudwatch describe-alarms --alarm-names "${alarms[@]}" --state-value ALARM --output json 2>/dev/null \
      | jq -r '(.MetricAlarms + .CompositeAlarms)[] | "  deployment alarm \(.AlarmName) is in ALARM: \(.StateReason)"' >&2 \
      || true
  fi
  family="${target##*/}"
  family="${family%:*}"
  # Diagnostics only: when they cannot be read, the failure above still stands.
  mapfile -t tasks < <(aws ecs list-tasks --cluster "$CLUSTER" --family "$family" --desired-status STOPPED \
    --query 'taskArns[:10]' --output json 2>/dev/null | jq -r '.[]' || true)
  ((${#tasks[@]})) || return 0
  log "recently stopped tasks of $target:"
  aws ecs describe-tasks --cluster "$CLUSTER" --tasks "${tasks[@]}" --output json 2>/dev/null \
    | jq -r --arg td "$target" '.tasks[] | select(.taskDefinitionArn == $td)
        | "  \(.stoppedReason // "-")"
          + ([.containers[] | "; \(.name): exit code \(.exitCode // "-") \(.reason // "")"] | join(""))' >&2 \
    || true
}

# Poll until the deployment of $1 (a task-definition ARN) completes; fail as soon as it cannot.
wait_for_rollout() {
  local target="$1" deadline=$((SECONDS + DEPLOY_TIMEOUT_SECONDS)) settle=$((SECONDS + 30))
  local service_json line state detail last=""
  while :; do
    service_json="$(describe_service)"
    # One line: a state word, a tab, then what a person needs to know.
    line="$(jq -r --arg td "$target" '
      (.deployments // []) as $all
      | ([$all[] | select(.taskDefinition == $td)] | first) as $d
      | if $d == null then
          ["GONE", "the service has no deployment of it (rolled back, or replaced by another deployment)"]
        elif $d.status != "PRIMARY" then
          ["FAILED", "its deployment is \($d.status), no longer PRIMARY (rollout \($d.rolloutState // "-"): \($d.rolloutStateReason // "-"))"]
        elif $d.rolloutState == "FAILED" then
          ["FAILED", "rollout FAILED: \($d.rolloutStateReason // "-")"]
        elif $d.rolloutState == "COMPLETED" and $d.runningCount == $d.desiredCount then
          ["COMPLETED", "\($d.runningCount)/\($d.desiredCount) tasks running"]
        else
          ["WAIT", "rollout \($d.rolloutState // "-"): \($d.runningCount)/\($d.desiredCount) running, \($d.pendingCount) pending, \($d.failedTasks // 0) failed tasks; \($all | length) deployment(s)"]
        end
      | @tsv' <<<"$service_json")"
    IFS=$'\t' read -r state detail <<<"$line"
    # ECS reads are eventually consistent: a deployment just created may not be listed yet.
    if [[ "$state" == GONE ]] && ((SECONDS < settle)); then
      state=WAIT
      detail="waiting for the deployment to appear"
    fi
    case "$state" in
      COMPLETED)
        log "$target: rollout completed, $detail"
        return 0
        ;;
      FAILED | GONE)
        log "error: $target: $detail"
        explain_failure "$service_json" "$target"
        return 1
        ;;
    esac
    [[ "$detail" == "$last" ]] || log "$detail"
    last="$detail"
    if ((SECONDS >= deadline)); then
      log "error: $target: no completed rollout after ${DEPLOY_TIMEOUT_SECONDS}s; last state: $detail"
      explain_failure "$service_json" "$target"
      return 1
    fi
    sleep "$POLL_SECONDS"
  done
}

# The ARN of the master user secret of the database named in TASK_DEFINITION_FILE, or "" when no
# container secret refers to it.
database_secret_arn() {
  local instance arn
  jq -e --arg prefix "$SECRET_PLACEHOLDER" \
    'any(.containerDefinitions[].secrets[]?; .valueFrom | startswith($prefix))' \
    "$TASK_DEFINITION_FILE" >/dev/null || return 0
  instance="${DATABASE_INSTANCE:-$(jq -r '.family' "$TASK_DEFINITION_FILE")-db}"
  # AWS CLI v1's rds commands ignore AWS_ENDPOINT_URL (an emulator's, or a VPC endpoint's): pass it on.
  arn="$(aws rds describe-db-instances --db-instance-identifier "$instance" \
    ${AWS_ENDPOINT_URL:+--endpoint-url "$AWS_ENDPOINT_URL"} \
    --query 'DBInstances[0].MasterUserSecret.SecretArn' --output text)"
  [[ "$arn" == arn:* ]] \
    || die "database $instance has no RDS-managed master user secret (got \"$arn\"): apply infra/ first"
  echo "$arn"
}

# Register TASK_DEFINITION_FILE with IMAGE in CONTAINER_NAME (and the database secret's ARN in place
# of its placeholder); print the new revision's ARN.
register() {
  local input="$work_dir/task-definition.json" arn secret
  secret="$(database_secret_arn)"
  jq --arg name "$CONTAINER_NAME" --arg image "$IMAGE" --arg prefix "$SECRET_PLACEHOLDER" --arg secret "$secret" '
    if any(.containerDefinitions[]; .name == $name) then
      .containerDefinitions |= map(
        (if .name == $name then .image = $image else . end)
        | if has("secrets") then .secrets |= map(
            if (.valueFrom | startswith($prefix)) then .valueFrom = "\($secret):\(.valueFrom | ltrimstr($prefix))"
            else . end) else . end)
    else error("no container named \($name) in the task definition") end' \
    "$TASK_DEFINITION_FILE" >"$input"
  arn="$(aws ecs register-task-definition --cli-input-json "file://$input" \
    --query 'taskDefinition.taskDefinitionArn' --output text)"
  log "registered $arn"
  echo "$arn"
}

main() {
  : "${CLUSTER:?set CLUSTER to the ECS cluster name}" "${SERVICE:?set SERVICE to the ECS service name}"
  work_dir="$(mktemp -d)"
  trap 'rm -rf "$work_dir"' EXIT
  local current target
  current="$(describe_service | jq -r '.taskDefinition')"

  if [[ -n "${TASK_DEFINITION_ARN:-}" ]]; then
    [[ -z "${TASK_DEFINITION_FILE:-}${IMAGE:-}" ]] \
      || die "set either TASK_DEFINITION_ARN or TASK_DEFINITION_FILE with IMAGE, not both"
    target="$(aws ecs describe-task-definition --task-definition "$TASK_DEFINITION_ARN" \
      --query 'taskDefinition.taskDefinitionArn' --output text)"
  else
    : "${TASK_DEFINITION_FILE:?set TASK_DEFINITION_FILE (or TASK_DEFINITION_ARN)}"
    : "${IMAGE:?set IMAGE to the image to deploy}" "${CONTAINER_NAME:?set CONTAINER_NAME}"
    [[ -r "$TASK_DEFINITION_FILE" ]] || die "cannot read $TASK_DEFINITION_FILE"
    local running_image
    running_image="$(aws ecs describe-task-definition --task-definition "$current" --output json \
      | jq -r --arg name "$CONTAINER_NAME" \
        '[.taskDefinition.containerDefinitions[] | select(.name == $name) | .image] | first // ""')"
    if [[ "$running_image" == "$IMAGE" ]]; then
      log "the service already runs $IMAGE ($current): nothing to register"
      target="$current"
    else
      target="$(register)"
    fi
  fi

  if [[ "$target" != "$current" ]]; then
    log "updating $SERVICE from $current to $target"
    aws ecs update-service --cluster "$CLUSTER" --service "$SERVICE" --task-definition "$target" \
      --query 'service.serviceArn' --output text >/dev/null
  fi

  wait_for_rollout "$target"

  aws ecs tag-resource --resource-arn "$target" \
    --tags "key=deployed-at,value=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    || die "$target runs, but tagging it failed: ecs-rollback.sh will not offer it as a target"

  echo "$target"
  if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
    {
      echo "task_definition_arn=$target"
      echo "revision=${target##*:}"
    } >>"$GITHUB_OUTPUT"
  fi
}

main "$@"
