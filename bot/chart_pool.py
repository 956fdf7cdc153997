"""Chart rendering in worker processes: the event loop keeps answering while matplotlib works."""
from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from core.charts import ChartSpec, render_chart


class ProcessChartRenderer:
    """A small spawn-based pool (fork is unsafe in a process running threads and an event loop)."""

    def __init__(self, workers: int = 1) -> None:
        self._workers = workers
        self._pool: ProcessPoolExecutor | None = None

    async def __call__(self, spec: ChartSpec) -> bytes:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self._workers, mp_context=multiprocessing.get_context("spawn"))
        return await asyncio.get_running_loop().run_in_executor(self._pool, render_chart, spec)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
