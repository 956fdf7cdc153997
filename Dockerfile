# syntax=docker/dockerfile:1
# Build stage: install the project and its pinned dependencies into a virtualenv.
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY core ./core
COPY adapters ./adapters
COPY storage ./storage
RUN /opt/venv/bin/pip install --no-cache-dir .

# Runtime stage: only the virtualenv, a non-root user and a data volume.
FROM python:3.11-slim
RUN useradd --create-home --uid 10001 tcg
COPY --from=build /opt/venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH" PYTHONUNBUFFERED=1
WORKDIR /home/tcg
USER tcg
VOLUME ["/home/tcg/data"]
HEALTHCHECK --interval=30s --timeout=5s CMD ["python", "-m", "bot", "migrate", "--json"]
ENTRYPOINT ["python", "-m", "bot"]
CMD ["demo"]
