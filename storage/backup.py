"""Backups: SQLite's online backup API (consistent while the service runs); PostgreSQL uses pg_dump."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    return Path(parsed.database) if parsed.get_backend_name() == "sqlite" and parsed.database else None


def backup_sqlite(source: Path, target: Path) -> dict[str, int | str]:
    """Copy a live SQLite database page by page, then check the copy's integrity."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst, pages=1024)
        check = dst.execute("PRAGMA integrity_check").fetchone()[0]
        cards = dst.execute("SELECT count(*) FROM cards").fetchone()[0]
        points = dst.execute("SELECT count(*) FROM price_history").fetchone()[0]
    finally:
        dst.close()
        src.close()
    if check != "ok":
        raise RuntimeError(f"backup failed its integrity check: {check}")
    return {"path": str(target), "bytes": target.stat().st_size, "cards": cards, "price_points": points}


def pg_dump_hint(url: str, target: Path) -> str:
    safe = make_url(url).set(drivername="postgresql").render_as_string(hide_password=True)
    return f"PostgreSQL: back up with  pg_dump -Fc '{safe}' > {target}  (restore: pg_restore -d DB {target})"
