"""The README's Quickstart, run as written: its first command in a fresh venv on a clean copy of the
tracked files (CI runs the second one itself through .ci/run)."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.conftest import ROOT


def quickstart_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Quickstart", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line and not line.startswith("#")]


def test_quickstart_has_exactly_two_commands_and_ci_runs_the_second():
    commands = quickstart_commands()
    assert len(commands) == 2
    test_command = commands[1].split("&&")[-1].strip()
    assert test_command in (ROOT / ".ci" / "run").read_text()


def test_first_quickstart_command_works_in_a_fresh_venv(tmp_path):
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout to copy the tracked files")
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    clean = tmp_path / "clone"
    for name in tracked:
        target = clean / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    command = quickstart_commands()[0]
    assert re.fullmatch(r"python3 -m venv \.venv && \.venv/bin/pip install -e \. && \.venv/bin/tcgtracker demo", command)
    done = subprocess.run(["bash", "-c", command], cwd=clean, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "collected 90 daily snapshots; 3 alerts delivered" in done.stdout
    assert sorted(p.name for p in (clean / "demo-out").glob("*.png")) == [
        "ST05-011-30d-dark.png", "sv3pt5-199-3m-dark.png", "sv8-238-3m-light.png"]
