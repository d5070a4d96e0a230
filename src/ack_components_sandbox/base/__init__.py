"""Processes, the pinned binaries, the host's changes and Kubernetes objects: what every part stands on."""
