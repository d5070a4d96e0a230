#!/usr/bin/env bash
# Fetches Debian packages into the cache and unpacks them there, without installing
# anything on the machine: tools/fetch-debs.sh NAME PACKAGE...
# The named packages and whichever of their dependencies this machine lacks are
# downloaded with apt-get and unpacked with dpkg -x into
# $ACK_COMPONENTS_CACHE/debs/NAME/root; programs run from there with LD_LIBRARY_PATH.
# Does nothing when that root is already complete; without apt-get it says so and the
# sandbox runs without the part.
set -euo pipefail
name=$1
shift
cache=${ACK_COMPONENTS_CACHE:-$HOME/.cache/ack-components}
dir="$cache/debs/$name"
[ -f "$dir/root/.complete" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "note: not a Debian-like system; the sandbox runs without $name (Debian packages: $*)" >&2
  exit 0
fi
t0=$SECONDS
rm -rf "$dir"
mkdir -p "$dir/debs" "$dir/root"
simulate() { apt-get -s install --no-install-recommends "$@" 2>/dev/null | sed -n 's/^Inst \([^ ]*\) .*/\1/p'; }
missing=$(simulate "$@") || true
if [ -z "$missing" ] && ! apt-cache show "$1" >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] && apt-get update -q >/dev/null
  missing=$(simulate "$@")
fi
# shellcheck disable=SC2086
packages=$(printf '%s\n' "$@" $missing | sort -u)
echo "fetching $name: $(echo $packages)" >&2
# shellcheck disable=SC2086
(cd "$dir/debs" && apt-get download -q -o APT::Sandbox::User=root $packages >/dev/null) || {
  echo "error: could not download the Debian packages for $name (see apt-get's message above)" >&2
  exit 4
}
for deb in "$dir"/debs/*.deb; do dpkg -x "$deb" "$dir/root"; done
touch "$dir/root/.complete"
echo "fetched $name in $((SECONDS - t0)) s, $(du -sm "$dir/root" | cut -f1) MB" >&2
