#!/usr/bin/env bash
# Builds the sandbox's Go binaries once into a cache outside the clone, keyed
# by version, and does nothing when they are already there.
#   tools/build.sh controlplane   kube-apiserver, kubectl, etcd
#   tools/build.sh controller     ACK sagemaker-controller
#   tools/build.sh crds           downloads the modules that carry the CRDs
# Cache root: $ACK_COMPONENTS_CACHE (default ~/.cache/ack-components).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../src/ack_components/sandbox/versions.env
. "$here/../src/ack_components/sandbox/versions.env"
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

build() { # <module dir> <package> <output> [ldflags]
  local out=$3 tmp
  [ -x "$out" ] && return 0
  mkdir -p "$(dirname "$out")"
  tmp=$(mktemp "$out.XXXX")
  echo "building $(basename "$out") ($2)..." >&2
  local t0=$SECONDS
  (cd "$1" && go mod download) || fail_network "$2"
  (cd "$1" && go build -trimpath -ldflags "-s -w ${4:-}" -o "$tmp" "$2")
  mv "$tmp" "$out"
  echo "built $out in $((SECONDS - t0)) s, $(du -m "$out" | cut -f1) MB" >&2
}

controlplane() {
  local k=$KUBERNETES_VERSION minor
  minor=$(echo "$k" | cut -d. -f2)
  local ver="-X k8s.io/component-base/version.gitVersion=v$k -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
  build "$here/controlplane" k8s.io/kubernetes/cmd/kube-apiserver "$cache/bin/kubernetes-$k/kube-apiserver" "$ver"
  build "$here/controlplane" k8s.io/kubernetes/cmd/kubectl "$cache/bin/kubernetes-$k/kubectl" "$ver"
  build "$here/etcd" go.etcd.io/etcd/server/v3 "$cache/bin/etcd-$ETCD_VERSION/etcd"
}

controller() {
  local v=$SAGEMAKER_CONTROLLER_VERSION out="$cache/bin/sagemaker-controller-$v/controller"
  [ -x "$out" ] && return 0
  mkdir -p "$(dirname "$out")"
  echo "building sagemaker-controller v$v..." >&2
  local t0=$SECONDS
  GOBIN=$(dirname "$out") go install -trimpath -ldflags "-s -w" \
    "github.com/aws-controllers-k8s/sagemaker-controller/cmd/controller@v$v" || fail_network sagemaker-controller
  echo "built $out in $((SECONDS - t0)) s, $(du -m "$out" | cut -f1) MB" >&2
}

crds() {
  go mod download "github.com/aws-controllers-k8s/sagemaker-controller@v$SAGEMAKER_CONTROLLER_VERSION" \
    "github.com/kubeflow/training-operator@v$TRAINING_OPERATOR_VERSION" || fail_network "the CRD modules"
}

for target in "$@"; do "$target"; done
