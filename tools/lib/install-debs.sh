# Sourced by tools/install-*-deps.sh: install_debs PART PACKAGE... installs the Debian
# packages a sandbox part needs. Idempotent: when they are all there it only checks.
# Needs root on a Debian-like system; elsewhere it says why and returns 0, and
# `sandbox up` then runs without PART. --no-install-recommends, and no package's own
# service is started (policy-rc.d): the sandbox runs what it needs itself.
install_debs() {
  local part=$1 p missing=()
  shift
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0

  if [ "$(uname -s)" != Linux ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "note: not a Debian-like Linux; the sandbox runs without $part (missing: ${missing[*]})" >&2
    return 0
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "note: not root; the sandbox runs without $part. As root: apt-get install ${missing[*]}" >&2
    return 0
  fi
  echo "installing ${missing[*]}..." >&2
  local t0=$SECONDS policy=/usr/sbin/policy-rc.d made_policy=
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && made_policy=1
  fi
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null || {
    [ -n "$made_policy" ] && rm -f "$policy"
    return 1
  }
  [ -n "$made_policy" ] && rm -f "$policy"
  echo "installed ${missing[*]} in $((SECONDS - t0)) s" >&2
}
