#!/usr/bin/env bash
# Installs the Debian packages the sandbox's component image is built with: debootstrap
# (the base image), podman and buildah (the project's Dockerfile). Idempotent: when they
# are all there it only checks. podman is configured per call by the sandbox (its own
# containers.conf and storage under the cache), so nothing under /etc/containers changes.
# Needs root on a Debian-like system; elsewhere it says why and exits 0, and `sandbox up`
# then runs without the component image.
set -euo pipefail
packages=(debootstrap podman buildah)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(uname -s)" != Linux ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "note: not a Debian-like Linux; the sandbox runs without the component image (missing: ${missing[*]})" >&2
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "note: not root; the sandbox runs without the component image. As root: apt-get install ${missing[*]}" >&2
  exit 0
fi
echo "installing ${missing[*]}..." >&2
t0=$SECONDS
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
echo "installed ${missing[*]} in $((SECONDS - t0)) s" >&2
