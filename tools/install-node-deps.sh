#!/usr/bin/env bash
# Installs the Debian packages the sandbox node needs (containerd, runc, the CNI
# plugins, iptables); the packaged containerd service is not started.
set -euo pipefail
. "$(dirname "$0")/lib/install-debs.sh"
install_debs "a node" containerd runc containernetworking-plugins iptables
