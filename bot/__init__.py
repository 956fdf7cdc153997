"""The process: config, wiring, scheduler, CLI. The composition root."""
