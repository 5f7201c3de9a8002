# One image for every Parley process (gateway, Nameko services, Kafka consumers,
# outbox relay, migrations). docker-compose.yml picks the role with `command`, e.g.
#   parley-gateway --port 8101 | parley-service auth | parley-consumer users
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Run unprivileged; the only thing it writes is its var/ directory.
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/parley parley

# The source tree stays at /app: the processes read config/parley.yaml from here
# (overridden per deployment through PARLEY_<SECTION>_<KEY> variables).
WORKDIR /app
COPY . /app
RUN pip install . \
    && mkdir -p /app/var \
    && chown parley:parley /app/var

ENV PARLEY_CONFIG_FILE=/app/config/parley.yaml

USER parley

# No default process: every container names its role explicitly.
CMD []
