# The image that components/<Kind>/component.yaml runs. No ENTRYPOINT: each component
# sets the command itself (`ack-components run <Kind>`), so one image serves every kind.
# Build from the repository root: docker build -t ack-components/ack-components:0.1.0 .
FROM python:3.11-slim

# OCI labels; the release workflow passes the version, the commit and the repository.
ARG VERSION=unknown
ARG REVISION=unknown
ARG SOURCE=unknown
LABEL org.opencontainers.image.title="ack-components" \
      org.opencontainers.image.description="Kubeflow Pipelines components for SageMaker through the ACK controller" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Only what the package build reads (see .dockerignore). `pip install .` installs the
# runtime dependencies from pyproject.toml: no kfp, no sandbox or dev extras.
COPY pyproject.toml README.md /tmp/build/
COPY src /tmp/build/src
COPY crd_templates /tmp/build/crd_templates
# The smoke check fails the build, not the first pipeline run, if the bundled schemas or
# templates did not get installed.
RUN cd /tmp/build \
    && pip install . \
    && cd / && rm -rf /tmp/build \
    && python -c "from ack_components import kinds, render, schema; \
[(schema.bundled(k), (render.TEMPLATES_DIR / f'{k}.yaml.j2').read_text()) for k in kinds.KINDS]" \
    && groupadd --gid 10001 ack \
    && useradd --uid 10001 --gid 10001 --create-home --shell /usr/sbin/nologin ack

# Numeric, so that Kubernetes' runAsNonRoot can verify it.
USER 10001:10001
WORKDIR /home/ack
CMD ["ack-components", "--help"]
