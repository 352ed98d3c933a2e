#!/usr/bin/env bash
# Prepare this machine for tests/test_containers.py: podman and its configuration, and stand-ins for
# the base images the kit's Dockerfiles name (no image registry is reachable here).
#
# Usage (as root): bash tests/containers/setup.sh
# Idempotent. Each stand-in is a Debian bookworm root filesystem (mmdebstrap --variant=minbase) with
# Debian's Node.js and npm or OpenJDK 17, imported into podman and finished by a FROM-scratch build
# that reproduces what the kit relies on in the real image: ENTRYPOINT, CMD, PATH, JAVA_HOME and
# /opt/java/openjdk. The root filesystems are cached under $FARGATE_GEN_BASES_CACHE (default
# /var/cache/fargate-gen-bases), keyed by a hash of base-images.txt and this script: they are built
# again only when either changes (about 6 minutes), and imported again only when podman lost them.
# Progress goes to stderr.
set -euo pipefail
shopt -s inherit_errexit

here="$(cd "$(dirname "$0")" && pwd)"
list="$here/base-images.txt"
cache_root="${FARGATE_GEN_BASES_CACHE:-/var/cache/fargate-gen-bases}"
packages=(podman buildah runc conmon netavark aardvark-dns catatonit iptables mmdebstrap)

log() { echo "containers-setup: $*" >&2; }

install_packages() {
  local missing=() package
  for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' \
      || missing+=("$package")
  done
  if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# The settings this kind of machine needs: crun refuses its hybrid cgroups, there is no systemd (no
# cgroup manager, no journal, no timers) and no CAP_SYS_RESOURCE to raise limits above its own.
# Debian's podman would pick CNI, whose plugins it does not install, because of its sample config.
configure_podman() {
  local conf=/etc/containers/containers.conf
  local wanted
  wanted="$(
    cat <<'EOF'
# Written by fargate-gen's tests/containers/setup.sh.
[containers]
default_ulimits = ["nofile=8192:8192", "nproc=4096:4096"]

[network]
network_backend = "netavark"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
EOF
  )"
  if [[ ! -f "$conf" ]] || [[ "$(cat "$conf")" != "$wanted" ]]; then
    [[ -f "$conf" ]] && ! grep -q "fargate-gen" "$conf" && cp "$conf" "$conf.before-fargate-gen"
    mkdir -p /etc/containers
    printf '%s\n' "$wanted" >"$conf"
    log "wrote $conf"
  fi
}

# kind -> Debian packages of its root filesystem.
declare -A debs=(
  [node]="nodejs,npm,ca-certificates"
  [jdk]="openjdk-17-jdk-headless,ca-certificates"
  [jre]="openjdk-17-jre-headless,ca-certificates,curl"
)

# kind -> the Containerfile that turns the imported root filesystem into the stand-in.
containerfile() {
  case "$1" in
    node)
      cat <<'EOF'
FROM localhost/fargate-gen-rootfs-node
# The official image: user node (1000), docker-entrypoint.sh that runs node for a non-command.
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \
    && printf '%s\n' '#!/bin/sh' 'set -e' \
      'if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then' \
      '  set -- node "$@"' 'fi' 'exec "$@"' >/usr/local/bin/docker-entrypoint.sh \
    && chmod 0755 /usr/local/bin/docker-entrypoint.sh
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["node"]
EOF
      ;;
    jdk | jre)
      cat <<EOF
FROM localhost/fargate-gen-rootfs-$1
# The official image: the JDK or JRE in /opt/java/openjdk, first on PATH, and /__cacert_entrypoint.sh.
RUN mkdir -p /opt/java && ln -s /usr/lib/jvm/java-17-openjdk-amd64 /opt/java/openjdk \\
    && printf '%s\n' '#!/bin/sh' 'exec "\$@"' >/__cacert_entrypoint.sh && chmod 0755 /__cacert_entrypoint.sh
ENV JAVA_HOME=/opt/java/openjdk \\
    PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \\
    LANG=C.UTF-8
ENTRYPOINT ["/__cacert_entrypoint.sh"]
$([[ "$1" == jdk ]] && echo 'CMD ["jshell"]')
EOF
      ;;
  esac
}

# Debian bookworm with the kind's packages, as a tar file. Man pages stay: openjdk's postinst
# registers them as alternatives and fails without them.
rootfs() {
  local kind="$1" dir="$2"
  mmdebstrap --quiet --variant=minbase --format=tar --include="${debs[$kind]}" \
    --dpkgopt='path-exclude=/usr/share/doc/*' bookworm "$dir/$kind.tar.partial"
  mv "$dir/$kind.tar.partial" "$dir/$kind.tar"
}

main() {
  [[ "$(id -u)" == 0 ]] || { log "run me as root"; exit 1; }
  install_packages
  configure_podman

  local key dir kind name kinds
  context="$(mktemp -d)"
  trap 'rm -rf "$context"' EXIT
  key="$(cat "$list" "$0" | sha256sum | cut -c1-16)"
  dir="$cache_root/$key"
  mkdir -p "$dir"
  kinds="$(grep -v '^#' "$list" | awk 'NF {print $1}' | sort -u)"

  # One image per kind, tagged with the key: anything older is rebuilt. The root filesystems are
  # built side by side (mostly downloads and dpkg waiting on the disk).
  local missing=() pids=() pid
  for kind in $kinds; do
    podman image exists "localhost/fargate-gen-base-$kind:$key" && continue
    missing+=("$kind")
    if [[ ! -s "$dir/$kind.tar" ]]; then
      log "building the $kind root filesystem (mmdebstrap ${debs[$kind]}); a few minutes"
      rootfs "$kind" "$dir" &
      pids+=("$!")
    fi
  done
  for pid in "${pids[@]}"; do
    wait "$pid" || { log "mmdebstrap failed (see above)"; exit 1; }
  done
  for kind in "${missing[@]}"; do
    log "importing $kind"
    podman import --quiet "$dir/$kind.tar" "localhost/fargate-gen-rootfs-$kind" >/dev/null
    containerfile "$kind" | BUILDAH_FORMAT=docker podman build --quiet --network=none --pull=never \
      --tag "localhost/fargate-gen-base-$kind:$key" -f - "$context" >/dev/null
  done

  # Every name the Dockerfiles use points at its kind's stand-in.
  while read -r kind name; do
    [[ -z "$kind" || "$kind" == \#* ]] && continue
    podman tag "localhost/fargate-gen-base-$kind:$key" "docker.io/library/$name"
  done <"$list"

  # Older keys' root filesystems are dead weight.
  find "$cache_root" -mindepth 1 -maxdepth 1 -type d ! -name "$key" -exec rm -rf {} +
  log "base images ready (key $key)"
}

main "$@"
