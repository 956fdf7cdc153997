"""The HTTP API adapter (FastAPI): /v1 endpoints over the core services, API keys, quotas."""
