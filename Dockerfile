# okrsync as a service: `okrsync daemon` with its state on a volume.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY okrsync ./okrsync
RUN pip wheel --no-cache-dir --wheel-dir /wheels '.[postgres]'

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 okrsync && mkdir -p /data /config && chown okrsync /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/* && rm -rf /wheels
COPY config/okrsync.example.yaml /config/okrsync.example.yaml
USER okrsync
WORKDIR /data
VOLUME ["/data"]
ENV OKRSYNC_CONFIG=/config/okrsync.yaml \
    OKRSYNC_SYNC__STATE_URL=sqlite:////data/okrsync.db \
    OKRSYNC_DAEMON__HOST=0.0.0.0 \
    PYTHONUNBUFFERED=1
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"
CMD ["okrsync", "daemon"]
