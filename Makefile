# The two commands a new user needs: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The SageMaker emulator runs from its own venv: moto[server] needs pydantic 2, kfp 1.8 needs <2.
EMULATOR_VENV := .venv-emulator
EMULATOR_STAMP := $(EMULATOR_VENV)/.installed
# KFP SDK 2 (KFP_SDK2_VERSION in versions.env): SDK 2 pipelines are compiled there.
KFP2_VENV := .venv-kfp2
KFP2_STAMP = $(KFP2_VENV)/.installed-$(KFP_SDK2_VERSION)
# ML Metadata's store for the sandbox's KFP: ml-metadata pins protobuf 4 and its own grpcio.
MLMD_VENV := .venv-mlmd
MLMD_STAMP := $(MLMD_VENV)/.installed

.PHONY: demo dist test test-unit test-e2e test-node lint typecheck controlplane controller argo kfp training browser node image emulator kfp2 bench sandbox-up sandbox-down clean

# The ACK controller's source: from the Go module proxy, unless a source archive or directory
# is named here. Where the proxy refuses the module (a machine with a vendored copy beside the
# clone, as in this project's CI), that copy is used.
ACK_COMPONENTS_CONTROLLER_SOURCE ?= $(firstword $(wildcard ../shared/vendor/sagemaker-controller-*.tar.gz))
export ACK_COMPONENTS_CONTROLLER_SOURCE
# Kubeflow Pipelines' backend and UI source (the module proxy refuses it): the pinned archive.
include src/ack_components_sandbox/versions.env
ACK_COMPONENTS_KFP_SOURCE ?= $(wildcard ../shared/vendor/kubeflow-pipelines-$(KFP_VERSION).tar.gz)
export ACK_COMPONENTS_KFP_SOURCE

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

$(EMULATOR_STAMP): pyproject.toml
	test -x $(EMULATOR_VENV)/bin/python || $(PYTHON) -m venv $(EMULATOR_VENV)
	$(EMULATOR_VENV)/bin/pip install -q --upgrade pip
	$(EMULATOR_VENV)/bin/pip install -q -e . 'moto[server]==5.2.5'
	touch $(EMULATOR_STAMP)

emulator: $(EMULATOR_STAMP)

$(KFP2_STAMP):
	test -x $(KFP2_VENV)/bin/python || $(PYTHON) -m venv $(KFP2_VENV)
	$(KFP2_VENV)/bin/pip install -q --upgrade pip
	$(KFP2_VENV)/bin/pip install -q 'kfp==$(KFP_SDK2_VERSION)'
	touch $(KFP2_STAMP)

kfp2: $(KFP2_STAMP)

$(MLMD_STAMP):
	test -x $(MLMD_VENV)/bin/python || $(PYTHON) -m venv $(MLMD_VENV)
	$(MLMD_VENV)/bin/pip install -q --upgrade pip
	$(MLMD_VENV)/bin/pip install -q 'ml-metadata==$(ML_METADATA_VERSION)'
	touch $(MLMD_STAMP)

controlplane:
	bash tools/build.sh controlplane

controller:
	bash tools/build.sh controller crds

# Argo Workflows (workflow-controller, argoexec) at the version KFP 2.16 installs.
argo:
	bash tools/build.sh argo

# Kubeflow Pipelines 2.16: the API server, persistence agent, scheduled-workflow controller,
# the v2 engine's driver and launcher (Go), the UI (npm), MariaDB as its MySQL (Debian
# packages, unpacked into the cache, nothing installed), and ML Metadata's store (PyPI).
kfp: $(MLMD_STAMP)
	bash tools/build.sh kfp kfp-ui
	bash tools/fetch-debs.sh mariadb mariadb-server-core mariadb-client-core

# Hybrid training on the node: Kubeflow's training operator (v1.9) and CoreDNS (the node's
# cluster DNS) from the Go module proxy. `sandbox up` builds the images it runs.
training:
	bash tools/build.sh training-operator coredns

# The browser the UI tests drive: Debian's headless Chromium, unpacked into the cache.
browser:
	bash tools/fetch-debs.sh chromium chromium-headless-shell

# The sandbox node: Debian packages (as root; elsewhere a note and no node), then kubelet,
# kube-scheduler, kube-controller-manager, kube-proxy and the local images' programs.
node:
	bash tools/install-node-deps.sh
	bash tools/build.sh node

# The component image from the Dockerfile, and the hybrid sample's training image and the
# training operator's init image (as root, with debootstrap and podman; elsewhere a
# note and no image): built once per content into ~/.cache/ack-components/images/;
# `sandbox up` imports it into the node (and builds it there when it is missing or stale).
image: $(STAMP)
	bash tools/install-image-deps.sh
	$(BIN)/ack-components-sandbox images

# The release artefacts: sdist and wheel (into dist/), checked with twine, then the wheel
# installed alone in a fresh virtualenv, whose `ack-components` must answer --help and
# render a resource from the bundled schemas and templates.
DIST_VENV := .venv-dist
dist: $(STAMP)
	rm -rf dist $(DIST_VENV)
	$(BIN)/python -m build --outdir dist .
	$(BIN)/twine check --strict dist/*
	$(PYTHON) -m venv $(DIST_VENV)
	$(DIST_VENV)/bin/pip install -q dist/*.whl
	$(DIST_VENV)/bin/ack-components --help > /dev/null
	$(DIST_VENV)/bin/ack-components render TrainingJob --region us-east-1 \
	  --role_arn arn:aws:iam::123456789012:role/SageMaker \
	  --algorithm_specification '{"trainingImage": "kmeans:1", "trainingInputMode": "File"}' \
	  --output_data_config '{"s3OutputPath": "s3://bucket/out"}' \
	  --resource_config '{"instanceCount": 1, "instanceType": "ml.m5.large", "volumeSizeInGB": 5}' \
	  --stopping_condition '{"maxRuntimeInSeconds": 3600}' --training_job_name dist-check \
	  | grep -q 'trainingJobName: dist-check'
	@echo "dist: $$(ls dist)"

lint: $(STAMP)
	$(BIN)/ruff check src tests bench samples
	$(BIN)/ruff format --check src tests bench samples
	bash tools/build.sh actionlint
	. src/ack_components_sandbox/versions.env && \
	  "$${ACK_COMPONENTS_CACHE:-$$HOME/.cache/ack-components}/bin/actionlint-$$ACTIONLINT_VERSION/actionlint"

typecheck: $(STAMP)
	$(BIN)/mypy --strict src

# Tests in parallel (tests/conftest.py): each module on one worker, the node tier on one
# worker against the run's one full sandbox; then the 30 slowest and the total time.
PYTEST_WORKERS ?= 3
PYTEST := $(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist loadgroup --no-loadscope-reorder --durations=30

# One tier alone: unit (pure logic), e2e (light stacks, the real controller), node (the
# full sandbox: node, Argo, KFP, the training operator).
test-unit: $(STAMP)
	$(PYTEST) -m unit tests

test-e2e: $(STAMP) controlplane controller emulator kfp2
	$(PYTEST) -m e2e tests

test-node: $(STAMP) controlplane controller argo kfp training browser node image emulator
	$(PYTEST) -m node tests

test: $(STAMP) controlplane controller argo kfp training browser node image emulator kfp2 lint typecheck
	$(PYTEST) tests

bench: $(STAMP) controlplane controller argo kfp training node image emulator
	$(BIN)/python bench/controlplane_start.py
	$(BIN)/python bench/component.py
	$(BIN)/python bench/controller.py
	$(BIN)/python bench/load.py
	$(BIN)/python bench/pipeline.py

demo: $(STAMP) controlplane controller argo kfp training node image emulator
	$(BIN)/python samples/demo.py

sandbox-up: $(STAMP) controlplane controller argo kfp training node image emulator
	$(BIN)/ack-components-sandbox up

sandbox-down: $(STAMP)
	$(BIN)/ack-components-sandbox down

clean:
	rm -rf $(VENV) $(EMULATOR_VENV) $(KFP2_VENV) $(MLMD_VENV) $(DIST_VENV) dist .sandbox .pytest_cache .mypy_cache .ruff_cache
