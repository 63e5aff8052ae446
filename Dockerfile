# syntax=docker/dockerfile:1
# exchange: the service image. Build: docker build -t exchange .
# The party node's image (exchange node serve): docker build --target node -t exchange-node .
# Runs as an unprivileged user on a read-only root filesystem; writable paths are /data (SQLite, if
# used) and /tmp (a tmpfs). See docs/operations.md and compose.yaml.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---- build: install the package and its dependencies into a virtual environment ------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/exchange
WORKDIR /src
COPY pyproject.toml README.md ./
COPY exchange ./exchange
RUN /opt/exchange/bin/pip install . \
 && /opt/exchange/bin/pip uninstall --yes pip setuptools \
 && find /opt/exchange -name '__pycache__' -prune -exec rm -rf {} + \
 && /opt/exchange/bin/python -m compileall -q /opt/exchange/lib

# ---- node: a party's own node (exchange node serve), for a party's administrator --------------------
# The keystore and its passphrase come in as secret files (/run/secrets/node-keystore and
# /run/secrets/node-passphrase, read-only); the node's store is in /data; the drop folders are mounted
# read-only under /srv/drop. Not the last stage: a plain `docker build .` still builds the hub.
FROM ${PYTHON_IMAGE} AS node
RUN groupadd --system --gid 10001 exchange \
 && useradd --system --uid 10001 --gid exchange --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin exchange \
 && python -m pip uninstall --yes pip setuptools wheel \
 && mkdir -p /data /srv/drop && chown exchange:exchange /data
COPY --from=build /opt/exchange /opt/exchange
COPY convenant /etc/exchange/convenant
ENV PATH=/opt/exchange/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    EXCHANGE_NODE_HOST=0.0.0.0 \
    EXCHANGE_NODE_PORT=8700 \
    EXCHANGE_NODE_KEYSTORE=/run/secrets/node-keystore \
    EXCHANGE_NODE_PASSPHRASE_FILE=/run/secrets/node-passphrase \
    EXCHANGE_NODE_DATA_DIR=/data \
    EXCHANGE_NODE_CONVENANT_DIR=/etc/exchange/convenant
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8700
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8700/health', timeout=4).status == 200 else 1)"]
ENTRYPOINT ["exchange", "node"]
CMD ["serve"]

# ---- runtime: the virtual environment, the covenants, no compilers and no pip ---------------------
FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 exchange \
 && useradd --system --uid 10001 --gid exchange --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin exchange \
 && python -m pip uninstall --yes pip setuptools wheel \
 && mkdir -p /data && chown exchange:exchange /data
COPY --from=build /opt/exchange /opt/exchange
COPY convenant /etc/exchange/convenant
ENV PATH=/opt/exchange/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    EXCHANGE_MODE=production \
    EXCHANGE_CONVENANT_DIR=/etc/exchange/convenant \
    EXCHANGE_DATABASE_URL=sqlite:////data/exchange.db \
    EXCHANGE_LOG_KEY_FILE=/run/secrets/log-key \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/health', timeout=4).status == 200 else 1)"]
ENTRYPOINT ["exchange"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]
