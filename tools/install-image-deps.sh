#!/usr/bin/env bash
# Installs the Debian packages the sandbox's component image is built with: debootstrap
# (the base image), podman and buildah (the project's Dockerfile). podman is configured
# per call by the sandbox (its own containers.conf and storage under the cache), so
# nothing under /etc/containers changes.
set -euo pipefail
. "$(dirname "$0")/lib/install-debs.sh"
install_debs "the component image" debootstrap podman buildah
