"""Benchmark: the HTTP API (`tcgtracker run --role api`, a real uvicorn process) under load from a second
process on loopback, on SQLite and on PostgreSQL, with the full real catalog (the bundled sample without
../shared). `GET /v1/cards/{id}` (card + latest prices) and `GET /v1/cards/search` (fuzzy search), open
loop at 200 requests/s for 15 s after a 2 s warm-up (latency counted from each request's planned start, so queueing shows),
and closed loop (32 clients) for the ceiling. Baseline in the same run: a bare Starlette app on the same
uvicorn returning the same JSON bytes (no key, no quota, no database). Goal: p99 <= 50 ms at 200 rps.

Run: .venv/bin/python tests/bench/bench_api.py [--seconds 15] [--skip-postgres]"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.conftest import PG_URL, SAMPLE_DIR, SHARED_DATA  # noqa: E402

RATE = 200
LOAD = [sys.executable, str(ROOT / "tests" / "bench" / "api_load.py")]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def catalog_paths() -> tuple[Path, Path]:
    poke, op = SHARED_DATA / "pokemon" / "pokemon-tcg-data", SHARED_DATA / "onepiece" / "punk-records"
    return (poke, op) if poke.exists() and op.exists() else (SAMPLE_DIR / "pokemon", SAMPLE_DIR / "onepiece")


def env_for(url: str, port: int) -> dict[str, str]:
    return {**os.environ, "TCGTRACKER_DATABASE__URL": url, "TCGTRACKER_API__PORT": str(port),
            "TCGTRACKER_METRICS__ENABLED": "false", "TCGTRACKER_LOGGING__LEVEL": "WARNING",
            # one key drives the whole load: lift its quota (quotas are tested exactly in the suite)
            "TCGTRACKER_API__REQUESTS_PER_HOUR": "100000000", "TCGTRACKER_API__BURST_PER_MINUTE": "100000000"}


async def prepare(url: str, requests: int) -> tuple[str, list[str], list[str], list[str]]:
    """Catalog + one tcgcsv snapshot in the database; returns a key, card paths and two search loads: a
    popularity-skewed mix (Zipf over 250 queries, like real traffic) and all-distinct queries (no repeats)."""
    from bot.app import build_app
    from bot.config import Settings
    from core.alert_service import Caller

    poke, op = catalog_paths()
    env = env_for(url, 0)
    subprocess.run([sys.executable, "-m", "bot", "catalog", "import", "--pokemon", str(poke), "--onepiece", str(op)],
                   env=env, check=True, capture_output=True, cwd=ROOT)
    subprocess.run([sys.executable, "-m", "bot", "import-prices", "--source", "tcgcsv", str(SAMPLE_DIR / "tcgcsv")],
                   env=env, check=True, capture_output=True, cwd=ROOT)
    async with build_app(Settings.model_validate({"database": {"url": url}}), sources=set()) as app:
        _, key = await app.keys.create(Caller("console", "bench", "Bench"), "bench")
        index = await app.catalog.index()
    random.seed(7)
    cards = random.sample(list(index.cards), min(400, len(index.cards)))
    card_paths = [f"/v1/cards/{quote(c.canonical_id)}" for c in cards]
    queries = [c.name for c in cards[:150]] + [f"{c.set_code} {c.number}" for c in cards[150:250]]
    weights = [1 / rank for rank in range(1, len(queries) + 1)]
    popular = [f"/v1/cards/search?q={quote(q)}&limit=10" for q in random.choices(queries, weights, k=requests)]
    names = list(dict.fromkeys(c.name for c in index.cards))
    random.shuffle(names)
    distinct = [f"/v1/cards/search?q={quote(n)}&limit=10" for n in names]  # cycled only past ~5,000 requests
    return key, card_paths, popular, distinct


def start(command: list[str], env: dict[str, str], port: int) -> subprocess.Popen:
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(process.stderr.read().decode())
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def load(port: int, key: str, rate: float, seconds: float, paths: list[str]) -> dict:
    out = subprocess.run([*LOAD, f"http://127.0.0.1:{port}", key, str(rate), str(seconds), *paths],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def baseline_server(port: int, body_file: str) -> None:
    """A bare Starlette app on uvicorn answering every GET with the same bytes."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    body = Path(body_file).read_bytes()

    async def fixed(_request):  # noqa: ANN001, ANN202
        return Response(body, media_type="application/json")

    app = Starlette(routes=[Route("/{path:path}", fixed)])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def run_backend(name: str, url: str, seconds: float, tmp: Path) -> list[tuple]:
    started = time.perf_counter()
    key, card_paths, popular, distinct = asyncio.run(prepare(url, int(RATE * seconds)))
    print(f"{name}: data ready in {time.perf_counter() - started:.1f} s", flush=True)
    rows = []
    port = free_port()
    server = start([sys.executable, "-m", "bot", "run", "--role", "api"], env_for(url, port), port)
    try:
        import httpx

        body = httpx.get(f"http://127.0.0.1:{port}{card_paths[0]}", headers={"X-API-Key": key}).content
        (tmp / "body.json").write_bytes(body)
        load(port, key, 0, 2, card_paths)  # warm-up: the connection pool grows, statements get prepared
        rows.append((name, "GET /v1/cards/{id}", load(port, key, RATE, seconds, card_paths),
                     load(port, key, 0, seconds / 3, card_paths)))
        ceiling = load(port, key, 0, seconds / 3, popular)  # also warms: steady state, as a running server is
        rows.append((name, "search, popular (warm)", load(port, key, RATE, seconds, popular), ceiling))
        server.terminate()
        server.wait(30)
        server = start([sys.executable, "-m", "bot", "run", "--role", "api"], env_for(url, port), port)
        half = len(distinct) // 2  # never-seen queries only: the open loop and the ceiling get separate halves
        rows.append((name, "search, all distinct (cold)", load(port, key, RATE, seconds, distinct[:half]),
                     load(port, key, 0, seconds / 3, distinct[half:])))
    finally:
        server.terminate()
        server.wait(30)
    bport = free_port()
    base = start([sys.executable, __file__, "--baseline-server", str(bport), str(tmp / "body.json")], dict(os.environ),
                 bport)
    try:
        rows.append((name, "bare Starlette, same bytes", load(bport, "-", RATE, seconds, ["/x"]),
                     load(bport, "-", 0, seconds / 3, ["/x"])))
    finally:
        base.terminate()
        base.wait(30)
    return rows


async def fresh_pg_database() -> str | None:
    import asyncpg

    dsn = PG_URL.replace("postgresql+asyncpg://", "postgresql://")
    try:
        conn = await asyncpg.connect(dsn, timeout=3)
    except Exception as err:  # noqa: BLE001
        print(f"PostgreSQL not reachable ({err}); skipping it")
        return None
    await conn.execute("DROP DATABASE IF EXISTS tcgbench_api")
    await conn.execute("CREATE DATABASE tcgbench_api")
    await conn.close()
    return PG_URL.rsplit("/", 1)[0] + "/tcgbench_api"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--baseline-server", nargs=2)
    args = parser.parse_args()
    if args.baseline_server:
        baseline_server(int(args.baseline_server[0]), args.baseline_server[1])
        return
    poke, _ = catalog_paths()
    print(f"catalog: {'full real catalog' if poke.parent.parent == SHARED_DATA else 'bundled sample'}; "
          f"{os.cpu_count()} cores; server and load generator share them")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        rows += run_backend("sqlite", f"sqlite+aiosqlite:///{tmp}/api.db", args.seconds, Path(tmp))
        pg = None if args.skip_postgres else asyncio.run(fresh_pg_database())
        if pg:
            rows += run_backend("postgres", pg, args.seconds, Path(tmp))
    print(f"\n{'backend':<9}{'endpoint':<28}{'rps':>7}{'p50 ms':>8}{'p90 ms':>8}{'p99 ms':>8}{'max ms':>8}{'err':>5}"
          f"{'max rps':>9}{'p99 vs bare':>13}")
    bare = {r[0]: r[2] for r in rows if r[1].startswith("bare")}
    for backend, label, fixed, ceiling in rows:
        ratio = fixed["p99_ms"] / bare[backend]["p99_ms"]
        print(f"{backend:<9}{label:<28}{fixed['rps']:7.0f}{fixed['p50_ms']:8.2f}{fixed['p90_ms']:8.2f}"
              f"{fixed['p99_ms']:8.2f}{fixed['max_ms']:8.1f}{fixed['errors']:5d}{ceiling['rps']:9.0f}{ratio:13.2f}")
    worst = max(r[2]["p99_ms"] for r in rows if not r[1].startswith("bare"))
    print(f"\ngoal: p99 <= 50 ms at {RATE} rps -> worst p99 {worst:.1f} ms: {'met' if worst <= 50 else 'NOT met'}")


if __name__ == "__main__":
    main()
