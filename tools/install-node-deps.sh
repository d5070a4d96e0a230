#!/usr/bin/env bash
# Installs the Debian packages the sandbox node needs (containerd, runc, the CNI
# plugins, iptables). Idempotent: when they are all there it only checks.
# Needs root on a Debian-like system; elsewhere it says why and exits 0, and
# `sandbox up` then runs without a node.
set -euo pipefail
packages=(containerd runc containernetworking-plugins iptables)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(uname -s)" != Linux ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "note: not a Debian-like Linux; the sandbox runs without a node (missing: ${missing[*]})" >&2
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "note: not root; the sandbox runs without a node. As root: apt-get install ${missing[*]}" >&2
  exit 0
fi
echo "installing ${missing[*]}..." >&2
t0=$SECONDS
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# --no-install-recommends: nothing but what the node runs; the package's own
# containerd service is not started (policy-rc.d) and stays disabled.
policy=/usr/sbin/policy-rc.d
made_policy=
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && made_policy=1
fi
trap 'if [ -n "$made_policy" ]; then rm -f "$policy"; fi' EXIT
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
echo "installed ${missing[*]} in $((SECONDS - t0)) s" >&2
