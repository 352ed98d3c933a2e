#!/usr/bin/env bash
# Build the application's image once per commit, push it to ECR and print its digest reference.
#
# Usage: IMAGE=... [PUSH=...] .github/scripts/build-image.sh
#   IMAGE  <registry>/<repository>:<tag>; deploy.yml tags with the commit SHA (the tags are immutable)
#   PUSH   true (default): when ECR already has the tag (a re-run) nothing is built; otherwise the
#            image is built and pushed. Either way its digest is looked up in ECR, the reference
#            <registry>/<repository>@sha256:... is printed on stdout (last line) and, when
#            GITHUB_OUTPUT is set, written there as `image`, with the bare digest as `digest`.
#          false: build only (ci.yml); no AWS call, no output.
#   Docker must be logged in to the registry (amazon-ecr-login); the AWS CLI's own variables apply
#   (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL, ...). Progress and errors go to stderr.
set -euo pipefail
shopt -s inherit_errexit # command substitutions stop at the first failure too

export AWS_PAGER=""

log() { echo "build-image: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

main() {
  : "${IMAGE:?set IMAGE to <registry>/<repository>:<tag>}"
  local push="${PUSH:-true}"
  if [[ "$push" == false ]]; then
    docker build --tag "$IMAGE" . >&2
    return
  fi
  [[ "$push" == true ]] || die "PUSH is '$push'; use true or false"
  [[ "$IMAGE" =~ ^([^/]+)/([^:@]+):([A-Za-z0-9_][A-Za-z0-9_.-]*)$ ]] \
    || die "IMAGE '$IMAGE' is not <registry>/<repository>:<tag>"
  local registry="${BASH_REMATCH[1]}" repository="${BASH_REMATCH[2]}" tag="${BASH_REMATCH[3]}" out digest

  # A re-run finds its image already pushed; an immutable tag cannot be pushed twice.
  if out="$(aws ecr describe-images --repository-name "$repository" --image-ids "imageTag=$tag" \
    --output json 2>&1)"; then
    echo "::notice::$IMAGE already exists; not building it again"
  elif [[ "$out" == *ImageNotFoundException* ]]; then
    docker build --tag "$IMAGE" . >&2
    docker push "$IMAGE" >&2
  else
    die "cannot look up $IMAGE in ECR: $out"
  fi

  digest="$(aws ecr describe-images --repository-name "$repository" --image-ids "imageTag=$tag" \
    --query 'imageDetails[0].imageDigest' --output text)"
  [[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]] || die "ECR reports no digest for $IMAGE (got '$digest')"
  log "$IMAGE is $registry/$repository@$digest"
  echo "$registry/$repository@$digest"
  if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
    {
      echo "image=$registry/$repository@$digest"
      echo "digest=$digest"
    } >>"$GITHUB_OUTPUT"
  fi
}

main "$@"
