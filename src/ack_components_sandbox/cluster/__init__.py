"""The cluster: control plane, node, CRDs, node images, cluster DNS and the component image."""
