#!/usr/bin/env bash
# Keep deploys in commit order: a deploy never replaces a newer release with an older one.
#
# Usage:
#   CLUSTER=... SERVICE=... .github/scripts/deploy-order.sh check
#     Before anything changes (deploy-environment.yml runs it before terraform apply): fails when the
#     commit running in the service is a descendant of (newer than) the commit being deployed, as when
#     an older workflow run is re-run. Going back is the rollback workflow's job (rollback.yml).
#   TASK_DEFINITION_ARN=... .github/scripts/deploy-order.sh record
#     After the rollout completed (ecs-deploy.sh): tags the revision deployed-commit=<commit>, the tag
#     `check` reads. A rollback redeploys a revision with the commit it was first deployed from.
#   DEPLOY_SHA  the commit being deployed (default: GITHUB_SHA, which a re-run keeps).
#   The AWS CLI's own variables apply (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL, ...).
#
# The order is git's: `git merge-base --is-ancestor`, in a checkout with the branch's full history
# (actions/checkout with fetch-depth: 0); a shallow checkout fails rather than guess. Allowed: the
# first deploy (no service, or a revision without the tag: deployed before this check existed), a
# re-run of the running commit, a descendant of it. Allowed with a warning: history rewritten since
# (the running commit is not in the checkout, or neither commit descends from the other). Errors go
# to stderr, with an `::error::` line for the run's annotations. Needs bash 4.4+, git, the AWS CLI, jq.
set -euo pipefail
shopt -s inherit_errexit # command substitutions stop at the first failure too

export AWS_PAGER=""
TAG=deployed-commit
# The runner reads ::error:: and ::warning:: from the step's stdout: keep it reachable as fd 3, even
# from inside a command substitution.
exec 3>&1

log() { echo "deploy-order: $*" >&2; }
die() {
  echo "::error title=deploy order::$*" >&3
  log "error: $*"
  exit 1
}
warn() {
  echo "::warning title=deploy order::$*" >&3
  log "warning: $*"
}

deploy_sha() {
  local sha="${DEPLOY_SHA:-${GITHUB_SHA:-}}"
  [[ "$sha" =~ ^[0-9a-f]{40}$ ]] || die "set DEPLOY_SHA (or GITHUB_SHA) to the 40-hex commit being deployed, not '$sha'"
  echo "$sha"
}

# The task-definition ARN the service runs, or nothing when the cluster or service does not exist yet.
running_revision() {
  local out
  if ! out="$(aws ecs describe-services --cluster "$CLUSTER" --services "$SERVICE" --output json 2>&1)"; then
    [[ "$out" == *ClusterNotFoundException* ]] && return 0
    die "cannot read service $SERVICE in cluster $CLUSTER: $out"
  fi
  jq -r '[.services[]? | select(.status == "ACTIVE") | .taskDefinition] | first // ""' <<<"$out"
}

# The deployed-commit tag of revision $1, or nothing.
recorded_commit() {
  local tags
  tags="$(aws ecs list-tags-for-resource --resource-arn "$1" --output json)" || die "cannot read the tags of $1"
  jq -r --arg key "$TAG" '[.tags[]? | select(.key == $key) | .value] | first // ""' <<<"$tags"
}

is_commit() { git cat-file -e "$1^{commit}" 2>/dev/null; }

check() {
  : "${CLUSTER:?set CLUSTER to the ECS cluster name}" "${SERVICE:?set SERVICE to the ECS service name}"
  local sha revision running
  sha="$(deploy_sha)"
  git rev-parse --git-dir >/dev/null 2>&1 || die "$PWD is not a git checkout: check out the repository first"
  [[ "$(git rev-parse --is-shallow-repository)" == false ]] \
    || die "the checkout is shallow, so the order of commits is unknown: check out with fetch-depth: 0"

  revision="$(running_revision)"
  if [[ -z "$revision" ]]; then
    log "$SERVICE does not run yet in $CLUSTER: first deploy of $sha"
    return 0
  fi
  running="$(recorded_commit "$revision")"
  if [[ -z "$running" ]]; then
    log "$revision carries no $TAG tag (deployed before deploy-order.sh existed): deploying $sha"
    return 0
  fi
  [[ "$running" =~ ^[0-9a-f]{40}$ ]] || die "$revision: its $TAG tag '$running' is not a commit SHA"
  if [[ "$running" == "$sha" ]]; then
    log "$SERVICE runs $sha already ($revision): a re-run, allowed"
    return 0
  fi
  if ! is_commit "$running" || ! is_commit "$sha"; then
    warn "cannot order $sha after $running, which $SERVICE runs ($revision): one of them is not in this checkout (history rewritten?); deploying anyway"
    return 0
  fi
  if git merge-base --is-ancestor "$sha" "$running"; then
    die "$SERVICE runs $running ($revision), which is newer than $sha, the commit of this run: refusing to replace a newer release with an older one (a re-run of an older workflow run?). To go back, use the rollback workflow (rollback.yml); to deploy again, push or re-run the newest commit."
  fi
  if git merge-base --is-ancestor "$running" "$sha"; then
    log "$sha descends from $running, which $SERVICE runs ($revision): allowed"
  else
    warn "$sha does not descend from $running, which $SERVICE runs ($revision), nor the reverse (history rewritten?); deploying anyway"
  fi
}

record() {
  : "${TASK_DEFINITION_ARN:?set TASK_DEFINITION_ARN to the revision that now runs}"
  local sha
  sha="$(deploy_sha)"
  aws ecs tag-resource --resource-arn "$TASK_DEFINITION_ARN" --tags "key=$TAG,value=$sha" \
    || die "$TASK_DEFINITION_ARN runs, but tagging it $TAG=$sha failed: the next deploy cannot check its order"
  log "$TASK_DEFINITION_ARN: $TAG=$sha"
}

case "${1:-}" in
  check) check ;;
  record) record ;;
  *)
    echo "usage: $0 check|record (see the comment at the top)" >&2
    exit 2
    ;;
esac
