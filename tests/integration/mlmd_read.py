"""Run by ML Metadata's interpreter (``.venv-mlmd``): what the sandbox's ML Metadata holds
of one KFP run, as JSON for ``test_pipelines_on_kfp_v2.py``.

Arguments: the metadata server's host and gRPC port, and the run's id (KFP's run context
is named by it). Prints ``{"executions": [...], "artifacts": [...]}``: each execution's
task name, state and output parameters, and each artifact's type, URI and custom
properties (a Metrics artifact's numbers among them). Imports only ml_metadata.
"""

import json
import sys

from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2


def value(property_value):  # an MLMD Value as plain JSON
    kind = property_value.WhichOneof("value")
    if kind == "struct_value":
        from google.protobuf.json_format import MessageToDict

        return MessageToDict(property_value.struct_value)
    return getattr(property_value, kind) if kind else None


def main() -> None:
    host, port, run_id = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    config = metadata_store_pb2.MetadataStoreClientConfig(host=host, port=port)
    store = metadata_store.MetadataStore(config)
    context = store.get_context_by_type_and_name("system.PipelineRun", run_id)
    if context is None:
        print(json.dumps({"executions": [], "artifacts": []}))
        return
    types = {t.id: t.name for t in store.get_artifact_types()}
    executions = store.get_executions_by_context(context.id)
    artifacts = store.get_artifacts_by_context(context.id)
    print(
        json.dumps(
            {
                "executions": [
                    {
                        "task": value(e.custom_properties["task_name"])
                        if "task_name" in e.custom_properties
                        else "",
                        "state": metadata_store_pb2.Execution.State.Name(e.last_known_state),
                        "properties": {k: value(v) for k, v in e.custom_properties.items()},
                    }
                    for e in executions
                ],
                "artifacts": [
                    {
                        "type": types.get(a.type_id, ""),
                        "uri": a.uri,
                        "properties": {k: value(v) for k, v in a.custom_properties.items()},
                    }
                    for a in artifacts
                ],
            },
            default=str,
        )
    )


if __name__ == "__main__":
    main()
