# BikeNode in a container. Not built in CI (no registry is reachable there): kept minimal and
# checked by reading. Build: docker build -t bikenode .   Run: see compose.yaml.
FROM python:3.11-slim

# One unprivileged user owns the data; the server never runs as root.
RUN useradd --create-home --uid 10001 bikenode
WORKDIR /app

# Dependencies first (pinned by constraints.txt), so a code change does not reinstall them.
COPY pyproject.toml constraints.txt README.md ./
COPY src ./src
RUN pip install --no-cache-dir --disable-pip-version-check -c constraints.txt . \
    && mkdir -p /data && chown bikenode:bikenode /data

USER bikenode
ENV BIKENODE_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8000

# Liveness for the container runtime; a load balancer should use /readyz (see README).
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"

# serve upgrades the database first, then listens; on SIGTERM it finishes requests in flight.
CMD ["bikenode", "serve", "--host", "0.0.0.0", "--port", "8000"]
