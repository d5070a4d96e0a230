"""The Kubernetes edge: client configuration, the namespace, and custom-resource requests.

Works in a pod (in-cluster service account) and outside one (kubeconfig), unlike
the upstream components. Writes use strict field validation, so an unknown field
is an error rather than silently pruned. A 403 becomes an error that names the
missing permission, which is what a user needs to fix RBAC.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError

from ack_components.kinds import Kind

SA_NAMESPACE_FILE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")


class PermissionDenied(RuntimeError):
    """The caller lacks an RBAC permission; the message names verb, resource and namespace."""


#: What the client raises when it cannot talk to the API server at all.
ConnectionTrouble = HTTPError


def unreachable(api: Any, error: HTTPError) -> str:
    """Why the API server could not be reached, in one line that says what to check."""
    reason = str(getattr(error, "reason", None) or error).rsplit(": ", 1)[-1].rstrip("')")
    return (
        f"cannot reach the Kubernetes API server at {api.configuration.host}: {reason}; "
        "check the kubeconfig (or the pod's service account), then run `ack-components doctor`"
    )


class KindNotServed(RuntimeError):
    """The cluster has no CRD for the kind: nothing can be created or read."""


def api_client(kubeconfig: str | None = None) -> Any:
    if (
        kubeconfig is None
        and os.environ.get("KUBERNETES_SERVICE_HOST")
        and SA_NAMESPACE_FILE.exists()
    ):
        config.load_incluster_config()
        return client.ApiClient()
    return config.new_client_from_config(config_file=kubeconfig)


def current_namespace(explicit: str = "", kubeconfig: str | None = None) -> str:
    """The given namespace, else the pod's, else the kubeconfig context's, else ``default``."""
    if explicit:
        return explicit
    if SA_NAMESPACE_FILE.exists():
        return SA_NAMESPACE_FILE.read_text().strip()
    try:
        _, context = config.list_kube_config_contexts(config_file=kubeconfig)
    except (config.ConfigException, OSError):
        return "default"
    return str(context.get("context", {}).get("namespace") or "default")


def get_json(api: Any, path: str) -> dict[str, Any]:
    """GET an API path as JSON; raises ApiException as the client does."""
    found: dict[str, Any] = api.call_api(
        path,
        "GET",
        header_params={"Accept": "application/json"},
        response_type="object",
        auth_settings=["BearerToken"],
        _return_http_data_only=True,
    )
    return found


@dataclass(frozen=True)
class Resources:
    """Requests on one kind's custom resources in one namespace."""

    api: Any
    kind: Kind
    namespace: str

    @property
    def _path(self) -> str:
        return f"/apis/{self.kind.api_version}/namespaces/{self.namespace}/{self.kind.plural}"

    def _call(self, verb: str, method: str, path: str, **kwargs: Any) -> Any:
        try:
            return self.api.call_api(
                path,
                method,
                header_params={
                    "Accept": "application/json",
                    "Content-Type": kwargs.pop("content_type", "application/json"),
                },
                response_type="object",
                auth_settings=["BearerToken"],
                _return_http_data_only=True,
                **kwargs,
            )
        except ApiException as error:
            if error.status == 404 and not (error.body or "").lstrip().startswith("{"):
                # A missing object answers a JSON Status; a resource type not served, plain text.
                raise KindNotServed(
                    f"the API server does not serve {self.kind.plural}.{self.kind.group}: "
                    f"the CRDs of {self.kind.controller} are not installed, or are older "
                    "than this kind (run `ack-components doctor`)"
                ) from None
            if error.status == 403:
                raise PermissionDenied(
                    f"missing permission: {verb} {self.kind.plural}.{self.kind.group} in namespace "
                    f"{self.namespace!r} (see `ack-components rbac`); the API server said: "
                    f"{message(error)}"
                ) from None
            raise

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        created: dict[str, Any] = self._call(
            "create", "POST", self._path, body=body, query_params=[("fieldValidation", "Strict")]
        )
        return created

    def get(self, name: str) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = self._call("get", "GET", f"{self._path}/{name}")
        except ApiException as error:
            if error.status == 404:
                return None
            raise
        return found

    def patch(self, name: str, patch: dict[str, Any]) -> dict[str, Any]:
        patched: dict[str, Any] = self._call(
            "patch",
            "PATCH",
            f"{self._path}/{name}",
            body=patch,
            content_type="application/merge-patch+json",
            query_params=[("fieldValidation", "Strict")],
        )
        return patched

    def delete(self, name: str) -> None:
        try:
            self._call("delete", "DELETE", f"{self._path}/{name}")
        except ApiException as error:
            if error.status != 404:
                raise

    def watch(self, name: str, resource_version: str, timeout_seconds: int) -> Any:
        """A raw streaming watch response on one object: one JSON event per line."""
        return self._call(
            "watch",
            "GET",
            self._path,
            query_params=[
                ("watch", "true"),
                ("fieldSelector", f"metadata.name={name}"),
                ("resourceVersion", resource_version),
                ("allowWatchBookmarks", "true"),
                ("timeoutSeconds", str(timeout_seconds)),
            ],
            _preload_content=False,
            _request_timeout=(5, timeout_seconds + 15),
        )


def refused(error: ApiException) -> str:
    """A refusal this module does not name otherwise, in the API server's own words."""
    return f"the Kubernetes API server answered {error.status}: {message(error)}"


def message(error: ApiException) -> str:
    """The API server's own words for a refusal."""
    import json

    try:
        return str(json.loads(error.body or "{}").get("message") or error.reason)
    except ValueError:
        return str(error.reason)
