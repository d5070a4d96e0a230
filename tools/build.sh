#!/usr/bin/env bash
# Builds the sandbox's Go binaries once into a cache outside the clone, keyed
# by version, and does nothing when they are already there.
#   tools/build.sh controlplane   kube-apiserver, kubectl, etcd
#   tools/build.sh controller     ACK sagemaker-controller
#   tools/build.sh node           kubelet, kube-scheduler, kube-controller-manager,
#                                 kube-proxy, and the static programs of the node's
#                                 local images (pause, tinybox)
#   tools/build.sh argo           Argo Workflows' workflow-controller and argoexec
#                                 (the version KFP's backend installs)
#   tools/build.sh kfp            the Kubeflow Pipelines backend: API server, persistence
#                                 agent, scheduled-workflow controller, and the v2 engine's
#                                 driver and launcher
#   tools/build.sh kfp-ui         the Kubeflow Pipelines UI (frontend/ and its server)
#   tools/build.sh training-operator
#                                 Kubeflow's training operator (PyTorchJob and the other
#                                 kubeflow.org/v1 jobs), from the Go module proxy
#   tools/build.sh coredns        CoreDNS, the node's cluster DNS (Services by name, as
#                                 in any cluster: the training operator's workers find
#                                 their master so)
#   tools/build.sh actionlint     actionlint, which `make lint` runs on .github/workflows
#   tools/build.sh crds           unpacks the controller source and downloads the
#                                 training-operator module (they carry the CRDs)
# Cache root: $ACK_COMPONENTS_CACHE (default ~/.cache/ack-components).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../src/ack_components_sandbox/versions.env
. "$here/../src/ack_components_sandbox/versions.env"
cache=${ACK_COMPONENTS_CACHE:-$HOME/.cache/ack-components}
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod

if ! command -v go >/dev/null 2>&1; then
  echo "error: Go is not installed (needed to build the sandbox binaries). Install Go >= 1.25 (https://go.dev/doc/install) or set ACK_COMPONENTS_BIN_DIR to a directory holding prebuilt kube-apiserver, kubectl, etcd and controller." >&2
  exit 3
fi

fail_network() {
  echo "error: could not fetch Go modules for $1. Check access to the Go module proxy (see GOPROXY); details above." >&2
  exit 4
}

fail_npm() {
  echo "error: could not fetch npm packages for $1. Check access to the npm registry (npm config get registry); details above." >&2
  exit 4
}

build() { # <module dir> <package> <output> [ldflags]
  local out=$3 tmp
  [ -x "$out" ] && return 0
  mkdir -p "$(dirname "$out")"
  tmp=$(mktemp "$out.XXXX")
  echo "building $(basename "$out") ($2)..." >&2
  local t0=$SECONDS
  (cd "$1" && go mod download) || fail_network "$2"
  (cd "$1" && go build -trimpath -ldflags "-s -w ${4:-}" -o "$tmp" "$2") || { rm -f "$tmp"; return 1; }
  mv "$tmp" "$out"
  echo "built $out in $((SECONDS - t0)) s, $(du -m "$out" | cut -f1) MB" >&2
}

kube_version_flags() {
  local k=$KUBERNETES_VERSION minor
  minor=$(echo "$k" | cut -d. -f2)
  echo "-X k8s.io/component-base/version.gitVersion=v$k -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
}

controlplane() {
  local k=$KUBERNETES_VERSION ver
  ver=$(kube_version_flags)
  build "$here/controlplane" k8s.io/kubernetes/cmd/kube-apiserver "$cache/bin/kubernetes-$k/kube-apiserver" "$ver"
  build "$here/controlplane" k8s.io/kubernetes/cmd/kubectl "$cache/bin/kubernetes-$k/kubectl" "$ver"
  build "$here/etcd" go.etcd.io/etcd/server/v3 "$cache/bin/etcd-$ETCD_VERSION/etcd"
}

node() {
  local k=$KUBERNETES_VERSION ver cmd
  ver=$(kube_version_flags)
  for cmd in kubelet kube-scheduler kube-controller-manager kube-proxy; do
    build "$here/controlplane" "k8s.io/kubernetes/cmd/$cmd" "$cache/bin/kubernetes-$k/$cmd" "$ver"
  done
  local sum
  sum=$(cat "$here"/images/go.mod "$here"/images/*/*.go | sha256sum | cut -c1-12)
  for cmd in pause tinybox; do
    build "$here/images" "./$cmd" "$cache/bin/images-$sum/$cmd"
  done
}

# The controller's module source, unpacked once into the cache: from the Go module
# proxy, or (where the proxy refuses the module) from the archive or directory named
# by ACK_COMPONENTS_CONTROLLER_SOURCE. Prints the directory.
controller_source() {
  local v=$SAGEMAKER_CONTROLLER_VERSION
  local dir="$cache/src/sagemaker-controller-$v"
  [ -f "$dir/go.mod" ] && { echo "$dir"; return 0; }
  local given=${ACK_COMPONENTS_CONTROLLER_SOURCE:-} staging
  mkdir -p "$(dirname "$dir")"
  staging=$(mktemp -d "$dir.XXXX")
  if [ -z "$given" ]; then
    local mod
    mod=$(go mod download -json "github.com/aws-controllers-k8s/sagemaker-controller@v$v" \
      | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p') || true
    [ -n "$mod" ] || { rm -rf "$staging"; fail_network "sagemaker-controller (or set ACK_COMPONENTS_CONTROLLER_SOURCE to its source archive or directory)"; }
    cp -r "$mod/." "$staging/"
  elif [ -d "$given" ]; then
    cp -r "$given/." "$staging/"
  elif [ -f "$given" ]; then
    local sum
    sum=$(sha256sum "$given" | cut -d' ' -f1)
    if [ "$sum" != "$SAGEMAKER_CONTROLLER_SOURCE_SHA256" ]; then
      rm -rf "$staging"
      echo "error: $given has sha256 $sum, not the pinned $SAGEMAKER_CONTROLLER_SOURCE_SHA256 (sagemaker-controller v$v)" >&2
      exit 5
    fi
    tar -xzf "$given" -C "$staging" --strip-components=1
  else
    rm -rf "$staging"
    echo "error: ACK_COMPONENTS_CONTROLLER_SOURCE=$given is neither a file nor a directory" >&2
    exit 5
  fi
  chmod -R u+w "$staging"
  [ -f "$staging/go.mod" ] || { rm -rf "$staging"; echo "error: no go.mod in the controller source $given" >&2; exit 5; }
  mv "$staging" "$dir"
  echo "$dir"
}

controller() {
  local v=$SAGEMAKER_CONTROLLER_VERSION src
  local out="$cache/bin/sagemaker-controller-$v/controller"
  src=$(controller_source)
  build "$src" ./cmd/controller "$out"
}

# A writable copy of a module from the Go module proxy, once, in the cache (the module
# cache is read-only). Prints the directory. <module> <version> <dir> [fix-up function]
module_copy() {
  local dir=$3 mod staging
  [ -f "$dir/go.mod" ] && { echo "$dir"; return 0; }
  mod=$(go mod download -json "$1@v$2" \
    | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p') || true
  [ -n "$mod" ] || fail_network "$1 v$2"
  mkdir -p "$(dirname "$dir")"
  staging=$(mktemp -d "$dir.XXXX")
  cp -r "$mod/." "$staging/"
  chmod -R u+w "$staging"
  [ -z "${4:-}" ] || "$4" "$staging"
  mv "$staging" "$dir"
  echo "$dir"
}

# Argo's module zip drops the symlink signal_linux.go (the same file as signal_darwin.go),
# in workflow/executor/os-specific (3.3) or workflow/executor/osspecific (3.7).
argo_fixup() {
  local os
  for os in "$1/workflow/executor/os-specific" "$1/workflow/executor/osspecific"; do
    if [ -f "$os/signal_darwin.go" ] && [ ! -f "$os/signal_linux.go" ]; then
      cp "$os/signal_darwin.go" "$os/signal_linux.go"
    fi
  done
}

argo_source() { # <version>
  module_copy github.com/argoproj/argo-workflows/v3 "$1" "$cache/src/argo-workflows-$1" argo_fixup
}

argo() {
  local v=$ARGO_VERSION src cmd
  src=$(argo_source "$v")
  for cmd in workflow-controller argoexec; do
    build "$src" "./cmd/$cmd" "$cache/bin/argo-$v/$cmd" \
      "-X github.com/argoproj/argo-workflows/v3.version=v$v"
  done
}

# A source archive pinned by sha256, unpacked once into the cache. Prints the directory.
# <name-version> <archive> <sha256>
pinned_source() {
  local dir="$cache/src/$1" given=$2 want=$3 sum staging
  [ -f "$dir/.unpacked" ] && { echo "$dir"; return 0; }
  [ -f "$given" ] || { echo "error: the source of $1 is needed at '$given' (the module proxy refuses it)" >&2; exit 5; }
  sum=$(sha256sum "$given" | cut -d' ' -f1)
  [ "$sum" = "$want" ] || { echo "error: $given has sha256 $sum, not the pinned $want ($1)" >&2; exit 5; }
  mkdir -p "$(dirname "$dir")"
  rm -rf "$dir"
  staging=$(mktemp -d "$dir.XXXX")
  tar -xzf "$given" -C "$staging" --strip-components=1
  chmod -R u+w "$staging"
  touch "$staging/.unpacked"
  mv "$staging" "$dir"
  echo "$dir"
}

# KFP's tag requires third_party/ml-metadata at a pseudo-version that the archive
# carries under required-modules/ (its api/ and kubernetes_platform/ are already replaced
# by local directories in the tag's go.mod).
kfp_source() {
  local dir
  dir=$(pinned_source "kubeflow-pipelines-$KFP_VERSION" "${ACK_COMPONENTS_KFP_SOURCE:-}" "$KFP_SOURCE_SHA256")
  if ! grep -q '^replace github.com/kubeflow/pipelines/third_party/ml-metadata' "$dir/go.mod"; then
    printf '\nreplace github.com/kubeflow/pipelines/third_party/ml-metadata => ./required-modules/ml-metadata\n' >>"$dir/go.mod"
  fi
  echo "$dir"
}

kfp() {
  local src out="$cache/bin/kfp-$KFP_VERSION"
  src=$(kfp_source)
  # The API server links sqlite3 (cgo): built static, so it stays a one-file image.
  CGO_ENABLED=1 GOSUMDB=off GOFLAGS="$GOFLAGS -tags=netgo,osusergo" \
    build "$src" ./backend/src/apiserver "$out/apiserver" "-linkmode external -extldflags -static"
  GOSUMDB=off build "$src" ./backend/src/agent/persistence "$out/persistence-agent"
  GOSUMDB=off build "$src" ./backend/src/crd/controller/scheduledworkflow "$out/scheduledworkflow"
  GOSUMDB=off build "$src" ./backend/src/v2/cmd/driver "$out/driver"
  GOSUMDB=off build "$src" ./backend/src/v2/cmd/launcher-v2 "$out/launcher-v2"
}

# The UI: packages are fetched from the registry npm is configured with (the lock files'
# addresses are rewritten to it). `npm run build` lints and type-checks before Vite builds;
# only the build steps run here. The built UI and its server, with the server's
# dependencies, are kept; the build tree is not.
kfp_ui() {
  local out="$cache/kfp-ui-$KFP_VERSION" src work t0=$SECONDS
  [ -f "$out/server/dist/server.js" ] && return 0
  if ! command -v npm >/dev/null 2>&1; then
    echo "note: no Node.js/npm here; the sandbox runs without the KFP UI (install Node.js >= 20 with npm)" >&2
    return 0
  fi
  src=$(kfp_source)
  work=$(mktemp -d "$cache/src/kfp-ui-build.XXXX")
  cp -r "$src/frontend/." "$work/"
  command node "$here/lib/npm-lock-registry.js" "$(npm config get registry)" \
    "$work" "$work/server" --drop fs
  echo "building the KFP UI (npm ci, npm run build)..." >&2
  # --ignore-scripts: the UI's postinstall also installs its mock backend, not needed here;
  # none of its dependencies has native code.
  (cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) \
    && (cd "$work/server" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) \
    || fail_npm "the KFP UI"
  (cd "$work" && npm run build:tailwind && npx vite build)
  (cd "$work/server" && npm run build)
  mkdir -p "$out.tmp"
  cp -r "$work/build" "$out.tmp/build"
  mkdir -p "$out.tmp/server"
  cp -r "$work/server/dist" "$work/server/node_modules" "$work/server/package.json" "$out.tmp/server/"
  rm -rf "$out" "$work"
  mv "$out.tmp" "$out"
  echo "built $out in $((SECONDS - t0)) s" >&2
}

training_operator() {
  local src
  src=$(module_copy github.com/kubeflow/training-operator "$TRAINING_OPERATOR_VERSION" \
    "$cache/src/training-operator-$TRAINING_OPERATOR_VERSION")
  build "$src" ./cmd/training-operator.v1 \
    "$cache/bin/training-operator-$TRAINING_OPERATOR_VERSION/manager"
}

# CoreDNS's main package is its module root: built from a one-file module that requires it.
coredns() {
  local v=$COREDNS_VERSION dir="$cache/src/coredns-$COREDNS_VERSION"
  [ -x "$cache/bin/coredns-$v/coredns" ] && return 0
  if [ ! -f "$dir/main.go" ]; then
    mkdir -p "$dir"
    printf 'module ack-components.local/coredns\n\ngo 1.25\n\nrequire github.com/coredns/coredns v%s\n' "$v" >"$dir/go.mod"
    printf '%s\n' '// CoreDNS with its default plugins, as coredns.go in its repository.' \
      'package main' '' 'import (' '	_ "github.com/coredns/coredns/core/plugin"' \
      '	"github.com/coredns/coredns/coremain"' ')' '' 'func main() { coremain.Run() }' >"$dir/main.go"
  fi
  (cd "$dir" && go mod tidy) || fail_network "coredns v$v"
  build "$dir" . "$cache/bin/coredns-$v/coredns"
}

actionlint() {
  local src
  src=$(module_copy github.com/rhysd/actionlint "$ACTIONLINT_VERSION" \
    "$cache/src/actionlint-$ACTIONLINT_VERSION")
  build "$src" ./cmd/actionlint "$cache/bin/actionlint-$ACTIONLINT_VERSION/actionlint"
}

crds() {
  controller_source >/dev/null
  go mod download "github.com/kubeflow/training-operator@v$TRAINING_OPERATOR_VERSION" \
    || fail_network "the CRD modules"
}

for target in "$@"; do "${target//-/_}"; done
