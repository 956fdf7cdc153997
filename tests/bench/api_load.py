"""Load generator for bench_api.py, run as its own process: open loop (requests start on schedule, so a
slow server shows as latency instead of silently lowering the rate) or closed loop (max throughput).

python tests/bench/api_load.py URL KEY RATE SECONDS PATH [PATH ...]   -> one JSON line of results
RATE 0 = closed loop with 32 concurrent clients."""
from __future__ import annotations

import asyncio
import json
import sys
import time

import httpx


async def open_loop(client: httpx.AsyncClient, paths: list[str], rate: float, seconds: float) -> dict:
    latencies: list[float] = []
    errors = 0
    start = time.perf_counter() + 0.2
    total = int(rate * seconds)

    async def one(i: int) -> None:
        nonlocal errors
        scheduled = start + i / rate
        await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
        try:
            response = await client.get(paths[i % len(paths)])
            errors += response.status_code != 200
        except httpx.HTTPError:
            errors += 1
        latencies.append(time.perf_counter() - scheduled)  # from the planned start: queueing counts

    await asyncio.gather(*(one(i) for i in range(total)))
    return _summary(latencies, errors, time.perf_counter() - start)


async def closed_loop(client: httpx.AsyncClient, paths: list[str], seconds: float, workers: int = 32) -> dict:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    counter = iter(range(10**9))

    async def worker() -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            try:
                response = await client.get(paths[next(counter) % len(paths)])
                errors += response.status_code != 200
            except httpx.HTTPError:
                errors += 1
            latencies.append(time.perf_counter() - began)

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return _summary(latencies, errors, time.perf_counter() - began)


def _summary(latencies: list[float], errors: int, elapsed: float) -> dict:
    ordered = sorted(latencies)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
    return {"requests": len(ordered), "errors": errors, "rps": len(ordered) / elapsed, "p50_ms": pick(0.5),
            "p90_ms": pick(0.9), "p99_ms": pick(0.99), "max_ms": ordered[-1] * 1000 if ordered else 0}


async def main(url: str, key: str, rate: float, seconds: float, paths: list[str]) -> None:
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=url, headers={"X-API-Key": key}, limits=limits, timeout=30) as client:
        for path in paths[:8]:  # warm: connections, catalog index, caches
            await client.get(path)
        result = await (open_loop(client, paths, rate, seconds) if rate else closed_loop(client, paths, seconds))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), sys.argv[5:]))
