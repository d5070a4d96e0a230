"""Kubeflow on the cluster: Argo, the Pipelines backend, its database, store and UI, the profile, the training operator, and pipeline runs."""
