"""Benchmark: `tcgtracker run` (collector, evaluator, deliverer) on SQLite with the full real catalog:
start-up time to "ready" (excluding the one-off catalog import) and peak RSS once the catalog index is
loaded and a collection has run. Goals: ready <= 3 s, peak RSS <= 300 MB.
Run: .venv/bin/python tests/bench/bench_service.py"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.conftest import SHARED_DATA  # noqa: E402


def rss_peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "service.db"
        env = {**os.environ, "TCGTRACKER_DATABASE__URL": f"sqlite+aiosqlite:///{db}",
               "TCGTRACKER_SOURCES__TCGCSV__BASE_URL": "http://127.0.0.1:9", "TCGTRACKER_SOURCES__TCGCSV__ATTEMPTS": "1",
               "TCGTRACKER_METRICS__PORT": "0"}
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "bot", "catalog", "import", "--pokemon",
                        str(SHARED_DATA / "pokemon" / "pokemon-tcg-data"), "--onepiece",
                        str(SHARED_DATA / "onepiece" / "punk-records")], env=env, check=True, capture_output=True)
        imported = time.perf_counter() - started
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
        line = process.stdout.readline()
        while "ready:" not in line:
            line = process.stdout.readline()
        ready = time.perf_counter() - started
        time.sleep(10)  # the first collection runs (and loads the catalog index), the evaluator too
        peak = rss_peak_mb(process.pid)
        process.send_signal(signal.SIGTERM)
        process.wait(30)
    print(f"catalog import (one-off): {imported:.1f} s")
    print(f"start-up to ready: {ready:.2f} s (goal <= 3 s)  [{line.strip()}]")
    print(f"peak RSS with the full catalog index loaded: {peak:.0f} MB (goal <= 300 MB)")


if __name__ == "__main__":
    main()
