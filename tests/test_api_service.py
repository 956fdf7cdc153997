"""`tcgtracker run --role api`: the HTTP API served by the service process over loopback, stopped by SIGTERM."""
from __future__ import annotations

import asyncio
import socket

import httpx

from bot.app import build_app
from bot.cli import main
from bot.config import Settings
from core.alert_service import Caller
from tests.conftest import SAMPLE_DIR
from tests.test_service import start_service, stop_service


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_the_api_role_serves_v1_with_a_key_made_in_chat(tmp_path, monkeypatch):
    db, config, port = tmp_path / "api.db", tmp_path / "config.toml", free_port()
    url = f"sqlite+aiosqlite:///{db}"
    config.write_text(f'[metrics]\nenabled = false\n[database]\nurl = "{url}"\n[api]\nport = {port}\n')
    monkeypatch.setenv("TCGTRACKER_DATABASE__URL", url)
    assert await asyncio.to_thread(main, ["catalog", "import", "--pokemon", str(SAMPLE_DIR / "pokemon"),
                                          "--onepiece", str(SAMPLE_DIR / "onepiece")]) == 0
    async with build_app(Settings.model_validate({"database": {"url": url}}), sources=set()) as app:
        _, key = await app.keys.create(Caller("telegram", "42", "Ops"), "monitoring")
    monkeypatch.delenv("TCGTRACKER_DATABASE__URL")
    process = await start_service(config, "api")
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            document = await client.get("/openapi.json")
            card = await client.get("/v1/cards/sv8-238", headers={"X-API-Key": key})
            refused = await client.get("/v1/cards/sv8-238")
    finally:
        out = await stop_service(process)
    assert "/v1/alerts" in document.json()["paths"]
    assert card.status_code == 200 and card.json()["card"]["name"] == "Pikachu ex"
    assert card.headers["x-ratelimit-policy"] == "1000;w=3600, 100;w=60"
    assert refused.status_code == 401 and "stopped" in out
