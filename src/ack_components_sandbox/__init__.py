"""The local sandbox: a real Kubernetes API (etcd + kube-apiserver) with the SageMaker CRDs.

Tests and users start the same stack here; the component engine never imports
this package, so a component image carries none of it.
"""
