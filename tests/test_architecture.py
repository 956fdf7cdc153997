"""The dependency rule of docs/architecture.md, checked by walking every import with ast."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORKS = {"discord", "telegram", "sqlalchemy", "alembic", "asyncpg", "aiosqlite", "fastapi", "starlette", "uvicorn"}
ALLOWED_ONLY_IN = {"httpx": ("core/sources/",), "matplotlib": ("core/charts.py",)}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _modules(room: str) -> list[Path]:
    return sorted((ROOT / room).rglob("*.py"))


def test_core_imports_no_framework_storage_adapter_or_bot():
    for path in _modules("core"):
        rel = path.relative_to(ROOT).as_posix()
        imported = _imports(path)
        assert not imported & (FRAMEWORKS | {"storage", "adapters", "bot"}), f"{rel} imports {imported}"
        for lib, places in ALLOWED_ONLY_IN.items():
            if lib in imported:
                assert rel.startswith(places), f"{rel} may not import {lib} (only {places})"


def test_storage_imports_only_core_and_database_libraries():
    for path in _modules("storage"):
        imported = _imports(path)
        assert not imported & {"adapters", "bot", "discord", "telegram", "httpx"}, f"{path} imports {imported}"


def test_adapters_do_not_import_each_other_storage_or_bot():
    for path in _modules("adapters"):
        rel = path.relative_to(ROOT).as_posix()
        imported = _imports(path)
        assert not imported & {"storage", "bot", "sqlalchemy"}, f"{rel} imports {imported}"
        if rel.startswith("adapters/discord/"):
            assert "telegram" not in imported, rel
        if rel.startswith("adapters/telegram/"):
            assert "discord" not in imported, rel
        if not rel.startswith("adapters/http/"):
            assert not imported & {"fastapi", "starlette", "uvicorn"}, rel
        else:
            assert not imported & {"discord", "telegram"}, rel
