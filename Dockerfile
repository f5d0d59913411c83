# okrsync as a service: `okrsync daemon` (HTTP on 0.0.0.0:8000), state on the /data volume.
#
#   docker build -t okrsync .
#   docker run -d -p 8000:8000 -v okrsync-data:/data -v $PWD/config/okrsync.yaml:/config/okrsync.yaml:ro \
#     -e OKRSYNC_JIRA__URL=https://acme.atlassian.net -e OKRSYNC_JIRA__EMAIL=okrsync@acme.com \
#     -e OKRSYNC_JIRA__API_TOKEN=... -e OKRSYNC_WEBHOOK__SECRET=... okrsync
#   docker run --rm ... okrsync sync --dry-run      # any other command: the entrypoint is `okrsync`
#
# Several replicas: point OKRSYNC_SYNC__STATE_URL at PostgreSQL (see docker-compose.yml).

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY okrsync ./okrsync
RUN pip wheel --wheel-dir /wheels '.[postgres]'

FROM python:3.11-slim
LABEL org.opencontainers.image.title="okrsync" \
      org.opencontainers.image.description="OKRs that live inside Jira" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
RUN useradd --create-home --uid 10001 --user-group okrsync \
 && mkdir -p /data /config \
 && chown okrsync:okrsync /data
COPY --from=build /wheels /wheels
RUN pip install /wheels/* && rm -rf /wheels
COPY config/okrsync.example.yaml /config/okrsync.example.yaml
# The configuration is mounted at /config/okrsync.yaml (read-only is fine); secrets come from the
# environment (OKRSYNC_JIRA__API_TOKEN or OKRSYNC_JIRA__PAT, OKRSYNC_WEBHOOK__SECRET), never the file.
ENV OKRSYNC_CONFIG=/config/okrsync.yaml \
    OKRSYNC_SYNC__STATE_URL=sqlite:////data/okrsync.db \
    OKRSYNC_DAEMON__HOST=0.0.0.0 \
    OKRSYNC_DAEMON__PORT=8000 \
    OKRSYNC_DAEMON__LOG_FORMAT=json
USER okrsync:okrsync
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000
# Docker sends SIGTERM: the daemon finishes the change it is applying, records the run and exits 0
# (give it time: stop_grace_period / --stop-timeout of 30 s or more).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('OKRSYNC_DAEMON__PORT', '8000'); sys.exit(0 if urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=4).status == 200 else 1)"]
ENTRYPOINT ["okrsync"]
CMD ["daemon"]
