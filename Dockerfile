# syntax=docker/dockerfile:1
# Build stage: the project and its pinned dependencies in a virtualenv.
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY core ./core
COPY adapters ./adapters
COPY storage ./storage
RUN /opt/venv/bin/pip install --no-cache-dir .

# Runtime stage: the virtualenv, a non-root user, a data volume, metrics on 9108, the HTTP API (api role) on 8080.
FROM python:3.11-slim
RUN useradd --create-home --uid 10001 tcg
COPY --from=build /opt/venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    TCGTRACKER_METRICS__HOST=0.0.0.0
WORKDIR /home/tcg
USER 10001
VOLUME ["/home/tcg/data"]
EXPOSE 9108 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9108/healthz', timeout=4)"]
ENTRYPOINT ["python", "-m", "bot"]
CMD ["run"]
