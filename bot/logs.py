"""Logging setup: readable text for people, one JSON object per line for collectors."""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

_QUIET_BELOW_DEBUG = ("alembic", "bot.app", "httpx", "apscheduler")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str, fmt: str, *, quiet_libraries: bool = True) -> None:
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    if quiet_libraries and level != "DEBUG":
        for name in _QUIET_BELOW_DEBUG:
            logging.getLogger(name).setLevel(logging.WARNING)
