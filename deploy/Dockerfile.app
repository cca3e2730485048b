# The app service: the Reflex backend alone (websocket, webhooks, health); the web
# service serves the static site. Runs as an unprivileged user; its data lives in /data.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    REFLEX_TELEMETRY_ENABLED=false REFLEX_CHECK_LATEST_VERSION=false \
    APP_ENV=prod DATA_DIR=/data HOME=/data \
    REFLEX_WEB_WORKDIR=/data/.web REFLEX_STATES_WORKDIR=/data/.states
WORKDIR /srv/distokoloshe
COPY pyproject.toml README.md rxconfig.py ./
COPY distokoloshe distokoloshe
COPY components_js components_js
COPY assets assets
# Reflex links the JS components into assets/ when the app is imported; do that now, so
# the unprivileged user never needs to write here.
RUN pip install '.[postgres]' \
 && APP_ENV=dev python -c "import distokoloshe.app"
RUN groupadd --system --gid 10001 tokoloshe \
 && useradd --system --uid 10001 --gid 10001 --home-dir /data --no-create-home tokoloshe
USER 10001:10001
EXPOSE 8000
# Migrations first, then the backend on loopback (nginx proxies to it on the host network).
CMD ["sh", "-c", "python -m distokoloshe.db && exec reflex run --env prod --backend-only --backend-host 127.0.0.1 --backend-port \"${PORT:-8000}\""]
