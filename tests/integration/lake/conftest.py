"""Fixtures of the lake integration tests: moto out of process, and writer subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

WRITER = Path(__file__).with_name("lake_writer.py")


@pytest.fixture
def writer_env(lake_storage: Any, request: pytest.FixtureRequest) -> dict[str, str]:
    """The environment of a writer subprocess: the S3 endpoint's variables for an s3 lake."""
    env = dict(os.environ)
    if not lake_storage.is_local:
        env.update(request.getfixturevalue("s3_endpoint").environ())
    return env


def start_writer(
    env: dict[str, str], root: str, table: str, app_id: str, batches: int, rows: int
) -> subprocess.Popen[str]:
    """Start ``lake_writer.py`` with its output piped (one line per commit)."""
    command = [sys.executable, str(WRITER), root, table, app_id, str(batches), str(rows)]
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
